"""App Home: app_home_opened publishes the employee's own view; the price input recalculates it.

The Home tab is seen only by the user it is published for, so it may carry their
figures. They come from bot.figures (the one calculation module's front door); a
price outside the Tool's range keeps the view and says why.
"""

from __future__ import annotations

from dataclasses import replace

import asyncio
import logging
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import countries, figures, store
from bot.calc import CalcError, InvalidPrice, parse_price, validate_assumed_acp
from bot.channels.slack.api import error_code
from bot.channels.slack.blocks import HOME_PRICE
from bot.channels.slack.directory import Asker
from bot.channels.slack.home_view import HomeData, home_view
from bot.charts.text import render as chart_text
from bot.elections import election_status
from bot.reminders.deadlines import in_effect as deadline_in_effect
from handlers.core import TABLE_ONLY_PRICE

log = logging.getLogger("sotp.slack.home")


def home_data(deps: Any, asker: Asker, price: Decimal | None, price_error: str | None = None) -> HomeData:
    """Everything the view shows, computed by bot.figures (no arithmetic here)."""
    data = _home_data(deps, asker, price, price_error)
    lines = tracker_lines(deps, asker, data)
    return replace(data, tracker=lines) if lines else data


def tracker_lines(deps: Any, asker: Asker, data: HomeData) -> tuple[str, ...]:
    """From the first day of the Averaging Period on: where it stands, and the employee's own Total
    Payment at the running average (an Eligible Employee's App Home is theirs alone)."""
    from bot import tracker_texts, tracking

    db = deps.connections.db()
    try:
        state = tracking.tracker(db, deps.settings, deps.clock()).state
    except CalcError:
        return ()
    if state.phase == "before":
        return ()
    t = tracker_texts.default_texts()
    lines = tracker_texts.state_lines(t, state)
    if asker.employee is not None and data.eligibility is not None and data.eligibility.eligible:
        try:
            result = tracking.payment_at_average(db, deps.settings, asker.employee.employee_id, state)
        except CalcError:
            result = None
        if result is not None:
            lines += tracker_texts.personal_lines(t, state, result)
    if not state.complete:
        lines += tracker_texts.caveat_parts(t)
    return tuple(lines)


def _home_data(deps: Any, asker: Asker, price: Decimal | None, price_error: str | None = None) -> HomeData:
    if asker.employee is None:
        return HomeData(time_zone=asker.time_zone)
    db = deps.connections.db()
    employee_id = asker.employee.employee_id
    eligibility = figures.eligibility_for(db, employee_id)
    if not eligibility.eligible:
        return HomeData(eligibility=eligibility, time_zone=asker.time_zone)
    price = price if price is not None else TABLE_ONLY_PRICE
    settings = deadline_in_effect(db, deps.settings)
    estimate = None
    try:
        estimate = figures.estimate_for(db, settings, employee_id, price)
    except CalcError as exc:
        price_error = price_error or str(exc)
    country = countries.resolve(asker.employee.country)
    status = election_status(store.elections_of(db, employee_id), two_step=bool(country and country.two_step),
                             deadline=settings.election_deadline)
    chart = None
    if estimate is not None:
        try:
            chart = chart_text(figures.chart_points(db, settings, employee_id))
        except CalcError:
            chart = None      # a grid that prices none of $15-$40 for every Series: the table says enough
    return HomeData(eligibility, estimate, price, price_error, status, asker.time_zone, settings.election_deadline,
                    chart)


async def publish(deps: Any, user_id: str, price: Decimal | None = None, price_error: str | None = None) -> None:
    asker = await deps.directory.who(user_id, need_time_zone=True)
    data = await asyncio.to_thread(home_data, deps, asker, price, price_error)
    view = home_view(deps.style.words, data, deadline=data.deadline or deps.settings.election_deadline, now=deps.clock(),
                     notice_url=deps.slack.notice_url, tool_url=deps.slack.tool_url)
    try:
        await deps.api.call("views.publish", user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed user=%s: %s", user_id, error_code(exc))


def parse_home_price(text: str) -> tuple[Decimal | None, str | None]:
    """The price typed into the Home calculator, or the error that explains why it cannot be used."""
    try:
        return validate_assumed_acp(parse_price(text or "")), None
    except InvalidPrice as exc:
        return None, str(exc)


def register(app: AsyncApp, deps: Any) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return          # the Messages tab: nothing to publish
        await deps.track(publish(deps, str(event["user"])), "app_home_opened")

    @app.action(HOME_PRICE)
    async def on_price(ack: Any, body: dict, action: dict) -> None:
        await ack()
        price, error = parse_home_price(str(action.get("value") or ""))
        await deps.track(publish(deps, str(body["user"]["id"]), price, error), HOME_PRICE)
