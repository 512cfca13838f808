"""Outgoing email as it leaves: headers, threading, subject, body, footer, for every kind of outbox row."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.channels.email.compose import Sender, Thread, compose, load_texts
from bot.channels.email.threads import MessageIds, bare_subject, reply_subject, ticket_in_subject
from bot.outbox import OutboxRow
from handlers.assistant import default_knowledge
from handlers.outgoing import render, reply_to_json
from handlers.reply import Reply

NOW = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)
SENDER = Sender("compchng@microsoft.com", "Microsoft Stock Services")
TEXTS = load_texts()
TITLES = {"q21": "Q21. When does my ability to elect end?", "q22": "Q22. How do I elect?",
          "q23": "Q23. How do I withdraw?"}
# What each section says (whitespace flattened): a section is cited when the reply quotes its words.
SECTION_TEXTS = {"q21": "The Election Period will end on November 12, 2003. It may be extended.",
                 "q22": "In order for your election to be valid, Mellon must RECEIVE your signed Election Form.",
                 "q23": "You may withdraw your election at any time before the Election Deadline."}
STAFF_LEAD = "Microsoft Stock Services replied about ticket {ticket}:"


def row(kind: str, payload: dict, *, recipient: str = "alice.smith@example.com", employee_id: str | None = "E1",
        ticket: str | None = None, row_id: int = 7) -> OutboxRow:
    return OutboxRow(id=row_id, key=f"{kind}:{row_id}", channel="email", recipient=recipient, employee_id=employee_id,
                     kind=kind, ticket=ticket, payload=payload, status="pending", not_before=NOW, created_at=NOW,
                     attempts=1, claim_token="t", claimed_until=NOW, last_error=None, sent_at=None, provider_ref=None)


def answer_payload(*replies: Reply, subject: str = "Deadline", in_reply_to: str = "<q1@example.com>",
                   references: str = "<q0@example.com> <q1@example.com>", **metadata: str) -> dict:
    return {"replies": [reply_to_json(r) for r in replies], "reply_ref": in_reply_to, "in_reply_to": in_reply_to,
            "metadata": {"subject": subject, "references": references, **metadata}}


FAQ = Reply("faq", ("From Q21 of the Notice:", "> The Election Period will end on November 12, 2003."), ("q21", "q22"))


def build(r: OutboxRow, thread: Thread | None = None):
    return compose(r, render(r.kind, r.payload, STAFF_LEAD), message_id="<sotp.7.0011223344556677@microsoft.com>",
                   sender=SENDER, texts=TEXTS, titles=TITLES.get, now=NOW, thread=thread,
                   section_texts=SECTION_TEXTS)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_an_answer_is_from_the_alias_to_the_recipient_only_and_threads_under_the_question():
    message = build(row("reply", answer_payload(FAQ)))
    assert message["From"] == "Microsoft Stock Services <compchng@microsoft.com>"
    assert message["To"] == "alice.smith@example.com"
    assert (message["Cc"], message["Bcc"], message["Reply-To"]) == (None, None, None)
    assert message["Subject"] == "Re: Deadline"
    assert message["In-Reply-To"] == "<q1@example.com>"
    assert message["References"] == "<q0@example.com> <q1@example.com>"
    assert message["Message-ID"] == "<sotp.7.0011223344556677@microsoft.com>"
    assert message["Date"] == "Mon, 03 Nov 2003 17:00:00 +0000"


def test_an_answer_says_it_is_automatic_and_carries_the_loop_marker():
    message = build(row("reply", answer_payload(FAQ)))
    assert (message["Auto-Submitted"], message["X-Loop"], message["X-Auto-Response-Suppress"]) == (
        "auto-replied", "compchng@microsoft.com", "All")


def test_a_reply_to_a_reply_never_says_re_twice():
    assert build(row("reply", answer_payload(FAQ, subject="RE: Re: Re[2]: Deadline")))["Subject"] == "Re: Deadline"


def test_an_answer_about_a_ticket_carries_its_tag_once():
    payload = answer_payload(FAQ, subject="Re: My grants are missing [compchng CC-000004]")
    assert build(row("reply", payload, ticket="CC-000004"))["Subject"] == "Re: My grants are missing [compchng CC-000004]"


def test_an_answer_to_an_email_without_subject_gets_the_default_one():
    assert build(row("reply", answer_payload(FAQ, subject="")))["Subject"] == "Re: Your question to Microsoft Stock Services"


def test_the_body_is_the_reply_then_the_cited_section_titles_then_the_footer():
    text = plain(build(row("reply", answer_payload(FAQ))))
    assert text.startswith("From Q21 of the Notice:\n\n> The Election Period will end on November 12, 2003.\n\n"
                           "Sections cited:\n- Q21. When does my ability to elect end? [q21]"
                           "\n\n-- \nMicrosoft Stock Services (compchng)")
    assert "An email is not an election." in text
    assert "compchng@microsoft.com or (425) 706-8853" in text


def test_only_the_sections_whose_words_are_quoted_are_cited_in_the_order_quoted():
    both = Reply("election", ("How to elect:", "> In order for your election to be valid, Mellon must RECEIVE\n"
                              "> your signed Election Form.", "Ask about the deadline:",
                              "> The Election Period will end on November 12, 2003."), ("q23", "q21", "q22"))
    assert plain(build(row("reply", answer_payload(both)))).split("\n\n-- \n")[0].endswith(
        "Sections cited:\n- Q22. How do I elect? [q22]\n- Q21. When does my ability to elect end? [q21]")


def test_did_you_mean_choices_are_offered_not_cited():
    choices = Reply("faq", ("I'm not sure which part of the Notice answers that. Did you mean:",
                            "1. Q21. When does my ability to elect end? [q21]\n2. Q22. How do I elect? [q22]"),
                    ("q21", "q22"), 0.3, choices=("q21", "q22"))
    message = build(row("reply", answer_payload(choices)))
    assert "Sections cited" not in plain(message)
    assert "Sections cited" not in message.get_body(("html",)).get_content()


TABLE = Reply("estimate", ("Your estimated Total Payment:",
                           "```\nAssumed ACP  Total Payment\n-----------  -------------\n$23.00           $1,100.00\n"
                           "$31.00           $2,850.00\n```", "Please note:\n- Amounts are pre-tax."),
              ("q7",), privacy="private")


def test_a_table_in_plain_text_has_no_fences_and_keeps_its_columns_indented():
    text = plain(build(row("reply", answer_payload(TABLE))))
    assert "```" not in text
    assert ("Your estimated Total Payment:\n\n  Assumed ACP  Total Payment\n  -----------  -------------\n"
            "  $23.00           $1,100.00\n  $31.00           $2,850.00\n\nPlease note:") in text


def test_a_table_in_html_is_a_pre_block_without_fences():
    html = build(row("reply", answer_payload(TABLE))).get_body(("html",)).get_content()
    assert "```" not in html
    assert ("<pre>Assumed ACP  Total Payment\n-----------  -------------\n$23.00           $1,100.00\n"
            "$31.00           $2,850.00</pre>") in html


def test_the_html_alternative_is_short_and_escapes_what_it_shows():
    evil = Reply("faq", ("<script>alert(1)</script> & more",), ())
    message = build(row("reply", answer_payload(evil)))
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>" not in html
    assert message.get_content_type() == "multipart/alternative"


def test_a_quoted_passage_becomes_a_blockquote_in_html():
    html = build(row("reply", answer_payload(FAQ))).get_body(("html",)).get_content()
    assert "The Election Period will end on November 12, 2003.</blockquote>" in html


def test_a_sender_not_on_record_is_told_to_write_from_the_company_address():
    text = plain(build(row("reply", answer_payload(FAQ), recipient="someone@gmail.example", employee_id=None)))
    assert ("I couldn't match someone@gmail.example to an employee record, so this answer is general. For your "
            "own figures, eligibility or election status, please write from your Microsoft email address") in text


def test_an_employee_on_record_gets_no_such_note():
    assert "couldn't match" not in plain(build(row("reply", answer_payload(FAQ))))


def test_attachments_are_said_to_be_unread_and_forms_are_not_elections():
    text = plain(build(row("reply", answer_payload(FAQ, attachments="Election Form.pdf"))))
    assert "Your email had attachments (Election Form.pdf); I don't open attachments." in text
    assert ("\"Submission of elections directly to Microsoft other than through the Employee Election Tool "
            "will NOT be accepted.\"") in text


def test_a_reminder_has_its_own_subject_no_thread_and_is_auto_generated():
    message = build(row("reminder", {"subject": "The Election Deadline is November 12", "text": "Reminder text."}))
    assert message["Subject"] == "The Election Deadline is November 12"
    assert (message["In-Reply-To"], message["Auto-Submitted"]) == (None, "auto-generated")
    assert plain(message).startswith("Reminder text.\n\n-- \n")


def test_a_confirmation_without_a_subject_gets_the_default_one():
    message = build(row("confirmation", {"text": "Your election was received."}))
    assert (message["Subject"], message["Auto-Submitted"]) == (
        "Stock Option Transfer Program: confirmation", "auto-generated")


def test_a_staff_reply_is_quoted_under_the_staff_lead_and_not_marked_automatic():
    message = build(row("staff-reply", {"ticket": "CC-000004", "text": "We re-sent the email.", "staff": "Pat"},
                        ticket="CC-000004"))
    assert message["Subject"] == "Microsoft Stock Services replied about CC-000004 [compchng CC-000004]"
    assert message["Auto-Submitted"] is None
    assert message["X-Loop"] == "compchng@microsoft.com"
    assert plain(message).startswith("Microsoft Stock Services replied about ticket CC-000004:\n\n> We re-sent the email.")


def test_a_staff_reply_threads_under_the_employees_email_when_there_is_one():
    thread = Thread("My grants are missing", "<e9@example.com>", ("<e8@example.com>",))
    message = build(row("staff-reply", {"ticket": "CC-000004", "text": "Fixed.", "staff": "Pat"}, ticket="CC-000004"),
                    thread)
    assert message["Subject"] == "Re: My grants are missing [compchng CC-000004]"
    assert (message["In-Reply-To"], message["References"]) == ("<e9@example.com>", "<e8@example.com> <e9@example.com>")


def test_the_footers_quote_is_the_notices_own_words():
    corpus = default_knowledge().corpus
    q24 = " ".join(corpus["q24"].paragraphs)
    q22 = " ".join(corpus["q22"].paragraphs)
    footer = " ".join(TEXTS.footer)
    quoted = footer.split('"')[1]
    assert quoted in q24
    assert TEXTS.text("notes.attachments", names="x").split('"')[1] in q22


# --------------------------------------------------------------------------- threading helpers

@pytest.mark.parametrize("original, expected", [
    ("Deadline", "Re: Deadline"), ("Re: Deadline", "Re: Deadline"), ("RE: re:  Deadline", "Re: Deadline"),
    ("Re[3]: Deadline", "Re: Deadline"), ("AW: Frist", "Re: Frist"), ("Fwd: Deadline", "Re: Fwd: Deadline"),
])
def test_reply_subjects(original, expected):
    assert reply_subject(original, fallback="x") == expected


def test_the_bare_subject_drops_prefixes_and_our_tag():
    assert bare_subject("Re: Fwd: RE: When is the deadline? [compchng CC-000012]", "compchng") == "When is the deadline?"


def test_a_subject_tag_names_its_ticket():
    assert ticket_in_subject("Re: grants [compchng cc-12]", "compchng") == "CC-000012"
    assert ticket_in_subject("Re: grants [other CC-000012]", "compchng") is None
    assert ticket_in_subject("Re: grants [compchng CC-000000]", "compchng") is None


def test_a_rows_message_id_is_the_same_every_time_and_verifies_only_for_that_row():
    ids = MessageIds(b"secret-key-0123456789abcdef01234", "microsoft.com")
    first = ids.for_row(42, "reply:email:<q@x>:0")
    assert first == ids.for_row(42, "reply:email:<q@x>:0")
    assert first.startswith("<sotp.42.") and first.endswith("@microsoft.com>")
    assert ids.row_id(first) == 42
    assert ids.verify(first, 42, "reply:email:<q@x>:0")
    assert not ids.verify(first, 42, "reply:email:<other@x>:0")
    assert not MessageIds(b"another-key-0123456789abcdef0123", "microsoft.com").verify(first, 42, "reply:email:<q@x>:0")
    assert MessageIds(b"k", "example.com").row_id(first) is None



def _varied_messages():
    """Answers of many shapes: quotes, fenced tables, non-ASCII and long lines, long subjects, charts, kinds."""
    parts = ["From Q21 of the Notice:", "> The Election Period will end on November 12, 2003.",
             "```\nPrice   Total\n$23.00  $1,234.56\n$31.00  $2,345.67\n```", "Grüße — café ☃ naïve résumé",
             "word " * 60, "--" + "=" * 15 + "0" * 19 + "==", "> a quote\n> on two lines", "Line one\nline two\n\nx"]
    subjects = ["Deadline", "Re: Deadline", "Frage zur Frist — bitte", "x" * 120, "[compchng CC-000123] help",
                "Re: Re: =?utf-8?q?caf=C3=A9?="]
    for n in range(300):
        chosen = tuple(parts[(n + k * 3) % len(parts)] for k in range(1 + n % 5))
        reply = Reply("faq", chosen, ("q21", "q22") if n % 2 else ())
        kind = ("reply", "staff-reply", "ticket-notice", "reminder")[n % 4]
        payload = answer_payload(reply, subject=subjects[n % len(subjects)]) if kind == "reply" else {
            "replies": [reply_to_json(reply)], "subject": subjects[n % len(subjects)], "text": "Reply text " * (n % 9)}
        r = row(kind, payload, ticket="CC-000123" if n % 3 == 0 else None, employee_id=None if n % 7 == 0 else "E1")
        yield compose(r, render(r.kind, r.payload, STAFF_LEAD), message_id=f"<sotp.{n}.00112233@microsoft.com>",
                      sender=SENDER, texts=TEXTS, titles=TITLES.get, now=NOW, section_texts=SECTION_TEXTS,
                      chart_png=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (n % 3) if n % 5 == 0 else None)


def test_flatten_makes_the_bytes_aiosmtplib_would_send():
    import random

    from aiosmtplib.email import flatten_message

    from bot.channels.email.compose import flatten

    # Each message twice, composed alike: flattening one sets its MIME boundaries.
    for n, (old, new) in enumerate(zip(_varied_messages(), _varied_messages())):
        random.seed(n)
        expected = flatten_message(old, utf8=False, cte_type="8bit")
        random.seed(n)
        assert flatten(new) == expected, n
    assert n == 299
