"""Answers from the Notice: quoted passages and the neutral, quoted replies.

The conversation core (handlers.core) decides what a message needs and calls
these: FAQ questions are answered by quoting the best passage of the Notice
with its section id; "should I?", "sign me up", greetings and estimates for
unknown askers get the replies of handlers/replies.toml, which quote the Notice
too, and any reply gets the safety statements its message needs (with_safety).
Nothing here knows who is asking beyond their country and the channel's name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import countries
from bot.formatting import deadline_sentence
from handlers.quotes import QuoteRef, quote
from handlers import language
from handlers.classifier import load_examples, section_examples
from handlers.reply import Reply
from handlers.understanding import Decision, Understanding
from knowledge.corpus import Corpus, Section, default_corpus
from knowledge.matcher import Match, Matcher
from knowledge.cache import cached

TEMPLATES_FILE = Path(__file__).with_name("replies.toml")
SCOPE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "scope.toml"
COUNTRY_SECTIONS_FILE = SCOPE_FILE.with_name("country_sections.toml")

# At or above: answer with the passage. Below: say so, offer three sections and compchng.
ANSWER_THRESHOLD = 0.35
# A message without the program's vocabulary is off-topic unless it matches at least this well.
OFF_TOPIC_THRESHOLD = 0.55


@dataclass(frozen=True)
class Templates:
    raw: dict[str, Any]
    quotes: dict[str, str]          # "<template>.<key>.<n>" -> verbatim text

    def text(self, key: str, **values: str) -> str:
        node: Any = self.raw
        for part in key.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def quoted(self, template: str, key: str = "quotes") -> list[tuple[str, str]]:
        """(section id, verbatim text) for each quote the template lists under key."""
        refs = self.raw[template].get(key, [])
        return [(ref["section"], self.quotes[f"{template}.{key}.{i}"]) for i, ref in enumerate(refs)]


def load_templates(corpus: Corpus, path: Path = TEMPLATES_FILE) -> Templates:
    """Read replies.toml and resolve every quote now, so a bad marker fails at start-up."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    quotes: dict[str, str] = {}
    for name, node in raw.items():
        if not isinstance(node, dict):
            continue
        for key, refs in node.items():
            if key.startswith("quotes"):
                for i, ref in enumerate(refs):
                    quotes[f"{name}.{key}.{i}"] = quote(
                        corpus, QuoteRef(ref["section"], ref["find"], ref.get("sentences", 1)))
    return Templates(raw, quotes)


@dataclass(frozen=True)
class Knowledge:
    corpus: Corpus
    matcher: Matcher
    templates: Templates
    understanding: Understanding    # the intent classifier trained on handlers/examples/, and the safety cues


@lru_cache(maxsize=1)
@cached   # loaded from var/cache/ while no input changed (knowledge/cache.py)
def default_knowledge() -> Knowledge:
    """The shipped corpus, its index, the reply templates and the trained classifier, built once per process."""
    corpus = default_corpus()
    guide_countries = {c.guide: c.name for c in countries.all_countries() if c.guide}
    with SCOPE_FILE.open("rb") as fh:
        scopes = {section: country for country, ids in tomllib.load(fh).items() for section in ids}
    with COUNTRY_SECTIONS_FILE.open("rb") as fh:
        # By payment group: which countries are in a group is countries.json's to say, once.
        groups = tomllib.load(fh)
    unknown = [group for group in groups if not countries.by_group(group)]
    if unknown:
        raise ValueError(f"{COUNTRY_SECTIONS_FILE.name}: no country has payment group {', '.join(unknown)}")
    country_sections = {c.name: ids for group, ids in groups.items() for c in countries.by_group(group)}
    examples = load_examples()
    matcher = Matcher(corpus, guide_countries=guide_countries, scopes=scopes, country_sections=country_sections,
                      examples=section_examples(examples))
    return Knowledge(corpus, matcher, load_templates(corpus), Understanding.build(examples))


