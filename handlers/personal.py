"""Replies built from one employee's own records: always marked private.

The figures come from the shared calculation module (bot.figures / bot.calc);
this module only lays them out the way the Employee Election Tool does (Step 1
grants, Step 2 table and per-grant prices, Step 3 payout schedule) and carries
the Tool's caveats with them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from bot import countries
from bot.calc import Estimate
from bot.calc.eligibility import EmployeeEligibility
from bot.calc.estimate import (
    ASSUMED_ACP_NOTE,
    ESTIMATED_SCHEDULE_NOTE,
    ILLUSTRATIVE_NOTE,
    PRE_TAX_NOTE,
    US_DOLLARS_NOTE,
)
from bot.calc.records import Employee, format_price
from bot.calc.schedule import TWO_CONTINGENT_LEVEL
from bot.elections import ElectionStatus
from bot.formatting import PACIFIC, count, dollars, long_date, table
from handlers.assistant import Templates, blockquote
from handlers.reply import Reply

KIND_LABELS = {"initial": "Initial Payment", "first_contingent": "First Contingent Payment",
               "second_contingent": "Second Contingent Payment"}


def _code(block: str) -> str:
    """A table, fenced so it keeps its columns in Slack and reads as-is in email or a terminal."""
    return f"```\n{block}\n```"


def _bullets(lead: str, items: Sequence[str]) -> str:
    return "\n".join([lead, *(f"- {item}" for item in items)])


def _price(acp: Decimal) -> str:
    return f"${format_price(acp)}"


def _where(employee: Employee) -> str:
    return f"employed in {employee.country}"


def _followup(t: Templates, asked: Decimal) -> str:
    """The follow-up suggestion, naming a price other than the one just asked."""
    other = next((Decimal(p) for p in t.raw["estimate"]["followup_prices"] if Decimal(p) != asked),
                 Decimal(t.raw["estimate"]["followup_prices"][0]))
    return t.text("estimate.followup", other=f"${other:.0f}" if other == other.to_integral() else _price(other))


def _schedule_table(estimate: Estimate) -> str:
    rows = [[KIND_LABELS[i.kind], long_date(i.employed_through), long_date(i.expected_by),
             dollars(i.amount), dollars(i.interest) if i.interest is not None else "-"]
            for i in estimate.schedule]
    return _code(table(["Payment", "Employed through", "Expected by", "Amount", "Est. interest"], rows,
                       right=(3, 4)))


def estimate_change_reply(t: Templates, employee: Employee, estimate: Estimate, previous_price: Decimal,
                          previous_total: Decimal) -> Reply:
    """A follow-up at another price: the new total beside the last one and the new schedule, nothing repeated."""
    sections = tuple(t.raw["estimate"]["sections"])
    acp = _price(estimate.average_closing_price)
    difference = estimate.total_payment - previous_total
    key = "estimate.change_more" if difference > 0 else "estimate.change_less" if difference < 0 else (
        "estimate.change_same")
    lead = t.text(key, price=acp, total=dollars(estimate.total_payment), difference=dollars(abs(difference)),
                  previous=_price(previous_price), previous_total=dollars(previous_total))
    price_notes = {ASSUMED_ACP_NOTE.format(price=format_price(estimate.average_closing_price)),
                   ESTIMATED_SCHEDULE_NOTE, ILLUSTRATIVE_NOTE}
    parts = [
        lead,
        t.text("estimate.schedule", price=acp, where=_where(employee), level=str(employee.level)),
        _schedule_table(estimate),
        _bullets(t.text("estimate.notes"), [n for n in estimate.notes if n in price_notes]),
        t.text("estimate.change_rest", price=acp),
        _followup(t, estimate.average_closing_price),
    ]
    return Reply("estimate", tuple(parts), sections, privacy="private")


def estimate_reply(t: Templates, employee: Employee, estimate: Estimate, *, price_named: bool) -> Reply:
    """The Tool's Steps 2 and 3 for this employee; without a named price, the $23-$31 table only."""
    sections = tuple(t.raw["estimate"]["sections"])
    table_rows = [[f"${format_price(p)}", dollars(total)] for p, total in estimate.table]
    price_table = _code(table(["Assumed ACP", "Total Payment (pre-tax)"], table_rows, right=(1,)))
    if not price_named:
        caveats = [PRE_TAX_NOTE, US_DOLLARS_NOTE, t.text("estimate.table_caveat")]
        if estimate.illustrative:
            caveats.append(ILLUSTRATIVE_NOTE)
        parts = [t.text("estimate.lead_table"), price_table, t.text("estimate.ask_price"),
                 _bullets(t.text("estimate.notes"), caveats)]
        return Reply("estimate", tuple(parts), sections, privacy="private")
    acp = _price(estimate.average_closing_price)
    grant_rows = [[g.grant.grant_number, g.grant.grant_date.isoformat(), g.grant.grant_type,
                   f"${format_price(g.grant.exercise_price)}", count(g.options), f"${g.price_per_option:.4f}",
                   dollars(g.payment)] for g in estimate.grants]
    grant_rows.append(["Total", "", "", "", count(sum(g.options for g in estimate.grants)), "",
                       dollars(estimate.total_payment)])
    parts = [
        t.text("estimate.lead", price=acp, total=dollars(estimate.total_payment)),
        t.text("estimate.grants", price=acp),
        _code(table(["Grant", "Grant date", "Type", "Grant price", "Options", "Price/option", "Payment"],
                    grant_rows, right=(4, 5, 6))),
        t.text("estimate.schedule", price=acp, where=_where(employee), level=str(employee.level)),
        _schedule_table(estimate),
        t.text("estimate.table"),
        price_table,
        _bullets(t.text("estimate.notes"), estimate.notes),
        _followup(t, estimate.average_closing_price),
    ]
    return Reply("estimate", tuple(parts), sections, privacy="private")


