"""A wave composes each reminder's text and payload JSON from shared parts: the rows must be exactly what
texts.reminder() says and what encoding the payload makes, byte for byte; the shared paragraphs are stored
once (outbox_parts) and each row names them."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

from bot.outbox import TEXT_PARTS, part_digest, part_ref, payload_json
from bot.reminders import deadlines, texts
from bot.reminders.run import PayloadEncoder, text_digest
from reminders_world import World, at


def _rows_match_the_message_functions(world: World, kind: str) -> int:
    planner = world.planner()
    version = deadlines.current(world.db)
    assert version is not None
    people = {r.employee.employee_id: r for r in planner.recipients(version)}
    checked = 0
    for key, channel, _, eid, _, stored, _ in world.rows(kind="reminder"):
        payload = json.loads(stored)
        if payload["reminder"] != kind:
            continue
        assert stored == payload_json(payload), key
        whole = world.payload(key)
        assert whole["text"] == texts.reminder(planner.t, kind, people[eid], version, channel).text, key
        assert whole == {**{k: v for k, v in payload.items() if k != TEXT_PARTS}, "text": whole["text"]}, key
        checked += 1
    return checked


def test_every_reminder_row_of_a_wave_is_the_text_of_texts_reminder_encoded_as_the_outbox_encodes(world):
    report = world.planner().run(at("2003-11-06T09:00-05:00"))
    assert _rows_match_the_message_functions(world, "7d") == sum(report.counts["7d"].values()) > len(world.eligible)


def test_every_extension_announcement_row_is_the_text_of_texts_reminder_encoded_as_the_outbox_encodes(world):
    world.planner().run(at("2003-11-06T09:00-05:00"))
    deadlines.extend(world.db, world.settings, date(2003, 11, 19), at("2003-11-12T10:00-05:00"))
    report = world.planner().run(at("2003-11-12T10:05-05:00"))
    assert report.counts["extension"]["email"] > 0
    assert _rows_match_the_message_functions(world, "extension") == sum(report.counts["extension"].values())


def test_a_waves_shared_paragraphs_are_stored_once_and_every_row_names_them(world):
    world.planner().run(at("2003-11-06T09:00-05:00"))
    named = {part["sha256"] for *_, stored, _ in world.rows(kind="reminder")
             for part in json.loads(stored)[TEXT_PARTS] if isinstance(part, dict)}
    stored = dict(world.db.conn.execute("SELECT sha256, text FROM outbox_parts").fetchall())
    assert set(stored) == named
    assert all(part_digest(text) == digest for digest, text in stored.items())


def test_an_email_reminder_names_its_head_and_tail_and_keeps_the_greeting_and_record_literal(world):
    world.planner().run(at("2003-11-06T09:00-05:00"))
    eid = world.cases["participating"]
    [(*_, stored, _)] = world.rows(key=f"reminder:v1:7d:{eid}:email")
    greeting, head, record, tail = json.loads(stored)[TEXT_PARTS]
    name = world.db.conn.execute("SELECT name FROM employees WHERE employee_id = ?", (eid,)).fetchone()[0]
    assert greeting == f"Dear {name},"
    assert isinstance(record, str) and record.startswith("What is on record for you: participate")
    whole = world.payload(f"reminder:v1:7d:{eid}:email")["text"]
    [head_text] = world.db.conn.execute("SELECT text FROM outbox_parts WHERE sha256 = ?", (head["sha256"],)).fetchone()
    [tail_text] = world.db.conn.execute("SELECT text FROM outbox_parts WHERE sha256 = ?", (tail["sha256"],)).fetchone()
    assert whole == f"{greeting}\n\n{head_text}\n\n{record}\n\n{tail_text}"


def test_every_reminder_audit_line_names_the_sha256_of_its_rows_whole_text(world):
    report = world.planner().run(at("2003-11-06T09:00-05:00"))
    lines = [line for (text,) in world.db.conn.execute("SELECT text FROM audit WHERE kind = 'reminder'")
             for line in text.splitlines()[1:]]
    assert len(lines) == sum(report.counts["7d"].values()) > len(world.eligible)
    for line in lines:
        found = re.fullmatch(r"(email|slack) to \S+: outbox (\S+), text sha256 ([0-9a-f]{64}), sections .+", line)
        assert found, line
        assert hashlib.sha256(world.payload(found[2])["text"].encode("utf-8")).hexdigest() == found[3], line


def test_text_digest_of_the_paragraphs_utf8_is_the_sha256_of_the_joined_text():
    paragraphs = ["Dear Zoë O\u2019Neil,", "", "> quoted\n>\n> line", "日本語 \U0001f600"]
    expected = hashlib.sha256("\n\n".join(paragraphs).encode("utf-8")).hexdigest()
    assert text_digest([p.encode("utf-8") for p in paragraphs]) == expected


def test_the_payload_encoder_writes_the_json_that_encoding_the_whole_payload_writes():
    encoder = PayloadEncoder()
    parts = ['Dear Zoë "Z" O\'Neil,', part_ref(part_digest("a\\b\tc\u2019d\x01")), "> quoted\n>\n> line", ""]
    payload = {"subject": "S \u00e9", TEXT_PARTS: parts, "sections": ["q19", "s5"], "privacy": "private",
               "reminder": "7d", "deadline": "2003-11-12", "deadline_version": 1, "mode": "dm"}
    encoded = encoder.encode(("k",), payload, [payload_json(p) for p in parts])
    assert encoded == payload_json(payload)


def test_the_payload_encoder_encodes_the_whole_payload_when_a_key_sorts_after_text_parts():
    encoder = PayloadEncoder()
    payload = {TEXT_PARTS: ["a", "b"], "zone": "Europe/Berlin"}
    assert encoder.encode(("z",), payload, ['"a"', '"b"']) == payload_json(payload)
