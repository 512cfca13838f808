"""Reading raw email: charsets, transfer encodings, alternatives, HTML, attachments, and what cannot be read."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.channels.email.parse import Unreadable, bounced_message_id, parse, read_headers

HEAD = b"From: Alice Smith <alice.smith@example.com>\r\nTo: compchng@microsoft.com\r\nMessage-ID: <p1@example.com>\r\n"


def test_a_windows_1252_quoted_printable_body_is_decoded():
    raw = (HEAD + b"Subject: =?windows-1252?q?Caf=E9_question?=\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"What happens if I leave =96 I=92m moving to Z=FCrich?\r\n")
    mail = parse(raw)
    assert mail.text.strip() == "What happens if I leave \u2013 I\u2019m moving to Z\u00fcrich?"
    assert mail.headers.subject == "Caf\u00e9 question"
    assert mail.source == "plain"


def test_a_base64_utf8_body_is_decoded():
    msg = EmailMessage()
    msg["From"] = "alice.smith@example.com"
    msg.set_content("Quand est la date limite ? \u20ac", charset="utf-8", cte="base64")
    assert parse(msg.as_bytes()).text.strip() == "Quand est la date limite ? \u20ac"


def test_multipart_alternative_prefers_the_plain_text():
    msg = EmailMessage()
    msg["From"] = "alice.smith@example.com"
    msg.set_content("plain: when is the deadline?")
    msg.add_alternative("<p>html: <b>when</b> is the deadline?</p>", subtype="html")
    mail = parse(msg.as_bytes())
    assert (mail.text.strip(), mail.source) == ("plain: when is the deadline?", "plain")


def test_an_html_only_body_becomes_the_text_a_person_reads():
    msg = EmailMessage()
    msg["From"] = "alice.smith@example.com"
    msg.set_content("<html><body><p>Hello,</p><p>How do I <b>withdraw</b> my election?</p>"
                    "<ul><li>one</li></ul></body></html>", subtype="html")
    mail = parse(msg.as_bytes())
    assert mail.source == "html"
    assert "How do I withdraw my election?" in mail.text
    assert "<" not in mail.text


def test_attachments_are_noted_not_read():
    msg = EmailMessage()
    msg["From"] = "alice.smith@example.com"
    msg.set_content("My form is attached.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Election Form.pdf")
    mail = parse(msg.as_bytes())
    assert mail.text.strip() == "My form is attached."
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        ("Election Form.pdf", "application/pdf", 13)]


def test_an_unknown_charset_falls_back_on_utf8_instead_of_failing():
    raw = HEAD + b"Subject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\ndeadline? caf\xc3\xa9\r\n"
    assert parse(raw).text.strip() == "deadline? caf\u00e9"


def test_a_multipart_without_its_boundary_is_unreadable():
    raw = HEAD + b'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\nno parts\r\n'
    with pytest.raises(Unreadable, match="MIME structure is broken"):
        parse(raw)


def test_a_body_with_broken_base64_is_unreadable():
    raw = HEAD + b"Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64*\r\n"
    with pytest.raises(Unreadable, match="base64"):
        parse(raw)


def test_a_message_without_a_from_address_is_unreadable():
    with pytest.raises(Unreadable, match="no usable From"):
        parse(b"To: compchng@microsoft.com\r\nSubject: x\r\n\r\nhello\r\n")


def test_reading_the_headers_of_garbage_never_raises():
    headers = read_headers(b"\x00\xff\xfe not an email at all")
    assert (headers.message_id, headers.from_addr) == (None, None)


def test_headers_give_the_threading_ids_in_order():
    raw = HEAD + b"In-Reply-To: <a@x>\r\nReferences: <r1@x>\r\n <r2@x> <a@x>\r\nSubject: Re: x\r\n\r\nbody\r\n"
    headers = read_headers(raw)
    assert (headers.message_id, headers.in_reply_to, headers.references) == (
        "<p1@example.com>", "<a@x>", ("<r1@x>", "<r2@x>", "<a@x>"))


def test_a_delivery_report_names_the_message_it_is_about():
    report = (b"From: MAILER-DAEMON@relay.example\r\nTo: compchng@microsoft.com\r\nSubject: Undelivered\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"
              b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
              b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n"
              b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
              b"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <sotp.7.0123456789abcdef@microsoft.com>\r\n"
              b"Subject: Re: Deadline\r\n--r--\r\n")
    assert bounced_message_id(report) == "<sotp.7.0123456789abcdef@microsoft.com>"
