"""A few hundred demo employees with election records of every kind, in real SQLite files, and a fake clock.

The population is built once per test session and copied for each test, so every
test starts from the same records and nothing one test writes reaches another.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot import demo, figures, store
from bot.config import load_settings
from bot.preferences import Preferences
from reminders_world import PEOPLE, SEED, World, pick

@pytest.fixture(scope="session")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("reminders") / "population.db"
    db = store.open_db(path)
    demo.build(db, PEOPLE, SEED)
    eligible = [e.employee_id for e, _ in figures.eligible_people(db)]
    slack = "slack_user_id IS NOT NULL AND status = 'active'"
    cases = {
        "pending_participate": pick(db, eligible, f"country = 'Germany' AND {slack}"),
        "complete_two_step": pick(db, eligible, f"country = 'France' AND {slack}"),
        "pending_withdraw": pick(db, eligible, f"country = 'Russia' AND {slack}"),
        "participating": pick(db, eligible, f"country = 'United States' AND {slack}"),
        "withdrawn": pick(db, eligible, f"country = 'United States' AND {slack}", skip=1),
        "no_election": pick(db, eligible, f"country = 'United States' AND {slack}", skip=2),
        "slack_off": pick(db, eligible, f"country = 'United States' AND {slack}", skip=3),
        "leave": pick(db, eligible, "status = 'leave' AND slack_user_id IS NOT NULL"),
        "japan": pick(db, eligible, f"country = 'Japan' AND {slack}"),
    }
    terminated = db.conn.execute("SELECT employee_id FROM employees WHERE status = 'terminated' "
                                 "ORDER BY employee_id LIMIT 1").fetchone()[0]
    cases["terminated"] = terminated
    pt = "-08:00"
    elections = [
        (cases["pending_participate"], "participate", "online", f"2003-11-03T09:04:00{pt}", None),
        (cases["complete_two_step"], "participate", "online", f"2003-11-03T10:00:00{pt}", f"2003-11-05T08:00:00{pt}"),
        (cases["pending_withdraw"], "participate", "fax", f"2003-10-20T10:00:00{pt}", None),
        (cases["pending_withdraw"], "withdraw", "online", f"2003-11-04T11:30:00{pt}", None),
        (cases["participating"], "participate", "online", f"2003-10-28T14:15:00{pt}", None),
        (cases["withdrawn"], "participate", "online", f"2003-10-21T08:00:00{pt}", None),
        (cases["withdrawn"], "withdraw", "mail", f"2003-10-30T12:00:00{pt}", None),
        (cases["terminated"], "participate", "online", f"2003-10-22T08:00:00{pt}", None),
    ]
    rows = [(eid, action, method, datetime.fromisoformat(s).astimezone(timezone.utc).isoformat(),
             datetime.fromisoformat(r).astimezone(timezone.utc).isoformat() if r else None)
            for eid, action, method, s, r in elections]
    store.replace_rows(db, "elections", rows, store.ELECTION_COLUMNS)
    Preferences(db).set(cases["slack_off"], "slack_reminders", False, datetime(2003, 10, 20, tzinfo=timezone.utc))
    db.close()
    return path, cases


@pytest.fixture
def world(population_file: tuple[Path, dict[str, str]], tmp_path: Path) -> World:
    source, cases = population_file
    path = tmp_path / "sotp.db"
    shutil.copy(source, path)
    db = store.open_db(path)
    settings = load_settings().with_overrides(db_path=path)
    eligible = [e.employee_id for e, _ in figures.eligible_people(db)]
    yield World(path, db, settings, dict(cases), eligible)
    db.close()
