"""End to end on 127.0.0.1: real messages into the gateway's listener, replies out at the relay sink."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from email_world import ALIAS, ALICE, DIEGO, STRANGER, question, send, settle

from bot.audit import AuditLog
from bot.channels.email.inbox import Inbox
from bot.queue import Queue

# A delivery report from the relay about a reply of ours that could not be delivered.
DSN = """From: MAILER-DAEMON@relay.example.com
To: compchng@microsoft.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@relay.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="rep"

--rep
Content-Type: text/plain

This is the mail system at host relay.example.com. Your message could not be delivered.
--rep
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.com

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
--rep
Content-Type: text/rfc822-headers

Message-ID: {bounced}
Subject: Re: Deadline
--rep--
"""


def null_sender(port: int, raw: bytes) -> None:
    """A bounce arrives with MAIL FROM:<> (smtplib sends that for an empty sender)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("", [ALIAS], raw)


def inbound(gateway) -> list:
    db = gateway.connections.db()
    inbox = Inbox(db)
    return [inbox.get(i) for (i,) in db.conn.execute("SELECT id FROM email_inbound ORDER BY id")]


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


async def ask(gateway, relay, message, *, expect: int = 1, **kw) -> list:
    before = len(relay.received)
    await send(gateway, message, **kw)
    await settle(gateway)
    await asyncio.sleep(0.05)
    new = relay.received[before:]
    assert len(new) == expect, [body(r)[:200] for r in new]
    return new


async def test_a_question_gets_one_threaded_reply(gateway, relay):
    [reply] = await ask(gateway, relay, question("When is the election deadline?", subject="Deadline",
                                                 message_id="<q1@example.com>"))
    assert reply.rcpt_tos == [ALICE]
    assert reply.envelope_from == ALIAS
    m = reply.message
    assert (m["Subject"], m["In-Reply-To"], m["References"]) == ("Re: Deadline", "<q1@example.com>", "<q1@example.com>")
    assert (m["Auto-Submitted"], m["X-Loop"]) == ("auto-replied", ALIAS)
    assert m["Message-ID"].startswith("<sotp.") and m["Message-ID"].endswith("@microsoft.com>")
    text = body(reply)
    assert text.startswith("From Q21 of the Notice:")
    assert "Wednesday, November 12, 2003, at Midnight, New York City/Eastern Time" in text
    assert "Sections cited:\n- Q21. When does my ability to elect to participate in the Program end?" in text
    [row] = inbound(gateway)
    assert (row.status, row.rule, row.replies) == ("done", "answered", 1)


async def test_the_reply_message_id_is_kept_as_the_rows_provider_ref(gateway, relay):
    [reply] = await ask(gateway, relay, question("When is the election deadline?", message_id="<q2@example.com>"))
    row = gateway.conversation.outbox.by_key("reply:email:<q2@example.com>:0")
    assert (row.status, row.provider_ref) == ("sent", reply.message["Message-ID"])


async def test_an_out_of_office_reply_gets_no_answer_and_is_recorded(gateway, relay):
    ooo = question("I am out of the office until Monday.", subject="Automatic reply: Re: Deadline",
                   message_id="<ooo@example.com>")
    await ask(gateway, relay, ooo, expect=0)
    [row] = inbound(gateway)
    assert (row.status, row.rule, row.replies) == ("no-reply", "out-of-office", 0)
    [event] = [e for e in gateway.conversation.audit.all() if e.kind == "no-reply"]
    assert (event.direction, event.address, event.employee_id) == ("in", ALICE, "E1")
    assert event.text.startswith("[not answered: out-of-office] Subject: Automatic reply: Re: Deadline")


async def test_an_outlook_auto_reply_with_headers_only_gets_no_answer(gateway, relay):
    ooo = question("Away.", subject="Re: Deadline", Auto_Submitted="auto-replied", X_Auto_Response_Suppress="All")
    await ask(gateway, relay, ooo, expect=0)
    assert inbound(gateway)[0].rule == "auto-submitted"


