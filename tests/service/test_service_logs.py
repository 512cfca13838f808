"""The service's logs keep personal data to their owner: the log file is 0600 and the demo mail sink's line
names neither the recipient nor the subject (an employee's own words, figures included)."""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Iterator

import pytest

from bot import logs
from bot.mailsink import MailSink


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure() replaces the root logger's handlers: put back what the test run had."""
    root, cli = logging.getLogger(), logging.getLogger("sotp")
    saved = list(root.handlers), root.level, list(cli.handlers)
    old_umask = os.umask(0o022)          # the usual umask: a plain open() would make the file 0644
    try:
        yield
    finally:
        os.umask(old_umask)
        for handler in root.handlers:
            if getattr(handler, "sotp", False):
                handler.close()
        root.handlers[:], cli.handlers[:] = saved[0], saved[2]
        root.setLevel(saved[1])


def test_a_log_file_is_created_readable_by_its_owner_only(tmp_path, restore_logging):
    path = tmp_path / "log" / "serve.log"
    logs.configure(log_file=path)
    logging.getLogger("sotp.queue").info("ticket CC-000001 opened for E000123")
    logging.getLogger().handlers[-1].flush()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().endswith(" INFO sotp.queue ticket CC-000001 opened for E000123\n")


def test_a_log_file_made_earlier_with_a_wider_mode_is_made_private(tmp_path, restore_logging):
    path = tmp_path / "serve.log"
    path.write_text("an earlier line\n")
    path.chmod(0o644)
    logs.configure(log_file=path)
    logging.getLogger("sotp.serve").info("started")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith("an earlier line\n")


def test_open_private_appends_to_a_file_readable_by_its_owner_only(tmp_path, restore_logging):
    path = tmp_path / "serve.log"
    for line in (b"one\n", b"two\n"):
        with logs.open_private(path) as out:
            out.write(line)
    assert (path.stat().st_mode & 0o777, path.read_bytes()) == (0o600, b"one\ntwo\n")


def test_the_mail_sink_logs_the_file_and_size_not_the_recipient_or_subject(tmp_path, caplog):
    sink = MailSink("127.0.0.1", 0, tmp_path / "mail")
    message = EmailMessage()
    message["From"], message["To"] = "compchng@microsoft.com", "jwalker@example.com"
    message["Subject"] = "Re: what do I get for my 1,250 options at $27?"
    message.set_content("Your Total Payment would be $2,437.50.")

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(sink.run(stop))
        while not sink.listening:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(lambda: smtplib.SMTP("127.0.0.1", sink.port).send_message(message))
        stop.set()
        await task

    with caplog.at_level(logging.INFO, logger="sotp.mailsink"):
        asyncio.run(main())
    [kept] = (tmp_path / "mail").glob("*.eml")
    lines = [r.getMessage() for r in caplog.records if r.name == "sotp.mailsink" and "kept" in r.getMessage()]
    assert lines == [f"mail 000001 kept in {tmp_path / 'mail'}/000001-*.eml ({kept.stat().st_size} bytes)"]
    assert [r.getMessage() for r in caplog.records if "jwalker" in r.getMessage() or "$27" in r.getMessage()] == []
