"""One pass of the planner: reminders due, confirmations owed, results emails, enqueued exactly once.

A pass is safe to repeat and safe to interrupt. Each batch of employees is one
BEGIN IMMEDIATE transaction that reads what was already recorded for them,
records each reminder (enqueued or superseded) and enqueues its outbox rows and
audit records together; the outbox key is the reminder's identity
(reminder:v<deadline version>:<kind>:<employee>:<channel>), so a pass that runs
twice, or two planners at once, enqueue nothing twice, and a pass killed half
way leaves the rest for the next one. A part whose inputs (due kinds, deadline
version, imported data, preferences) are those of its last complete pass is
skipped, so a pass every minute costs a few reads.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from bot import countries, figures, store
from bot.audit import AuditEvent, AuditLog
from bot.calc import CalcError
from bot.db import Database, checkpoints_apart, page_cache, write_transaction
from bot.elections import ElectionStatus, election_status
from bot.outbox import PART_SEPARATOR, TEXT_PARTS, Outbox, part_digest, part_ref, payload_json
from bot.config import Settings
from bot.preferences import Preferences
from bot.reminders import deadlines, plan, texts
from bot.reminders.plan import DeadlineVersion, Recipient, Slot
from bot.reminders.settings import ReminderSettings
from bot.reminders.store import RESULTS_KEY_PREFIX, ReminderStore
from bot.reminders.zones import zone_for
from bot.timestamps import to_db

log = logging.getLogger("sotp.reminders")

Progress = Callable[[str], None]
PROGRESS_EVERY = 10_000     # employees between progress lines in a long pass
# A wave's page cache (bot.db.page_cache): a batch writes about 3 KB of pages per employee, which stay
# in the cache until its commit instead of being written to the WAL early; 16 MiB for 2,000 a batch.
CACHE_KIB_PER_EMPLOYEE = 8
CACHE_KIB_MAX = 64 * 1024
PARTS: tuple[str, ...] = ("reminders", "confirmations", "results")


_gc_lock = threading.Lock()
_gc_paused = 0              # passes running with the cyclic collector paused (threads may overlap)
_gc_was_enabled = False


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one pass; it resumes when the last overlapping pass ends.

    A wave allocates about a million short-lived objects (rows, payloads, texts) while the
    population's records stay alive; each young collection then walks them again, a fifth
    of the pass's CPU. Nothing a pass makes is cyclic garbage, and reference counting
    still frees everything; the collector catches up when it resumes.
    """
    global _gc_paused, _gc_was_enabled
    with _gc_lock:
        if _gc_paused == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_paused += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused -= 1
            if _gc_paused == 0 and _gc_was_enabled:
                gc.enable()


@dataclass(frozen=True)
class Planned:
    """One outbox row a pass enqueued (or, in a dry run, would enqueue)."""

    employee_id: str
    kind: str
    channel: str
    recipient: str
    key: str


@dataclass
class Report:
    as_of: datetime
    version: DeadlineVersion
    version_added: bool
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)     # kind -> channel -> rows
    superseded: dict[str, int] = field(default_factory=dict)            # kind -> employees
    enqueued: int = 0
    messages: list[texts.Message] = field(default_factory=list)         # the selected employee's
    planned: list[Planned] = field(default_factory=list)                # when listing
    skipped: list[str] = field(default_factory=list)                    # parts with nothing new to do
    errors: list[str] = field(default_factory=list)
    due: tuple[str, ...] = ()
    next_due: Slot | None = None
    eligible: int | None = None

    def count(self, kind: str, channel: str) -> None:
        self.counts.setdefault(kind, {}).setdefault(channel, 0)
        self.counts[kind][channel] += 1

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "deadline": self.version.deadline.isoformat(),
            "deadline_at": self.version.deadline_at.isoformat(),
            "deadline_version": self.version.version,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "enqueued": self.enqueued,
            "superseded": self.superseded,
            "due": list(self.due),
            "next_due": None if self.next_due is None else {"kind": self.next_due.kind,
                                                             "at": self.next_due.due_at.isoformat()},
            "skipped": self.skipped,
        }
        if self.errors:
            out["errors"] = self.errors
        return out


