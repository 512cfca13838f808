"""The audit trail: append-only, in time order, exported as CSV or JSON lines."""

import csv
import io
import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import audit as audit_module
from bot.audit import EXPORT_FIELDS, PROGRESS_EVERY, AuditEvent, AuditLog

AT = datetime(2003, 11, 3, 17, 4, 5, tzinfo=timezone.utc)


def question(at=AT, employee_id="E1001", text="Am I eligible?", sections=("q3", "q5")) -> AuditEvent:
    return AuditEvent(at=at, direction="in", kind="message", channel="email", address="jane@microsoft.com",
                      employee_id=employee_id, intent="eligibility", sections=sections, ticket=None, text=text)


def answer(at=AT, text="See Q3.") -> AuditEvent:
    return AuditEvent(at=at, direction="out", kind="reply", channel="email", address="jane@microsoft.com",
                      employee_id="E1001", intent="eligibility", sections=("q3",), ticket="CC-000001", text=text)


def test_a_recorded_event_reads_back_unchanged(audit):
    event = question()
    audit.record(event)
    assert list(audit.since(AT)) == [event]


def test_record_returns_increasing_row_ids(audit):
    assert audit.record(question()) < audit.record(answer())


def test_since_is_inclusive_and_oldest_first(audit):
    audit.record(answer(at=AT + timedelta(seconds=1)))
    audit.record(question(at=AT))
    audit.record(question(at=AT - timedelta(seconds=1), text="earlier"))
    assert [(e.at, e.kind) for e in audit.since(AT)] == [(AT, "message"), (AT + timedelta(seconds=1), "reply")]


def test_since_streams_rather_than_returning_a_list(audit):
    audit.record(question())
    events = audit.since(AT)
    assert isinstance(events, Iterator) and not isinstance(events, list)


def test_updating_an_audit_record_fails(audit, db):
    audit.record(question())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit SET text = 'changed'")
    assert [e.text for e in audit.since(AT)] == ["Am I eligible?"]


def test_deleting_an_audit_record_fails(audit, db):
    audit.record(question())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit")
    assert len(list(audit.since(AT))) == 1


def test_an_unknown_kind_or_direction_is_refused(audit):
    with pytest.raises(ValueError, match="kind"):
        audit.record(AuditEvent(AT, "out", "gossip", "email", "x@y", None, None, (), None, "hi"))
    with pytest.raises(ValueError, match="direction"):
        audit.record(AuditEvent(AT, "sideways", "reply", "email", "x@y", None, None, (), None, "hi"))


def test_a_section_id_with_a_space_is_refused_because_csv_joins_them_with_spaces(audit):
    with pytest.raises(ValueError, match="section id"):
        audit.record(question(sections=("q3 q5",)))


def test_an_employees_events_are_found_by_employee_id(audit):
    audit.record(question(employee_id="E1001"))
    audit.record(question(employee_id="E2002", text="Ravi asks"))
    assert [e.text for e in audit.of_employee("E2002")] == ["Ravi asks"]


def test_time_and_employee_queries_use_their_indexes(audit, db, query_plans):
    audit.record(question())
    plans = query_plans(db, lambda: (list(audit.since(AT)), list(audit.of_employee("E1001", AT))))
    assert len(plans) == 2
    assert "USING INDEX audit_at" in plans[0] and "TEMP B-TREE" not in plans[0], plans[0]
    assert "USING INDEX audit_employee_at" in plans[1] and "TEMP B-TREE" not in plans[1], plans[1]


# -- export -------------------------------------------------------------------------------------------

def test_csv_export_has_the_header_row_and_space_separated_sections(audit):
    audit.record(question(text='My grant, "the big one",\nis missing'))
    audit.record(answer())
    out = io.StringIO()
    assert audit.export(date(2003, 11, 3), "csv", out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["at", "direction", "kind", "channel", "address", "employee_id", "intent", "sections",
                       "ticket", "text"]
    assert rows[1] == ["2003-11-03T17:04:05+00:00", "in", "message", "email", "jane@microsoft.com", "E1001",
                       "eligibility", "q3 q5", "", 'My grant, "the big one",\nis missing']
    assert rows[2][7:] == ["q3", "CC-000001", "See Q3."]


def test_jsonl_export_has_the_same_fields_with_sections_as_a_list(audit):
    audit.record(question())
    out = io.StringIO()
    assert audit.export(date(2003, 11, 3), "jsonl", out) == 1
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert tuple(record) == EXPORT_FIELDS
    assert record == {"at": "2003-11-03T17:04:05+00:00", "direction": "in", "kind": "message", "channel": "email",
                      "address": "jane@microsoft.com", "employee_id": "E1001", "intent": "eligibility",
                      "sections": ["q3", "q5"], "ticket": None, "text": "Am I eligible?"}


def test_export_since_a_date_starts_at_utc_midnight_of_that_date(audit):
    audit.record(question(at=datetime(2003, 11, 2, 23, 59, 59, tzinfo=timezone.utc), text="the day before"))
    audit.record(question(at=datetime(2003, 11, 3, 0, 0, 0, tzinfo=timezone.utc), text="first second"))
    out = io.StringIO()
    assert audit.export(date(2003, 11, 3), "jsonl", out) == 1
    assert json.loads(out.getvalue())["text"] == "first second"


def test_export_refuses_an_unknown_format(audit):
    with pytest.raises(ValueError, match="csv or jsonl"):
        audit.export(date(2003, 11, 3), "xml", io.StringIO())


def test_a_large_export_reports_progress(audit, db):
    with db.atomic():
        for n in range(PROGRESS_EVERY + 1):
            audit.record(question(at=AT + timedelta(seconds=n)))
    seen: list[int] = []
    assert audit.export(date(2003, 11, 3), "jsonl", io.StringIO(), progress=seen.append) == PROGRESS_EVERY + 1
    assert seen == [PROGRESS_EVERY]


def test_the_trail_survives_reopening_the_database(db_path, audit):
    from bot.store import open_db

    audit.record(question())
    assert [e.text for e in AuditLog(open_db(db_path)).since(AT)] == ["Am I eligible?"]


_FIELD = st.one_of(st.none(), st.integers(min_value=-2**70, max_value=2**70), st.text(), st.booleans(),
                   st.floats(allow_nan=False))


@settings(max_examples=600, deadline=None)
@given(row_id=st.integers(min_value=0, max_value=2**63 - 1), values=st.lists(_FIELD, max_size=12),
       prev=st.text(min_size=0, max_size=70))
def test_the_chains_canonical_bytes_are_the_json_encoders(row_id, values, prev):
    try:
        expected = json.dumps([row_id, *values, prev], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:            # a lone surrogate: neither writes it
        with pytest.raises(UnicodeEncodeError):
            audit_module._canonical(row_id, tuple(values), prev)
        return
    assert audit_module._canonical(row_id, tuple(values), prev) == expected


def test_a_text_cut_to_the_limit_is_cut_whatever_its_length_in_characters():
    wide = "\u00e9" * (audit_module.MAX_TEXT_BYTES // 2 + 1)           # 2 bytes a character: one byte too many
    kept = audit_module.kept_text(wide)
    assert kept.startswith("\u00e9" * (audit_module.MAX_TEXT_BYTES // 2))
    assert kept.endswith(f"[audit: cut to the first 65,536 of {audit_module.MAX_TEXT_BYTES + 2:,} bytes]")
    assert audit_module.kept_text("\u00e9" * (audit_module.MAX_TEXT_BYTES // 4)) == "\u00e9" * (audit_module.MAX_TEXT_BYTES // 4)
