"""Find the sections of the Notice that answer a question, and the words to quote.

Three signals, all over analyzed text (knowledge.text):
- phrasing: rapidfuzz similarity to the section's title and curated employee
  phrasings, the best one per section (never the mean);
- keywords: how much of the question's IDF-weighted content the section's
  title, keywords and phrasings cover;
- body: the same coverage measured on the section's own paragraphs.
Country guides compete only when the question names their country or the asker
works there; the legal exhibits (rank "last") are indexed but rank last.
The quote is the best paragraph's best sentences, verbatim.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from rapidfuzz import fuzz, process

from knowledge.corpus import Corpus, Section
from knowledge.sentences import split_sentences
from knowledge.text import Analyzed, analyze


@dataclass(frozen=True, slots=True)
class Weights:
    """Field weights and guards; kept together so the benchmark can report them."""

    phrasing: float = 0.50
    keywords: float = 0.30
    body: float = 0.20
    country_boost: float = 0.12       # a guide of a country the question names
    asker_country_boost: float = 0.06  # a guide of the asker's own country
    absent_guide_factor: float = 0.25  # a guide whose country nobody mentioned
    rank_last_factor: float = 0.55     # legal exhibits
    term_boost: float = 0.10           # "what is a <defined term>?"
    short_query_tokens: int = 3        # below this, token_set scores are not trusted


@dataclass(frozen=True, slots=True)
class Scored:
    section_id: str
    score: float
    phrasing: float
    keywords: float
    body: float


@dataclass(frozen=True, slots=True)
class Passage:
    section_id: str
    paragraph: int
    text: str


@dataclass(frozen=True, slots=True)
class Match:
    ranked: tuple[Scored, ...]
    confidence: float
    passage: Passage | None
    analyzed: Analyzed = field(repr=False)

    @property
    def best(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None

    def section_ids(self, n: int = 3) -> list[str]:
        return [s.section_id for s in self.ranked[:n]]


_DEFINITION_CUE = re.compile(
    r"\b(what(?:'s| is| are| does)|define|definition|meaning of|means?|stands? for|what counts as)\b", re.I)


@dataclass(slots=True)
class _Entry:
    section: Section
    meta: frozenset[str]     # tokens of the title, keywords and curated phrasings
    body: frozenset[str]     # tokens of the section's own paragraphs
    paragraphs: list[tuple[str, frozenset[str]]]
    guide_country: str | None
    term: tuple[str, ...] | None


class Matcher:
    """An index over a corpus; build once at start-up, then match() is cheap."""

    def __init__(self, corpus: Corpus, *, guide_countries: dict[str, str] | None = None,
                 weights: Weights = Weights()) -> None:
        self.weights = weights
        self._entries: list[_Entry] = []
        self._index_of: dict[str, int] = {}
        self._phrasing_texts: list[str] = []
        self._phrasing_owner: list[int] = []
        guide_countries = guide_countries or {}
        for index, section in enumerate(corpus.values()):
            meta = {t for text in (section.title, *section.keywords, *section.questions)
                    for t in analyze(text).content}
            paragraphs = [(p, frozenset(analyze(p).content)) for p in section.paragraphs]
            body = frozenset().union(*(tokens for _, tokens in paragraphs))
            term = analyze(section.title).content if section.id.startswith("term:") else None
            self._index_of[section.id] = index
            self._entries.append(_Entry(section, frozenset(meta), body, paragraphs,
                                        guide_countries.get(section.id), term))
            for phrasing in (section.title, *section.questions):
                text = analyze(phrasing).text
                if text:
                    self._phrasing_texts.append(text)
                    self._phrasing_owner.append(index)
        n = len(self._entries)
        self._meta_idf = _idf((e.meta for e in self._entries), n)
        self._body_idf = _idf((e.body for e in self._entries), n)
        self._default_idf = math.log(1 + n)

    # ----------------------------------------------------------------- scoring
    def _coverage(self, tokens: Sequence[str], bag: frozenset[str], idf: dict[str, float]) -> float:
        total = sum(idf.get(t, self._default_idf) for t in tokens)
        if not total:
            return 0.0
        return sum(idf.get(t, self._default_idf) for t in tokens if t in bag) / total

    def _phrasing_scores(self, query: Analyzed) -> list[float]:
        best = [0.0] * len(self._entries)
        if not query.text:
            return best
        short = len(query.content) < self.weights.short_query_tokens
        sort_scores = process.cdist([query.text], self._phrasing_texts, scorer=fuzz.token_sort_ratio)[0]
        if short:
            combined = sort_scores
        else:
            set_scores = process.cdist([query.text], self._phrasing_texts, scorer=fuzz.token_set_ratio)[0]
            combined = (sort_scores + set_scores) / 2
        for owner, score in zip(self._phrasing_owner, combined):
            if score > best[owner]:
                best[owner] = float(score)
        return [s / 100.0 for s in best]

    def match(self, text: str, *, countries: Iterable[str] = (), asker_country: str | None = None,
              limit: int = 5) -> Match:
        query = analyze(text)
        named = set(countries)
        tokens = list(dict.fromkeys(query.content))
        phrasing = self._phrasing_scores(query)
        defining = bool(_DEFINITION_CUE.search(text))
        w = self.weights
        scored: list[Scored] = []
        for i, entry in enumerate(self._entries):
            kw = self._coverage(tokens, entry.meta, self._meta_idf)
            body = self._coverage(tokens, entry.body, self._body_idf)
            score = w.phrasing * phrasing[i] + w.keywords * kw + w.body * body
            if entry.guide_country is not None:
                if entry.guide_country in named:
                    score += w.country_boost
                elif entry.guide_country == asker_country:
                    score += w.asker_country_boost
                else:
                    score *= w.absent_guide_factor
            if entry.term and defining and _contains(query.content, entry.term):
                score += w.term_boost
            if entry.section.rank == "last":
                score *= w.rank_last_factor
            scored.append(Scored(entry.section.id, score, phrasing[i], kw, body))
        scored.sort(key=lambda s: s.score, reverse=True)
        ranked = tuple(scored[:limit])
        passage = self.passage(ranked[0].section_id, query) if ranked and tokens else None
        return Match(ranked, _confidence(ranked), passage, query)

    # ----------------------------------------------------------------- quoting
    def passage(self, section_id: str, query: Analyzed, max_chars: int = 480) -> Passage | None:
        """The paragraph of the section that best answers, cut to its best sentences."""
        index = self._index_of.get(section_id)
        entry = self._entries[index] if index is not None else None
        if entry is None or not entry.paragraphs:
            return None
        tokens = set(query.content)
        best_index, best_score = 0, -1.0
        for index, (_, para_tokens) in enumerate(entry.paragraphs):
            overlap = sum(self._body_idf.get(t, self._default_idf) for t in tokens & para_tokens)
            score = overlap - 0.01 * index  # ties go to the earlier paragraph: answers come first
            if score > best_score:
                best_index, best_score = index, score
        paragraph = entry.paragraphs[best_index][0]
        return Passage(section_id, best_index, _best_sentences(paragraph, tokens, self._body_idf,
                                                                self._default_idf, max_chars))

    def section(self, section_id: str) -> Section | None:
        index = self._index_of.get(section_id)
        return self._entries[index].section if index is not None else None


def _idf(bags: Iterable[frozenset[str]], n: int) -> dict[str, float]:
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    if not needle:
        return False
    n = len(needle)
    return any(tuple(haystack[i:i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def _confidence(ranked: Sequence[Scored]) -> float:
    """0..1 from the top score and its lead over the runner-up."""
    if not ranked:
        return 0.0
    top = ranked[0].score
    second = ranked[1].score if len(ranked) > 1 else 0.0
    margin = max(0.0, top - second)
    raw = 1.6 * top + 1.5 * margin - 0.35
    return max(0.0, min(1.0, raw))


def _best_sentences(paragraph: str, tokens: set[str], idf: dict[str, float], default_idf: float,
                    max_chars: int) -> str:
    sentences = split_sentences(paragraph)
    if len(paragraph) <= max_chars or len(sentences) <= 1:
        return paragraph
    weights = []
    for sentence in sentences:
        words = set(analyze(sentence).content)
        weights.append(sum(idf.get(t, default_idf) for t in tokens & words))
    best = max(range(len(sentences)), key=lambda i: (weights[i], -i))
    chosen = {best}
    length = len(sentences[best])
    # Grow around the best sentence while it fits, preferring the stronger neighbour.
    left, right = best - 1, best + 1
    while True:
        options = [i for i in (left, right) if 0 <= i < len(sentences)]
        if not options:
            break
        pick = max(options, key=lambda i: (weights[i], -abs(i - best)))
        if length + 1 + len(sentences[pick]) > max_chars:
            break
        chosen.add(pick)
        length += 1 + len(sentences[pick])
        left, right = min(chosen) - 1, max(chosen) + 1
    return " ".join(sentences[i] for i in sorted(chosen))
