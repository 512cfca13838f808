"""What one message wants, decided once: the intent, the sub-intent and the safety statements it needs.

The intent and sub-intent come from the classifier learned from example messages
(handlers/classifier.py). Beside it, independently of what it picked, two checks decide
which safety statements the reply must carry: whether the message may be an attempt to
elect, withdraw or change an election, and whether it may ask for advice
(handlers/safety.toml). A few high-precision rules (handlers/rules.toml) add what a model
should not guess: an explicit request for a person, employee ids, email addresses and
names of other people, and claims to be someone. The conversation core dispatches on the
Decision; nothing downstream parses the message again.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal, Sequence, cast

from bot import countries
from handlers import language
from handlers.classifier import Example, IntentClassifier, Prediction, load_examples
from handlers.cleaning import clean_message
from handlers.prices import find_price
from knowledge.text import analyze

Intent = Literal["faq", "estimate", "eligibility", "recommendation", "election", "other"]

RULES_FILE = Path(__file__).with_name("rules.toml")
SAFETY_FILE = Path(__file__).with_name("safety.toml")
# Below this probability the classifier's pick is not trusted for a personal or "other"
# intent, and the message is matched against the Notice instead (which says when unsure).
MIN_PROBABILITY = 0.30
# An eligibility problem opens a ticket that a person must work: it needs a surer pick ("lol").
MIN_TICKET_PROBABILITY = 0.45
# A message without the program's words still counts as on-topic when the classifier gives
# "off-topic" less than this: "how do I actually do this thing?" is about the Program.
OFF_TOPIC_PROBABILITY = 0.15
# Sub-intents that never fall back: a missed election or advice request costs more than a quote.
_NEVER_FALL_BACK = ("election/", "recommendation/")


@dataclass(frozen=True, slots=True)
class Decision:
    intent: Intent
    sub_intent: str                # participate/withdraw/change/status, greeting/thanks/help/..., general...
    text: str                      # the cleaned message the decision was made on
    rule: str                      # what decided, for the audit trail and debugging
    confidence: float              # the classifier's probability of its pick (1.0 for a rule)
    price: Decimal | None          # an assumed Average Closing Price named in the message
    countries: tuple[str, ...]     # countries the message names, first mention first
    handoff: bool                  # the asker explicitly asks for a person
    on_topic: bool                 # uses the program's vocabulary; if not, a weak FAQ match means "other"
    language: str = language.ENGLISH
    may_elect: bool = False        # may be an attempt to elect, withdraw or change: gets the election statement
    may_ask_advice: bool = False   # may ask for advice: gets the no-recommendation statement
    asked_about: tuple[str, ...] = ()  # people the message asks about by name or relation ("Diego's payout")
    mentioned: tuple[str, ...] = ()    # employee ids and email addresses it names, other than in a claim
    claims: tuple[str, ...] = ()       # whom the asker claims to be ("I am E000123")

    @property
    def label(self) -> str:
        return f"{self.intent}/{self.sub_intent}"


@dataclass(frozen=True)
class _Rules:
    handoff: tuple[re.Pattern[str], ...]
    employee_id: re.Pattern[str]
    email: re.Pattern[str]
    third_party: tuple[re.Pattern[str], ...]
    claims: tuple[re.Pattern[str], ...]
    not_people: frozenset[str]
    domain_tokens: frozenset[str]


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=1)
def rules() -> _Rules:
    with RULES_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    people = raw["people"]
    return _Rules(
        handoff=_compile(raw["handoff"]["patterns"]),
        employee_id=re.compile(people["employee_id"]),
        email=re.compile(people["email"], re.IGNORECASE),
        third_party=_compile(people["third_party"]),
        claims=_compile(people["claims"]),
        not_people=frozenset(people["not_people"]),
        domain_tokens=frozenset(t for word in raw["topic"]["domain_words"] for t in analyze(word).tokens),
    )


@dataclass(frozen=True)
class SafetyCues:
    """When a message gets the election or the advice statement (handlers/safety.toml)."""

    election_probability: float
    advice_probability: float
    election: re.Pattern[str]
    advice: re.Pattern[str]
    foreign_advice: re.Pattern[str]
    # The same words whole, for a message too short for the language detector ("conviene partecipare?").
    foreign_advice_words: re.Pattern[str]

    @classmethod
    def load(cls, path: Path = SAFETY_FILE) -> "SafetyCues":
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        return cls(float(raw["election_probability"]), float(raw["advice_probability"]),
                   _phrases(raw["election"]["phrases"]), _phrases(raw["advice"]["phrases"]),
                   _phrases(raw["languages"]["advice"], words=False), _phrases(raw["languages"]["advice"]))


def _phrases(phrases: list[str], *, words: bool = True) -> re.Pattern[str]:
    """One pattern for a list of phrases: whole words (or, for scripts without spaces, anywhere)."""
    alternatives = "|".join(re.escape(_normalize(p)) for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)" if words else f"(?:{alternatives})")


def _normalize(text: str) -> str:
    """Lowercase, straight apostrophes, single spaces: how phrases and messages meet."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'").lower()
    return " ".join(text.split())