def eligibility_reply(t: Templates, result: EmployeeEligibility) -> Reply:
    """Step 1 of the Tool with every outstanding grant shown, eligible or not, and why."""
    if result.eligible:
        lead = t.text("eligibility_check.eligible", options=count(result.eligible_options))
    else:
        lead = t.text("eligibility_check.not_eligible")
    rows = [[g.grant.grant_number, g.grant.grant_date.isoformat(), g.grant.grant_type,
             f"${format_price(g.grant.exercise_price)}", g.grant.expiration_date.isoformat(),
             count(g.grant.outstanding), "yes" if g.eligible else "no", "; ".join(g.reasons)]
            for g in result.grants]
    parts = [_bullets(lead, result.reasons)]
    if rows:
        parts += [t.text("eligibility_check.grants"),
                  _code(table(["Grant", "Grant date", "Type", "Grant price", "Expires", "Outstanding",
                               "Eligible", "Why not"], rows, right=(5,)))]
    parts.append(t.text("eligibility_check.close"))
    return Reply("eligibility", tuple(parts), tuple(t.raw["eligibility_check"]["sections"]), privacy="private")


def status_reply(t: Templates, status: ElectionStatus, deadline_text: str) -> Reply:
    """What the imported election records say, in the Tool's words, and what may still be missing."""
    parts = [t.text("election_status.lead"), status.explanation]
    latest = status.latest
    if latest is not None:
        when = latest.submitted_at.astimezone(PACIFIC)
        parts.append(f"Latest record: {latest.action} ({latest.method}), "
                     f"{long_date(when.date())} at {when.strftime('%I:%M %p').lstrip('0')} U.S. Pacific Time.")
        if status.two_step and latest.method == "online":
            parts.extend(blockquote(text) for _, text in t.quoted("election_status"))
    if status.standing == "none":
        parts.append(t.text("election_status.none_close", deadline=deadline_text))
    parts.append(t.text("election_status.close"))
    return Reply("election", tuple(parts), tuple(t.raw["election_status"]["sections"]), privacy="private")


def schedule_rule_parts(t: Templates, employee: Employee, ruling: str) -> list[str]:
    """The Notice's words for the asker's own payment group and level."""
    country = countries.get(employee.country)
    if country.excluded:
        return []
    senior = employee.level >= TWO_CONTINGENT_LEVEL
    key = {
        "ruling": "quotes_ruling",   # both outcomes, and the configured status below
        "immediate": "quotes_immediate",
        "tax_rate": "quotes_tax_rate_68" if senior else "quotes_tax_rate",
        "general": "quotes_general_68" if senior else "quotes_general",
    }[country.payment_group]
    parts = [t.text("schedule_rule.lead", country=country.name, level=str(employee.level))]
    parts += [blockquote(text) for _, text in t.quoted("schedule_rule", key)]
    if country.payment_group == "ruling":
        parts.append(t.text("schedule_rule.ruling_status", country=country.name, status=ruling))
    return parts


def payment_method_parts(t: Templates, country: countries.Country) -> list[str]:
    """The Method of Payment page's line for one country (public: it is the same for everyone there)."""
    key = {"payroll": "payment_method.payroll", "mellon": "payment_method.mellon"}.get(
        country.payment_via or "", "payment_method.unlisted")
    parts = [t.text(key, country=country.name)]
    if country.payment_note:
        parts.append(blockquote(country.payment_note))
    return parts
