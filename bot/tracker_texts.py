"""What the Averaging Period tracker says, from facts handed in (bot/data/tracking.toml has every word).

Pure: no database, no clock. The same lines serve `sotp track`, the assistant's
answer, the App Home and the daily update, so they never say different things.
Loading refuses any text with a forecast or a judgement of the price ([neutrality]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from bot.calc import Estimate
from bot.calc.averaging import AveragingState
from bot.calc.calendar import NEW_YORK
from bot.calc.records import Employee
from bot.config import data_path
from bot.formatting import dollars, long_date
from handlers.assistant import Templates, blockquote

__all__ = ["Templates", "Update", "blockquote", "caveat_parts", "default_texts", "load", "personal_lines",
           "price", "state_lines", "update"]


class UnneutralText(ValueError):
    """A tracker text forecasts or judges the price."""


@dataclass(frozen=True)
class Update:
    subject: str
    text: str
    sections: tuple[str, ...]


def _phrase_pattern(phrase: str) -> str:
    p = phrase.casefold()
    return re.escape(p) if not p[0].isalnum() else rf"(?<!\w){re.escape(p)}"


def find_unneutral(text: str, forbidden: tuple[str, ...]) -> str | None:
    """The first forbidden word or phrase in the text (whole words, case-insensitive), or None.

    A phrase is looked for as a substring before its pattern is compiled: compiling one per phrase
    and text (more than re's cache holds) was 15 ms of every process that reads the texts.
    """
    folded = text.casefold().replace("\u2019", "'")
    for phrase in forbidden:
        if phrase.casefold() in folded and re.search(_phrase_pattern(phrase), folded):
            return phrase
    return None


def _strings(node: object, where: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(where, node)]
    if isinstance(node, dict):
        return [item for key, value in node.items() if not key.startswith("quotes") and key not in ("pattern", "cues")
                for item in _strings(value, f"{where}.{key}" if where else key)]
    if isinstance(node, list):
        return [item for i, value in enumerate(node) for item in _strings(value, f"{where}.{i}")]
    return []


def load(path: Path | None = None) -> Templates:
    """Read tracking.toml, resolve its Notice quotes, refuse a text that is not neutral."""
    from handlers.assistant import default_knowledge, load_templates

    # The corpus as the knowledge cache holds it: parsing the corpus files again was a tenth of a second
    # of a one-shot `sotp ask` (the "track on" check reads these texts).
    templates = load_templates(default_knowledge().corpus, path or data_path("tracking.toml"))
    forbidden = forbidden_words(templates)
    for where, text in _strings(templates.raw, ""):
        if where.startswith("neutrality"):
            continue
        phrase = find_unneutral(text, forbidden)
        if phrase is not None:
            raise UnneutralText(f"tracking.toml {where}: {phrase!r} forecasts or judges the price")
    return templates


def forbidden_words(t: Templates) -> tuple[str, ...]:
    return tuple(str(p) for p in t.raw["neutrality"]["forbidden"])


@lru_cache(maxsize=1)
def default_texts() -> Templates:
    return load()


def price(value: object) -> str:
    """$25.5720: an average to 1/10,000 of a dollar, a close as written."""
    return f"${value:f}" if not isinstance(value, str) else value


def _day(d: object) -> str:
    return f"{d:%A}, {long_date(d)}"  # type: ignore[arg-type]


def state_lines(t: Templates, state: AveragingState, now: datetime | None = None) -> list[str]:
    """Where the Averaging Period stands: before it, during it (running average), after it (the ACP)."""
    days = len(state.trading_days)
    lines: list[str] = []
    if state.terminated:
        lines.append(t.text("state.terminated", days=str(days)))
    full = days == 15
    lines.append(t.text("state.period" if full else "state.period_cutoff", start=_day(state.start),
                        end=_day(state.end), days=str(days)))
    if state.phase == "before":
        lines.append(t.text("state.before", start=_day(state.start)))
    elif state.phase == "after" and state.complete:
        lines.append(t.text("state.final", end=_day(state.end), days=str(days),
                            average=price(state.running_average)))
    elif state.phase == "after" and state.remaining:
        lines.append(t.text("state.final_missing", end=_day(state.end), missing=str(state.remaining)))
    if state.phase != "before" and not state.complete:
        if state.closes:
            first, last = state.closes[0][0], state.closes[-1][0]
            lines.append(t.text("state.running", counted=str(state.counted), first=long_date(first),
                                last=long_date(last), average=price(state.running_average)))
        elif state.next_day is not None:
            lines.append(t.text("state.none_yet", next=_day(state.next_day)))
        lines.append(t.text("state.counted", counted=str(state.counted), days=str(days),
                            remaining=str(state.remaining)))
        if state.missing:
            lines.append(t.text("state.missing", days=", ".join(long_date(d) for d in state.missing)))
        elif state.next_day is not None and state.closes:
            lines.append(t.text("state.next_day", next=_day(state.next_day)))
    if now is not None:
        lines.append(t.text("state.as_of", moment=now.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")))
    return lines


def caveat_parts(t: Templates) -> list[str]:
    """The Notice's words: the final price is not known until the Averaging Period ends (Q8)."""
    return [t.text("caveat.lead"), *(blockquote(text) for _, text in t.quoted("caveat"))]


def personal_lines(t: Templates, state: AveragingState, result: Estimate) -> list[str]:
    """The employee's Total Payment at the running average (or at the ACP once complete)."""
    initial = next((i.amount for i in result.schedule if i.kind == "initial"), result.total_payment)
    key = "personal.lead_final" if state.complete else "personal.lead"
    lines = [t.text(key, average=price(result.average_closing_price), total=dollars(result.total_payment),
                    initial=dollars(initial))]
    if result.illustrative:
        lines.append(t.text("personal.illustrative"))
    return lines


def update(t: Templates, employee: Employee, state: AveragingState, result: Estimate | None) -> Update:
    """The daily update after a close: the close, the running average, the days left; nothing more."""
    assert state.last_close is not None and state.running_average is not None
    day, close = state.last_close
    days = len(state.trading_days)
    lines = [t.text("update.lead", name=employee.name.split()[0] if employee.name else employee.employee_id),
             t.text("update.close", day=_day(day), close=price(close)),
             t.text("update.running", counted=str(state.counted), average=price(state.running_average)),
             t.text("update.remaining", counted=str(state.counted), days=str(days), remaining=str(state.remaining))]
    if state.complete:
        lines.append(t.text("update.last", days=str(days), average=price(state.running_average)))
    if result is not None:
        lines += personal_lines(t, state, result)
    if not state.complete:
        lines += caveat_parts(t)
    lines += [t.text("update.stop"), t.text("update.not_taken")]
    return Update(t.text("update.subject", day=long_date(day)), "\n\n".join(lines),
                  tuple(t.raw["caveat"]["sections"]))