def audit_line(message: texts.Message, key: str, address: str) -> str:
    """How the audit record names one planned message: channel, address, outbox row, SHA-256 of the text.

    A wave is tens of thousands of messages: the full text of each is kept once, in
    its outbox row (rows are never deleted), and its hash in the chained audit trail
    shows that it was not changed afterwards.
    """
    digest = hashlib.sha256(message.text.encode("utf-8")).hexdigest()
    return audit_line_of(message.channel, address, key, digest, message.sections)


def audit_line_of(channel: str, address: str, key: str, digest: str, sections: tuple[str, ...]) -> str:
    """audit_line() of a message whose text's SHA-256 (hex) is digest."""
    return f"{channel} to {address}: outbox {key}, text sha256 {digest}, sections {_words(sections)}"


def text_digest(pieces: Sequence[bytes]) -> str:
    """The SHA-256 (hex) of a text composed of paragraphs, given each one's UTF-8: the UTF-8 of
    PART_SEPARATOR.join(paragraphs) is that of each joined by the separator's, so a wave encodes
    its shared paragraphs once instead of every message's whole text (encoding a text with an
    accented name cost more than hashing it)."""
    return hashlib.sha256(_SEPARATOR_BYTES.join(pieces)).hexdigest()


_SEPARATOR_BYTES = PART_SEPARATOR.encode("utf-8")


@functools.lru_cache(maxsize=64)
def _words(sections: tuple[str, ...]) -> str:
    return " ".join(sections)


# One planned message: the message, its outbox key and address, its outbox row (Outbox.row_values) and its
# audit_line (both None in a dry run, which writes nothing).
PlannedRow = tuple[texts.Message, str, str, "tuple[Any, ...] | None", "str | None"]


@dataclass
class _Group:
    """One employee's messages of one pass, waiting for their batch's commit."""

    recipient: Recipient
    audit_kind: str
    intent: str
    show: bool
    listing: bool
    rows: list[PlannedRow]


@dataclass
class _Batch:
    """What one batch writes in its transaction: reminders recorded, messages, the shared paragraphs they name."""

    groups: list[_Group] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)      # digest -> text
    records: list[tuple[int, str, str, str, str, str | None]] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    superseded: Counter[str] = field(default_factory=Counter)


# A text composed from paragraphs: its text_parts (outbox.TEXT_PARTS) and the JSON of each of their elements.
Composed = tuple[list[Any], tuple[str, ...]]


class PayloadEncoder:
    """Payload JSON composed from the JSON of its text_parts' elements: exactly outbox.payload_json(payload).

    A wave's texts are a greeting and a record of the employee's own around a few dozen
    distinct paragraphs, which the outbox stores once (outbox_parts) and each row names by
    reference (outbox.TEXT_PARTS). The JSON of a list is the JSON of its elements joined,
    so a reference is encoded once per paragraph, not once per message; the rest of a
    payload (text_parts sorts last among its keys) is the same for every message of a kind
    and channel: encoded once too.
    """

    _PARTS_TAIL = f'"{TEXT_PARTS}": []}}'

    def __init__(self) -> None:
        self._heads: dict[tuple[Any, ...], str | None] = {}

    @staticmethod
    def own(text: str) -> str:
        """The JSON of one message's own paragraph (an element of its text_parts)."""
        return payload_json(text)

    def encode(self, head_key: tuple[Any, ...], payload: dict[str, Any], parts_json: Sequence[str]) -> str:
        """payload_json(payload), where parts_json is the JSON of each element of payload[TEXT_PARTS];
        head_key names everything in payload but its text_parts."""
        head = self.head(head_key, lambda: payload)
        if head is None:
            return payload_json(payload)
        return f"{head}{', '.join(parts_json)}]}}"

    def head(self, head_key: tuple[Any, ...], payload: Callable[[], dict[str, Any]]) -> str | None:
        """The JSON of the payloads of head_key up to their text_parts' first element (the JSON of a payload
        is this, its text_parts' elements' JSON joined by ", ", then "]}"); None when text_parts does not sort
        last. payload: one of those payloads (made only the first time head_key is asked)."""
        head = self._heads.get(head_key, "")
        if head == "":
            rest = {k: v for k, v in payload().items() if k != TEXT_PARTS}
            whole = payload_json({**rest, TEXT_PARTS: []})
            head = self._heads[head_key] = (whole[:-2]
                                            if all(k < TEXT_PARTS for k in rest) and whole.endswith(self._PARTS_TAIL)
                                            else None)
        return head


