"""Reduce an employee's message to the question they asked.

Emails arrive with greetings, sign-offs, signatures and the earlier thread quoted
below (often the assistant's own quote of the Notice). Matching that would answer
the quote, not the question, so it goes before anything else looks at the text.
"""

from __future__ import annotations

import re

# A forward's marker: what follows is someone else's message, and with no note above it, the question.
_FORWARD_STARTS = [
    re.compile(r"^\s*-{2,}\s*forwarded message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*begin forwarded message:?\s*$", re.I),
]
# Where the quoted earlier message starts: everything from here on is dropped.
_QUOTE_STARTS = [
    re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.I),
    *_FORWARD_STARTS,
    re.compile(r"^\s*_{10,}\s*$"),                                  # Outlook's rule line
    re.compile(r"^\s*on\b.{0,200}\bwrote:\s*$", re.I),              # Gmail/Apple: "On Tue, ... wrote:"
    re.compile(r"^\s*from:\s.+$", re.I),                            # Outlook header block of the quoted mail
    re.compile(r"^\s*-{2,}\s*reply above this line\s*-{2,}\s*$", re.I),
    # The same attribution line in the languages of the company's offices ("Le ... a écrit :", ...).
    re.compile(r"^\s*(?:le|am|el|em|il|op|den|på)\b.{0,200}\b(?:a écrit|schrieb|escribió|escreveu|ha scritto|"
               r"schreef|skrev)\b.{0,80}:\s*$", re.I),
]
_HEADER_LINE = re.compile(r"^\s*(?:from|sent|date|to|cc|subject)\s*:", re.I)
_RULE_LINE = re.compile(r"^\s*[-_=]{3,}\s*$")       # a line that only closes the forwarded part
# Gmail wraps a long attribution: "On Mon, Nov 3, 2003 at 9:00 AM Alice Smith <alice@...>" / "wrote:".
_ATTRIBUTION_START = re.compile(r"^\s*on\s.{0,200}$", re.I)
_ATTRIBUTION_END = re.compile(r"^.{0,120}\bwrote:\s*$", re.I)

# Where a company disclaimer starts: it and everything after it are not the question.
_DISCLAIMER_STARTS = [
    re.compile(r"^\s*\**\s*(?:confidentiality notice|disclaimer|legal notice|privileged (?:and|&) confidential)\b",
               re.I),
    re.compile(r"^\s*this (?:e-?mail|message|communication)\b.{0,120}\b(?:confidential|privileged|"
               r"intended (?:solely |only )?for)\b", re.I),
    re.compile(r"^\s*the information (?:contained )?in this (?:e-?mail|message)\b", re.I),
    re.compile(r"^\s*if you (?:are not|have received this).{0,40}\b(?:intended recipient|in error)\b", re.I),
]

_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_MOBILE_FOOTER = re.compile(r"^\s*sent from my \w+", re.I)

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)|kia ora|hola|bonjour|hallo|"
    r"namaste|g'day|howdy|to whom it may concern|ol[aá]|oi|bom dia|boa tarde|buenos d[ií]as|buenas tardes|"
    r"salut|ciao|buongiorno|hej|hei|moi|ahoj|dobr[yý] den|cze[sś][cć]|dzie[nń] dobry|guten tag|servus|"
    r"goedemorgen|goedemiddag|konnichiwa|привет|здравствуйте)\b[^.?!\n]{0,40}[,:!]?\s*$",
    re.I,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|many)?\s*(?:regards|wishes)|best|thanks(?: (?:a lot|again|in advance))?|"
    r"thank you(?: (?:very much|in advance))?|many thanks|cheers|sincerely|yours(?: sincerely| truly)?|"
    r"br|rgds|ta|tia|thx|respectfully|all the best|with thanks|"
    # sign-offs of colleagues writing from other countries
    r"obrigad[oa]|atenciosamente|abra[cç]os|gracias|saludos|un saludo|atentamente|merci|cordialement|"
    r"bien [aà] vous|danke|viele gr[uü](?:ß|ss)e|mit freundlichen gr[uü](?:ß|ss)en|lg|grazie|cordiali saluti|"
    r"dank je(?: wel)?|met vriendelijke groet(?:en)?|groeten|tack|med v[aä]nlig h[aä]lsning|kiitos|terveisin|"
    r"dzi[eę]kuj[eę]|pozdrawiam|s pozdravem|d[eě]kuji|arigato(?: gozaimasu)?|спасибо|с уважением|xie xie)\s*[,.!]?\s*$",
    re.I,
)


def strip_quoted(text: str) -> str:
    """Drop the quoted earlier thread and '>' lines.

    A forward with nothing of the sender's own above it keeps what it forwards, and whatever the
    sender wrote below it: dropping everything from the marker left an empty message, answered
    as off-topic ("Hi," and nothing else)."""
    kept: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_STARTS):
            if any(p.match(line) for p in _FORWARD_STARTS) and not _has_own_words(kept):
                return _forwarded(lines[i + 1:])
            break
        if (_ATTRIBUTION_START.match(line) and i + 1 < len(lines) and _ATTRIBUTION_END.match(lines[i + 1])):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def _has_own_words(lines: list[str]) -> bool:
    return any(line.strip() and not _GREETING.match(line) and not _SIGN_OFF.match(line) for line in lines)


def _forwarded(lines: list[str]) -> str:
    """The question of a forward without a note: what it forwards, without the header lines."""
    start = 0
    while start < len(lines) and (not lines[start].strip() or _HEADER_LINE.match(lines[start])):
        start += 1
    return "\n".join(line for line in lines[start:] if not _RULE_LINE.match(line))


def strip_greeting_and_signature(text: str) -> str:
    """Drop a leading greeting line and everything from a sign-off or signature on."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _GREETING.match(lines[0]) and len(lines) > 1:
        lines.pop(0)
    for i, line in enumerate(lines):
        if i > 0 and (_SIGN_OFF.match(line) or _SIGNATURE_DELIMITER.match(line) or _MOBILE_FOOTER.match(line)):
            lines = lines[:i]
            break
    return "\n".join(lines)


def strip_disclaimer(text: str) -> str:
    """Drop a confidentiality notice or disclaimer and everything after it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i > 0 and any(p.match(line) for p in _DISCLAIMER_STARTS):
            return "\n".join(lines[:i])
    return text


def clean_message(text: str, *, whole_if_empty: bool = True) -> str:
    """The question part of a chat message or email body; never empty if the input was not.

    whole_if_empty=False: "" when nothing but quotes, signature and greeting is left (an email
    then falls back on its subject).
    """
    if not text or not text.strip():
        return ""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    body = strip_greeting_and_signature(strip_disclaimer(strip_quoted(normalized)))
    body = re.sub(r"[ \t]+", " ", body)
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return body or (" ".join(normalized.split()) if whole_if_empty else "")
