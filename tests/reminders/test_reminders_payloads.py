"""A wave composes each reminder's text and payload JSON from shared parts: the rows must be exactly what
texts.reminder() says and what encoding the payload makes, byte for byte."""

from __future__ import annotations

import json
from datetime import date

from bot.outbox import payload_json
from bot.reminders import deadlines, texts
from bot.reminders.run import PayloadEncoder
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
        assert payload["text"] == texts.reminder(planner.t, kind, people[eid], version, channel).text, key
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


def test_the_payload_encoder_writes_the_json_that_encoding_the_whole_payload_writes():
    encoder = PayloadEncoder()
    parts = ['Dear Zoë "Z" O\'Neil,', "a\\b\tc\u2019d\x01", "> quoted\n>\n> line", ""]
    payload = {"subject": "S \u00e9", "text": "\n\n".join(parts), "sections": ["q19", "s5"], "privacy": "private",
               "reminder": "7d", "deadline": "2003-11-12", "deadline_version": 1, "mode": "dm"}
    encoded = encoder.encode(("k",), payload, [encoder.own(parts[0]), *(encoder.shared(p) for p in parts[1:])])
    assert encoded == payload_json(payload)


def test_the_payload_encoder_encodes_the_whole_payload_when_a_key_sorts_after_text():
    encoder = PayloadEncoder()
    payload = {"text": "a\n\nb", "zone": "Europe/Berlin"}
    assert encoder.encode(("z",), payload, ["a", "b"]) == payload_json(payload)
