"""The queue's overdue check: one notice per overdue ticket in the staff channel, never two."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.config import load_settings
from bot.db import Connections
from bot.outbox import Outbox
from bot.overdue import OverdueCheck
from bot.queue import Queue

MONDAY_9AM_PT = datetime(2003, 11, 10, 17, 0, tzinfo=timezone.utc)


def test_an_overdue_ticket_gets_one_notice_in_the_staff_channel(db_path, tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[slack]\nstaff_channel = "C0STAFF"\n')
    connections = Connections(db_path)
    ticket, _ = Queue(connections.db()).open_or_append(
        requester_employee_id="E1", requester_address="U0ALICE", channel="slack", category="missing-email",
        text="no email", now=MONDAY_9AM_PT)
    clock = [MONDAY_9AM_PT + timedelta(hours=8)]
    check = OverdueCheck(connections, load_settings(cfg), lambda: clock[0])
    assert check.check() == []                         # exactly 8 business hours: not yet overdue
    clock[0] += timedelta(minutes=1)
    assert check.check() == [ticket.id] and check.check() == []
    [row] = Outbox(connections.db()).rows(kind="notice")
    assert (row.channel, row.recipient, row.key) == ("slack", "C0STAFF", f"overdue:{ticket.id}")
    assert row.payload["text"] == (f"{ticket.id} has waited more than 8 business hours for a staff reply "
                                   "(missing-email, via slack).")