def is_on_topic(text: str) -> bool:
    """Whether the message uses any of the program's vocabulary at all."""
    return any(t in rules().domain_tokens for t in analyze(text).tokens)


def _names(rule_set: _Rules, patterns: tuple[re.Pattern[str], ...], text: str) -> list[str]:
    found = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            who = (m.groupdict().get("who") or "").strip()
            first = who.split()[0] if who else ""
            if not who or first in rule_set.not_people or who in rule_set.not_people:
                continue
            if countries.resolve(who) is not None or countries.mentioned(who):
                continue
            found.append(who)
    return found


def people_named(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(people asked about, ids and emails mentioned outside a claim, identities claimed), in order."""
    r = rules()
    claims = tuple(dict.fromkeys(_names(r, r.claims, text)))
    claimed = {c.lower() for c in claims}
    asked = tuple(dict.fromkeys(p for p in _names(r, r.third_party, text) if p.lower() not in claimed))
    found = [m.group(0) for m in r.employee_id.finditer(text)] + [m.group(0) for m in r.email.finditer(text)]
    found = [p for p in found if p.lower() not in claimed and p not in asked]
    if claims:
        # "I am Diego Ruiz, E2": an id beside a claim is part of it.
        return asked, (), tuple(dict.fromkeys((*claims, *found)))
    return asked, tuple(dict.fromkeys(found)), claims


class Understanding:
    """The trained classifier and the safety cues. Picklable, so a cache of the built knowledge can keep it."""

    def __init__(self, classifier: IntentClassifier, cues: SafetyCues) -> None:
        self.classifier = classifier
        self.cues = cues

    @classmethod
    def build(cls, examples: Sequence[Example] | None = None) -> "Understanding":
        """Train on the shipped examples (or those given) and load the safety cues."""
        return cls(IntentClassifier.train(load_examples() if examples is None else examples), SafetyCues.load())

    def decide(self, message: str) -> Decision:
        """The one decision the core dispatches on, for a chat message or an email body."""
        text = clean_message(message)
        asked_about, mentioned, claims = people_named(text)
        base = Decision("other", "empty", text, rule="empty", confidence=1.0, price=find_price(text),
                        countries=tuple(c.name for c in countries.mentioned(text)),
                        handoff=any(p.search(text) for p in rules().handoff), on_topic=is_on_topic(text),
                        asked_about=asked_about, mentioned=mentioned, claims=claims)
        if not text:
            return base
        lang = language.detect(text)
        normalized = _normalize(text)
        if lang != language.ENGLISH:
            # The model reads English only: whatever this says, it may be an election or ask for advice
            # (the advice words of each language miss too many ways of asking "would it be better to").
            return replace(base, sub_intent="language", rule=f"language: {lang}", language=lang, may_elect=True,
                           may_ask_advice=True)
        prediction = self.classifier.predict(text)
        intent, sub, rule = prediction.intent, prediction.sub_intent, "classifier"
        on_topic = base.on_topic or prediction.probabilities.get("other/off_topic", 0.0) < OFF_TOPIC_PROBABILITY
        floor = MIN_TICKET_PROBABILITY if intent == "eligibility" else MIN_PROBABILITY
        if prediction.probability < floor and intent != "faq" and not prediction.label.startswith(_NEVER_FALL_BACK):
            intent, sub, rule = "faq", "general", f"classifier unsure ({prediction.label})"
        elif prediction.label == "other/off_topic" and on_topic:
            # The program's own words: let the matcher decide, it declines off-topic questions itself.
            intent, sub, rule = "faq", "general", "off-topic label, on-topic words"
        return replace(base, intent=cast(Intent, intent), sub_intent=sub, rule=rule,
                       confidence=round(prediction.probability, 4), on_topic=on_topic,
                       may_elect=self._may_elect(prediction, normalized),
                       may_ask_advice=self._may_ask_advice(prediction, normalized))

    def _may_elect(self, prediction: Prediction, normalized: str) -> bool:
        return (prediction.intent == "election" or prediction.of_intent("election") >= self.cues.election_probability
                or bool(self.cues.election.search(normalized)))

    def _may_ask_advice(self, prediction: Prediction, normalized: str) -> bool:
        return (prediction.intent == "recommendation"
                or prediction.of_intent("recommendation") >= self.cues.advice_probability
                or bool(self.cues.advice.search(normalized))
                or bool(self.cues.foreign_advice_words.search(normalized)))
