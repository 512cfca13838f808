"""The App Home tab: pure Block Kit from figures computed elsewhere (bot.figures / bot.calc).

An identified Eligible Employee sees what the Employee Election Tool shows: Step 1
(their Eligible Options), Step 2 (the Total Payment table at $23-$31 and a price
input that recalculates, up to $40), Step 3 (the payout schedule at that price with
its notes), their election status, the deadline countdown in their own time zone,
and links. Others see why not, or what the assistant does. No arithmetic on money
happens here: every figure arrives computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.calc import Estimate
from bot.calc.calendar import election_deadline_at
from bot.calc.eligibility import EmployeeEligibility
from bot.calc.records import format_price
from bot.channels.slack.blocks import HOME_PRICE, Block, escape
from bot.elections import ElectionStatus
from bot.formatting import count, deadline_sentence, dollars, long_date, table
from handlers.assistant import Templates
from handlers.personal import KIND_LABELS

MAX_HOME_BLOCKS = 100


@dataclass(frozen=True)
class HomeData:
    eligibility: EmployeeEligibility | None = None     # None: the Slack user matches no employee record
    estimate: Estimate | None = None
    price: Decimal | None = None
    price_error: str | None = None
    status: ElectionStatus | None = None
    time_zone: str | None = None
    deadline: date | None = None                        # as last extended; None: the configured one
    chart: str | None = None                            # the Total Payment chart, text version (bot.charts.text)
    tracker: tuple[str, ...] = ()                       # the Averaging Period so far (bot.tracker_texts), once it began


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _code(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int]) -> Block:
    return _section("```\n" + escape(table(headers, rows, right=right)) + "\n```")


def countdown(now: datetime, deadline_at: datetime) -> str:
    """'9 days 3 hours' until the deadline (never negative)."""
    left = max(timedelta(0), deadline_at - now)
    days, hours = left.days, left.seconds // 3600
    minutes = (left.seconds % 3600) // 60
    if days:
        return f"{days} day{'s' * (days != 1)} {hours} hour{'s' * (hours != 1)}"
    return f"{hours} hour{'s' * (hours != 1)} {minutes} minute{'s' * (minutes != 1)}"


def _local(deadline_at: datetime, zone: str | None) -> str:
    try:
        tz = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    if tz is None:
        return "time zone unknown"
    local = deadline_at.astimezone(tz)
    return f"{local.strftime('%A')}, {long_date(local.date())} at {local.strftime('%I:%M %p').lstrip('0')} {zone}"


def _deadline_blocks(w: Templates, deadline, now: datetime, zone: str | None) -> list[Block]:
    at = election_deadline_at(deadline)
    sentence = deadline_sentence(deadline)
    if now >= at:
        return [_header(w.text("home.deadline")), _section(escape(w.text("home.closed", deadline=sentence)))]
    return [_header(w.text("home.deadline")),
            _section(escape(w.text("home.countdown", deadline=sentence, left=countdown(now, at),
                                   local=_local(at, zone))))]


def _links(w: Templates, notice_url: str, tool_url: str) -> list[Block]:
    if not (notice_url or tool_url):
        return []
    return [{"type": "divider"}, _context(w.text("home.links", notice=notice_url or tool_url,
                                                 tool=tool_url or notice_url))]


def _tracker_blocks(lines: Sequence[str]) -> list[Block]:
    """The Averaging Period section: its header and lines as composed in bot.tracker_texts."""
    from bot.tracker_texts import default_texts

    return [_header(default_texts().text("home.header")), _section(escape("\n\n".join(lines))), {"type": "divider"}]


def home_view(w: Templates, data: HomeData, *, deadline, now: datetime, notice_url: str, tool_url: str,
              unknown_text: str | None = None) -> dict:
    """The `home` view for views.publish."""
    blocks: list[Block] = [_header(w.text("home.title"))]
    if data.tracker:
        blocks += _tracker_blocks(data.tracker)
    if data.eligibility is None:
        blocks.append(_section(escape(unknown_text or w.text("home.unknown"))))
        blocks += _deadline_blocks(w, deadline, now, data.time_zone)
        blocks += _links(w, notice_url, tool_url)
        return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
    result = data.eligibility
    if not result.eligible:
        reasons = "\n".join(f"• {escape(r)}" for r in result.reasons)
        blocks += [_section(escape(w.text("home.not_eligible")) + "\n" + reasons),
                   _section(escape(w.text("home.not_eligible_close")))]
        blocks += _deadline_blocks(w, deadline, now, data.time_zone)
        blocks += _links(w, notice_url, tool_url)
        return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}

    eligible = [g for g in result.grants if g.eligible]
    rows = [[g.grant.grant_date.isoformat(), g.grant.grant_number, g.grant.grant_type,
             f"${format_price(g.grant.exercise_price)}", count(g.grant.granted), count(g.grant.exercised),
             g.grant.expiration_date.isoformat(), count(g.grant.outstanding)] for g in eligible]
    rows.append(["", "", "", "", "", "", "Totals:", count(result.eligible_options)])
    blocks += [_header(w.text("home.step1")),
               _code(["Grant Date", "Grant Number", "Grant Type", "Grant Price", "Granted", "Exercised",
                      "Expiration Date", "Eligible for Transfer"], rows, right=(4, 5, 7))]

    blocks.append(_header(w.text("home.step2")))
    blocks.append(_section(escape(w.text("home.step2_lead"))))
    estimate = data.estimate
    if estimate is not None:
        blocks.append(_code(["Assumed ACP", "Total Payment (Pre-Tax)"],
                            [[f"${format_price(p)}", dollars(t)] for p, t in estimate.table], right=(1,)))
    if data.chart:
        blocks.append(_section("```\n" + escape(data.chart) + "\n```"))
    blocks.append({
        "type": "input", "dispatch_action": True, "block_id": "home-price",
        "label": {"type": "plain_text", "text": w.text("home.price_label")},
        "hint": {"type": "plain_text", "text": w.text("home.price_hint")},
        "element": {"type": "plain_text_input", "action_id": HOME_PRICE,
                    "initial_value": format_price(data.price) if data.price is not None else "",
                    "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}},
    })
    if data.price_error:
        blocks.append(_section(escape(w.text("home.error", error=data.price_error))))
    if estimate is not None:
        price = f"${format_price(estimate.average_closing_price)}"
        blocks.append(_section(escape(w.text("home.at_price", price=price, total=dollars(estimate.total_payment)))))
        grant_rows = [[g.grant.grant_date.isoformat(), g.grant.grant_number, g.grant.grant_type,
                       f"${format_price(g.grant.exercise_price)}", count(g.options), f"${g.price_per_option:.4f}",
                       dollars(g.payment)] for g in estimate.grants]
        grant_rows.append(["", "", "", "", "", "Total:", dollars(estimate.total_payment)])
        blocks.append(_code(["Grant Date", "Grant Number", "Grant Type", "Grant Price", "Options",
                             "Price per option", "Payment"], grant_rows, right=(4, 5, 6)))
        blocks.append(_header(w.text("home.step3", price=price)))
        schedule = [[inst.employed_through.strftime("%m/%d/%Y"), inst.expected_by.strftime("%B %Y"),
                     KIND_LABELS[inst.kind], dollars(inst.amount),
                     dollars(inst.interest) if inst.interest is not None else "-"] for inst in estimate.schedule]
        schedule.append(["", "", "Total Payment (Pre-Tax):", dollars(estimate.total_payment), ""])
        blocks.append(_code(["Employed through", "Estimated Time of Payout", "Payment", "Estimated Amount",
                             "Est. interest"], schedule, right=(3, 4)))
        notes = [{"type": "mrkdwn", "text": escape(n)[:3000]} for n in estimate.notes]
        blocks += [{"type": "context", "elements": notes[i:i + 10]} for i in range(0, len(notes), 10)]

    if data.status is not None:
        blocks += [_header(w.text("home.status")), _section(escape(data.status.explanation))]
    blocks.append(_context(escape(w.text("home.elect"))))
    blocks += _deadline_blocks(w, deadline, now, data.time_zone)
    blocks += _links(w, notice_url, tool_url)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
