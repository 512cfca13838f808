"""The inbound processor on a real database, without SMTP: failed turns, retries, and the settings it runs on."""

from __future__ import annotations

import argparse
from email import policy
from pathlib import Path

import pytest
from email_world import ALIAS, ALICE, ProgramClock, config_file, question, serve_args

from bot.channels.email import components
from bot.channels.email.compose import load_texts
from bot.channels.email.inbox import Arrival, Inbox, message_id_key
from bot.channels.email.parse import read_headers
from bot.channels.email.processor import InboundProcessor
from bot.channels.email.rules import default_policy
from bot.channels.email.settings import email_settings
from bot.channels.email.threads import MessageIds
from bot.config import ConfigError, load_settings
from bot.db import Connections
from bot.serve import SERVE_MODULES, ServeContext
from handlers.core import Conversation


@pytest.fixture
def world(db_path: Path, clock: ProgramClock):
    connections = Connections(db_path)
    conversation = Conversation(connections, load_settings().with_overrides(db_path=db_path), clock=clock)
    processor = InboundProcessor(
        connections, conversation, policy=default_policy(frozenset({ALIAS}), "microsoft.com"),
        ids=MessageIds(message_id_key(connections.db()), "microsoft.com"), texts=load_texts(), tag="compchng",
        clock=clock, max_attempts=3)
    yield connections, processor
    connections.close()


def arrive(connections: Connections, clock, message) -> int:
    raw = message.as_bytes(policy=policy.SMTP)
    headers = read_headers(raw)
    row_id, _ = Inbox(connections.db()).accept(
        Arrival(headers.message_id or "", ALICE, (ALIAS,), raw, from_addr=headers.from_addr,
                subject=headers.subject), clock())
    return row_id


def fail_turns(connections: Connections) -> None:
    connections.db().conn.execute(
        "CREATE TRIGGER broken BEFORE INSERT ON answered BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")


def test_a_failed_turn_keeps_the_message_and_tries_again_later(world, clock):
    connections, processor = world
    row_id = arrive(connections, clock, question("When is the election deadline?"))
    fail_turns(connections)
    assert processor.process(row_id).status == "retry"
    row = Inbox(connections.db()).get(row_id)
    assert (row.status, row.attempts) == ("received", 1)
    assert row.note.startswith("the turn failed:")
    assert processor.run_once() == 0                       # not due yet: the backoff holds it back
    connections.db().conn.execute("DROP TRIGGER broken")
    clock.advance(seconds=5)
    assert processor.run_once() == 1
    row = Inbox(connections.db()).get(row_id)
    assert (row.status, row.replies) == ("done", 1)


def test_a_message_whose_turn_keeps_failing_goes_to_the_queue(world, clock):
    connections, processor = world
    row_id = arrive(connections, clock, question("When is the election deadline?"))
    fail_turns(connections)
    for _ in range(3):
        outcome = processor.process(row_id)
        clock.advance(minutes=10)
    assert (outcome.status, outcome.ticket) == ("quarantined", "CC-000001")
    row = Inbox(connections.db()).get(row_id)
    assert row.status == "quarantined"
    assert row.note.endswith("(3 attempts)")


def test_a_row_already_finished_is_left_alone(world, clock):
    connections, processor = world
    row_id = arrive(connections, clock, question("When is the election deadline?"))
    assert processor.process(row_id).status == "done"
    assert processor.process(row_id) is None


# ------------------------------------------------------------------------------ settings and wiring

def test_the_gateway_is_one_of_the_modules_sotp_serve_runs():
    assert "bot.channels.email" in SERVE_MODULES


def test_no_email_means_no_components(db_path, tmp_path):
    settings = load_settings().with_overrides(db_path=db_path)
    context = ServeContext(settings, None, None, None, argparse.Namespace(no_email=True), tmp_path)
    assert components(context) == []


def test_serve_builds_the_listener_the_processor_and_the_outbox_worker(db_path, tmp_path, clock):
    settings = load_settings(config_file(tmp_path)).with_overrides(db_path=db_path)
    connections = Connections(db_path)
    conversation = Conversation(connections, settings, clock=clock)
    context = ServeContext(settings, connections, conversation, clock, serve_args("127.0.0.1:0", 2526), tmp_path)
    try:
        parts = components(context)
        assert [p.name for p in parts] == ["email-smtp-in", "email-inbound", "outbox-email"]
        assert "email" in conversation.wakers
    finally:
        connections.close()


def test_the_defaults_are_the_issues():
    config = email_settings(load_settings(), serve_args(None, 2526, smtp_relay=None, smtp_listen=None))
    assert (str(config.listen), str(config.relay), config.mail_from) == (
        "127.0.0.1:2525", "127.0.0.1:2526", "compchng@microsoft.com")
    assert (config.max_bytes, config.auto_reply_limit, config.accept) == (
        10 * 1024 * 1024, 5, frozenset({"compchng@microsoft.com"}))
    assert config.processor_process is True


