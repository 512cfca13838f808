"""Make any text a channel hands over safe to route, match, store and show.

Channels pass on whatever arrived: invalid UTF-8 (decoded with replacement, or
as lone surrogates by Python's surrogateescape), zero-width and control
characters, lookalike forms, a megabyte pasted by mistake. Before anything
routes the message: lone surrogates become U+FFFD, the text is NFKC-normalised,
zero-width and control characters go (newline and tab stay), and only the first
MATCH_LIMIT characters are matched, with a note to the asker that the rest was
not read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MATCH_LIMIT = 20_000

# Lone surrogates cannot be encoded; zero-width characters and other formatting marks
# (category Cf) and controls (Cc, except \t and \n) only hide or disguise text.
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Hardened:
    text: str              # what the rest of the core reads
    original_length: int   # characters of the message as it arrived
    truncated: bool        # only the first MATCH_LIMIT characters are in text


def decode(data: bytes) -> str:
    """Bytes of unknown quality as text: invalid UTF-8 becomes U+FFFD, never an exception."""
    return data.decode("utf-8", errors="replace")


# The ASCII characters _keep() drops: the C0 controls but newline and tab, and DEL (category Cc).
_ASCII_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _keep(ch: str) -> bool:
    if ch in "\n\t":
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def harden(text: str | bytes) -> Hardened:
    if isinstance(text, bytes):
        text = decode(text)
    original = len(text)
    text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    truncated = len(text) > MATCH_LIMIT
    if truncated:
        text = text[:MATCH_LIMIT]
    if text.isascii():   # most messages: NFKC changes no ASCII character, and only controls are dropped
        text = _ASCII_CONTROLS.sub("", text)
    else:
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch for ch in text if _keep(ch))
    return Hardened(text, original, truncated)


def storable(text: str) -> str:
    """Text that SQLite and UTF-8 files accept as written (lone surrogates replaced), nothing else changed."""
    return _SURROGATES.sub("\ufffd", text)
