"""The countries the Notice names, and what each one changes for an employee.

Rules live in bot/data/countries.json; this module only loads and looks them up.
Names resolve exactly (case-insensitive, canonical name or a listed alias): an
unknown name is an error for the caller to report, never a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.config import data_path

PaymentGroup = Literal["general", "immediate", "tax_rate", "ruling", "excluded"]


@dataclass(frozen=True, slots=True)
class Country:
    name: str                      # as the Notice writes it: "Trinidad & Tobago"
    guide: str | None              # section id of its country guide, e.g. "guide:russia"
    payment_group: PaymentGroup    # which payment schedule of Notice section 3 applies
    two_step: bool                 # signed form must be RECEIVED by Mellon (Q22)
    payment_via: str | None        # "payroll" | "mellon" | None when Method of Payment does not list it
    payment_note: str | None       # the asterisk note of the Method of Payment page, verbatim
    aliases: tuple[str, ...]
    mentions: tuple[str, ...]
    mentions_cased: tuple[str, ...]

    @property
    def excluded(self) -> bool:
        return self.payment_group == "excluded"


@lru_cache(maxsize=1)
def all_countries() -> tuple[Country, ...]:
    with data_path("countries.json").open(encoding="utf-8") as fh:
        raw = json.load(fh)["countries"]
    return tuple(
        Country(
            name=c["name"],
            guide=c["guide"],
            payment_group=c["payment_group"],
            two_step=c["two_step"],
            payment_via=c["payment_via"],
            payment_note=c["payment_note"],
            aliases=tuple(c["aliases"]),
            mentions=tuple(c["mentions"]),
            mentions_cased=tuple(c["mentions_cased"]),
        )
        for c in raw
    )


@lru_cache(maxsize=1)
def _by_key() -> dict[str, Country]:
    table: dict[str, Country] = {}
    for country in all_countries():
        for key in (country.name, *country.aliases):
            table[_key(key)] = country
    return table


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


@lru_cache(maxsize=1024)
def resolve(name: str) -> Country | None:
    """The country for a name or accepted alias, or None if the Notice does not know it.

    Cached: a population names the same few dozen countries tens of thousands of times.
    """
    return _by_key().get(_key(name))


def get(name: str) -> Country:
    """The country for a canonical name already validated (e.g. read back from the database)."""
    country = resolve(name)
    if country is None:
        raise KeyError(f"unknown country: {name!r}")
    return country


def by_group(group: PaymentGroup) -> tuple[Country, ...]:
    return tuple(c for c in all_countries() if c.payment_group == group)


def two_step_countries() -> tuple[Country, ...]:
    return tuple(c for c in all_countries() if c.two_step)


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _first_words() -> tuple[frozenset[str], frozenset[str]]:
    """Words a place name can start with (casefolded, and exact for the case-sensitive names)."""
    plain = frozenset(_WORD.findall(name.casefold())[0] for c in all_countries() for name in c.mentions)
    cased = frozenset(_WORD.findall(name)[0] for c in all_countries() for name in c.mentions_cased)
    return plain, cased


def _may_name_a_place(text: str) -> bool:
    plain, cased = _first_words()
    words = _WORD.findall(text)
    return not cased.isdisjoint(words) or not plain.isdisjoint(w.casefold() for w in words)


@lru_cache(maxsize=1)
def _mention_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, Country]]:
    """One alternation per case rule, longest first, so "Port of Spain" is not also Spain."""
    owner: dict[str, Country] = {}
    plain: list[str] = []
    cased: list[str] = []
    for country in all_countries():
        for word in country.mentions:
            owner[word.casefold()] = country
            plain.append(word)
        for word in country.mentions_cased:
            owner[word] = country
            cased.append(word)

    def alternation(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))

    edge_l, edge_r = r"(?<![\w&])", r"(?![\w&])"
    return (re.compile(f"{edge_l}(?:{alternation(plain)}){edge_r}", re.IGNORECASE),
            re.compile(f"{edge_l}(?:{alternation(cased)}){edge_r}"),
            owner)


@lru_cache(maxsize=64)
def mention_spans(text: str) -> tuple[tuple[int, int, Country], ...]:
    """(start, end, country) of every place name in the text, in order, never overlapping.

    Kept for the last few texts: understanding a message and matching it both read its places.
    """
    if not _may_name_a_place(text):
        return ()   # the common case, and a cheap one: the alternations below are slow
    plain, cased, owner = _mention_patterns()
    spans: list[tuple[int, int, Country]] = [
        (m.start(), m.end(), owner[m.group(0).casefold()]) for m in plain.finditer(text)]
    for m in cased.finditer(text):
        if not any(start < m.end() and m.start() < end for start, end, _ in spans):
            spans.append((m.start(), m.end(), owner[m.group(0)]))
    return tuple(sorted(spans, key=lambda span: span[0]))


def mentioned(text: str) -> list[Country]:
    """Countries a free-text message names (by name, demonym or office city), in order of first mention."""
    ordered: list[Country] = []
    for _, _, country in mention_spans(text):
        if country not in ordered:
            ordered.append(country)
    return ordered


def without_mentions(text: str) -> str:
    """The text with place names blanked out: what is asked, not where the asker is."""
    pieces: list[str] = []
    last = 0
    for start, end, _ in mention_spans(text):
        pieces.append(text[last:start])
        pieces.append(" ")
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
