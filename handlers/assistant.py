"""Answers from the Notice: quoted passages and the neutral, quoted replies.

The conversation core (handlers.core) decides what a message needs and calls
these: FAQ questions are answered by quoting the best passage of the Notice
with its section id; "should I?", "sign me up", greetings and estimates for
unknown askers get the replies of handlers/replies.toml, which quote the Notice
too. Nothing here knows who is asking beyond their country, or any channel.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import countries
from bot.formatting import deadline_sentence
from handlers.quotes import QuoteRef, quote
from handlers.reply import Reply
from handlers.router import Route
from knowledge.corpus import Corpus, Section, default_corpus
from knowledge.matcher import Match, Matcher
from knowledge.cache import cached

TEMPLATES_FILE = Path(__file__).with_name("replies.toml")
SCOPE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "scope.toml"

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


@lru_cache(maxsize=1)
@cached   # loaded from var/cache/ while no input changed (knowledge/cache.py)
def default_knowledge() -> Knowledge:
    """The shipped corpus, its index and the reply templates, built once per process."""
    corpus = default_corpus()
    guide_countries = {c.guide: c.name for c in countries.all_countries() if c.guide}
    with SCOPE_FILE.open("rb") as fh:
        scopes = {section: country for country, ids in tomllib.load(fh).items() for section in ids}
    matcher = Matcher(corpus, guide_countries=guide_countries, scopes=scopes)
    return Knowledge(corpus, matcher, load_templates(corpus))


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
    def match(self, decision: Route, *, asker_country: str | None = None) -> Match:
        return self.knowledge.matcher.match(decision.text, countries=decision.countries,
                                            asker_country=asker_country)

    def faq(self, decision: Route, *, asker_country: str | None = None) -> Reply:
        found = self.match(decision, asker_country=asker_country)
        if not decision.on_topic and found.confidence < OFF_TOPIC_THRESHOLD:
            return self.other(decision, off_topic=True)
        if found.best is None or found.passage is None or found.confidence < ANSWER_THRESHOLD:
            return self.not_sure(found)
        return self.quote_answer(found)

    def quote_answer(self, found: Match) -> Reply:
        t = self.knowledge.templates
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
        t = self.knowledge.templates
        choices = found.section_ids(3)
        lines = []
        for n, section_id in enumerate(choices, start=1):
            section = self.knowledge.matcher.section(section_id)
            lines.append(f"{n}. {section.title if section else section_id} [{section_id}]")
        parts = [t.text("not_sure.lead"), "\n".join(lines), t.text("not_sure.offer")]
        return Reply("faq", tuple(parts), tuple(choices), round(found.confidence, 3), choices=tuple(choices))

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
        return Reply("recommendation", tuple(parts), tuple(t.raw["recommendation"]["sections"]))

    def election(self, decision: Route, *, asker_country: str | None = None) -> Reply:
        t = self.knowledge.templates
        withdrawing = "withdraw" in decision.text.lower() or "opt me out" in decision.text.lower()
        key = "withdrawal" if withdrawing else "election"
        named = [countries.get(n) for n in decision.countries] or (
            [countries.get(asker_country)] if asker_country else [])
        two_step = [c.name for c in named if c.two_step]
        parts = [t.text(f"{key}.lead"), *self._quoted_parts(key)]
        if two_step:
            parts.append(t.text("two_step.yours", country=", ".join(two_step)))
        else:
            parts.append(t.text("two_step.list"))
        parts.append(t.text("two_step.rule"))
        parts.extend(self._quoted_parts("two_step"))
        parts.append(t.text("deadline.line", deadline=deadline_sentence(self.election_deadline)))
        return Reply("election", tuple(parts), tuple(t.raw[key]["sections"]))

    def estimate_without_records(self) -> Reply:
        t = self.knowledge.templates
        parts = [t.text("estimate_general.lead"), *self._quoted_parts("estimate_general"),
                 t.text("estimate_general.close")]
        return Reply("estimate", tuple(parts), tuple(t.raw["estimate_general"]["sections"]))

    def other(self, decision: Route, *, off_topic: bool = False) -> Reply:
        t = self.knowledge.templates
        text = decision.text.lower()
        if off_topic or decision.rule == "empty":
            key = "other.off_topic"
        elif any(w in text for w in ("thank", "thx", "cheers", "great", "perfect", "awesome", "got it", "helped")):
            key = "other.thanks"
        elif any(w in text for w in ("hi", "hello", "hey", "morning", "afternoon", "evening", "kia ora", "hiya", "howdy")) \
                and len(text.split()) <= 4:
            key = "other.greeting"
        elif "who are you" in text or "what are you" in text:
            key = "other.greeting"
        else:
            key = "other.frustration"
        return Reply("other", (t.text(key),), (), 1.0)
