"""Who is asking in Slack: the employee on record for a Slack user id, found once and remembered.

The employee record's slack_user_id wins. Otherwise Slack is asked once (users.info)
for the profile email and time zone; the email is matched case-insensitively to
the email on record (handlers.identity, the same rule the core applies), and the
answer and the link are stored (slack_users) and kept in memory. A user whose
profile has no email, or whose email matches nobody, is unknown: general answers
only. A failed lookup is not remembered, so the next message asks again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from slack_sdk.errors import SlackApiError

from bot import store
from bot.calc.records import Employee
from bot.channels.slack.api import SlackApi, error_code
from bot.channels.slack.store import SlackStore, SlackUser
from bot.db import Connections, write_transaction
from handlers.identity import identify
from handlers.messages import Incoming

log = logging.getLogger("sotp.slack.directory")

CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Asker:
    user_id: str
    employee: Employee | None
    profile_email: str | None
    time_zone: str | None

    @property
    def known(self) -> bool:
        return self.employee is not None


class Directory:
    def __init__(self, connections: Connections, api: SlackApi, *, ttl: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self.connections = connections
        self.api = api
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[Asker, datetime]] = {}
        self._dms: dict[str, str] | None = None
        self.lookups = 0

    # -- who ----------------------------------------------------------------------------------------

    async def load(self) -> int:
        """Fill the cache at start with the employees whose Slack user id is on record, and the known DM
        channels, so that an employee's first message needs no database read: in a burst of new askers
        those reads were the slowest answers of the first second. A stored time zone is kept only while
        fresh, so a message that needs it still asks Slack. Returns how many were loaded."""
        now = self.clock()

        def read() -> tuple[list[Employee], dict[str, SlackUser]]:
            db = self.connections.db()
            return store.employees_on_slack(db, CACHE_LIMIT), SlackStore(db).users()

        employees, users = await asyncio.to_thread(read)
        for employee in employees:
            user_id = employee.slack_user_id
            assert user_id is not None
            row = users.get(user_id)
            fresh = row is not None and row.looked_up_at is not None and now - row.looked_up_at < self.ttl
            self._cache[user_id] = (Asker(user_id, employee, row.email if row else None,
                                          row.time_zone if fresh and row else None), now)
        if self._dms is None:
            self._dms = {user_id: row.dm_channel for user_id, row in users.items() if row.dm_channel}
        log.info("slack directory loaded: %d employees with a Slack user id, %d DM channels",
                 len(employees), len(self._dms))
        return len(employees)

    async def who(self, user_id: str, *, need_time_zone: bool = False) -> Asker:
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached[1] < self.ttl and (cached[0].time_zone or not need_time_zone):
            return cached[0]
        asker = await asyncio.to_thread(self._stored, user_id, now, need_time_zone)
        if asker is None:
            asker = await self._look_up(user_id, now)
        if asker is not None:
            if user_id not in self._cache and len(self._cache) >= CACHE_LIMIT:
                # The oldest entry goes, not all of them: the load at start may have filled the cache,
                # and clearing it for one new asker would throw that load away.
                del self._cache[next(iter(self._cache))]
            self._cache[user_id] = (asker, now)
            return asker
        return Asker(user_id, None, None, None)

    def _stored(self, user_id: str, now: datetime, need_time_zone: bool) -> Asker | None:
        """What the database knows, or None when Slack must be asked."""
        db = self.connections.db()
        employee = store.employee_by_slack_id(db, user_id)
        row = SlackStore(db).user(user_id)
        fresh = row is not None and row.looked_up_at is not None and now - row.looked_up_at < self.ttl
        email = row.email if row is not None else None
        zone = row.time_zone if row is not None else None
        if employee is not None and (fresh or not need_time_zone):
            return Asker(user_id, employee, email, zone)
        if fresh:
            return Asker(user_id, self._match(db, user_id, email), email, zone)
        return None

    @staticmethod
    def _match(db, user_id: str, email: str | None) -> Employee | None:
        return identify(db, Incoming("slack", user_id, "", profile_email=email))

    async def _look_up(self, user_id: str, now: datetime) -> Asker | None:
        self.lookups += 1
        try:
            answer = await self.api.call("users.info", user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed user=%s: %s", user_id, error_code(exc))
            return None
        except Exception as exc:   # the network: treat as unknown for now, ask again next time
            log.warning("users.info failed user=%s: %s: %s", user_id, type(exc).__name__, exc)
            return None
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        email = None if user.get("is_bot") or user.get("deleted") else (profile.get("email") or None)
        zone = user.get("tz") or None

        def save() -> Asker:
            db = self.connections.db()
            with write_transaction(db):
                employee = self._match(db, user_id, email)
                SlackStore(db).remember_lookup(user_id, email, zone, employee.employee_id if employee else None, now)
            return Asker(user_id, employee, email, zone)

        asker = await asyncio.to_thread(save)
        log.info("slack user looked up user=%s matched=%s", user_id, asker.employee.employee_id
                 if asker.employee else "no")
        return asker

    def cached(self, user_id: str) -> Asker | None:
        """Who the directory holds for this user now, asking nobody."""
        entry = self._cache.get(user_id)
        return None if entry is None else entry[0]

    def forget(self, user_id: str) -> None:
        self._cache.pop(user_id, None)

    # -- DM channels --------------------------------------------------------------------------------

    async def dm_channel(self, user_id: str) -> str | None:
        if self._dms is None:
            self._dms = await asyncio.to_thread(lambda: SlackStore(self.connections.db()).dm_channels())
        return self._dms.get(user_id)

    async def remember_dm(self, user_id: str, channel: str) -> None:
        """Stored once per user: the known ones are loaded first, so a DM already known writes nothing
        (every DM reply names its channel: without the load, each one was a write)."""
        if not channel.startswith("D"):
            return
        if self._dms is None:
            await self.dm_channel(user_id)
        assert self._dms is not None
        if self._dms.get(user_id) == channel:
            return
        self._dms[user_id] = channel
        await asyncio.to_thread(lambda: SlackStore(self.connections.db()).remember_dm(user_id, channel))
