"""A small world for the chart tests: one employee with two Series on an imported grid (no model).

E1 Alice Smith, United States, Level 62: 4,000 options at $33.00 (to 2010-04-24) and
3,000 at $45.00 (to 2007-07-03). Grid: $33.00 at ACP $0/$20/$30/$40: 0.00, 0.50, 2.50,
6.00; $45.00 at $0/$25/$40: 0.00, 0.20, 3.00. Her Total Payment passes $20,000.00
between $33 and $34. E2 holds a Series the grid does not price.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import store
from bot.config import Settings, load_settings

from worlds import build_world

EMPLOYEES = """employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,alice.smith@example.com,U0ALICE,United States,62,employee,active
E2,Ben Ode,bode@example.com,,United States,60,employee,active
"""
GRANTS = """employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,expiration_date,multi_year_grant
E1,0001,2000-04-24,NSO,1991,33.00,4000,0,0,2010-04-24,0
E1,0002,1997-07-03,NSO,1991,45.00,3000,0,0,2007-07-03,0
E2,0101,2001-04-24,NSO,2001,50.00,1000,0,0,2011-04-24,0
"""
GRID = """exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option
33.00,2010-04-24,0,0.00,0.0000
33.00,2010-04-24,0,20.00,0.5000
33.00,2010-04-24,0,30.00,2.5000
33.00,2010-04-24,0,40.00,6.0000
45.00,2007-07-03,0,0.00,0.0000
45.00,2007-07-03,0,25.00,0.2000
45.00,2007-07-03,0,40.00,3.0000
"""


@pytest.fixture(autouse=True)
def no_deployment_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTP_CONFIG", raising=False)
    monkeypatch.delenv("SOTP_DB", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path, employees=EMPLOYEES, grants=GRANTS, grid=GRID)


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return load_settings().with_overrides(db_path=db_path)


@pytest.fixture
def db(db_path: Path):
    database = store.open_db(db_path)
    yield database
    database.close()
