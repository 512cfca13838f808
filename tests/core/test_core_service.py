"""The core as a service: any thread, asyncio, one transaction per turn, answered once, hardened input."""

from __future__ import annotations

import asyncio
import sqlite3
import threading


from bot import store
from bot.audit import AuditLog
from bot.db import Connections
from bot.outbox import Outbox
from handlers.core import Conversation
from handlers.hardening import MATCH_LIMIT
from handlers.messages import Incoming

SAFE_REPLY = "Sorry, I could not answer your message just now. It has been recorded"
NOT_KEPT_REPLY = "Sorry, I could not answer your message just now, and I could not record it either."


def test_eight_threads_of_fifty_turns_each_are_all_answered_and_audited(db_path, settings, clock):
    conversation = Conversation(Connections(db_path), settings, clock=clock)
    errors: list[BaseException] = []
    people = ["U0ALICE", "U0BRUNA", "U0JAN", "U0MEI"]

    def work(n: int) -> None:
        try:
            for i in range(50):
                who = people[n % len(people)]
                text = "I never received the launch email" if i % 10 == 0 else "when is the deadline?"
                response = conversation.handle(Incoming("slack", who, text, message_id=f"C1:{n}.{i}"))
                assert SAFE_REPLY not in response.replies[-1].text
        except BaseException as exc:  # collected: an assertion in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    events = list(AuditLog(store.open_db(db_path)).all())
    assert sum(1 for e in events if (e.direction, e.kind) == ("in", "message")) == 400
    assert AuditLog(store.open_db(db_path)).verify().ok
    tickets = conversation.queue.list()
    # Each of the four people reported the same problem 10 times: one ticket each, the rest joined it.
    assert sorted(t.requester for t in tickets) == ["E1", "E3", "E4", "E5"]


def test_the_async_entry_point_answers_from_an_event_loop(conversation):
    async def main() -> str:
        response = await conversation.ahandle(Incoming("slack", "U0ALICE", "when is the deadline?"))
        return response.primary.sections[0]

    assert asyncio.run(main()) == "q21"


def test_a_message_seen_before_is_answered_once_with_the_first_answer(ask, conversation):
    first = ask("I never received the launch email", message_id="C1:1700000000.000100")
    again = ask("I never received the launch email", message_id="C1:1700000000.000100")
    assert again.duplicate and not first.duplicate
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert again.outbox_keys == first.outbox_keys == ("reply:slack:C1:1700000000.000100:0",)
    assert len(list(Outbox(conversation.db).rows(kind="reply"))) == 1
    assert len(conversation.queue.messages("CC-000001")) == 1
    assert sum(1 for e in conversation.audit.all() if e.direction == "in") == 1


def test_the_same_message_id_on_another_channel_is_another_message(ask):
    ask("when is the deadline?", message_id="abc")
    assert not ask("when is the deadline?", channel="email", address="Alice.Smith@example.com",
                   message_id="abc").duplicate