class _Wave:
    """One pass's reminders: plans a batch's records and messages (pure, no database), with what a whole
    wave shares made once: decisions, the head and tail of each reminder shape (texts.reminder_shape),
    their digests and JSON, and each payload's JSON up to its text_parts (PayloadEncoder).

    The texts are texts.reminder()'s, composed here from its paragraphs (texts.reminder_parts); the shared
    ones are stored once (outbox_parts) and each row names them.
    """

    def __init__(self, t: texts.Texts, version: DeadlineVersion, due: Sequence[str], report: Report,
                 employee: str | None, listing: bool, encoder: PayloadEncoder) -> None:
        self.t, self.version, self.due = t, version, list(due)
        self.dry_run, self.employee, self.listing = report.dry_run, employee, listing
        self.stamp = to_db(report.as_of)
        self.subjects = {kind: texts.reminder_subject(t, kind, version) for kind in self.due}
        self.extra = {kind: {"reminder": kind, "deadline": version.deadline.isoformat(),
                             "deadline_version": version.version} for kind in self.due}
        self._encoder = encoder
        self._decisions: dict[tuple[frozenset[str] | None, bool], plan.Decision] = {}
        self._shapes: dict[tuple[Any, ...], tuple[str, str, str, str, str, str, bytes, bytes]] = {}
        self._heads: dict[tuple[str, str], str | None] = {}
        self._digests: dict[tuple[str, str, str], str] = {}     # Slack texts everyone of a shape gets

    def _decision(self, logged: set[str] | None, announce: bool) -> plan.Decision:
        known = (frozenset(logged) if logged else None, announce)
        decision = self._decisions.get(known)
        if decision is None:   # a pure function of the kinds due and these two: a few per wave
            decision = self._decisions[known] = plan.decide(self.due, logged or set(), announce=announce)
        return decision

    def _shared(self, kind: str, recipient: Recipient,
                channel: str) -> tuple[str, str, str, str, str, str, bytes, bytes]:
        """A shape's (head, tail, their digests, their references' JSON, their UTF-8)."""
        shape = texts.reminder_shape(kind, recipient, channel)
        shared = self._shapes.get(shape)
        if shared is None:
            head, tail = texts.reminder_shared(self.t, kind, recipient, self.version, channel)
            head_digest, tail_digest = part_digest(head), part_digest(tail)
            shared = self._shapes[shape] = (head, tail, head_digest, tail_digest,
                                            payload_json(part_ref(head_digest)), payload_json(part_ref(tail_digest)),
                                            head.encode("utf-8"), tail.encode("utf-8"))
        return shared

    def _payload(self, kind: str, channel: str, parts: list[Any]) -> dict[str, Any]:
        """A reminder's outbox payload (its text as the parts it is composed of)."""
        out: dict[str, Any] = {"subject": self.subjects[kind], "sections": list(texts.REMINDER_SECTIONS),
                               "privacy": "private", **self.extra[kind], TEXT_PARTS: parts}
        if channel == "slack":
            out["mode"] = "dm"
        return out

    def _head(self, kind: str, channel: str, parts: Callable[[], list[Any]]) -> str | None:
        """PayloadEncoder.head of this kind's payloads on this channel."""
        found = self._heads.get((kind, channel), "")
        if found == "":
            found = self._heads[(kind, channel)] = self._encoder.head(
                ("reminder", kind, channel, self.subjects[kind], texts.REMINDER_SECTIONS,
                 tuple(self.extra[kind].items())), lambda: self._payload(kind, channel, parts()))
        return found

    def plan(self, batch: Sequence[Recipient], logged: dict[str, set[str]]) -> _Batch:
        """The batch's reminders recorded (enqueued or superseded) and its messages, given what is recorded."""
        out = _Batch()
        v, stamp, dry_run, t = self.version.version, self.stamp, self.dry_run, self.t
        own = PayloadEncoder.own
        message_of, row_values = texts.Message, Outbox.row_values
        sections = texts.REMINDER_SECTIONS
        for recipient in batch:
            person = recipient.employee
            eid = person.employee_id
            decision = self._decision(logged.get(eid), plan.announces(recipient.status))
            for kind in decision.superseded:
                out.superseded[kind] += 1
                out.records.append((v, eid, kind, "superseded", stamp, decision.send))
            kind = decision.send
            if kind is None:
                continue
            out.sent[kind] += 1
            channels = recipient.reminder_channels()
            out.records.append((v, eid, kind, "enqueued", stamp, ",".join(channels)))
            record = texts.on_record_memo(t, recipient.status)    # the same on both channels
            record_json = "" if dry_run else own(record)
            record_utf8 = b"" if dry_run else record.encode("utf-8")
            shared_record = recipient.status.latest is None          # nothing on record: a text many share
            subject = self.subjects[kind]
            rows: list[PlannedRow] = []
            for channel in channels:
                (head, tail, head_digest, tail_digest, head_json, tail_json,
                 head_utf8, tail_utf8) = self._shared(kind, recipient, channel)
                key = f"reminder:v{v}:{kind}:{eid}:{channel}"
                if channel == "email":
                    address: str | None = person.email
                    greeting = texts.greeting(t, recipient)
                    text = f"{greeting}\n\n{head}\n\n{record}\n\n{tail}"
                    parts_json = f"{own(greeting)}, {head_json}, {record_json}, {tail_json}" if not dry_run else ""
                    parts: Callable[[], list[Any]] = (
                        lambda: [greeting, part_ref(head_digest), record, part_ref(tail_digest)])
                else:
                    address = person.slack_user_id
                    text = f"{head}\n\n{record}\n\n{tail}"
                    parts_json = f"{head_json}, {record_json}, {tail_json}" if not dry_run else ""
                    parts = lambda: [part_ref(head_digest), record, part_ref(tail_digest)]
                assert address is not None
                values = line = None
                message = message_of(kind, channel, subject, text, sections)
                if not dry_run:
                    if channel == "email":
                        digest = text_digest((greeting.encode("utf-8"), head_utf8, record_utf8, tail_utf8))
                    elif shared_record:     # the same text for everyone of this shape: hashed once
                        known = (head_digest, record, tail_digest)
                        digest = self._digests.get(known, "")
                        if not digest:
                            digest = self._digests[known] = text_digest((head_utf8, record_utf8, tail_utf8))
                    else:
                        digest = text_digest((head_utf8, record_utf8, tail_utf8))
                    line = audit_line_of(channel, address, key, digest, sections)
                    out.parts[head_digest] = head
                    out.parts[tail_digest] = tail
                    payload_head = self._head(kind, channel, parts)
                    if payload_head is None:
                        encoded = payload_json(self._payload(kind, channel, parts()))
                    else:
                        encoded = f"{payload_head}{parts_json}]}}"
                    values = row_values(key, channel, address, "reminder", encoded, stamp, employee_id=eid)
                rows.append((message, key, address, values, line))
            out.groups.append(_Group(recipient, "reminder", f"reminder:{kind}", self.employee == eid,
                                     self.listing, rows))
        return out