@pytest.mark.parametrize("section, message", [
    ({"listen": "localhost"}, "email.listen: expected HOST:PORT"),
    ({"mail_from": "not an address"}, "email.mail_from: not an email address"),
    ({"relay_security": "ssl"}, "email.relay_security: expected one of none, starttls, tls"),
    ({"relay_timeout": 30, "delivery_lease": 40}, "email.delivery_lease (40 s) must be at least twice"),
    ({"auto_reply_limit": -1}, "email.auto_reply_limit: must be at least 0"),
    ({"relay_ca_file": "/no/such/ca.pem"}, "email.relay_ca_file: no such file"),
    ({"processor_process": "yes"}, "email.processor_process: expected true or false"),
])
def test_a_bad_setting_stops_start_up_with_its_name(tmp_path, section, message):
    settings = load_settings(config_file(tmp_path, **{"relay_timeout": 2, "delivery_lease": 5, **section}))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        email_settings(settings, serve_args(None, 2526, smtp_relay=None, smtp_listen=None))


def test_a_misspelt_email_setting_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[email]\nauto_reply_limt = 3\n')
    with pytest.raises(ConfigError, match="unknown setting email.auto_reply_limt"):
        load_settings(path)


def test_flags_override_the_file(tmp_path):
    settings = load_settings(config_file(tmp_path, mail_from="stock@microsoft.com"))
    config = email_settings(settings, serve_args("0.0.0.0:25", 587, mail_from="compchng@microsoft.com",
                                                 auto_reply_limit=2))
    assert (str(config.listen), config.relay.port, config.mail_from, config.auto_reply_limit) == (
        "0.0.0.0:25", 587, "compchng@microsoft.com", 2)


# ------------------------------------------------------------------------------ rows answered together

def test_rows_due_together_are_each_answered_once_in_one_batch(world, clock):
    connections, processor = world
    rows = [arrive(connections, clock, question(f"When is the election deadline? ({i})")) for i in range(3)]
    assert processor.run_once() == 3
    inbox = Inbox(connections.db())
    assert [(inbox.get(r).status, inbox.get(r).replies) for r in rows] == [("done", 1)] * 3
    assert connections.db().conn.execute("SELECT count(*) FROM outbox WHERE kind = 'reply'").fetchone()[0] == 3


def test_a_turn_that_raises_in_a_batch_is_tried_again_later_and_the_others_are_answered(world, clock, monkeypatch):
    connections, processor = world
    rows = [arrive(connections, clock, question(f"When is the election deadline? ({i})")) for i in range(3)]
    handle = processor.conversation.handle

    def broken_for_the_second(incoming, **kwargs):
        if incoming.message_id == Inbox(connections.db()).get(rows[1]).message_id:
            raise RuntimeError("a bug in this turn")
        return handle(incoming, **kwargs)

    monkeypatch.setattr(processor.conversation, "handle", broken_for_the_second)
    assert processor.run_once() == 3
    inbox = Inbox(connections.db())
    assert [(inbox.get(r).status, inbox.get(r).attempts) for r in rows] == [("done", 0), ("received", 1), ("done", 0)]
    assert connections.db().conn.execute("SELECT count(*) FROM outbox WHERE kind = 'reply'").fetchone()[0] == 2


def test_a_database_error_in_a_batch_keeps_none_of_it_and_its_rows_are_answered_one_by_one(world, clock, monkeypatch):
    import sqlite3

    connections, processor = world
    rows = [arrive(connections, clock, question(f"When is the election deadline? ({i})")) for i in range(3)]
    original, calls = processor._process, []

    def busy_once(*args):
        calls.append(args[1].id)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database is locked")
        return original(*args)

    monkeypatch.setattr(processor, "_process", busy_once)
    assert processor.run_once() == 3
    inbox = Inbox(connections.db())
    assert [(inbox.get(r).status, inbox.get(r).replies) for r in rows] == [("done", 1)] * 3
    assert connections.db().conn.execute("SELECT count(*) FROM outbox WHERE kind = 'reply'").fetchone()[0] == 3
    assert calls == [rows[0], rows[1], rows[0], rows[1], rows[2]]   # the batch's two again, then the third


def test_a_batch_wakes_the_delivery_worker_once_after_it_commits(world, clock):
    connections, processor = world
    for i in range(3):
        arrive(connections, clock, question(f"When is the election deadline? ({i})"))
    wakes = []
    processor.conversation.wakers["email"] = processor.deferring(
        lambda: wakes.append(connections.db().conn.execute("SELECT count(*) FROM outbox").fetchone()[0]))
    processor.run_once()
    assert wakes == [3]