def test_a_turn_that_fails_half_way_keeps_nothing_but_a_record_of_the_failure(ask, conversation, clock, caplog):
    cli = dict(channel="cli", address="cli:E1", employee_id="E1")
    ask("I never received the launch email", **cli)
    conversation.queue.reply("CC-000001", "Pat", "We re-sent it.", clock.now)
    before = len(list(conversation.audit.all()))
    # A real failure late in the turn: the conversation state cannot be written.
    conversation.db.execute("CREATE TRIGGER state_full BEFORE UPDATE ON conversations "
                            "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    response = ask("my 2000 grant at $45 is missing from the tool", message_id="cli-42", **cli)
    assert response.replies[0].text.startswith(SAFE_REPLY) and len(response.replies) == 1
    events = list(conversation.audit.all())[before:]
    assert [(e.direction, e.kind) for e in events] == [("in", "failure")]
    assert events[0].text.startswith("[not answered: IntegrityError; message id cli-42]\n")
    assert [r.status for r in conversation.queue.outbox("CC-000001") if r.kind == "staff-reply"] == ["pending"]
    assert [t.id for t in conversation.queue.list()] == ["CC-000001"]     # no ticket for the new problem
    assert "turn failed channel=cli message_id=cli-42" in caplog.text


def test_a_lone_surrogate_and_invalid_bytes_are_answered_and_stored(ask, conversation):
    response = ask("when is the \udcff deadline\ufffd?\u200b\x07")
    assert response.primary.sections[0] == "q21"
    [message] = [e for e in conversation.audit.all() if e.direction == "in"]
    assert message.text == "when is the \ufffd deadline\ufffd?\u200b\x07"


def test_a_megabyte_message_is_matched_on_its_start_and_the_reply_says_so(ask, conversation):
    text = "When is the election deadline? " + "x" * 1_000_000
    response = ask(text)
    assert response.primary.text.startswith(f"Your message was very long, so I read only its first "
                                            f"{MATCH_LIMIT:,} characters.")
    [message] = [e for e in conversation.audit.all() if e.direction == "in"]
    assert message.text.endswith("[audit: cut to the first 65,536 of 1,000,031 bytes]")
    assert len(message.text.encode()) < 65_536 + 100


def test_a_locked_database_gives_the_safe_reply_and_keeps_nothing(db_path, settings, clock):
    conversation = Conversation(Connections(db_path, busy_timeout_ms=200), settings, clock=clock)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = conversation.handle(Incoming("slack", "U0ALICE", "when is the deadline?"))
    finally:
        holder.execute("ROLLBACK")
    # Not even the failure record could be written, so the reply must not claim the message is kept.
    assert response.replies[0].text.startswith(NOT_KEPT_REPLY)
    assert "busy" in (response.error or "")
    assert list(conversation.audit.all()) == []


def test_a_dropped_table_is_named_as_a_changed_database_not_as_a_python_error(ask, conversation):
    conversation.db.execute("DROP TABLE conversations")
    response = ask("when is the deadline?")
    assert response.error is not None
    assert "is missing a table (no such table: conversations)" in response.error
    assert "see `sotp audit verify`" in response.error
    assert response.replies[0].text.startswith(SAFE_REPLY)     # the failure record did commit


def test_four_simultaneous_turns_of_one_employee_hand_over_a_staff_reply_once(db_path, settings, clock):
    conversation = Conversation(Connections(db_path), settings, clock=clock)
    cli = dict(channel="cli", address="cli:E1", employee_id="E1")
    conversation.handle(Incoming(text="I never received the launch email", **cli))
    conversation.queue.reply("CC-000001", "Pat", "We re-sent the launch email.", clock.now)
    barrier = threading.Barrier(4)
    shown: list[str] = []

    def turn() -> None:
        barrier.wait()
        response = conversation.handle(Incoming(text="when is the deadline?", **cli))
        shown.extend(r.text for r in response.replies if "We re-sent the launch email." in r.text)

    threads = [threading.Thread(target=turn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(shown) == 1


def test_an_extension_recorded_in_the_database_is_the_deadline_the_core_states(ask, conversation, clock, settings):
    from datetime import date

    from bot.reminders.deadlines import extend

    extend(conversation.db, settings, date(2003, 11, 19), clock.now, note="announced")
    reply = ask("I never received the launch email").primary
    assert "Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 19, 2003" in reply.text


def test_logs_at_info_carry_ids_but_no_message_text_and_no_personal_figures(ask, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    response = ask("what would I get at 27.50 dollars? my grant number is 0002", message_id="C1:1.5")
    assert response.primary.intent == "estimate" and "$" in response.primary.text
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    figures = [token for token in response.primary.text.split() if token.startswith("$")]
    assert figures and not [f for f in figures if f.rstrip(".,;:)") in info]
    assert "answered channel=slack message_id=C1:1.5 employee=E1 intent=estimate" in info
    assert "27.50" not in info and "grant number" not in info


def test_ascii_text_is_hardened_as_every_character_is_one_by_one():
    """harden() takes a fast path for ASCII; it keeps exactly what the per-character rule keeps."""
    import unicodedata

    from handlers.hardening import _keep, harden

    every = "".join(chr(c) for c in range(128)) * 2
    expected = "".join(ch for ch in unicodedata.normalize("NFKC", every.replace("\r\n", "\n").replace("\r", "\n"))
                       if _keep(ch))
    assert harden(every).text == expected
    assert harden("when is the\tdeadline?\x1b[2J\x7f\n").text == "when is the\tdeadline?[2J\n"