async def test_a_bounce_gets_no_answer_and_names_the_reply_that_bounced(gateway, relay):
    [reply] = await ask(gateway, relay, question("When is the election deadline?"))
    bounced = reply.message["Message-ID"]
    dsn = DSN.format(recipient=ALICE, bounced=bounced).replace("\n", "\r\n").encode()
    await asyncio.to_thread(null_sender, gateway.port, dsn)
    await settle(gateway)
    assert len(relay.received) == 1
    row = inbound(gateway)[-1]
    assert (row.status, row.rule, row.mail_from) == ("no-reply", "empty-envelope-sender", "")
    sent = gateway.conversation.outbox.by_key(f"reply:email:{inbound(gateway)[0].message_id}:0")
    assert row.note == f"bounce of {bounced}: outbox row {sent.id} (reply) to {ALICE}"


async def test_our_own_reply_coming_back_is_not_answered(gateway, relay):
    [reply] = await ask(gateway, relay, question("When is the election deadline?"))
    looped = reply.message
    del looped["To"]
    looped["To"] = ALIAS
    await ask(gateway, relay, looped, expect=0, sender="forwarder@example.com", recipients=[ALIAS])
    assert inbound(gateway)[-1].rule == "own-message-id"


def ticket_question() -> EmailMessage:
    return question("My 2000 grant at $45 is missing from the tool.", subject="Missing grant",
                    message_id="<t1@example.com>")


async def test_an_eligibility_problem_opens_a_ticket_and_the_reply_carries_its_tag(gateway, relay):
    [reply] = await ask(gateway, relay, ticket_question())
    assert reply.message["Subject"] == "Re: Missing grant [compchng CC-000001]"
    assert "as ticket CC-000001" in body(reply)
    assert inbound(gateway)[0].ticket == "CC-000001"


async def test_a_reply_in_the_tickets_thread_lands_on_the_ticket_without_a_faq_answer(gateway, relay):
    [first] = await ask(gateway, relay, ticket_question())
    follow = question("When is the election deadline? I still can't see the grant.", subject="Re: Missing grant",
                      In_Reply_To=first.message["Message-ID"], References=f"<t1@example.com> {first.message['Message-ID']}")
    [ack] = await ask(gateway, relay, follow)
    assert body(ack).startswith("I've added your message to ticket CC-000001")
    assert "From Q21" not in body(ack)
    thread = Queue(gateway.connections.db()).messages("CC-000001")
    assert [m.text for m in thread] == ["My 2000 grant at $45 is missing from the tool.",
                                        "When is the election deadline? I still can't see the grant."]
    assert inbound(gateway)[-1].rule == "ticket-reply"


async def test_a_reply_carrying_only_the_subject_tag_lands_on_the_ticket(gateway, relay):
    await ask(gateway, relay, ticket_question())
    [ack] = await ask(gateway, relay, question("Any news?", subject="Re: Missing grant [compchng CC-000001]"))
    assert body(ack).startswith("I've added your message to ticket CC-000001")
    assert len(Queue(gateway.connections.db()).messages("CC-000001")) == 2


async def test_a_follow_up_to_the_employees_own_first_email_lands_on_the_ticket(gateway, relay):
    await ask(gateway, relay, ticket_question())
    [ack] = await ask(gateway, relay, question("I forgot: it was granted in April.", subject="Missing grant",
                                               In_Reply_To="<t1@example.com>", References="<t1@example.com>"))
    assert body(ack).startswith("I've added your message to ticket CC-000001")


async def test_someone_elses_reply_with_the_tag_does_not_join_the_ticket(gateway, relay):
    await ask(gateway, relay, ticket_question())
    await ask(gateway, relay, question("When is the election deadline?", sender=DIEGO,
                                       subject="Re: Missing grant [compchng CC-000001]"))
    assert len(Queue(gateway.connections.db()).messages("CC-000001")) == 1


async def test_a_staff_reply_goes_out_by_email_threaded_under_the_employees_message(gateway, relay):
    await ask(gateway, relay, ticket_question())
    Queue(gateway.connections.db()).reply("CC-000001", "Pat", "We found the grant and added it.", gateway.conversation.clock())
    gateway.conversation.wakers["email"]()
    await settle(gateway)
    staff = relay.received[-1]
    assert staff.rcpt_tos == [ALICE]
    assert staff.message["Subject"] == "Re: Missing grant [compchng CC-000001]"
    assert staff.message["In-Reply-To"] == "<t1@example.com>"
    assert body(staff).startswith("Microsoft Stock Services replied about ticket CC-000001:\n\n"
                                  "> We found the grant and added it.")


