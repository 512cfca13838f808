"""What of an email body is the question: quotes, attributions, signatures and disclaimers go (handlers.cleaning)."""

from __future__ import annotations

from email.message import EmailMessage

from bot.channels.email.parse import parse
from bot.channels.email.processor import question_text
from handlers.cleaning import clean_message


def test_a_wrapped_attribution_line_starts_the_quoted_thread():
    body = ("When is the election deadline?\n\nOn Mon, Nov 3, 2003 at 9:00 AM Microsoft Stock Services\n"
            "<compchng@microsoft.com> wrote:\nHow do I withdraw my election?\n")
    assert clean_message(body) == "When is the election deadline?"


def test_an_attribution_in_french_or_german_starts_the_quoted_thread():
    assert clean_message("Quand est la date limite ?\n\nLe lun. 3 nov. 2003 à 09:00, Compchng a écrit :\n"
                         "Texte cité") == "Quand est la date limite ?"
    assert clean_message("Wann ist die Frist?\n\nAm 03.11.2003 um 09:00 schrieb Compchng <compchng@microsoft.com>:\n"
                         "Zitat") == "Wann ist die Frist?"


def test_a_company_disclaimer_is_not_part_of_the_question():
    body = ("Can I transfer only some of my grants?\n"
            "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be privileged.\n"
            "If you are not the intended recipient, please delete it.")
    assert clean_message(body) == "Can I transfer only some of my grants?"


def test_a_message_that_is_only_quotes_is_empty_when_asked_not_to_keep_the_whole():
    body = "> When is the deadline?\n> Thanks"
    assert clean_message(body, whole_if_empty=False) == ""
    assert clean_message(body) == "> When is the deadline? > Thanks"       # chat keeps what it got


def email(body: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "alice.smith@example.com"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def test_an_email_with_nothing_above_the_quote_is_asked_by_its_subject():
    msg = email("On Mon, Nov 3, 2003 at 9:00 AM Compchng wrote:\n> From Q21 of the Notice", "RE: Fwd: Deadline?")
    assert question_text(parse(msg.as_bytes()), "compchng") == "Deadline?"


def test_the_subjects_ticket_tag_is_not_part_of_the_question():
    msg = email("", "Re: Missing grant [compchng CC-000007]")
    assert question_text(parse(msg.as_bytes()), "compchng") == "Missing grant"
