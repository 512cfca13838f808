"""What a reminder, an extension announcement, a confirmation or a results email says.

The words and the Notice quotes are data (bot/data/reminders.toml, loaded with the
same quote resolver as the assistant's replies); this module only decides which
parts a message has, from the facts the planner hands in. Pure: no database, no
clock. Each message is private to its employee (a DM or the address on record).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from bot.calc import Estimate, format_price
from bot.calc.estimate import ASSUMED_ACP_NOTE
from bot.config import data_path
from bot.elections import ElectionStatus
from bot.formatting import PACIFIC, deadline_sentence, dollars, long_date, table
from bot.reminders.plan import DeadlineVersion, Recipient
from bot.reminders.settings import EXTENSION

# The sections a message draws on (kept with the outbox row, for the audit trail).
REMINDER_SECTIONS: tuple[str, ...] = ("q19", "q21", "q22", "q24", "q26", "s5", "s6")
CONFIRMATION_SECTIONS: tuple[str, ...] = ("q22", "q26", "s5", "s6")
RESULTS_SECTIONS: tuple[str, ...] = ("s5", "q11", "s3", "q26")
KIND_LABELS = {"initial": "Initial Payment", "first_contingent": "First Contingent Payment",
               "second_contingent": "Second Contingent Payment"}


class UnneutralText(ValueError):
    """A reminder text contains a phrase of urgency or advice ([neutrality] forbidden)."""


@dataclass(frozen=True)
class Message:
    kind: str            # a reminder kind, "confirmation" or "results"
    channel: str         # email | slack
    subject: str
    text: str
    sections: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    raw: dict[str, Any]
    quotes: dict[str, str]     # "<table>.<key>.<n>" -> verbatim text
    forbidden: tuple[str, ...]
    # Parts shared by many messages (the quoted blocks, a zone's deadline lines), composed once:
    # a wave writes tens of thousands of messages from a few dozen distinct parts.
    cache: dict[tuple[Any, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: tuple[Any, ...], make: Callable[[], str]) -> str:
        value = self.cache.get(key)
        if value is None:
            if len(self.cache) > 10_000:
                self.cache.clear()
            value = self.cache[key] = make()
        return value

    def text(self, key: str, **values: str) -> str:
        node: Any = self.raw
        for part in key.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def quoted(self, table_name: str, key: str = "quotes") -> list[str]:
        return [self.quotes[f"{table_name}.{key}.{i}"] for i in range(len(self.raw[table_name].get(key, [])))]


def _strings(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("quotes"):
                yield from _strings(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{where}.{i}")


def find_unneutral(text: str, forbidden: tuple[str, ...]) -> str | None:
    """The first forbidden phrase the text contains (case-insensitive), or None."""
    folded = text.casefold().replace("\u2019", "'")
    return next((p for p in forbidden if p.casefold() in folded), None)


def load(path: Path | None = None) -> Texts:
    """Read reminders.toml, resolve its quotes, and refuse any text with a forbidden phrase."""
    from handlers.assistant import load_templates
    from knowledge.corpus import default_corpus

    templates = load_templates(default_corpus(), path or data_path("reminders.toml"))
    raw = templates.raw
    forbidden = tuple(str(p) for p in raw["neutrality"]["forbidden"])
    checked = [(where, text) for where, text in _strings(raw, "") if not where.startswith("neutrality")]
    checked += list(templates.quotes.items())
    for where, text in checked:
        phrase = find_unneutral(text, forbidden)
        if phrase is not None:
            raise UnneutralText(f"reminders.toml {where}: {phrase!r} is urgency or advice, not a neutral reminder")
    return Texts(raw, dict(templates.quotes), forbidden)


@lru_cache(maxsize=1)
def default_texts() -> Texts:
    return load()


# --- pieces --------------------------------------------------------------------------------

def _clock(moment: datetime) -> str:
    return _clock_at(moment.hour, moment.minute)


@lru_cache(maxsize=24 * 60)
def _clock_at(hour: int, minute: int) -> str:
    """'9:05 PM' (strftime's, once per minute of the day: a wave writes the times of thousands of records)."""
    return time(hour, minute).strftime("%I:%M %p").lstrip("0")


@lru_cache(maxsize=1024)
def _long_date(d: date) -> str:
    return long_date(d)


def _day(moment: datetime) -> str:
    return f"{moment.strftime('%A')}, {long_date(moment.date())}"


def received(t: Texts, moment: datetime) -> str:
    """When something was received, as the Tool writes it: U.S. Pacific Time."""
    local = moment.astimezone(PACIFIC)
    return t.text("common.received", date=_long_date(local.date()), time=_clock(local))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _block(t: Texts, table_name: str, key: str = "quotes", lead_key: str = "lead", **values: str) -> list[str]:
    return [t.text(f"{table_name}.{lead_key}", **values), *(_quote(q) for q in t.quoted(table_name, key))]


def deadline_lines(t: Texts, version: DeadlineVersion, recipient: Recipient) -> list[str]:
    """The deadline in New York time with U.S. Pacific (as the Notice writes it), then in the employee's zone."""
    local = version.deadline_at.astimezone(recipient.zone)
    zone = f"{recipient.zone.key}, {local.tzname()}"
    lines = [t.text("deadline.new_york", sentence=deadline_sentence(version.deadline)),
             t.text("deadline.local", zone=zone,
                    local=t.text("deadline.local_time", day=_day(local), time=_clock(local)))]
    return ["\n".join(lines)]


def _method(t: Texts, method: str) -> str:
    return t.text(f"common.method_{method}")


def on_record(t: Texts, status: ElectionStatus) -> str:
    latest = status.latest
    if latest is None:
        return t.text("on_record.none")
    values = {"received": received(t, latest.submitted_at), "method": _method(t, latest.method)}
    if status.standing == "pending_form":
        return t.text(f"on_record.pending_{latest.action}", **values)
    if status.standing == "late":
        action = "participate" if latest.action == "participate" else "withdrawn"
        return t.text("on_record.late", action=action, explanation=status.explanation, **values)
    return t.text(f"on_record.{status.standing}", **values)


def pending_parts(t: Texts, recipient: Recipient) -> list[str]:
    """For a two-step country's online election without the signed form: what is missing, plainly."""
    status = recipient.status
    if status.standing != "pending_form" or status.latest is None:
        return []
    return _block(t, f"pending_{status.latest.action}", country=recipient.country.name)


def how_parts(t: Texts, recipient: Recipient) -> list[str]:
    parts: list[str] = []
    if recipient.on_leave:
        parts += _block(t, "how_leave")
    if recipient.country.two_step:
        if recipient.status.standing == "pending_form":   # pending_parts already quote the second step
            parts.append(t.text("how_two_step.pending"))
        else:
            parts += _block(t, "how_two_step", country=recipient.country.name)
    else:
        parts += [*_block(t, "how_standard"), t.text("how_standard.withdraw")]
    return parts


def voluntary_parts(t: Texts, status: ElectionStatus) -> list[str]:
    lead = status.standing if status.standing in ("none", "withdrawn", "participating") else "other"
    return _block(t, "voluntary", lead_key=lead)


def slack_tail(t: Texts, recipient: Recipient) -> list[str]:
    """The short form for a Slack DM: the same facts, the two-step rule plainly, the quotes in the email."""
    status = recipient.status
    lead = status.standing if status.standing in ("none", "withdrawn", "participating") else "other"
    parts = [*pending_parts(t, recipient), " ".join(p for p in (t.text("slack.governs"), t.text(f"slack.{lead}")) if p),
             t.text("slack.how")]
    if recipient.country.two_step:
        parts.append(t.text("how_two_step.pending") if status.standing == "pending_form"
                     else t.text("slack.two_step", country=recipient.country.name))
    parts += [t.text("slack.notice"), *(_quote(q) for q in t.quoted("slack")), t.text("slack.ask"),
              t.text("footer.slack")]
    return parts


def ask_parts(t: Texts, channel: str) -> list[str]:
    return [*_block(t, "ask"), t.text(f"ask.{channel}")]


# --- messages ------------------------------------------------------------------------------

def _long_day(d: date) -> str:
    return f"{d.strftime('%A')}, {long_date(d)}"


def reminder(t: Texts, kind: str, recipient: Recipient, version: DeadlineVersion, channel: str) -> Message:
    """A timed reminder or the extension announcement, for one employee on one channel."""
    return Message(kind, channel, reminder_subject(t, kind, version),
                   "\n\n".join(reminder_parts(t, kind, recipient, version, channel)), REMINDER_SECTIONS)


def reminder_subject(t: Texts, kind: str, version: DeadlineVersion) -> str:
    return t.memo(("subject", kind, version.deadline), lambda: t.text(
        "subjects.extension" if kind == EXTENSION else "subjects.reminder", day=_long_day(version.deadline)))


def reminder_parts(t: Texts, kind: str, recipient: Recipient, version: DeadlineVersion, channel: str,
                   record: str | None = None) -> list[str]:
    """The paragraphs of reminder()'s text, joined by blank lines: the greeting (email), the head,
    what is on record, the tail. Head and tail are shared by many employees (see reminder_shape).

    record: on_record(t, recipient.status), when the caller has it already (it is the same for both channels).
    """
    head, tail = reminder_shared(t, kind, recipient, version, channel)
    parts = [head, on_record_memo(t, recipient.status) if record is None else record, tail]
    if channel == "email":
        parts.insert(0, greeting(t, recipient))
    return parts


def greeting(t: Texts, recipient: Recipient) -> str:
    """t.text("common.greeting", name=...), its template looked up once."""
    return t.memo(("template", "common.greeting"), lambda: t.text("common.greeting")).format(
        name=recipient.employee.name)


def reminder_shape(kind: str, recipient: Recipient, channel: str) -> tuple[Any, ...]:
    """What a reminder's head and tail depend on, besides the texts and the deadline version.

    The tail names the country only in a two-step country (its second step); pending is
    the action whose signed form is missing.
    """
    status = recipient.status
    pending = status.latest.action if status.standing == "pending_form" and status.latest else None
    two_step = recipient.country.name if recipient.country.two_step else None
    return (kind, channel, recipient.zone.key, two_step, recipient.on_leave, pending, status.standing)


def reminder_shared(t: Texts, kind: str, recipient: Recipient, version: DeadlineVersion,
                    channel: str) -> tuple[str, str]:
    """A reminder's head (what it is, the deadline in New York, Pacific and local time) and tail (the
    rest, after what is on record), the same for every employee of one reminder_shape."""
    status = recipient.status

    def head() -> str:
        lead = "extension.lead" if kind == EXTENSION else ("slack.lead" if channel == "slack" else "timed.lead")
        parts = [t.text(lead),
                 *deadline_lines(t, version, recipient)]
        if version.previous is not None:
            parts.append(t.text("deadline.extended_from", previous=_long_day(version.previous)))
        return "\n\n".join(parts)

    def tail() -> str:
        if channel == "slack":
            return "\n\n".join(p for p in slack_tail(t, recipient) if p)
        parts = [*pending_parts(t, recipient), *_block(t, "governs"), *voluntary_parts(t, status),
                 *how_parts(t, recipient), t.text("common.not_taken"), *_block(t, "notice"), *ask_parts(t, channel),
                 t.text(f"footer.{channel}")]
        return "\n\n".join(parts)

    _, _, zone, two_step, on_leave, pending, standing = reminder_shape(kind, recipient, channel)
    return (t.memo(("head", kind, channel, version, zone), head),
            t.memo(("tail", channel, two_step, on_leave, pending, standing), tail))


def on_record_memo(t: Texts, status: ElectionStatus) -> str:
    """on_record(), kept in the cache only when nothing is on record: a record's time is the employee's own,
    so caching those would only fill the cache (and empty it of the shared parts)."""
    if status.latest is None:
        return t.memo(("on_record", status.standing), lambda: on_record(t, status))
    return on_record(t, status)


def confirmation(t: Texts, recipient: Recipient, version: DeadlineVersion, now: datetime) -> Message:
    """What is now on record for an employee whose election record changed (email only)."""
    status = recipient.status
    latest = status.latest
    complete = (status.two_step and latest is not None and latest.method == "online"
                and latest.signed_form_received_at is not None and status.standing in ("participating", "withdrawn"))
    subject = t.text("subjects.confirmation_complete" if complete else "subjects.confirmation")
    parts = [t.text("common.greeting", name=recipient.employee.name), t.text("confirmation.lead"),
             on_record(t, status)]
    if latest is not None and latest.signed_form_received_at is not None:
        parts.append(t.text("common.signed_form", received=received(t, latest.signed_form_received_at)))
    if complete:
        parts += _block(t, "confirmation", key="quotes_complete", lead_key="complete")
    parts += pending_parts(t, recipient)
    if now < version.deadline_at:
        parts.append(t.text("confirmation.change"))
        parts += deadline_lines(t, version, recipient)
        parts += _block(t, "governs")
    else:
        parts += _block(t, "confirmation", key="quotes_passed", lead_key="passed")
        parts += deadline_lines(t, version, recipient)
    parts.append(t.text("common.not_taken"))
    parts.append(t.text("confirmation.check"))
    parts += [_quote(q) for q in t.quoted("ask")]
    parts.append(t.text("confirmation.footer"))
    return Message("confirmation", "email", subject, "\n\n".join(parts), CONFIRMATION_SECTIONS)


def results(t: Texts, recipient: Recipient, estimate: Estimate) -> Message:
    """The Total Payment and payout schedule at the final Average Closing Price (email only)."""
    acp = estimate.average_closing_price
    employee = recipient.employee
    rows = [[KIND_LABELS[i.kind], long_date(i.employed_through), long_date(i.expected_by), dollars(i.amount),
             dollars(i.interest) if i.interest is not None else "-"] for i in estimate.schedule]
    assumed = ASSUMED_ACP_NOTE.format(price=format_price(acp))
    notes = [n for n in estimate.notes if n != assumed]
    parts = [t.text("common.greeting", name=employee.name), *_block(t, "results", acp=f"{acp:.4f}"),
             t.text("results.total", total=dollars(estimate.total_payment)),
             t.text("results.schedule", country=recipient.country.name, level=str(employee.level)),
             "```\n" + table(["Payment", "Employed through", "Expected by", "Amount", "Est. interest"], rows,
                             right=(3, 4)) + "\n```",
             "\n".join([t.text("results.notes"), *(f"- {n}" for n in notes)]),
             t.text("results.official"), *(_quote(q) for q in t.quoted("ask")),
             t.text("results.footer")]
    return Message("results", "email", t.text("subjects.results"), "\n\n".join(parts), RESULTS_SECTIONS)

