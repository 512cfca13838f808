"""A local mail sink for `make run`: the outbound relay that keeps every message as a .eml file.

A newcomer has no mail server; the assistant's outgoing mail goes to this SMTP
server on 127.0.0.1:2526, which writes each message to var/mail/ and logs a
one-line summary (its number and size: no address, no subject), so replies, reminders and confirmations can be read there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("sotp.mailsink")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "message"


class SinkHandler:
    """aiosmtpd handler: accept everything, keep it as a file (written whole, then renamed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        message = message_from_bytes(data, policy=policy.default)
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.count:06d}-{_slug(str(message.get('Subject', '')))}.eml"
        partial = self.folder / (name + ".partial")
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(partial, self.folder / name)
        # Neither recipient nor subject: the subject is the employee's own words, figures included.
        log.info("mail %06d kept in %s (%d bytes)", self.count, self.folder / f"{self.count:06d}-*.eml", len(data))
        return "250 OK: kept"


class MailSink:
    """The sink as a `sotp serve` component."""

    name = "mail-sink"

    def __init__(self, host: str, port: int, folder: Path) -> None:
        self.host, self.port = host, port
        self.handler = SinkHandler(folder)
        self.listening = False

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(self.handler, hostname="mail-sink.local"),
                                          self.host, self.port)
        self.port = server.sockets[0].getsockname()[1]
        self.listening = True
        log.info("mail sink listening on %s:%d, keeping mail in %s", self.host, self.port, self.handler.folder)
        try:
            await stop.wait()
        finally:
            self.listening = False
            server.close()
            await server.wait_closed()

    def health(self) -> dict[str, Any]:
        return {"listening": f"{self.host}:{self.port}" if self.listening else None,
                "messages": self.handler.count, "folder": str(self.handler.folder)}