def section_label(section: Section) -> str:
    """How a reply names its source in a few words: "Q21 of the Notice", "Section 7 of the Notice"."""
    if re.fullmatch(r"q\d+", section.id):
        return f"Q{section.id[1:]} of the Notice"
    if re.fullmatch(r"s\d+", section.id):
        return f"Section {section.id[1:]} of the Notice's Terms and Conditions"
    if section.id.startswith("term:"):
        return f"the definition of \"{section.title}\""
    if section.id == "cover":
        return "the Notice's cover pages"
    return section.title


def blockquote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


class Assistant:
    """The knowledge-only answers; the core adds identity, records, the queue and state."""

    def __init__(self, knowledge: Knowledge, *, election_deadline: date = date(2003, 11, 12)) -> None:
        self.knowledge = knowledge
        self.election_deadline = election_deadline

    # --------------------------------------------------------------- matching
    def match(self, decision: Decision, *, asker_country: str | None = None) -> Match:
        return self.knowledge.matcher.match(decision.text, countries=decision.countries,
                                            asker_country=asker_country)

    def faq(self, decision: Decision, *, asker_country: str | None = None, found: Match | None = None) -> Reply:
        """found: this decision's match, when the caller computed it already (the core, before its write lock)."""
        if found is None:
            found = self.match(decision, asker_country=asker_country)
        if not decision.on_topic and found.confidence < OFF_TOPIC_THRESHOLD:
            return self.other("off_topic")
        if found.best is None or found.passage is None or found.confidence < ANSWER_THRESHOLD:
            return self.not_sure(found)
        return self.quote_answer(found)

    def quote_answer(self, found: Match) -> Reply:
        t = self.knowledge.templates
        assert found.passage is not None
        section = self.knowledge.matcher.section(found.passage.section_id)
        assert section is not None
        parts = [
            t.text("faq.lead", label=section_label(section)),
            blockquote(found.passage.text),
            t.text("faq.source", document=section.document, title=section.title, id=section.id),
            t.text("faq.more", id=section.id),
        ]
        return Reply("faq", tuple(parts), tuple(found.section_ids(3)), round(found.confidence, 3))

    def not_sure(self, found: Match) -> Reply:
        """"Did you mean": three titled sections and "none of these", which offers the compchng queue."""
        t = self.knowledge.templates
        choices = found.section_ids(3)
        lines = []
        for n, section_id in enumerate(choices, start=1):
            section = self.knowledge.matcher.section(section_id)
            lines.append(f"{n}. {section.title if section else section_id} [{section_id}]")
        none = str(len(choices) + 1)
        lines.append(f"{none}. {t.text('not_sure.none')}")
        parts = [t.text("not_sure.lead"), "\n".join(lines), t.text("not_sure.offer", none=none)]
        return Reply("faq", tuple(parts), tuple(choices), round(found.confidence, 3), choices=tuple(choices))

    def none_of_these(self, where: str) -> Reply:
        return Reply("other", (self.knowledge.templates.text("not_sure.declined", where=where),), (), 1.0)

    def full_section(self, section_id: str) -> Reply | None:
        section = self.knowledge.matcher.section(section_id)
        if section is None:
            return None
        parts = [f"{section.title} [{section.id}]", *(blockquote(p) for p in section.paragraphs)]
        return Reply("faq", tuple(parts), (section.id,))

    # ---------------------------------------------------------- neutral replies
    def _quoted_parts(self, template: str, key: str = "quotes") -> list[str]:
        return [blockquote(text) for _, text in self.knowledge.templates.quoted(template, key)]

    def recommendation(self) -> Reply:
        t = self.knowledge.templates
        parts = [t.text("recommendation.lead"), *self._quoted_parts("recommendation"),
                 t.text("recommendation.close")]
        return Reply("recommendation", tuple(parts), tuple(t.raw["recommendation"]["sections"]),
                     sub_intent="advice", safety=("advice",))

    def election(self, decision: Decision, *, asker_country: str | None = None) -> Reply:
        """How to elect, withdraw or change, after the statement that this message is none of those."""
        t = self.knowledge.templates
        key = {"withdraw": "withdrawal", "change": "change"}.get(decision.sub_intent, "election")
        named = [countries.get(n) for n in decision.countries] or (
            [countries.get(asker_country)] if asker_country else [])
        two_step = [c.name for c in named if c.two_step]
        parts = [self.election_statement(), t.text(f"{key}.lead"), *self._quoted_parts(key)]
        if two_step:                   # the statement lists the countries; the asker's own is said outright
            parts.append(t.text("two_step.yours", country=", ".join(two_step)))
        parts.append(t.text("two_step.rule"))
        parts.extend(self._quoted_parts("two_step"))
        parts.append(t.text("deadline.line", deadline=deadline_sentence(self.election_deadline)))
        return Reply("election", tuple(parts), tuple(t.raw[key]["sections"]),
                     sub_intent=decision.sub_intent, safety=("election",))

    def estimate_without_records(self) -> Reply:
        t = self.knowledge.templates
        parts = [t.text("estimate_general.lead"), *self._quoted_parts("estimate_general"),
                 t.text("estimate_general.close")]
        return Reply("estimate", tuple(parts), tuple(t.raw["estimate_general"]["sections"]))

    def other(self, sub_intent: str) -> Reply:
        """Greetings, thanks, frustration, off-topic and empty messages: one line each."""
        key = sub_intent if sub_intent in ("greeting", "thanks", "frustration", "off_topic", "empty") else "off_topic"
        return Reply("other", (self.knowledge.templates.text(f"other.{key}"),), (), 1.0, sub_intent=key)

    def help(self, channel: str) -> Reply:
        """What the assistant does on this channel, including how to get one's own figures here."""
        t = self.knowledge.templates
        items = "\n".join(f"- {item}" for item in t.raw["help"]["items"])
        parts = (t.text("help.lead"), items, t.text(f"help.personal_{channel}"), t.text("help.limits"))
        return Reply("other", parts, (), 1.0, sub_intent="help")

    def identity(self, key: str, channel: str) -> Reply:
        """A claim to be someone: "self", "other" (someone else) or "unknown" (no records for this account)."""
        t = self.knowledge.templates
        text = t.text(f"identity.{key}", source=t.text(f"identity.source_{channel}"))
        return Reply("other", (text,), (), 1.0, sub_intent="identity")

    def other_language(self, decision: Decision) -> Reply:
        text = self.knowledge.templates.text("language.text", language=language.name(decision.language))
        return Reply("other", (text,), (), 1.0, sub_intent="language")

    # ------------------------------------------------------------------ safety
    def _two_step_countries(self) -> str:
        names = [c.name for c in countries.two_step_countries()]
        return ", ".join(names[:-1]) + " or " + names[-1]

    def election_statement(self) -> str:
        """A message is not an election or a withdrawal, and how to make one: in plain words."""
        return self.knowledge.templates.text("safety.election", two_step=self._two_step_countries(),
                                             deadline=deadline_sentence(self.election_deadline))

    def advice_parts(self) -> list[str]:
        """The Notice's no-recommendation answer (Q24) and the advisers under Resources."""
        t = self.knowledge.templates
        return [t.text("recommendation.lead"), *self._quoted_parts("safety", "quotes_advice")]

    def with_safety(self, reply: Reply, decision: Decision) -> Reply:
        """The reply with the statements its message needs in front (the election one first), whatever it answers."""
        parts = list(reply.parts)
        safety = list(reply.safety)
        at = 1 if "election" in safety else 0        # an election reply opens with the election statement
        if decision.may_ask_advice and "advice" not in safety:
            parts[at:at] = self.advice_parts()
            safety.append("advice")
        if decision.may_elect and "election" not in safety:
            parts.insert(0, self.election_statement())
            safety.insert(0, "election")
        if parts == list(reply.parts):
            return reply
        return replace(reply, parts=tuple(parts), safety=tuple(safety))
