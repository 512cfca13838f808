"""A small, hand-computable world for the conversation core: real SQLite in tmp_path, a fixed clock.

Pricing Grid (two Series, points at ACP $0, $20, $30, $40):
  $33.00 expiring 2010-04-24: 0.00, 0.50, 2.50, 6.00
  $45.00 expiring 2007-07-03: 0.00, 0.10, 0.60, 2.00
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import store
from bot.config import load_settings
from handlers.core import Conversation
from handlers.messages import Incoming

from worlds import build_world

EMPLOYEES = """employee_id,name,email,slack_user_id,country,level,worker_type,status
E1,Alice Smith,Alice.Smith@example.com,U0ALICE,United States,62,employee,active
E2,Diego Ruiz,druiz@example.com,,Spain,69,employee,active
E3,Bruna Costa,bcosta@example.com,U0BRUNA,Brazil,60,employee,active
E4,Jan Peeters,jpeeters@example.com,U0JAN,Belgium,60,employee,active
E5,Mei Lin,mlin@example.com,U0MEI,Mexico,63,employee,active
"""
GRANTS = """employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,cancelled,expiration_date,multi_year_grant
E1,0001,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E1,0002,1999-07-03,NSO,1991,45.00,2000,0,0,2007-07-03,0
E1,0003,2002-02-01,NSO,2001,25.00,500,0,0,2012-02-01,0
E2,0101,2000-04-24,NSO,1991,33.00,20000,0,0,2010-04-24,0
E3,0201,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E4,0301,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
E5,0401,2000-04-24,NSO,1991,33.00,1000,0,0,2010-04-24,0
"""
GRID = """exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option
33.00,2010-04-24,0,0.00,0.0000
33.00,2010-04-24,0,20.00,0.5000
33.00,2010-04-24,0,30.00,2.5000
33.00,2010-04-24,0,40.00,6.0000
45.00,2007-07-03,0,0.00,0.0000
45.00,2007-07-03,0,20.00,0.1000
45.00,2007-07-03,0,30.00,0.6000
45.00,2007-07-03,0,40.00,2.0000
"""
START = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)   # 9:00 AM Pacific, during the Election Period


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_world(tmp_path, employees=EMPLOYEES, grants=GRANTS, grid=GRID)


@pytest.fixture
def settings(db_path: Path):
    return load_settings().with_overrides(db_path=db_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(db_path: Path, settings, clock: Clock):
    db = store.open_db(db_path)
    yield Conversation(db, settings, clock=clock)
    db.close()


@pytest.fixture
def ask(conversation):
    """ask(text, channel="slack", address="U0ALICE", **incoming) -> Response."""

    def send(text: str, channel: str = "slack", address: str = "U0ALICE", **extra):
        return conversation.handle(Incoming(channel, address, text, **extra))

    return send