def _batches(items: Sequence[Recipient], size: int) -> Iterator[Sequence[Recipient]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Planner:
    """Plans and enqueues over the whole population; one instance per connection (thread)."""

    def __init__(self, db: Database, settings: Settings, *, texts_: texts.Texts | None = None,
                 progress: Progress | None = None, slack: bool | None = None) -> None:
        self.db = db
        self.settings = settings
        self.rs = ReminderSettings.from_settings(settings)
        if slack is not None and not slack:   # the service runs no Slack app: no Slack reminders to plan
            self.rs = replace(self.rs, slack=False)
        self.t = texts_ or texts.default_texts()
        self.progress = progress
        self.store = ReminderStore(db)
        self.audit = AuditLog(db)
        self.outbox = Outbox(db, self.audit)
        self._encoder = PayloadEncoder()

    # -- the population ---------------------------------------------------------------------

    def recipients(self, version: DeadlineVersion) -> list[Recipient]:
        """Every Eligible Employee (the shared calculation module's rules), in employee id order."""
        elections = store.all_elections(self.db)
        own_zones = store.time_zones(self.db)
        slack_off = Preferences(self.db).opted("slack_reminders", False)
        out: list[Recipient] = []
        # Pure functions of a few values each, asked tens of thousands of times: asked once per value.
        nothing_on_record: dict[bool, ElectionStatus] = {}
        zones: dict[tuple[str, str | None], ZoneInfo] = {}
        for employee in figures.eligible_employees(self.db):
            eid = employee.employee_id
            country = countries.get(employee.country)
            records = elections.get(eid)
            if records:
                status = election_status(records, two_step=country.two_step, deadline=version.deadline)
            else:
                status = nothing_on_record.get(country.two_step)
                if status is None:
                    status = nothing_on_record[country.two_step] = election_status(
                        (), two_step=country.two_step, deadline=version.deadline)
            own = own_zones.get(eid)
            zone = zones.get((country.name, own))
            if zone is None:
                zone = zones[(country.name, own)] = zone_for(country.name, own, self.rs.time_zones)
            slack = self.rs.slack and employee.slack_user_id is not None and eid not in slack_off
            out.append(Recipient(employee, country, zone, status, slack))
        return out

    def _inputs(self) -> str:
        prefs = self.db.conn.execute("SELECT count(*), max(updated_at) FROM preferences").fetchone()
        versions = "|".join(store.version(self.db, k) for k in ("employees", "grants", "elections"))
        return f"{versions}|prefs={prefs[0]}:{prefs[1]}"

    # -- a pass -----------------------------------------------------------------------------

    def run(self, now: datetime, *, dry_run: bool = False, employee: str | None = None,
            listing: bool = False, force: bool = False, parts: Sequence[str] = PARTS,
            results_acp: Decimal | None = None) -> Report:
        """One pass at `now`. dry_run: plan and count, write nothing. employee: keep that one's messages.

        listing: keep every planned row. force: redo the parts whose inputs did not change.
        parts: which of reminders, confirmations, results to plan (all by default).
        results_acp: in a dry run, plan the results emails at this price though none is recorded.
        """
        version, added = deadlines.resolve(self.db, self.settings, now, record=not dry_run)
        report = Report(now, version, added, dry_run)
        all_slots = plan.slots(version, self.rs.schedule)
        due = plan.due(all_slots, version, now)
        report.due = tuple(s.kind for s in due)
        report.next_due = plan.next_due(all_slots, version, now)
        results = self.store.results()
        acp = results.average_closing_price if results is not None else (results_acp if dry_run else None)
        inputs = self._inputs()
        fingerprints = {
            "reminders": f"v{version.version}|{','.join(report.due)}|{inputs}",
            "confirmations": f"v{version.version}|{inputs}",
            "results": f"{acp if acp is not None else '-'}|v{version.version}|{inputs}",
        }
        keep_going = dry_run or employee is not None or listing or force
        todo = [p for p in parts if keep_going or self.store.pass_fingerprint(p) != fingerprints[p]]
        report.skipped = [p for p in parts if p not in todo]
        if not todo:
            return report
        with cyclic_gc_paused():
            people = self.recipients(version)
            report.eligible = len(people)
            if "reminders" in todo:
                self._reminders(people, version, report, employee, listing)
            if "confirmations" in todo:
                self._confirmations(people, version, report, employee, listing)
            if "results" in todo and acp is not None:
                self._results(people, version, acp, report, employee, listing)
        if not dry_run:
            with write_transaction(self.db):
                for part in todo:
                    self.store.complete_pass(part, fingerprints[part], now)
        return report

    @contextlib.contextmanager
    def _write(self, report: Report) -> Iterator[None]:
        """One batch composed in its transaction (confirmations, results): written together at its end."""
        self._batch = _Batch()
        if report.dry_run:
            yield
            return
        with write_transaction(self.db):
            yield
            self._flush(report, self._batch)
        self._batch = _Batch()

    def _flush(self, report: Report, batch: _Batch) -> None:
        """Write a batch's outbox rows, then one audit record per employee of the rows that were new."""
        # One channel's rows after the other's (employee order kept within each, and each channel's
        # worker claims in id order): two Slack DMs fit one 4 KB page, an email and a DM do not,
        # so a wave writes a quarter fewer pages.
        by_channel: dict[str, list[tuple[Any, ...]]] = {}
        for group in batch.groups:
            for _, _, _, values, _ in group.rows:
                assert values is not None
                rows = by_channel.get(values[1])
                if rows is None:
                    rows = by_channel[values[1]] = []
                rows.append(values)
        ordered = [values for channel in sorted(by_channel) for values in by_channel[channel]]
        new = self.outbox.enqueue_values(ordered, parts=batch.parts)
        added = None if new is None else {ordered[i][0] for i in new}    # None: every row was new
        events: list[AuditEvent] = []
        for group in batch.groups:
            lines = self._accounted(report, group, added, lines=True)
            if lines:
                person = group.recipient.employee
                events.append(AuditEvent(report.as_of, "out", group.audit_kind, "+".join(c for c, _ in lines),
                                         person.email, person.employee_id, group.intent, (), None,
                                         "\n".join([group.rows[0][0].subject, *(line for _, line in lines)])))
        if events:
            self.audit.record_many(events)

    def _accounted(self, report: Report, group: _Group, added: set[str] | None, *,
                   lines: bool) -> list[tuple[str, str]]:
        """Count a group's rows that were enqueued (added None: all of them) in the report; with lines,
        return each one's (channel, audit_line)."""
        out: list[tuple[str, str]] = []
        for message, key, address, _, line in group.rows:
            if added is not None and key not in added:
                continue   # enqueued by an earlier pass (or another planner): never twice
            if not report.dry_run:
                report.enqueued += 1
            report.count(message.kind, message.channel)
            if group.show:
                report.messages.append(message)
            if group.listing:
                report.planned.append(Planned(group.recipient.employee.employee_id, message.kind, message.channel,
                                              address, key))
            if lines:
                out.append((message.channel, line if line is not None else audit_line(message, key, address)))
        return out

    def _say(self, message: str) -> None:
        log.info(message)
        if self.progress is not None:
            self.progress(message)

    def _enqueue(self, report: Report, recipient: Recipient, messages: Sequence[tuple[texts.Message, str]],
                 outbox_kind: str, audit_kind: str, intent: str, payload_extra: dict[str, Any],
                 employee: str | None, listing: bool) -> None:
        """Plan one employee's messages (message, outbox key): rows and one audit record, at the batch's end."""
        person = recipient.employee
        group = _Group(recipient, audit_kind, intent, employee == person.employee_id, listing, [])
        stamp = to_db(report.as_of)
        for message, key in messages:
            address = person.slack_user_id if message.channel == "slack" else person.email
            assert address is not None
            values = None
            if not report.dry_run:
                payload: dict[str, Any] = {"subject": message.subject, "sections": list(message.sections),
                                           "privacy": "private", **payload_extra, "text": message.text}
                if message.channel == "slack":
                    payload["mode"] = "dm"
                values = Outbox.row_values(key, message.channel, address, outbox_kind, payload_json(payload), stamp,
                                           employee_id=person.employee_id)
            group.rows.append((message, key, address, values, None))
        if report.dry_run:
            self._accounted(report, group, None, lines=False)
        elif group.rows:
            self._batch.groups.append(group)

    # -- reminders ----------------------------------------------------------------------------

    def _reminders(self, people: list[Recipient], version: DeadlineVersion, report: Report,
                   employee: str | None, listing: bool) -> None:
        """Each batch planned from what is recorded for it before its transaction (pure work, no write
        lock held), and written in a transaction that first reads that record again: planned again
        there in the rare case another planner recorded some of the batch meanwhile."""
        due = list(report.due)
        if not due:
            return
        v = version.version
        wave = _Wave(self.t, version, due, report, employee, listing, self._encoder)
        done = 0
        superseded: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        committed: Callable[[], None] = lambda: None
        with contextlib.ExitStack() as writing:
            if not report.dry_run:
                writing.enter_context(page_cache(self.db, min(CACHE_KIB_MAX,
                                                              self.rs.batch_size * CACHE_KIB_PER_EMPLOYEE)))
                # Each batch's commit is checkpointed while the next batch is planned, not inside it.
                committed = writing.enter_context(checkpoints_apart(self.db))
            for batch in _batches(people, self.rs.batch_size):
                first, last = batch[0].employee.employee_id, batch[-1].employee.employee_id
                logged = self.store.logged(v, first, last)
                planned = wave.plan(batch, logged)
                if report.dry_run:
                    for group in planned.groups:
                        self._accounted(report, group, None, lines=False)
                else:
                    with write_transaction(self.db):
                        now_logged = self.store.logged(v, first, last)
                        if now_logged != logged:
                            planned = wave.plan(batch, now_logged)
                        self.store.record(planned.records)
                        self._flush(report, planned)
                    committed()
                superseded.update(planned.superseded)
                sent.update(planned.sent)
                before, done = done, done + len(batch)
                if len(people) > PROGRESS_EVERY and done // PROGRESS_EVERY > before // PROGRESS_EVERY:
                    self._say(f"reminders v{v} {due[-1]}: {done:,} of {len(people):,} Eligible Employees planned, "
                              f"{report.enqueued:,} rows enqueued")
        report.superseded = dict(superseded)
        planned_kinds = ", ".join(f"{k} {n:,}" for k, n in sent.items()) or "nothing new"
        log.info("reminders v%d due %s as of %s: employees planned %s; superseded %s; %d rows enqueued%s", v,
                 ",".join(due), report.as_of.isoformat(), planned_kinds,
                 ", ".join(f"{k} {n:,}" for k, n in superseded.items()) or "none", report.enqueued,
                 " (dry run)" if report.dry_run else "")

    # -- confirmations ------------------------------------------------------------------------

    def _confirmations(self, people: list[Recipient], version: DeadlineVersion, report: Report,
                       employee: str | None, listing: bool) -> None:
        now = report.as_of
        confirmed = self.store.confirmed()
        owed = []
        for recipient in people:
            fingerprint = plan.record_fingerprint(recipient.status)
            last = confirmed.get(recipient.employee.employee_id)
            if plan.needs_confirmation(fingerprint, last[0] if last else None):
                owed.append((recipient, fingerprint, (last[1] if last else 0) + 1))
        before = report.enqueued
        for start in range(0, len(owed), self.rs.batch_size):
            with self._write(report):
                for recipient, fingerprint, sequence in owed[start:start + self.rs.batch_size]:
                    eid = recipient.employee.employee_id
                    message = texts.confirmation(self.t, recipient, version, now)
                    self._enqueue(report, recipient, [(message, f"confirmation:{eid}:{sequence}:{fingerprint}")],
                                  "confirmation", "confirmation", "confirmation",
                                  {"standing": recipient.status.standing, "deadline_version": version.version},
                                  employee, listing)
                    if not report.dry_run:
                        self.store.confirm(eid, fingerprint, sequence, now)
        if owed:
            log.info("confirmations: %d election records changed, %d emails enqueued%s", len(owed),
                     report.enqueued - before, " (dry run)" if report.dry_run else "")

    # -- results ------------------------------------------------------------------------------

    def _results(self, people: list[Recipient], version: DeadlineVersion, acp: Decimal, report: Report,
                 employee: str | None, listing: bool) -> None:
        sent = self.store.results_sent()
        participants = [r for r in people if r.status.standing == "participating"
                        and r.employee.employee_id not in sent]
        if not participants:
            return
        settings = deadlines.effective_settings(self.settings, version)
        ctx = figures.context(self.db, settings)
        before = report.enqueued
        for start in range(0, len(participants), self.rs.batch_size):
            with self._write(report):
                for recipient in participants[start:start + self.rs.batch_size]:
                    eid = recipient.employee.employee_id
                    try:
                        estimate = figures.estimate_for(self.db, settings, eid, acp, ctx)
                    except (CalcError, figures.UnknownEmployee) as exc:
                        report.errors.append(f"{eid}: {exc}")
                        log.warning("results email not planned employee=%s: %s", eid, exc)
                        continue
                    message = texts.results(self.t, recipient, estimate)
                    self._enqueue(report, recipient, [(message, f"{RESULTS_KEY_PREFIX}{eid}")], "notice", "notice",
                                  "results", {"average_closing_price": f"{acp:f}"}, employee, listing)
        log.info("results: %d participants without a results email, %d emails enqueued%s", len(participants),
                 report.enqueued - before, " (dry run)" if report.dry_run else "")

