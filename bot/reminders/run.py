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
from bot.db import Database, write_transaction
from bot.elections import ElectionStatus, election_status
from bot.outbox import TEXT_PARTS, Outbound, Outbox, part_digest, part_ref, payload_json
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
    return f"{message.channel} to {address}: outbox {key}, text sha256 {digest}, sections {_words(message.sections)}"


@functools.lru_cache(maxsize=64)
def _words(sections: tuple[str, ...]) -> str:
    return " ".join(sections)


@dataclass
class _Group:
    """One employee's messages of one pass, waiting for their batch's commit: (message, row, its payload's JSON)."""

    recipient: Recipient
    audit_kind: str
    intent: str
    show: bool
    listing: bool
    rows: list[tuple[texts.Message, Outbound, str]]


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
        head = self._heads.get(head_key, "")
        if head == "":
            rest = {k: v for k, v in payload.items() if k != TEXT_PARTS}
            whole = payload_json({**rest, TEXT_PARTS: []})
            head = self._heads[head_key] = (whole[:-2]
                                            if all(k < TEXT_PARTS for k in rest) and whole.endswith(self._PARTS_TAIL)
                                            else None)
        if head is None:
            return payload_json(payload)
        return f"{head}{', '.join(parts_json)}]}}"


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
        for employee, _ in figures.eligible_people(self.db):
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
        """One batch: a transaction whose outbox rows and audit records are written together at its end."""
        self._pending: list[_Group] = []
        self._parts: dict[str, str] = {}       # digest -> text of the shared paragraphs the batch's rows name
        if report.dry_run:
            yield
            return
        with write_transaction(self.db):
            yield
            self._flush(report)
        self._pending = []
        self._parts = {}

    def _flush(self, report: Report) -> None:
        # One channel's rows after the other's (employee order kept within each, and each channel's
        # worker claims in id order): two Slack DMs fit one 4 KB page, an email and a DM do not,
        # so a wave writes a quarter fewer pages.
        by_channel: dict[str, tuple[list[Outbound], list[str]]] = {}
        for group in self._pending:
            for _, row, encoded in group.rows:
                rows, payloads = by_channel.setdefault(row.channel, ([], []))
                rows.append(row)
                payloads.append(encoded)
        channels = sorted(by_channel)
        added = {row.key for row in self.outbox.enqueue_many(
            [row for c in channels for row in by_channel[c][0]], report.as_of,
            payloads=[encoded for c in channels for encoded in by_channel[c][1]], parts=self._parts)}
        events: list[AuditEvent] = []
        for group in self._pending:
            lines: list[tuple[str, str]] = []
            for message, row, _ in group.rows:
                if row.key not in added:
                    continue   # enqueued by an earlier pass (or another planner): never twice
                report.enqueued += 1
                self._counted(report, group, message, row.employee_id or "", row.recipient, row.key)
                lines.append((message.channel, audit_line(message, row.key, row.recipient)))
            if lines:
                person = group.recipient.employee
                events.append(AuditEvent(report.as_of, "out", group.audit_kind, "+".join(c for c, _ in lines),
                                         person.email, person.employee_id, group.intent, (), None,
                                         "\n".join([group.rows[0][0].subject, *(line for _, line in lines)])))
        if events:
            self.audit.record_many(events)

    def _counted(self, report: Report, group: "_Group", message: texts.Message, employee_id: str, address: str,
                 key: str) -> None:
        report.count(message.kind, message.channel)
        if group.show:
            report.messages.append(message)
        if group.listing:
            report.planned.append(Planned(employee_id, message.kind, message.channel, address, key))

    def _say(self, message: str) -> None:
        log.info(message)
        if self.progress is not None:
            self.progress(message)

    def _enqueue(self, report: Report, recipient: Recipient,
                 messages: Sequence[tuple[texts.Message, str, Composed | None]],
                 outbox_kind: str, audit_kind: str, intent: str, payload_extra: dict[str, Any],
                 employee: str | None, listing: bool) -> None:
        """Plan one employee's messages (one per channel): rows and one audit record, at the batch's end.

        messages: (message, outbox key, its text as text_parts with the JSON of each element (PayloadEncoder)
        when the caller composed it from shared paragraphs (named in self._parts), else None: the text whole).
        """
        person = recipient.employee
        group = _Group(recipient, audit_kind, intent, employee == person.employee_id, listing, [])
        extra = tuple(payload_extra.items())
        for message, key, composed in messages:
            address = person.slack_user_id if message.channel == "slack" else person.email
            assert address is not None
            if report.dry_run:
                self._counted(report, group, message, person.employee_id, address, key)
                continue
            payload: dict[str, Any] = {"subject": message.subject, "sections": list(message.sections),
                                       "privacy": "private", **payload_extra}
            if message.channel == "slack":
                payload["mode"] = "dm"
            if composed is None:
                payload["text"] = message.text
                encoded = payload_json(payload)
            else:
                payload[TEXT_PARTS], parts_json = composed
                encoded = self._encoder.encode((outbox_kind, message.kind, message.channel, message.subject,
                                                message.sections, extra), payload, parts_json)
            group.rows.append((message, Outbound(key, message.channel, address, outbox_kind, payload,
                                                 employee_id=person.employee_id), encoded))
        if group.rows:
            self._pending.append(group)

    # -- reminders ----------------------------------------------------------------------------

    def _reminders(self, people: list[Recipient], version: DeadlineVersion, report: Report,
                   employee: str | None, listing: bool) -> None:
        now, due = report.as_of, list(report.due)
        if not due:
            return
        dry_run = report.dry_run
        v = version.version
        deadline = version.deadline.isoformat()
        subjects = {kind: texts.reminder_subject(self.t, kind, version) for kind in due}
        # texts.reminder(), composed here from its paragraphs (texts.reminder_parts): the head and tail of
        # each shape (a few dozen in a wave) are made, hashed and their references encoded once, and
        # stored once (outbox_parts); each row names them.
        shapes: dict[tuple[Any, ...], tuple[str, str, str, str, dict[str, str], dict[str, str], str, str]] = {}
        decisions: dict[tuple[frozenset[str] | None, bool], plan.Decision] = {}
        own = PayloadEncoder.own
        done = 0
        superseded: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        for batch in _batches(people, self.rs.batch_size):
            with self._write(report):
                logged = self.store.logged(v, batch[0].employee.employee_id, batch[-1].employee.employee_id)
                records: list[tuple[int, str, str, str, str, str | None]] = []
                stamp = to_db(now)
                for recipient in batch:
                    eid = recipient.employee.employee_id
                    mine = logged.get(eid)
                    known = (frozenset(mine) if mine else None, plan.announces(recipient.status))
                    decision = decisions.get(known)
                    if decision is None:   # a pure function of the kinds due and these two: a few per wave
                        decision = decisions[known] = plan.decide(due, mine or set(), announce=known[1])
                    for kind in decision.superseded:
                        superseded[kind] += 1
                        records.append((v, eid, kind, "superseded", stamp, decision.send))
                    if decision.send is None:
                        continue
                    sent[decision.send] += 1
                    kind = decision.send
                    channels = recipient.reminder_channels()
                    records.append((v, eid, kind, "enqueued", stamp, ",".join(channels)))
                    record = texts.on_record_memo(self.t, recipient.status)    # the same on both channels
                    record_json = "" if dry_run else own(record)
                    messages = []
                    for channel in channels:
                        shape = texts.reminder_shape(kind, recipient, channel)
                        shared = shapes.get(shape)
                        if shared is None:
                            head, tail = texts.reminder_shared(self.t, kind, recipient, version, channel)
                            head_digest, tail_digest = part_digest(head), part_digest(tail)
                            head_ref, tail_ref = part_ref(head_digest), part_ref(tail_digest)
                            shared = shapes[shape] = (head, tail, head_digest, tail_digest, head_ref, tail_ref,
                                                      payload_json(head_ref), payload_json(tail_ref))
                        head, tail, head_digest, tail_digest, head_ref, tail_ref, head_json, tail_json = shared
                        composed: Composed | None = None
                        if channel == "email":
                            greeting = texts.greeting(self.t, recipient)
                            text = f"{greeting}\n\n{head}\n\n{record}\n\n{tail}"
                            if not dry_run:
                                composed = ([greeting, head_ref, record, tail_ref],
                                            (own(greeting), head_json, record_json, tail_json))
                        else:
                            text = f"{head}\n\n{record}\n\n{tail}"
                            if not dry_run:
                                composed = ([head_ref, record, tail_ref], (head_json, record_json, tail_json))
                        if not dry_run:
                            self._parts[head_digest] = head
                            self._parts[tail_digest] = tail
                        messages.append((texts.Message(kind, channel, subjects[kind], text, texts.REMINDER_SECTIONS),
                                         f"reminder:v{v}:{kind}:{eid}:{channel}", composed))
                    self._enqueue(report, recipient, messages, "reminder", "reminder", f"reminder:{kind}",
                                  {"reminder": kind, "deadline": deadline, "deadline_version": v}, employee, listing)
                if not report.dry_run:
                    self.store.record(records)
            before, done = done, done + len(batch)
            if len(people) > PROGRESS_EVERY and done // PROGRESS_EVERY > before // PROGRESS_EVERY:
                self._say(f"reminders v{v} {due[-1]}: {done:,} of {len(people):,} Eligible Employees planned, "
                          f"{report.enqueued:,} rows enqueued")
        report.superseded = dict(superseded)
        planned = ", ".join(f"{k} {n:,}" for k, n in sent.items()) or "nothing new"
        log.info("reminders v%d due %s as of %s: employees planned %s; superseded %s; %d rows enqueued%s", v,
                 ",".join(due), report.as_of.isoformat(), planned,
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
                    self._enqueue(report, recipient, [(message, f"confirmation:{eid}:{sequence}:{fingerprint}", None)],
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
                    self._enqueue(report, recipient, [(message, f"{RESULTS_KEY_PREFIX}{eid}", None)], "notice", "notice",
                                  "results", {"average_closing_price": f"{acp:f}"}, employee, listing)
        log.info("results: %d participants without a results email, %d emails enqueued%s", len(participants),
                 report.enqueued - before, " (dry run)" if report.dry_run else "")

