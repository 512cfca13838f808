"""The decision and match done before the write lock (Conversation._prepare) change no reply.

Two identical worlds answer the same conversations in the same order: one as the
core does, the other computing everything inside the turn's transaction (no
prepared work). Every response, and every outbox row it enqueued, must be the same.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot import store
from bot.config import load_settings
from handlers.core import Conversation
from handlers.messages import Incoming
from handlers.outgoing import response_to_json


EXAMPLES = Path(__file__).resolve().parents[2] / "handlers" / "examples"
# Known and unknown askers on each channel; the core's own follow-ups ("more", "2", "yes") in between.
ASKERS = (("slack", "U0ALICE"), ("slack", "U0BRUNA"), ("slack", "U0NOBODY"), ("email", "druiz@example.com"),
          ("email", "stranger@example.org"), ("cli", "E5"))
FOLLOWUPS = ("more", "2", "yes", "at $35?", "none of these")


class _Unprepared(Conversation):
    def _prepare(self, incoming):          # everything computed inside the transaction, as before
        return None


class _Counting(Conversation):
    matched_before_the_lock = 0

    def _prepare(self, incoming):          # as the core does; counts the turns whose match was done early
        prepared = super()._prepare(incoming)
        if prepared is not None and prepared.found is not None:
            type(self).matched_before_the_lock += 1
        return prepared


def _texts() -> list[str]:
    texts: list[str] = []
    for name in ("heldout.jsonl", "tuning.jsonl", "tuning2.jsonl", "tuning3.jsonl", "tuning4.jsonl",
                 "sealed.jsonl"):
        texts += [json.loads(line)["text"] for line in (EXAMPLES / name).read_text().splitlines() if line.strip()]
    return texts


def _world(path: Path, cls: type[Conversation], clock) -> tuple[Conversation, object]:
    db = store.open_db(path)
    return cls(db, load_settings().with_overrides(db_path=path), clock=clock), db


def test_prepared_work_changes_no_reply(db_path: Path, tmp_path: Path, clock) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    prepared, db_a = _world(db_path, _Counting, clock)
    inside, db_b = _world(copy, _Unprepared, clock)
    texts = _texts()
    assert len(texts) > 200
    try:
        for n, text in enumerate(texts):
            channel, address = ASKERS[n % len(ASKERS)]
            extra = {"employee_id": address} if channel == "cli" else {}
            for said in (text, FOLLOWUPS[n % len(FOLLOWUPS)]) if n % 3 == 0 else (text,):
                a = prepared.handle(Incoming(channel, address, said, message_id=f"m{n}-{said}", **extra))
                b = inside.handle(Incoming(channel, address, said, message_id=f"m{n}-{said}", **extra))
                assert response_to_json(a) == response_to_json(b), (channel, address, said)
        assert _Counting.matched_before_the_lock > 100    # the comparison is of the prepared path, not of two alike
        rows = "SELECT channel, kind, recipient, payload FROM outbox ORDER BY id"
        assert list(db_a.conn.execute(rows)) == list(db_b.conn.execute(rows))
    finally:
        db_a.close()
        db_b.close()