async def test_a_windows_1252_message_is_answered(gateway, relay):
    raw = (f"From: {ALICE}\r\nTo: {ALIAS}\r\nSubject: =?windows-1252?q?Leaving_=96_question?=\r\n"
           "Message-ID: <cp1252@example.com>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           "What=92s the election deadline?\r\n\r\nMit freundlichen Gr=FC=DFen,\r\nJ=FCrgen\r\n").encode("ascii")
    [reply] = await ask(gateway, relay, raw)
    assert reply.message["Subject"] == "Re: Leaving \u2013 question"
    assert "> The Election Period for the Stock Option Transfer Program will end on Wednesday, November 12, 2003" \
        in body(reply)


async def test_an_html_only_message_is_answered(gateway, relay):
    msg = question("", message_id="<html@example.com>")
    msg.set_content("<html><body><div>Hi team,</div><div><b>When is the election deadline?</b></div>"
                    "<div>Thanks,<br>Alice</div></body></html>", subtype="html")
    [reply] = await ask(gateway, relay, msg)
    assert body(reply).startswith("From Q21 of the Notice:")
    assert inbound(gateway)[0].note == "body from html"


async def test_the_quoted_earlier_thread_is_not_what_gets_answered(gateway, relay):
    msg = question("When is the election deadline?\n\nOn Mon, Nov 3, 2003 at 9:00 AM Microsoft Stock Services\n"
                   "<compchng@microsoft.com> wrote:\n> How do I withdraw my election?\n> Use the Tool.\n")
    [reply] = await ask(gateway, relay, msg)
    assert body(reply).startswith("From Q21 of the Notice:")


async def test_an_empty_body_is_answered_from_the_subject(gateway, relay):
    msg = question("", subject="When is the election deadline?")
    [reply] = await ask(gateway, relay, msg)
    assert body(reply).startswith("From Q21 of the Notice:")


async def test_a_sender_not_on_record_gets_general_answers_and_is_told_where_to_write_from(gateway, relay):
    [reply] = await ask(gateway, relay, question("What would I get at $30?", sender=STRANGER))
    assert reply.rcpt_tos == [STRANGER]
    text = body(reply)
    assert text.startswith("Your own figures depend on your Eligible Options, so I can only show them to you "
                           "privately, once I know who you are")
    assert f"I couldn't match {STRANGER} to an employee record" in text
    assert "Your estimated Total Payment" not in text


async def test_personal_figures_go_to_the_address_on_record_never_to_reply_to_or_cc(gateway, relay):
    msg = question("What would I get at $30?", sender="Alice.Smith@EXAMPLE.com", Reply_To="attacker@evil.example",
                   Cc="boss@example.com")
    [reply] = await ask(gateway, relay, msg)
    assert reply.rcpt_tos == [ALICE]
    assert reply.message["To"] == ALICE
    assert "Your estimated Total Payment at an assumed Average Closing Price of $30.00: $2,500.00" in body(reply)


async def test_a_sender_past_the_cap_gets_no_more_automatic_replies_that_hour(gateway, relay):
    for n in range(7):
        await send(gateway, question(f"When is the election deadline? ({n})"))
    await settle(gateway)
    await asyncio.sleep(0.05)
    assert len(relay.to(ALICE)) == 6          # five, then one more: "more than five" stops the seventh
    assert [r.rule for r in inbound(gateway)][-1] == "auto-reply-limit"


async def test_an_unreadable_message_goes_to_the_queue_and_the_next_one_is_still_answered(gateway, relay):
    broken = (f"From: {ALICE}\r\nTo: {ALIAS}\r\nSubject: my form\r\nMessage-ID: <broken@example.com>\r\n"
              "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"gone\"\r\n\r\nno parts here\r\n").encode()
    await ask(gateway, relay, broken, expect=0)
    await ask(gateway, relay, question("When is the election deadline?"))
    first = inbound(gateway)[0]
    assert (first.status, first.ticket) == ("quarantined", "CC-000001")
    ticket = Queue(gateway.connections.db()).get("CC-000001")
    assert ticket.text.startswith("An email to compchng could not be read automatically: the MIME structure is broken")
    assert ticket.requester_employee_id == "E1"
    assert any(e.kind == "unreadable" and e.ticket == "CC-000001" for e in AuditLog(gateway.connections.db()).all())


async def test_a_reminder_row_goes_out_with_its_own_subject(gateway, relay):
    from bot.outbox import Outbound

    gateway.conversation.outbox.enqueue(Outbound(
        "reminder:w1:E1", "email", ALICE, "reminder",
        {"subject": "Reminder: the Election Deadline is November 12", "text": "Please decide in time."},
        employee_id="E1"), gateway.conversation.clock())
    gateway.conversation.wakers["email"]()
    await settle(gateway)
    [sent] = relay.to(ALICE)
    assert (sent.message["Subject"], sent.message["Auto-Submitted"]) == (
        "Reminder: the Election Deadline is November 12", "auto-generated")


async def test_a_recipient_the_relay_refuses_for_good_is_failed_and_audited(gateway, relay):
    relay.refuse_rcpt = "550 5.1.1 no such user"
    await send(gateway, question("When is the election deadline?", message_id="<gone@example.com>"))
    await settle(gateway)
    row = gateway.conversation.outbox.by_key("reply:email:<gone@example.com>:0")
    assert (row.status, row.last_error) == ("failed", f"recipient {ALICE} refused: 550 5.1.1 no such user")
    [event] = [e for e in gateway.conversation.audit.all() if e.kind == "delivery-failure"]
    assert event.text.endswith(f"not delivered: recipient {ALICE} refused: 550 5.1.1 no such user")


async def test_a_relay_that_is_down_and_comes_back_gets_every_message_exactly_once(gateway, relay, clock):
    await relay.stop()
    ids = [f"<down{n}@example.com>" for n in range(5)]
    for mid in ids:
        await send(gateway, question(f"When is the election deadline? {mid}", message_id=mid))
    await asyncio.sleep(0.5)
    rows = [gateway.conversation.outbox.by_key(f"reply:email:{mid}:0") for mid in ids]
    assert [r.status for r in rows] == ["pending"] * 5
    assert all((r.last_error or "").startswith(f"relay 127.0.0.1:{relay.port}: SMTPConnectError") for r in rows), [
        r.last_error for r in rows]
    await relay.start()
    clock.advance(seconds=10)                    # past the first backoff
    gateway.conversation.wakers["email"]()
    await settle(gateway, timeout=15)
    assert sorted(r.message["In-Reply-To"] for r in relay.received) == sorted(ids)


async def test_a_relay_answering_4xx_is_tried_again_and_then_delivers_once(gateway, relay, clock):
    relay.refuse_data = "451 4.3.0 try later"
    await send(gateway, question("When is the election deadline?", message_id="<busy@example.com>"))
    await asyncio.sleep(0.5)
    row = gateway.conversation.outbox.by_key("reply:email:<busy@example.com>:0")
    assert (row.status, row.last_error) == ("pending", "relay refused the message (SMTPDataError): 451 4.3.0 try later")
    relay.refuse_data = None
    clock.advance(seconds=10)
    gateway.conversation.wakers["email"]()
    await settle(gateway)
    assert [r.message["In-Reply-To"] for r in relay.received] == ["<busy@example.com>"]


async def test_the_same_message_delivered_twice_is_answered_once(gateway, relay):
    msg = question("When is the election deadline?", message_id="<dup@example.com>")
    await send(gateway, msg)
    await send(gateway, msg)
    await settle(gateway)
    await asyncio.sleep(0.1)
    assert len(relay.received) == 1


def png_attachments(received) -> list:
    return [part for part in received.message.iter_attachments() if part.get_content_type() == "image/png"]


async def test_an_estimate_reply_carries_the_chart_as_a_png_attachment(gateway, relay):
    [reply] = await ask(gateway, relay, question("What would I get at $30?"))
    [chart] = png_attachments(reply)
    data = chart.get_content()
    assert chart.get_filename() == "total-payment-chart.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 100_000
    assert "Your estimated Total Payment at an assumed Average Closing Price of $30.00: $2,500.00" in body(reply)


async def test_a_reply_that_is_not_an_estimate_carries_no_attachment(gateway, relay):
    [reply] = await ask(gateway, relay, question("When is the election deadline?"))
    assert list(reply.message.iter_attachments()) == []


async def test_a_sender_not_on_record_asking_for_an_estimate_gets_no_chart(gateway, relay):
    [reply] = await ask(gateway, relay, question("What would I get at $30?", sender=STRANGER))
    assert list(reply.message.iter_attachments()) == []
