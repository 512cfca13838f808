"""Split a Notice paragraph into sentences, so answers quote a few, not a page.

Legal text is full of periods that end nothing ("U.S.", "Inc.", "a.m.", "No. 1",
"J.P. Morgan"), so the split is conservative: end punctuation followed by a space
and a capital letter, digit or opening quote, unless the word before the period
is a known abbreviation or a single letter.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "u.s u.s.a u.k inc co corp ltd llc no nos vs etc e.g i.e a.m p.m st mr mrs ms dr jr sr dept "
    "sec rev approx fig pp n.w s.w n.e s.e j.p a/s s.r.o b.v gmbh ag s.a s.p.a pty p.o".split()
)
_BOUNDARY = re.compile(r"(?<=[.?!])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9$])")
_LAST_WORD = re.compile(r"([\w./]+)[.?!][\"')\]]?\s*$")


def split_sentences(paragraph: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        last = _LAST_WORD.search(paragraph[start:m.end()])
        word = last.group(1).lower() if last else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        parts.append(paragraph[start:m.end()].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]
