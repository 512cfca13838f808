"""Turn a question or a passage into the tokens the matcher compares.

The same analysis runs on employees' messages and on the corpus, so both sides
meet on the Notice's vocabulary: employees' words are folded to the Notice's
(knowledge/synonyms.toml), words are stemmed, and filler words dropped. Negators
are kept: "am I eligible" and "am I not eligible" must not look alike.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer

SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")

NEGATORS = frozenset({"not", "no", "never", "without", "nor", "cannot"})

# Filler words that say nothing about which section answers. Interrogatives are
# here too: the matcher compares content; the intent classifier reads the question's form.
# Quantifiers and time words are NOT filler here: "all or none", "some of my
# grants", "during the Averaging Period", "after the Election Deadline".
STOPWORDS = frozenset("""
a about actually also am an and anyone anything are around as at be because been being between but
by can could did do does doing done don else etc even ever for from get gets getting go goes going
gonna got had has have having he her here hers herself him himself his how however i if in into is
it its itself just kind know let like ll me mine much must my myself need now of off on one or our
ours ourselves out own per please pls plz quick quite re really right say says see she should so
someone something still such sure tell than thank thanks that the their theirs them themselves then
there these they thing things this those through thx to too u up us ve very wanna want was way we
well were what whats when where which while who whom whose why will with would yes yet you your
yours yourself yourselves hi hello hey ok okay guys folks q question questions wondering wonder
curious anyway also btw fyi lol ask asks asked asking heard hear hearing told said saying colleague
colleagues coworker coworkers friend friends team teammate buddy people someone somebody rumor
rumors rumour rumours bunch lot lots stuff basically probably maybe kinda sorta literally honestly
seriously totally pretty little bit guess think thought assume suppose understand understood read
noticed mean idea apparently correct monday tuesday wednesday thursday friday saturday sunday today
tonight yesterday tomorrow tmrw tmw week weekend morning afternoon evening soon recently earlier
later other work works working worked based located office offices site here
""".split())

_CONTRACTIONS = [
    (re.compile(r"\bcan'?t\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\b(isnt|arent|wasnt|werent|dont|doesnt|didnt|hasnt|havent|hadnt|shouldnt|wouldnt|couldnt)\b"),
     lambda m: m.group(1)[:-2] + " not"),
    (re.compile(r"'(s|re|m|ll|ve|d)\b"), ""),
]
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - "})
_THOUSANDS = re.compile(r"(?<=\d)[, ](?=\d{3}\b)")
_KILO = re.compile(r"\b(\d+(?:\.\d+)?)\s?k\b")
_DOLLAR = re.compile(r"(?:us)?\$\s?(?=\d)")
_PLURAL_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)'?s\b")       # "my 35s", "the 40's"
_LEVEL = re.compile(r"\b(?:l|level|lvl)\s?-?(\d{2})\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word[0].isdigit():
        return word
    return _stemmer.stemWord(word)


# A phrase starts where the text is not inside a word (nor just after "$"); what follows it must
# not be a word character either. These are the bounds the synonyms once had as one regular expression
# of 580 alternatives, which took a one-shot `sotp ask` tens of milliseconds to compile.
_PHRASE_START = re.compile(r"(?<![\w$])\w+")


@lru_cache(maxsize=1)
def _synonym_table() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Each phrase under its first word, longest first, and the canonical word of each phrase."""
    with SYNONYMS_FILE.open("rb") as fh:
        table = tomllib.load(fh)
    variants: dict[str, str] = {}
    for canonical, phrases in table.items():
        for phrase in phrases:
            variants[prepare(phrase)] = canonical
    by_first: dict[str, list[str]] = {}
    for phrase in variants:
        first = _PHRASE_START.match(phrase)
        if first is None:
            raise ValueError(f"{SYNONYMS_FILE.name}: the phrase {phrase!r} does not start with a word")
        by_first.setdefault(first.group(0), []).append(phrase)
    return {word: tuple(sorted(ps, key=len, reverse=True)) for word, ps in by_first.items()}, variants


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"      # what the re module's \w matches in a str


def _replace_synonyms(text: str) -> str:
    """Replace, left to right, the longest phrase at each place a phrase may start."""
    by_first, variants = _synonym_table()
    out: list[str] = []
    done = 0            # text[:done] is settled
    end_of_text = len(text)
    for match in _PHRASE_START.finditer(text):
        start = match.start()
        if start < done:
            continue    # inside a phrase just replaced
        for phrase in by_first.get(match.group(0), ()):
            end = start + len(phrase)
            if text.startswith(phrase, start) and (end == end_of_text or not _is_word_char(text[end])):
                out.append(text[done:start])
                out.append(f" {variants[phrase]} ")
                done = end
                break
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _level(match: re.Match[str]) -> str:
    number = int(match.group(1))
    if 50 <= number <= 99:
        return " level68 " if number >= 68 else " level67 "
    return match.group(0)


def prepare(text: str) -> str:
    """Lowercase and regularise punctuation, money and contractions (before synonyms)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    text = _DOLLAR.sub("", text)
    text = _PLURAL_NUMBER.sub(r"\1", text)
    text = _THOUSANDS.sub("", text)
    text = _KILO.sub(lambda m: str(int(float(m.group(1)) * 1000)), text)
    text = text.replace("&", " and ")
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lowercased text with employees' phrases replaced by the Notice's words."""
    return _replace_synonyms(_LEVEL.sub(_level, prepare(text)))


@dataclass(frozen=True, slots=True)
class Analyzed:
    tokens: tuple[str, ...]     # every word, folded and stemmed, in order
    content: tuple[str, ...]    # tokens without filler words (negators kept)
    negated: bool

    @property
    def text(self) -> str:
        """The content tokens as one string, for rapidfuzz scorers."""
        return " ".join(self.content)


@lru_cache(maxsize=8192)
def analyze(text: str) -> Analyzed:
    words = _TOKEN.findall(fold(text))
    tokens = tuple(stem(w) for w in words)
    content = tuple(t for t in tokens if t not in _STEMMED_STOPWORDS)
    return Analyzed(tokens=tokens, content=content, negated=any(t in NEGATORS for t in tokens))


_STEMMED_STOPWORDS = frozenset(stem(w) for w in STOPWORDS) - NEGATORS
