"""Find the sections of the Notice that answer a question, and the words to quote.

Three signals, all over analyzed text (knowledge.text):
- phrasing: rapidfuzz similarity to the section's title and curated employee
  phrasings, the best one per section (never the mean);
- keywords: how much of the question's IDF-weighted content the section's
  title, keywords and phrasings cover;
- body: the same coverage measured on the section's own paragraphs.
Place names are taken out of both sides before comparing, so a city with a rare
name cannot outweigh what is asked; the country then picks among the guides:
a guide competes only when the question names its country or the asker works
there. The legal exhibits (rank "last") are indexed but rank last.
The quote is the best paragraph's best sentences, verbatim.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from rapidfuzz import fuzz, process


from bot.countries import without_mentions
from knowledge.corpus import Corpus, Section
from knowledge.learned import LinearTextModel, text_features
from knowledge.sentences import split_sentences
from knowledge.text import Analyzed, analyze


@dataclass(frozen=True, slots=True)
class Weights:
    """Field weights and guards; kept together so the benchmark can report them."""

    phrasing: float = 0.50
    keywords: float = 0.30
    body: float = 0.20
    learned: float = 0.50              # a linear model's probability that the section answers (knowledge.learned)
    learned_temperature: float = 6.0   # turns its decision values into a peaked distribution
    country_boost: float = 0.10        # a guide of a country the question names
    asker_country_boost: float = 0.06  # a guide of the asker's own country: the question may not name it
    absent_guide_factor: float = 0.25  # a guide whose country nobody mentioned
    country_section_boost: float = 0.30  # a section answering for a country without a guide, that country named
    rank_last_factor: float = 0.55     # legal exhibits
    other_country_factor: float = 0.60  # a section scoped to one country, asked about another
    term_boost: float = 0.10           # "what is a <defined term>?"
    term_factor: float = 0.80          # a defined term's section when no definition is asked for
    short_query_tokens: int = 3        # below this, token_set scores are not trusted
    candidates: int = 15               # sections re-scored with the slower token_set_ratio
    country_information: float = 5.0   # what naming a country says, when its guide is the answer


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
    paragraph: int                  # the first paragraph quoted
    text: str                       # the quote; paragraphs separated by a blank line
    paragraphs: tuple[int, ...] = ()  # every paragraph quoted, when a passage hint chose them


@dataclass(frozen=True, slots=True)
class PassageHint:
    """Which paragraphs answer a kind of question (knowledge/passages.toml)."""

    section: str                    # a section id, or "guide:*" for every country guide
    topic: str
    cues: tuple[str, ...]
    quote: tuple[str, ...]          # a phrase of each paragraph to quote, in order


PASSAGES_FILE = Path(__file__).with_name("passages.toml")
MAX_HINT_PARAGRAPHS = 3


def load_passage_hints(path: Path = PASSAGES_FILE) -> tuple[PassageHint, ...]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    hints = []
    for n, item in enumerate(raw.get("hint", []), start=1):
        try:
            hint = PassageHint(item["section"], item["topic"], tuple(item["cues"]), tuple(item["quote"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: hint {n} needs section, topic, cues and quote: {exc}") from exc
        if not hint.cues or not 1 <= len(hint.quote) <= MAX_HINT_PARAGRAPHS:
            raise ValueError(f"{path}: hint {n} ({hint.topic}): cues, and 1 to {MAX_HINT_PARAGRAPHS} quotes")
        hints.append(hint)
    return tuple(hints)


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


BOILERPLATE_SECTIONS = 4   # a paragraph in this many sections or more is boilerplate

_DEFINITION_CUE = re.compile(
    r"\b(what(?:'s| is| are| does)|define|definition|meaning of|means?|stands? for|what counts as)\b", re.I)


@dataclass(slots=True)
class _Entry:
    section: Section
    paragraphs: list[tuple[str, frozenset[str]]]
    boilerplate: list[bool]   # the paragraph recurs (places aside) in several sections: not an answer
    guide_country: str | None
    term: str | None          # a defined term's name, for "what is <term>?"
    # Per paragraph, its sentences and their topic words, split once at build time (a quote is
    # cut from them); None for a paragraph short enough to be quoted whole.
    sentences: list["_Split | None"] = field(default_factory=list)


class Matcher:
    """An index over a corpus; build once at start-up, then match() is cheap."""

    def __init__(self, corpus: Corpus, *, guide_countries: dict[str, str] | None = None,
                 scopes: dict[str, str] | None = None,
                 country_sections: Mapping[str, Sequence[str]] | None = None, weights: Weights = Weights(),
                 hints: Sequence[PassageHint] | None = None,
                 examples: Mapping[str, Sequence[str]] | None = None) -> None:
        """guide_countries: guide id -> country; scopes: section id -> the one country it is written for;
        country_sections: country -> the sections that answer for it when it has no guide;
        hints: which paragraphs answer which kinds of question (default: knowledge/passages.toml);
        examples: more questions each section answers, to train the learned signal on (section id -> texts)."""
        self.weights = weights
        self._scopes = scopes or {}
        self._country_sections = {country: list(ids) for country, ids in (country_sections or {}).items()}
        self._entries: list[_Entry] = []
        self._index_of: dict[str, int] = {}
        self._postings: dict[str, list[tuple[int, int]]] = {}   # token -> (section, paragraph)
        self._meta_postings: dict[str, list[int]] = {}           # token -> sections
        self._phrasing_texts: list[str] = []
        self._phrasing_owner: list[int] = []
        self._phrasings_of: list[list[int]] = []
        guide_countries = guide_countries or {}
        for index, section in enumerate(corpus.values()):
            meta = {t for text in (section.title, *section.keywords, *section.questions)
                    for t in _topic(text).content}
            paragraphs = [(p, frozenset(_topic(p).content)) for p in section.paragraphs]
            for number, (_, tokens) in enumerate(paragraphs):
                for token in tokens:
                    self._postings.setdefault(token, []).append((index, number))
            for token in meta:
                self._meta_postings.setdefault(token, []).append(index)
            term = section.title if section.id.startswith("term:") else None
            self._index_of[section.id] = index
            self._entries.append(_Entry(section, paragraphs, [], guide_countries.get(section.id), term,
                                        [_split(p) for p in section.paragraphs]))
            own: list[int] = []
            for phrasing in dict.fromkeys(_topic(p).text for p in (section.title, *section.questions)):
                if phrasing:
                    own.append(len(self._phrasing_texts))
                    self._phrasing_texts.append(phrasing)
                    self._phrasing_owner.append(index)
            self._phrasings_of.append(own)
        self._owner_array = np.array(self._phrasing_owner, dtype=np.intp)
        # Phrasings are numbered section by section, so each section's are one run: its best is a
        # reduceat over the runs' starts (sections without a phrasing are left at 0).
        self._phrased = np.array([i for i, own in enumerate(self._phrasings_of) if own], dtype=np.intp)
        self._phrasing_starts = np.array([own[0] for own in self._phrasings_of if own], dtype=np.intp)
        # token_sort_ratio is ratio() of the token-sorted strings: sort the phrasings once, not per question.
        self._sorted_phrasings = [_sorted_tokens(p) for p in self._phrasing_texts]
        self._terms = {e.section.id: e.term for e in self._entries if e.term}
        self._mark_boilerplate()
        self._learned = _train_sections(self._entries, examples or {})
        label_index = {label: i for i, label in enumerate(self._learned.labels)}
        self._learned_order = np.array([label_index[e.section.id] for e in self._entries], dtype=np.intp)
        n = len(self._entries)
        # Document frequency is the length of a token's postings: sections for the curated
        # text, paragraphs for the body.
        self._meta_idf = {t: _idf(len(ids), n) for t, ids in self._meta_postings.items()}
        paragraph_count = sum(len(e.paragraphs) for e in self._entries)
        self._body_idf = {t: _idf(len(p), paragraph_count) for t, p in self._postings.items()}
        self._index_arrays()
        self._shape_arrays()
        self._hints = self._resolve_hints(load_passage_hints() if hints is None else hints)

    def _mark_boilerplate(self) -> None:
        """Paragraphs that several sections share word for word once places are set aside.

        Every country guide opens with the same "general summary" disclaimer; quoting
        it answers nothing, so passages prefer a paragraph particular to the section.
        """
        holders: dict[frozenset[str], set[int]] = {}
        for index, entry in enumerate(self._entries):
            for _, tokens in entry.paragraphs:
                if len(tokens) >= 8:
                    holders.setdefault(tokens, set()).add(index)
        for entry in self._entries:
            entry.boilerplate = [len(holders.get(tokens, ())) >= BOILERPLATE_SECTIONS
                                 for _, tokens in entry.paragraphs]

    # ----------------------------------------------------------------- scoring
    def _index_arrays(self) -> None:
        """The postings as numpy arrays, so a question's coverage is a few vector additions."""
        self._meta_ids = {t: np.array(ids, dtype=np.intp) for t, ids in self._meta_postings.items()}
        starts, flat = [], 0
        numbering: dict[tuple[int, int], int] = {}
        for index, entry in enumerate(self._entries):
            starts.append(flat)
            for number in range(len(entry.paragraphs)):
                numbering[(index, number)] = flat
                flat += 1
        self._paragraph_starts = np.array(starts, dtype=np.intp)   # every section has a paragraph
        self._paragraph_count = flat
        self._body_ids = {t: np.array([numbering[key] for key in keys], dtype=np.intp)
                          for t, keys in self._postings.items()}

    def _meta_coverage(self, tokens: Sequence[str]) -> np.ndarray:
        """Per section, the IDF-weighted share of the question's known words in its curated text."""
        covered = np.zeros(len(self._entries))
        total = 0.0
        for token in tokens:
            weight = self._meta_idf.get(token)
            if weight is None:
                continue
            total += weight
            covered[self._meta_ids[token]] += weight
        return covered / total if total else covered

    def _paragraph_coverage(self, tokens: Sequence[str]) -> np.ndarray:
        """Per section, the best single paragraph's IDF-weighted share of the question's words."""
        total = sum(self._body_idf.get(t, 0.0) for t in tokens)
        if not total:
            return np.zeros(len(self._entries))
        acc = np.zeros(self._paragraph_count)
        for token in tokens:
            weight = self._body_idf.get(token)
            if weight is not None:
                acc[self._body_ids[token]] += weight
        return np.maximum.reduceat(acc, self._paragraph_starts) / total

    def _phrasing_scores(self, query: str, scorer, phrasings: np.ndarray | None = None) -> np.ndarray:
        """Score of each phrasing (all of them, or only those listed), in one call into rapidfuzz."""
        choices = self._phrasing_texts if phrasings is None else [self._phrasing_texts[i] for i in phrasings]
        return process.cdist([query], choices, scorer=scorer, dtype=np.float64)[0]

    def _best_of_sections(self, scores: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """Per section, its best phrasing's score (0 for a section with none scored)."""
        best = np.zeros(len(self._entries))
        np.maximum.at(best, owners, scores)
        return best

    def _best_of_all(self, scores: np.ndarray) -> np.ndarray:
        """_best_of_sections for a score of every phrasing, in their order: one reduceat, not ufunc.at."""
        best = np.zeros(len(self._entries))
        if len(self._phrasing_starts):
            best[self._phrased] = np.maximum(np.maximum.reduceat(scores, self._phrasing_starts), 0.0)
        return best

    def _resolve_hints(self, hints: Sequence[PassageHint]) -> dict[int, list[tuple[list[frozenset[str]], tuple[int, ...]]]]:
        """Per section, its hints in order: the cues as token sets, and the paragraphs to quote."""
        resolved: dict[int, list[tuple[list[frozenset[str]], tuple[int, ...]]]] = {}
        for hint in hints:
            if hint.section == "guide:*":
                targets = [i for i, e in enumerate(self._entries) if e.guide_country]
            elif hint.section in self._index_of:
                targets = [self._index_of[hint.section]]
            else:
                raise ValueError(f"passage hint {hint.topic!r}: unknown section {hint.section!r}")
            cues = [frozenset(analyze(cue).tokens) for cue in hint.cues]
            for index in targets:
                paragraphs = [p for p, _ in self._entries[index].paragraphs]
                chosen = []
                for phrase in hint.quote:
                    found = [n for n, p in enumerate(paragraphs) if phrase in p]
                    if len(found) != 1 and hint.section != "guide:*":
                        raise ValueError(f"passage hint {hint.topic!r}: {phrase!r} is in {len(found)} paragraphs "
                                         f"of {hint.section}, not exactly one")
                    if found:
                        chosen.append(found[0])
                if len(chosen) == len(hint.quote):
                    resolved.setdefault(index, []).append(([c for c in cues if c], tuple(chosen)))
        return resolved

    def _shape_arrays(self) -> None:
        """Where the corpus's shape rules apply (see _adjusted), as index arrays."""
        self._scoped = [(i, self._scopes[e.section.id]) for i, e in enumerate(self._entries)
                        if e.section.id in self._scopes]
        self._guide_index = np.array([i for i, e in enumerate(self._entries) if e.guide_country], dtype=np.intp)
        self._guide_of = {e.guide_country: i for i, e in enumerate(self._entries) if e.guide_country}
        self._sections_for = {country: [self._index_of[s] for s in ids]
                              for country, ids in self._country_sections.items()}
        self._term_index = np.array([i for i, e in enumerate(self._entries) if e.term], dtype=np.intp)
        self._last_index = np.array([i for i, e in enumerate(self._entries) if e.section.rank == "last"],
                                    dtype=np.intp)

    def _adjusted(self, raw: np.ndarray, named: set[str], asker_country: str | None,
                  asked_term: str | None, defining: bool) -> np.ndarray:
        """Rules of the corpus's shape: guides need their country, terms a "what is", exhibits rank last."""
        w, score = self.weights, raw.copy()
        where = named or ({asker_country} if asker_country else set())
        if where:
            for i, scope in self._scoped:
                if scope not in where:
                    score[i] *= w.other_country_factor
        before = score.copy()
        score[self._guide_index] *= w.absent_guide_factor
        if asker_country in self._guide_of:
            i = self._guide_of[asker_country]
            score[i] = before[i] + w.asker_country_boost
        for country in named:
            if country in self._guide_of:
                i = self._guide_of[country]
                score[i] = before[i] + w.country_boost
            for i in self._sections_for.get(country, ()):
                score[i] += w.country_section_boost
        if not defining:
            score[self._term_index] *= w.term_factor
        if asked_term is not None:          # only ever found for a "what is ...?" (defining) question
            score[self._index_of[asked_term]] += w.term_boost
        score[self._last_index] *= w.rank_last_factor
        return score

    def match(self, text: str, *, countries: Iterable[str] = (), asker_country: str | None = None,
              limit: int = 5) -> Match:
        """Rank sections in two stages: cheap signals for all, token_set_ratio for the best few."""
        query = _topic(text)
        named = set(countries)
        tokens = list(dict.fromkeys(query.content))
        keywords = self._meta_coverage(tokens)
        bodies = self._paragraph_coverage(tokens)
        defining = bool(_DEFINITION_CUE.search(text))
        asked_term = _asked_term(text, self._terms) if defining else None
        w = self.weights
        n = len(self._entries)
        # The learned signal reads every word ("how do I take part?" is all filler to the others).
        learned = (self._learned.probabilities(text, w.learned_temperature)[self._learned_order]
                   if query.tokens else np.zeros(n))
        owners = self._owner_array
        sorted_scores = (process.cdist([_sorted_tokens(query.text)], self._sorted_phrasings, scorer=fuzz.ratio,
                                       dtype=np.float64)[0] if query.text else np.zeros(len(owners)))
        phrasing = self._best_of_all(sorted_scores) / 100.0

        fixed = w.keywords * keywords + w.body * bodies + w.learned * learned

        def totals() -> np.ndarray:
            return self._adjusted(w.phrasing * phrasing + fixed, named, asker_country, asked_term, defining)

        scores = totals()
        if query.text and len(query.content) >= w.short_query_tokens:
            # Subset matches score 100 with token_set_ratio, so it only refines the strongest candidates.
            candidates = _best_first(scores)[:w.candidates]
            own = np.array([p for i in candidates for p in self._phrasings_of[i]], dtype=np.intp)
            set_scores = self._phrasing_scores(query.text, fuzz.token_set_ratio, own)
            # Both scorers judge the same phrasing; the section keeps its best phrasing.
            best = self._best_of_sections((sorted_scores[own] + set_scores) / 2, owners[own])
            phrasing[candidates] = best[candidates] / 100.0
            scores = totals()
        order = _best_first(scores)[:limit].tolist()
        score_of, phrasing_of, keywords_of, body_of = (scores.tolist(), phrasing.tolist(), keywords.tolist(),
                                                       bodies.tolist())
        ranked = tuple(Scored(self._entries[i].section.id, score_of[i], phrasing_of[i], keywords_of[i], body_of[i])
                       for i in order)
        passage = self.passage(ranked[0].section_id, query) if ranked and query.tokens else None
        information = sum(self._meta_idf.get(t, 0.0) for t in tokens)
        if ranked and self._entries[order[0]].guide_country in named:
            # Place names were taken out of the topic, but "in Japan" is what makes the question precise.
            information += w.country_information
        # The learned probability is itself an estimate of being right: trust whichever is surer.
        confidence = max(_confidence(ranked, information, 1.0 + w.learned),
                         float(learned[order[0]]) if ranked else 0.0)
        return Match(ranked, confidence, passage, query)

    # ----------------------------------------------------------------- quoting
    def passage(self, section_id: str, query: Analyzed, max_chars: int = 480) -> Passage | None:
        """The paragraph of the section that best answers, cut to its best sentences."""
        index = self._index_of.get(section_id)
        if index is None or not self._entries[index].paragraphs:
            return None
        entry = self._entries[index]
        tokens = set(query.content)
        asked = set(query.tokens)
        for cues, paragraphs in self._hints.get(index, ()):
            if any(cue <= asked for cue in cues):
                # A curated choice: quote each paragraph whole unless it is very long.
                texts = [_best_sentences(entry.paragraphs[n][0], entry.sentences[n], tokens, self._body_idf,
                                         2 * max_chars) for n in paragraphs]
                return Passage(section_id, paragraphs[0], "\n\n".join(texts), paragraphs)
        best_index, best_score = 0, float("-inf")
        for index, (_, para_tokens) in enumerate(entry.paragraphs):
            overlap = sum(self._body_idf[t] for t in tokens & para_tokens)
            if entry.boilerplate[index]:
                overlap *= 0.3
            # Equal evidence: the shorter paragraph is the more direct answer, then the earlier one.
            score = overlap - 0.004 * len(para_tokens) - 0.001 * index
            if score > best_score:
                best_index, best_score = index, score
        paragraph = entry.paragraphs[best_index][0]
        return Passage(section_id, best_index, _best_sentences(paragraph, entry.sentences[best_index], tokens,
                                                               self._body_idf, max_chars))

    def section(self, section_id: str) -> Section | None:
        index = self._index_of.get(section_id)
        return self._entries[index].section if index is not None else None


def _idf(df: int, n: int) -> float:
    """BM25's inverse document frequency: rare words weigh more, none weighs less than zero."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _train_sections(entries: Sequence[_Entry], examples: Mapping[str, Sequence[str]]) -> LinearTextModel:
    """Which section a question belongs to, learned from the sections' titles, curated phrasings and examples.

    A linear SVM (one-vs-rest, liblinear, seeded): deterministic, and about a second to train
    on the shipped corpus. It generalises past the exact words of the phrasings, which fuzzy
    string scores cannot.
    """
    known = {entry.section.id for entry in entries}
    unknown = sorted(set(examples) - known)
    if unknown:
        raise ValueError(f"examples for unknown sections: {unknown}")
    texts, labels = [], []
    for entry in entries:
        own = examples.get(entry.section.id, ())
        for phrasing in dict.fromkeys((entry.section.title, *entry.section.questions, *own)):
            texts.append(phrasing)
            labels.append(entry.section.id)
    from sklearn.svm import LinearSVC   # only to train: scoring needs no scikit-learn

    return LinearTextModel.fit(texts, labels, LinearSVC(C=1.0, random_state=0), features=text_features(char_min_df=2))


def _sorted_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


def _topic(text: str) -> Analyzed:
    """What a text is about, without the places it names."""
    return analyze(without_mentions(text))


def _asked_term(text: str, terms: dict[str, str]) -> str | None:
    """The defined term a "what is ...?" question asks about: the one named nearest after the cue."""
    lowered = text.lower()
    best: tuple[int, int, str] | None = None
    for cue in _DEFINITION_CUE.finditer(lowered):
        for section_id, name in terms.items():
            at = lowered.find(name.lower(), cue.start())
            if at < 0:
                at = lowered.rfind(name.lower(), 0, cue.start())
                if at < 0 or cue.start() - (at + len(name)) > 12:   # "X means" / "X stands for"
                    continue
                distance = cue.start() - (at + len(name))
            else:
                distance = at - cue.end()
            candidate = (distance, -len(name), section_id)   # nearest, then longest name
            if best is None or candidate < best:
                best = candidate
    return best[2] if best is not None and best[0] <= 40 else None


def _confidence(ranked: Sequence[Scored], information: float, scale: float = 1.0) -> float:
    """0..1: a strong, clear winner, for a question that says enough to be matched.

    With one or two common words every coverage signal is trivially complete, so
    the score alone overstates certainty. The evidence factor trusts the ranking
    when the question is close to a known phrasing, or carries enough rare words.
    """
    if not ranked:
        return 0.0
    top = ranked[0]
    score = top.score / scale          # scores sum signals whose weights add up to `scale`
    margin = max(0.0, score - (ranked[1].score / scale if len(ranked) > 1 else 0.0))
    base = max(0.0, min(1.0, 1.6 * score + 1.5 * margin - 0.35))
    close_phrasing = max(0.0, min(1.0, (top.phrasing - 0.6) / 0.3))
    says_enough = min(1.0, information / 10.0)
    return base * max(close_phrasing, says_enough)


SHORT_PARAGRAPH = 480   # quoted whole by passage() (its smallest max_chars): no sentences kept for it


_Split = tuple[tuple[str, ...], tuple[frozenset[str], ...]]


def _split(paragraph: str, short: int = SHORT_PARAGRAPH) -> _Split | None:
    """A paragraph's sentences and each one's topic words, for _best_sentences; None when it is
    quoted whole (no longer than `short`, or one sentence)."""
    if len(paragraph) <= short:
        return None
    sentences = split_sentences(paragraph)
    if len(sentences) <= 1:
        return None
    return tuple(sentences), tuple(frozenset(_topic(s).content) for s in sentences)


def _best_first(scores: np.ndarray) -> np.ndarray:
    """Indices by score, highest first, ties in index order: sorted(range(n), key=..., reverse=True)."""
    return np.argsort(-scores, kind="stable")


def _best_sentences(paragraph: str, split: _Split | None, tokens: set[str], idf: dict[str, float],
                    max_chars: int) -> str:
    """The paragraph's best sentences within max_chars; `split` is its _split() from build time."""
    if len(paragraph) <= max_chars:
        return paragraph
    if split is None and max_chars < SHORT_PARAGRAPH:
        split = _split(paragraph, max_chars)   # a shorter cut than build time split for
    if split is None:
        return paragraph
    sentences, sentence_words = split
    weights = [sum(idf.get(t, 0.0) for t in tokens & words) for words in sentence_words]
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
