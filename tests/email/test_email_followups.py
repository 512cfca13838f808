"""Follow-ups by email go by thread: a reply to one of our answers continues from what that answer said.

Real messages into the gateway's listener on 127.0.0.1, replies at the relay sink. An employee
replies "more", "2" or "and at $30?" to an answer email (In-Reply-To / References naming its
Message-ID), often hours later and after asking something else in another email.
"""

from __future__ import annotations

import asyncio

from email_world import ALICE, DIEGO, question, send, settle

from handlers.assistant import default_knowledge

CORPUS = default_knowledge().corpus


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(received) -> str:
    return received.message.get_body(("html",)).get_content().replace("\r\n", "\n")


async def ask(gateway, relay, message):
    before = len(relay.received)
    await send(gateway, message)
    await settle(gateway)
    await asyncio.sleep(0.05)
    new = relay.received[before:]
    assert len(new) == 1, [body(r)[:200] for r in new]
    return new[0]


def reply_to(answer, text: str, *, sender: str = ALICE):
    """The employee's mail client answering one of our emails: "Re:" subject, threading headers."""
    ours = answer.message["Message-ID"]
    return question(text, sender=sender, subject=answer.message["Subject"], In_Reply_To=ours,
                    References=f"{answer.message['References']} {ours}")


def full_section(section_id: str) -> str:
    """How a "more" answer begins: the section's title and id, then its paragraphs quoted."""
    return f"{CORPUS[section_id].title} [{section_id}]\n\n> {CORPUS[section_id].paragraphs[0].splitlines()[0]}"


async def test_more_in_reply_to_an_answer_gets_that_answers_section_after_another_question(gateway, relay):
    deadline = await ask(gateway, relay, question("When is the deadline?", subject="When is the deadline?"))
    quitting = await ask(gateway, relay, question("What happens to my payments if I quit Microsoft?",
                                                  subject="question"))
    assert body(deadline).startswith("From Q21 of the Notice:")
    assert body(quitting).startswith("From Q11 of the Notice:")
    more = await ask(gateway, relay, reply_to(deadline, "more"))
    assert body(more).startswith(full_section("q21"))
    assert more.message["Subject"] == "Re: When is the deadline?"


async def test_more_after_the_idle_limit_still_gets_that_answers_section(gateway, relay, clock):
    deadline = await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    clock.advance(hours=5)
    more = await ask(gateway, relay, reply_to(deadline, "more"))
    assert body(more).startswith(full_section("q21"))


async def test_more_in_a_new_email_after_the_idle_limit_gets_no_section(gateway, relay, clock):
    await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    clock.advance(hours=5)
    more = await ask(gateway, relay, question("more", subject="more"))
    assert not body(more).startswith(full_section("q21"))


async def test_a_choice_in_reply_to_a_did_you_mean_answers_from_that_emails_choices(gateway, relay):
    unsure = await ask(gateway, relay, question("what about the thing with the paper", subject="paper"))
    assert "Did you mean:\n\n1. " in body(unsure)
    await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    chosen = await ask(gateway, relay, reply_to(unsure, "3"))
    assert body(chosen).startswith(f"From {CORPUS['letter'].title}:\n\n> Complete the enclosed hard copy election form")


async def test_a_new_price_in_reply_to_an_estimate_compares_with_that_estimates_price(gateway, relay):
    at_27 = await ask(gateway, relay, question("What are my figures at $27?", subject="my figures"))
    await ask(gateway, relay, question("What would I get at $40?", subject="another price"))
    await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    at_30 = await ask(gateway, relay, reply_to(at_27, "and at $30?"))
    assert body(at_30).startswith("Your estimated Total Payment at an assumed Average Closing Price of $30.00: "
                                  "$2,500.00 (pre-tax, U.S. dollars), $600.00 more than at $27.00 ($1,900.00).")


async def test_someone_else_replying_in_an_employees_thread_does_not_continue_it(gateway, relay):
    deadline = await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    more = await ask(gateway, relay, reply_to(deadline, "more", sender=DIEGO))
    assert not body(more).startswith(full_section("q21"))


async def test_a_deadline_answer_cites_only_q21(gateway, relay):
    deadline = await ask(gateway, relay, question("When is the deadline?", subject="Deadline"))
    cited = body(deadline).split("Sections cited:\n", 1)[1].split("\n\n", 1)[0]
    assert cited == f"- {CORPUS['q21'].title} [q21]"


async def test_a_did_you_mean_answer_cites_nothing(gateway, relay):
    unsure = await ask(gateway, relay, question("what about the thing with the paper", subject="paper"))
    assert "Sections cited:" not in body(unsure)


async def test_an_estimate_email_has_no_fences_and_its_table_keeps_its_columns(gateway, relay):
    estimate = await ask(gateway, relay, question("What would my payment be?", subject="my payment"))
    text, markup = body(estimate), html(estimate)
    assert "```" not in text and "```" not in markup
    rows = [line for line in text.splitlines() if line.startswith("  $") and line.rstrip()[-1].isdigit()]
    assert [r.split()[0] for r in rows] == [f"${p}.00" for p in range(23, 32)]
    assert rows[0] == "  $23.00                     $1,100.00"
    assert rows[-1] == "  $31.00                     $2,850.00"
    assert len({len(r) for r in rows}) == 1          # the totals end in one column
    assert "<pre>Assumed ACP  Total Payment (pre-tax)\n" in markup
