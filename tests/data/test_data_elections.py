"""Election records: imported all-or-nothing, read back in the Tool's terms (Notice Q22, s5, s6)."""

from datetime import date, datetime, timezone

import pytest
from data_files import EMPLOYEES_HEADER

from bot import store
from bot.elections import ElectionRecord, election_status
from bot.imports import ImportRefused, import_file

ELECTIONS_HEADER = "employee_id,action,method,submitted_at,signed_form_received_at"
DEADLINE = date(2003, 11, 12)   # the deadline instant is 2003-11-13T05:00:00Z


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture
def people(db, write_csv):
    import_file(db, "employees", write_csv("e.csv", EMPLOYEES_HEADER,
                                           "E1,Ana Lima,ana@example.com,,Brazil,60,employee,active",
                                           "E2,Ben Ode,ben@example.com,,United States,61,employee,active"))


def test_elections_import_with_times_stored_in_utc_and_naive_times_read_as_pacific(db, write_csv, people):
    result = import_file(db, "elections", write_csv("el.csv", ELECTIONS_HEADER,
                                                    "E1,participate,online,2003-11-03T09:15:00,",
                                                    "E2,participate,fax,2003-11-04T12:00:00Z,"))
    assert result.rows == 2
    [ana] = store.elections_of(db, "E1")
    # 09:15 Pacific Standard Time (UTC-8) is 17:15 UTC.
    assert ana.submitted_at == _utc("2003-11-03T17:15:00+00:00")
    assert (ana.action, ana.method, ana.signed_form_received_at) == ("participate", "online", None)


def test_a_bad_election_row_refuses_the_file_and_keeps_the_previous_records(db, write_csv, people):
    import_file(db, "elections", write_csv("ok.csv", ELECTIONS_HEADER, "E2,participate,online,2003-11-04T12:00:00Z,"))
    bad = write_csv("bad.csv", ELECTIONS_HEADER,
                    "E2,withdraw,online,2003-11-05T12:00:00Z,",
                    "E9,participate,email,yesterday,")
    with pytest.raises(ImportRefused) as refused:
        import_file(db, "elections", bad)
    assert refused.value.problems == (
        "line 3: method 'email' is not one of online | fax | mail; submitted_at 'yesterday' is not an "
        "ISO-8601 time like 2003-11-03T17:04:00-08:00; employee_id 'E9' is not among the imported "
        "employees (import employees first)",)
    assert [r.action for r in store.elections_of(db, "E2")] == ["participate"]


def _record(action, method, submitted, received=None):
    return ElectionRecord("E1", action, method, _utc(submitted), _utc(received) if received else None)


def test_an_online_election_in_a_two_step_country_is_pending_until_mellon_receives_the_form():
    status = election_status([_record("participate", "online", "2003-11-03T17:00:00+00:00")],
                             two_step=True, deadline=DEADLINE)
    assert status.standing == "pending_form"
    assert status.explanation == ("Your election to participate is pending the receipt of your signed "
                                  "hardcopy confirmation form by Mellon Investor Services.")


def test_the_two_step_election_counts_once_the_signed_form_is_received_before_the_deadline():
    status = election_status([_record("participate", "online", "2003-11-03T17:00:00+00:00",
                                      "2003-11-07T15:00:00+00:00")], two_step=True, deadline=DEADLINE)
    assert status.standing == "participating"


def test_a_signed_form_received_after_midnight_eastern_is_late():
    # Midnight Eastern at the end of Nov 12 is 05:00 UTC on Nov 13; one minute later is late.
    status = election_status([_record("participate", "online", "2003-11-03T17:00:00+00:00",
                                      "2003-11-13T05:01:00+00:00")], two_step=True, deadline=DEADLINE)
    assert status.standing == "late"


def test_the_latest_election_before_the_deadline_governs():
    records = [_record("participate", "online", "2003-11-03T17:00:00+00:00"),
               _record("withdraw", "online", "2003-11-10T17:00:00+00:00"),
               _record("participate", "online", "2003-11-13T06:00:00+00:00")]   # after the deadline
    status = election_status(records, two_step=False, deadline=DEADLINE)
    assert (status.standing, status.latest.action) == ("withdrawn", "withdraw")


def test_no_records_means_no_election_on_record():
    assert election_status([], two_step=False, deadline=DEADLINE).standing == "none"
