"""The conversation core: one message from any channel in, the replies it gets out.

No Slack or SMTP here. The core knows who is asking (handlers.identity), keeps
the conversation's state for 30 minutes of silence (bot.conversations), answers
personal questions only to the employee concerned and only privately, routes
what a person must decide to the compchng queue (bot.queue), hands over replies
that Stock Services staff queued, and records every message in and out in the
append-only audit trail (bot.audit).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import tomllib
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Sequence

from bot import countries, figures, store
from bot.audit import AuditEvent, AuditLog
from bot.db import Connections, Database, DatabaseUnavailable, path_of, translate, write_transaction
from bot.ledger import Ledger
from bot.reminders.deadlines import in_effect as deadline_in_effect
from bot.outbox import Outbox
from bot.calc import CalcError, InvalidPrice, NotEligible
from bot.calc.calendar import election_deadline_at
from bot.calc.estimate import TABLE_PRICES, estimate
from bot.calc.records import Employee
from bot.config import Settings
from bot.conversations import ConversationStore
from bot.elections import election_status
from bot.formatting import deadline_sentence
from bot.queue import Queue, QueueError, Ticket, parse_ticket_ref
from handlers import language, personal, tracker, whatif
from handlers.assistant import Assistant, Knowledge, blockquote, default_knowledge, section_label
from handlers.categories import categorize
from handlers.cleaning import clean_message
from handlers.identity import asker_key, identify
from handlers.hardening import MATCH_LIMIT, Hardened, harden, storable
from handlers.messages import Handover, Incoming, Response
from handlers.outgoing import plan, render, response_from_json, response_to_json
from handlers.prices import find_price
from handlers.reply import Reply
from handlers.understanding import RULES_FILE, Decision

# Sections whose answers change with the asker's own country and level.
PAYMENT_SCHEDULE_SECTIONS = frozenset({"q1", "q11", "s3", "cover", "term:total-payment",
                                       "term:initial-payment", "term:contingent-payment"})
ELECTION_PROCEDURE_SECTIONS = frozenset({"q22", "q23", "s5", "s6", "tool", "forms", "letter"})
SHORT_FOLLOWUP_WORDS = 8
# Without a named price, the reply is the Tool's $23-$31 table; estimate() computes that table at any
# of its own prices, and nothing priced at this one is shown.
TABLE_ONLY_PRICE = TABLE_PRICES[len(TABLE_PRICES) // 2]


@dataclass(frozen=True)
class _Patterns:
    """Replies that only make sense after the previous turn (handlers/rules.toml [followup])."""

    more: tuple[re.Pattern[str], ...]
    full_section: re.Pattern[str]
    choice: re.Pattern[str]
    none_of_these: re.Pattern[str]
    accept_handoff: tuple[re.Pattern[str], ...]
    dispute: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    with RULES_FILE.open("rb") as fh:
        f = tomllib.load(fh)["followup"]

    def many(items: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in items)

    return _Patterns(
        more=many(f["more"]), full_section=re.compile(f["full_section"], re.IGNORECASE),
        choice=re.compile(f["choice"], re.IGNORECASE), none_of_these=re.compile(f["none_of_these"], re.IGNORECASE),
        accept_handoff=many(f["accept_handoff"]), dispute=many(f["dispute"]),
    )


log = logging.getLogger("sotp.core")

_CHOICE_WORDS = {"one": 1, "first": 1, "two": 2, "second": 2, "three": 3, "third": 3, "four": 4, "fourth": 4}
# Intents whose answer is about the asker's own records: naming anyone else's id or email refuses them.
_PERSONAL_LABELS = frozenset({"estimate/figures", "estimate/whatif", "faq/my_options", "election/status",
                              "eligibility/problem", "other/identity"})


@dataclass
class _Turn:
    """One message being answered: who asked, what they said, and the state it changes."""

    incoming: Incoming
    employee: Employee | None
    key: str
    state: dict[str, Any]
    now: datetime
    text: str = ""                     # the cleaned message
    ticket: str | None = None
    notes: list[str] = field(default_factory=list)
    routed_text: str = ""              # the hardened message before cleaning (what the router reads)
    prepared: "_Prepared | None" = None  # pure work done before the write lock, used when its inputs still hold


@dataclass(frozen=True)
class _Prepared:
    """A turn's pure, read-only work (the router's decision, the Notice match) done before BEGIN IMMEDIATE.

    Both are pure functions of the text (and the asker's country on record): done
    outside the write lock, the turn holds the lock only for its reads-then-writes.
    The turn uses them only when the inputs it has under the lock are the same ones,
    so the replies are exactly what computing them inside would give.
    """

    hardened: Hardened                  # harden(incoming.text): pure, so the turn reuses it
    decision: Decision
    asker_country: str | None
    found: Any                          # knowledge.matcher.Match for (decision, asker_country)


def _country_names(text: str) -> tuple[str, ...]:
    return tuple(c.name for c in countries.mentioned(text))


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _Stores(threading.local):
    """This thread's connection and the stores on it (SQLite connections are per thread)."""

    db: Database | None = None
    settings: Settings | None = None
    audit: AuditLog
    queue: Queue
    states: ConversationStore
    outbox: Outbox
    ledger: Ledger


class Conversation:
    """The core every channel calls: handle(Incoming) -> Response, from any thread; ahandle from asyncio.

    One message is one transaction (BEGIN IMMEDIATE): the inbound audit record, ticket
    changes, outbox rows, conversation state and the outbound audit records commit
    together, only once the reply exists. If the turn fails, nothing of it is kept but
    an audit record of the failure, and the asker gets a short, safe reply.
    The pure work that needs no lock (the router's decision, the Notice match) is done
    before BEGIN IMMEDIATE (_prepare), so other writers wait less for the turn.
    """

    def __init__(self, db: Database | Connections, settings: Settings, *,
                 knowledge: Knowledge | None = None, clock: Callable[[], datetime] = _utc_now) -> None:
        self.connections = db if isinstance(db, Connections) else Connections.around(db)
        self.configured = settings
        self.knowledge = knowledge or default_knowledge()
        self.t = self.knowledge.templates
        self._assistants: dict[date, Assistant] = {}
        self.clock = clock
        self._local = _Stores()
        # channel -> a callable that wakes its delivery worker after a turn enqueued for it
        self.wakers: dict[str, Callable[[], None]] = {}

    # ------------------------------------------------------------ per thread
    def _stores(self) -> _Stores:
        local, db = self._local, self.connections.db()
        if local.db is not db:
            local.db = db
            local.audit = AuditLog(db)
            local.queue = Queue(db, audit=local.audit)
            local.states = ConversationStore(db)
            local.outbox = Outbox(db, local.audit)
            local.ledger = Ledger(db)
        return local

    @property
    def db(self) -> Database:
        return self.connections.db()

    @property
    def settings(self) -> Settings:
        """The settings of the turn in progress on this thread: the configured ones, with the Election
        Deadline as last extended (`sotp deadline extend` records it in the database)."""
        return getattr(self._local, "settings", None) or self.configured

    @property
    def assistant(self) -> Assistant:
        deadline = self.settings.election_deadline
        found = self._assistants.get(deadline)
        if found is None:
            found = self._assistants[deadline] = Assistant(self.knowledge, election_deadline=deadline)
        return found


    @property
    def audit(self) -> AuditLog:
        return self._stores().audit

    @property
    def queue(self) -> Queue:
        return self._stores().queue

    @property
    def states(self) -> ConversationStore:
        return self._stores().states

    @property
    def outbox(self) -> Outbox:
        return self._stores().outbox

    # ------------------------------------------------------------------ entry
    async def ahandle(self, incoming: Incoming, *, remember: bool = True,
                      handover: Handover | None = None) -> Response:
        """handle() for an asyncio caller: the blocking turn runs in a worker thread, off the loop."""
        import asyncio   # only asyncio callers need it; a one-shot `sotp ask` does not import it

        return await asyncio.to_thread(self.handle, incoming, remember=remember, handover=handover)

    def handle(self, incoming: Incoming, *, remember: bool = True, handover: Handover | None = None) -> Response:
        """Answer one message. remember=False answers it on its own: no earlier context, none kept.

        handover: the caller's delivery worker takes the rows due now for its channel from the
        Response (claimed), committed already claimed for it (messages.Handover)."""
        now = self.clock()
        if not incoming.message_id:
            incoming = replace(incoming, message_id=f"{incoming.channel}-{uuid.uuid4().hex}")
        assert incoming.message_id is not None
        prepared = self._prepare(incoming)
        try:
            with write_transaction(self.db):
                earlier = self._stores().ledger.seen(incoming.channel, incoming.message_id, now)
                if earlier is not None:
                    log.info("duplicate message answered before, channel=%s message_id=%s",
                             incoming.channel, incoming.message_id)
                    return response_from_json(earlier, duplicate=True)
                response = self._turn(incoming, now, remember, prepared)
                keys: list[str] = []
                claimed: list[Any] = []
                for item in plan(incoming, response):
                    if (handover is not None and item.channel == handover.channel and item.kind in handover.kinds
                            and item.not_before is None):
                        row = self.outbox.enqueue_claimed(item, now, handover.token,
                                                          now + timedelta(seconds=handover.lease_seconds))
                        if row is not None:
                            keys.append(item.key)
                            claimed.append(row)
                    elif self.outbox.enqueue(item, now) is not None:
                        keys.append(item.key)
                response = replace(response, outbox_keys=tuple(keys))
                self._stores().ledger.remember(incoming.channel, incoming.message_id, now,
                                               response_to_json(response))
                response = replace(response, claimed=tuple(claimed))
        except Exception as exc:  # the error boundary of a turn: the asker always gets an answer
            return self._failed(incoming, now, exc)
        # One line per turn for the operator: ids and what was decided, never the text or any figure.
        log.info("answered channel=%s message_id=%s employee=%s intent=%s sections=%s outbox=%d",
                 incoming.channel, incoming.message_id, response.employee_id or "-",
                 response.replies[-1].intent if response.replies else "-",
                 ",".join(response.replies[-1].sections) if response.replies else "", len(keys))
        if len(keys) > len(claimed):
            self._notify(incoming.channel)
        return response

    def _prepare(self, incoming: Incoming) -> _Prepared | None:
        """The decision and match for this message, read and computed before the write lock (None: not now)."""
        try:
            hardened = harden(incoming.text)
            decision = self.knowledge.understanding.decide(hardened.text)
            employee = identify(self.db, incoming)         # a read outside any transaction
            country = employee.country if employee else None
            found = self.assistant.match(decision, asker_country=country) if decision.intent == "faq" else None
            return _Prepared(hardened, decision, country, found)
        except Exception:       # whatever failed here fails again in the turn, and is answered there
            return None

    def _turn(self, incoming: Incoming, now: datetime, remember: bool,
              prepared: _Prepared | None = None) -> Response:
        self._local.settings = deadline_in_effect(self.db, self.configured)
        hardened = prepared.hardened if prepared is not None else harden(incoming.text)
        employee = identify(self.db, incoming)         # again, under the lock: the link may have changed
        key = asker_key(incoming, employee)
        state = (self._state_of(key, incoming, now) or {}) if remember else {}
        # The decision read the cleaned text already: cleaning a long email twice is not free.
        text = prepared.decision.text if prepared is not None else clean_message(hardened.text)
        turn = _Turn(incoming, employee, key, dict(state), now, text)
        turn.routed_text = hardened.text
        turn.prepared = prepared
        answer = self._answer(turn)
        if hardened.truncated:
            answer = replace(answer, parts=(self.t.text("input.truncated", limit=f"{MATCH_LIMIT:,}"),
                                            *answer.parts))
        replies = [*self._staff_messages(turn), answer]
        if incoming.shared and any(r.privacy == "private" for r in replies):
            replies = [Reply(answer.intent, (self.t.text("private.pointer"),), (), answer.confidence), *replies]
        turn.state["intent"] = answer.intent
        if remember:
            self.states.put(key, incoming.channel, turn.state, now)
            if incoming.thread is not None:       # for replies in this answer's thread, however much later
                self.states.put_thread(key, incoming.channel, incoming.message_id or "", turn.state, now)
        self._record(turn, answer, replies)
        return Response(tuple(replies), employee.employee_id if employee else None, self._private_to(turn),
                        message_id=incoming.message_id)

    def _state_of(self, key: str, incoming: Incoming, now: datetime) -> dict[str, Any] | None:
        """A reply in an answer's thread continues from what that answer said, not from the asker's
        latest turn; anything else from the asker's conversation (30 minutes of silence end it)."""
        if incoming.thread:
            return self.states.get_thread(key, incoming.channel, incoming.thread, now)
        return self.states.get(key, incoming.channel, now)

    def _failed(self, incoming: Incoming, now: datetime, exc: Exception) -> Response:
        """Nothing of the turn was kept; record that it failed (if the database lets us) and say so safely."""
        log.error("turn failed channel=%s message_id=%s: %s: %s", incoming.channel, incoming.message_id,
                  type(exc).__name__, exc, exc_info=not isinstance(exc, DatabaseUnavailable))
        if isinstance(exc, sqlite3.Error):  # a dropped table or a full disk reads as what it is, not a class name
            exc = translate(exc, path_of(self.db)) or exc
        reason = str(exc) if isinstance(exc, DatabaseUnavailable) else type(exc).__name__
        kept = False
        try:
            with write_transaction(self.db, attempts=1):
                self.audit.record(AuditEvent(now, "in", "failure", incoming.channel, storable(incoming.address),
                                             incoming.employee_id, None, (), None,
                                             f"[not answered: {reason}; message id {incoming.message_id}]\n"
                                             + storable(incoming.text)))
            kept = True
        except Exception as again:  # the database itself is the problem: the log line is the record
            log.error("could not record the failed turn channel=%s message_id=%s: %s",
                      incoming.channel, incoming.message_id, again)
        # Only say the message is kept when the record of it committed: otherwise nothing holds it.
        reply = Reply("other", (self.t.text("failure.kept" if kept else "failure.not_kept"),), (), 0.0)
        return Response((reply,), None, None, message_id=incoming.message_id, error=reason)

    def _notify(self, channel: str) -> None:
        """Wake the channel's delivery worker, if one runs in this process."""
        waker = self.wakers.get(channel)
        if waker is not None:
            waker()

    def _private_to(self, turn: _Turn) -> str | None:
        """Private replies go to the employee's own Slack account or email address on record, never elsewhere."""
        employee, incoming = turn.employee, turn.incoming
        if incoming.channel == "email":
            return employee.email if employee else None
        return incoming.address

    # --------------------------------------------------------------- dispatch
    def _answer(self, turn: _Turn) -> Reply:
        # A ticket named by the channel (an email in a ticket's thread) or in the text joins it.
        for reference in (turn.incoming.metadata.get("ticket"), parse_ticket_ref(turn.text)):
            if reference:
                added = self._add_to_own_ticket(turn, reference)
                if added is not None:
                    return added
        opted = self._tracking_choice(turn)
        if opted is not None:
            return opted             # "track on" / "track off": the Averaging Period updates (handlers/tracker.py)
        prepared = turn.prepared
        decision = (prepared.decision if prepared is not None
                    else self.knowledge.understanding.decide(turn.routed_text))
        followed = self._followup(turn, decision)
        if followed is not None:
            return followed          # "more", "2", "yes" to an offer: answers to the assistant, not elections
        reply = self._dispatch(turn, decision)
        if not reply.sub_intent:
            reply = replace(reply, sub_intent=decision.sub_intent)
        return self.assistant.with_safety(reply, decision)

    def _dispatch(self, turn: _Turn, decision: Decision) -> Reply:
        """The reply for the one decision made on this message; safety statements are added after."""
        if decision.language != language.ENGLISH:
            return self.assistant.other_language(decision)
        if decision.handoff or decision.label == "other/person":
            earlier = turn.state.get("question")
            text = decision.text if not earlier or earlier == decision.text else (
                f"{decision.text}\n\n(Earlier question: {earlier})")
            return self._open_ticket(turn, text, decision.countries,
                                     "eligibility" if decision.intent == "eligibility" else "other")
        someone_else = self._someone_else(decision, turn.employee)
        if someone_else == "refuse":
            return Reply(decision.intent, (self.t.text("third_party.text"),), (), 1.0, sub_intent=decision.sub_intent)
        if decision.label == "other/identity":
            key = "unknown" if turn.employee is None else ("other" if someone_else else "self")
            return self.assistant.identity(key, turn.incoming.channel)
        reply = self._by_intent(turn, decision)
        if someone_else:
            key = "unknown" if turn.employee is None else "other"
            note = self.assistant.identity(key, turn.incoming.channel)
            reply = replace(reply, parts=(*note.parts, *reply.parts))
        return reply

    def _by_intent(self, turn: _Turn, decision: Decision) -> Reply:
        label = decision.label
        if label == "faq/my_options" and turn.employee is not None:
            return self._eligibility_check(turn)
        if decision.intent == "faq":
            return self._faq(turn, decision)
        if label == "estimate/whatif":
            return self._whatif(turn, decision)
        if label == "estimate/tracker":
            if tracker.asks_as_it_stands(turn.text):
                return tracker.answer(self.db, self.settings, turn.employee, turn.text, turn.now)
            return self._faq(turn, replace(decision, intent="faq", sub_intent="general"))
        if decision.intent == "estimate":
            return self._estimate(turn, decision.price)
        if decision.intent == "eligibility":
            return self._open_ticket(turn, decision.text, decision.countries, "eligibility")
        if decision.intent == "recommendation":
            return self.assistant.recommendation()
        if label == "election/status":
            return self._election_status(turn)
        if decision.intent == "election":
            return self.assistant.election(decision, asker_country=self._country(turn))
        if label == "other/help":
            return self.assistant.help(turn.incoming.channel)
        reply = self.assistant.other(decision.sub_intent)
        if decision.sub_intent == "frustration":
            turn.state.update(offer="queue")
        return reply

    def _tracking_choice(self, turn: _Turn) -> Reply | None:
        choice = tracker.opt_choice(turn.text)
        if choice is None:
            return None
        turn.state.update(offer=None, choices=[])
        return tracker.set_tracking(self.db, turn.employee, choice, turn.incoming.channel, turn.now)

    def _country(self, turn: _Turn) -> str | None:
        return turn.employee.country if turn.employee else None

    def _someone_else(self, decision: Decision, employee: Employee | None) -> str | None:
        """"refuse" when the message asks about another person's records, "claim" when the asker
        claims to be someone else (or names another id or email in a general question), else None.

        Identity never changes by what a message says: it comes from the channel and the records.
        """
        def is_asker(who: str) -> bool:
            if employee is None:
                return False
            own = {employee.employee_id.lower(), employee.name.lower(), employee.name.split()[0].lower()}
            if employee.email:
                own.add(employee.email.lower())
            return who.lower() in own

        if any(not is_asker(who) for who in decision.asked_about):
            return "refuse"
        if any(not is_asker(who) for who in decision.mentioned):
            return "refuse" if decision.label in _PERSONAL_LABELS else "claim"
        if any(not is_asker(who) for who in decision.claims):
            return "claim"
        return None

    # -------------------------------------------------------------- follow-ups
    def _followup(self, turn: _Turn, decision: Decision) -> Reply | None:
        """Messages that only make sense after the previous turn: more, 1/2/3/none, yes, and at $30?"""
        p, state, text = _patterns(), turn.state, turn.text
        explicit = p.full_section.search(text)
        if explicit:
            section = f"q{int(explicit['qn'])}" if explicit["q"] else f"s{int(explicit['sn'])}"
            full = self.assistant.full_section(section)
            if full is not None:
                state.update(section=section, offer=None, choices=[])
                return full
        if state.get("intent") == "estimate" and state.get("price") and any(m.search(text) for m in p.more):
            return self._estimate(turn, Decimal(state["price"]))   # the whole estimate after a change
        if state.get("section") and any(m.search(text) for m in p.more):
            full = self.assistant.full_section(state["section"])
            if full is not None:
                return full
        if state.get("choices"):
            choices = state["choices"]
            chosen = p.choice.match(text)
            n = None
            if chosen:
                word = (chosen["w"] or chosen["t"] or "").lower()
                n = int(chosen["n"]) if chosen["n"] else (len(choices) + 1 if word == "last" else _CHOICE_WORDS[word])
            if p.none_of_these.match(text) or n == len(choices) + 1:
                state.update(choices=[], offer="queue")
                return self.assistant.none_of_these(self._where(turn))
            if n is not None and n <= len(choices):
                return self._answer_from(turn, choices[n - 1])
        if state.get("offer") == "queue" and any(m.search(text) for m in p.accept_handoff):
            question = state.get("question") or text
            return self._open_ticket(turn, question, _country_names(question), "other")
        if (state.get("intent") == "estimate" and len(text.split()) <= SHORT_FOLLOWUP_WORDS
                and not (decision.asked_about or decision.mentioned or decision.claims)):
            price = find_price(text)
            if price is not None:
                return self._estimate(turn, price, followup=True)
        if state.get("offer") == "dispute" and any(m.search(text) for m in p.dispute):
            return self._open_ticket(turn, f"{text}\n\n(About the eligibility shown to the employee.)",
                                     _country_names(text), "eligibility", category="data-error")
        return None

    def _answer_from(self, turn: _Turn, section_id: str) -> Reply:
        """The chosen 'did you mean' section, quoted for the question that was asked."""
        question = turn.state.get("question") or turn.text
        found = self.knowledge.matcher.match(question)
        passage = self.knowledge.matcher.passage(section_id, found.analyzed)
        section = self.knowledge.matcher.section(section_id)
        if passage is None or section is None:
            full = self.assistant.full_section(section_id)
            assert full is not None
            return full
        turn.state.update(section=section_id, choices=[], offer=None)
        parts = (self.t.text("faq.lead", label=section_label(section)), blockquote(passage.text),
                 self.t.text("faq.source", document=section.document, title=section.title, id=section.id),
                 self.t.text("faq.more", id=section.id))
        return Reply("faq", parts, (section_id,), 1.0)

    # -------------------------------------------------------------------- faq
    def _faq(self, turn: _Turn, decision: Decision) -> Reply:
        country, prepared = self._country(turn), turn.prepared
        found = (prepared.found if prepared is not None and prepared.found is not None
                 and prepared.decision.text == decision.text and prepared.decision.countries == decision.countries
                 and prepared.asker_country == country else None)
        reply = self.assistant.faq(decision, asker_country=country, found=found)
        turn.state.update(question=decision.text, choices=list(reply.choices),
                          section=reply.sections[0] if reply.sections and not reply.choices else None,
                          offer="queue" if reply.choices else None)
        if reply.choices or reply.intent != "faq":
            return reply
        return self._with_country(reply, turn.employee, decision)

    def _with_country(self, reply: Reply, employee: Employee | None, decision: Decision) -> Reply:
        """A Notice answer, plus what it means where the asker works (private) or where they asked about.

        The asker's own country and level come from their record and make the reply private; a
        country the question names (and no record) adds only what holds for everyone there.
        """
        if employee is not None:
            country = countries.resolve(employee.country)
        else:
            country = countries.get(decision.countries[0]) if len(decision.countries) == 1 else None
        if country is None:
            return reply
        top = reply.sections[0]
        extra: list[str] = []
        if top == "payment-method":
            extra = personal.payment_method_parts(self.t, country)
        elif top in PAYMENT_SCHEDULE_SECTIONS and employee is not None:
            extra = personal.schedule_rule_parts(self.t, employee, self._ruling(country.name))
        elif top in ELECTION_PROCEDURE_SECTIONS and country.two_step:
            lead = (self.t.text("two_step.yours", country=country.name) if employee is not None
                    else self.t.text("two_step.named", country=country.name))
            extra = [lead, *(blockquote(text) for _, text in self.t.quoted("two_step"))]
        if not extra:
            return reply
        parts = list(reply.parts)
        parts[-1:-1] = extra          # before the closing "reply more" line
        return replace(reply, parts=tuple(parts), privacy="private" if employee is not None else "public")

    def _ruling(self, country: str) -> str:
        return store.rulings(self.db, self.settings).get(country, "pending")

    # --------------------------------------------------------------- personal
    def _estimate(self, turn: _Turn, price: Decimal | None, *, followup: bool = False) -> Reply:
        employee = turn.employee
        previous = (turn.state.get("price"), turn.state.get("total")) if followup else (None, None)
        if employee is None:
            return self.assistant.estimate_without_records()
        turn.state.update(offer=None, choices=[])
        grants = store.grants_for(self.db, employee.employee_id)
        sections = tuple(self.t.raw["estimate"]["sections"])
        try:
            result = estimate(employee, grants, price if price is not None else TABLE_ONLY_PRICE,
                              figures.context(self.db, self.settings))   # cached there per data version
        except InvalidPrice as exc:
            return Reply("estimate", (self.t.text("estimate.price_error", error=str(exc)),), sections,
                         privacy="private")
        except NotEligible as exc:
            turn.state.update(offer="dispute")
            parts = ["\n".join([self.t.text("estimate.not_eligible"), *(f"- {r}" for r in exc.reasons)]),
                     self.t.text("eligibility_check.close")]
            return Reply("estimate", tuple(parts), sections, privacy="private")
        except CalcError as exc:
            return Reply("estimate", (self.t.text("estimate.calc_error", error=str(exc)),
                                      self.t.text("deadline.line", deadline=deadline_sentence(
                                          self.settings.election_deadline))), sections, privacy="private")
        if price is not None:
            turn.state.update(price=str(price), total=str(result.total_payment))
        if price is not None and previous[0] and previous[1]:
            # A follow-up at another price shows what changed, not the whole estimate again.
            return personal.estimate_change_reply(self.t, employee, result, Decimal(previous[0]),
                                                  Decimal(previous[1]))
        # The whole estimate goes with the chart of the Total Payment at every price (privately).
        return replace(personal.estimate_reply(self.t, employee, result, price_named=price is not None),
                       chart=employee.employee_id)

    def _whatif(self, turn: _Turn, decision: Decision) -> Reply:
        """An inverse question (handlers/whatif.py); no records or not eligible: the estimate's own answers."""
        if turn.employee is None:
            return self.assistant.estimate_without_records()
        if whatif.is_plain_estimate(decision.text, decision.price):
            return self._estimate(turn, decision.price)
        turn.state.update(offer=None, choices=[])
        try:
            return whatif.reply(self.t, self.db, self.settings, turn.employee, decision.text, decision.price)
        except NotEligible:
            return self._estimate(turn, None)
        except CalcError as exc:
            return Reply("estimate", (self.t.text("whatif.error", error=str(exc)),
                                      self.t.text("eligibility_check.close")),
                         tuple(self.t.raw["whatif"]["sections"]), privacy="private", sub_intent="whatif")

    def _eligibility_check(self, turn: _Turn) -> Reply:
        assert turn.employee is not None
        result = figures.eligibility_for(self.db, turn.employee.employee_id)
        turn.state.update(offer="dispute", choices=[])
        return personal.eligibility_reply(self.t, result)

    def _election_status(self, turn: _Turn) -> Reply:
        if turn.employee is None:
            return Reply("election", (self.t.text("election_status.unknown"),),
                         tuple(self.t.raw["election_status"]["sections"]))
        country = countries.resolve(turn.employee.country)
        status = election_status(store.elections_of(self.db, turn.employee.employee_id),
                                 two_step=bool(country and country.two_step),
                                 deadline=self.settings.election_deadline)
        return personal.status_reply(self.t, status, deadline_sentence(self.settings.election_deadline))

    # ------------------------------------------------------------------ queue
    def _where(self, turn: _Turn) -> str:
        return self.t.text(f"ticket.where_{turn.incoming.channel}")

    def _open_ticket(self, turn: _Turn, text: str, countries_named: Sequence[str], intent: str,
                     category: str | None = None) -> Reply:
        """A problem for a person at compchng: a new ticket, or the requester's open one about it."""
        try:
            ticket, created = self.queue.open_or_append(
                requester_employee_id=turn.employee.employee_id if turn.employee else None,
                requester_address=turn.incoming.address, channel=turn.incoming.channel,
                category=category or categorize(text, countries_named), text=text, now=turn.now)
        except QueueError as exc:
            return Reply(intent, (str(exc),), (), 0.0)
        turn.ticket = ticket.id
        turn.state.update(ticket=ticket.id, offer=None, choices=[])
        return self._ticket_reply(turn, ticket, created, intent)

    def _ticket_reply(self, turn: _Turn, ticket: Ticket, created: bool, intent: str) -> Reply:
        key = "ticket.opened" if created else "ticket.appended"
        parts = [self.t.text(key, ticket=ticket.id, where=self._where(turn)),
                 self.t.text("ticket.mention", ticket=ticket.id)]
        sections: tuple[str, ...] = ()
        if intent == "eligibility":
            parts += [self.t.text("ticket.rules"),
                      *(blockquote(text) for _, text in self.t.quoted("eligibility_general"))]
            sections = tuple(self.t.raw["eligibility_general"]["sections"])
        if turn.now < election_deadline_at(self.settings.election_deadline):
            parts.append(self.t.text("ticket.deadline", deadline=deadline_sentence(self.settings.election_deadline)))
        return Reply(intent, tuple(parts), sections, 1.0, ticket=ticket.id)

    def _add_to_own_ticket(self, turn: _Turn, reference: str) -> Reply | None:
        """A message naming one of the asker's own open tickets joins it; anyone else's is ignored."""
        own = self.queue.open_tickets_of(employee_id=turn.employee.employee_id if turn.employee else None,
                                         address=None if turn.employee else turn.incoming.address)
        ticket = next((t for t in own if t.id == reference), None)
        if ticket is None:
            return None
        self.queue.add_employee_message(ticket.id, turn.text, turn.now)
        turn.ticket = ticket.id
        return Reply("other", (self.t.text("ticket.added", ticket=ticket.id),), (), 1.0, ticket=ticket.id)

    def _staff_messages(self, turn: _Turn) -> list[Reply]:
        """Staff replies queued for this asker on the CLI, handed over with this turn (privately).

        The terminal has no worker of its own: its rows are claimed and completed inside the
        turn's transaction, so a turn that fails leaves them pending. Slack and email staff
        replies are delivered by those channels' workers, never here.
        """
        if turn.incoming.channel != "cli":
            return []
        employee_id = turn.employee.employee_id if turn.employee else None
        rows = self.outbox.claim("cli", turn.now, limit=20, employee_id=employee_id,
                                 recipient=None if employee_id else turn.incoming.address)
        lead = self.t.text("staff.lead")
        replies: list[Reply] = []
        for row in rows:
            replies.extend(render(row.kind, row.payload, lead))
            self.outbox.complete(row, turn.now, provider_ref=turn.incoming.message_id)
        return replies

    # ------------------------------------------------------------------ audit
    def _record(self, turn: _Turn, answer: Reply, replies: list[Reply]) -> None:
        incoming, employee_id = turn.incoming, turn.employee.employee_id if turn.employee else None
        address = storable(incoming.address)
        # One statement for the turn's records: the same chain as one record() per event.
        self.audit.record_many([
            AuditEvent(turn.now, "in", "message", incoming.channel, address, employee_id,
                       answer.intent, (), turn.ticket, storable(incoming.text)),
            *(AuditEvent(turn.now, "out", "reply", incoming.channel, address, employee_id, reply.intent,
                         reply.sections, reply.ticket or turn.ticket, reply.text) for reply in replies),
        ])
