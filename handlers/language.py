"""Which language a message is written in: English, or one the assistant must say it does not answer in.

Writing systems other than Latin settle it by themselves (kana is Japanese, Hangul Korean,
Han without kana Chinese, Cyrillic Russian...). Latin-script text goes to py3langid, a
small offline model, restricted to the languages employees write in; a message counts as
non-English only when the model is sure and few of its words are English function words,
so a non-native English question ("how i can participate?") is never turned away.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

ENGLISH = "en"
NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish",
    "cs": "Czech", "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish", "ja": "Japanese", "zh": "Chinese",
    "ko": "Korean", "ru": "Russian", "bg": "Bulgarian", "el": "Greek", "he": "Hebrew", "ar": "Arabic",
    "th": "Thai", "hi": "Hindi",
}
# Latin-script languages the model chooses among (English included).
LATIN_CANDIDATES = ("en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "no", "fi", "pl", "cs", "hu", "ro", "tr")
MAX_ENGLISH_PROBABILITY = 0.10  # the model's (normalised) probability of English, below which it is not
MAX_ENGLISH_SHARE = 0.25        # above this share of English function words, the message is English
MIN_WORDS = 3                   # fewer plain-ASCII words say too little ("calc mine", "omg stop")
MIN_SCRIPT_SHARE = 0.30     # share of a message's letters in a non-Latin script that makes it that language

# Function words of English that other languages rarely spell the same way.
_ENGLISH_WORDS = frozenset("""
the a an and or but of to in on at for with from by about is are was were be been am do does did have has
had will would can could should shall may might must i you he she we they it my your our their me him us
them this that these those what when where which who whom why how if then than not no yes please thanks
thank hi hello hey there here get got go want need know tell ask pay paid money options option deadline
program stock grant grants payment election elect withdraw sign up out
""".split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _script(ch: str) -> str | None:
    """The non-Latin writing system of one letter, by its Unicode name; None for Latin letters."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    for prefix, language in (("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("CJK", "zh"),
                             ("CYRILLIC", "ru"), ("GREEK", "el"), ("HEBREW", "he"), ("ARABIC", "ar"),
                             ("THAI", "th"), ("DEVANAGARI", "hi")):
        if name.startswith(prefix):
            return language
    return None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's model, loaded once per process on the first message that needs it (~0.7 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LATIN_CANDIDATES))
    return identifier


def detect(text: str) -> str:
    """The message's language code ("en", "de", "ja", ...); English when unsure."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return ENGLISH
    scripts: dict[str, int] = {}
    for ch in letters:
        script = None if ch.isascii() else _script(ch)
        if script is not None:
            scripts[script] = scripts.get(script, 0) + 1
    if scripts:
        if "ja" in scripts:         # Japanese mixes kana with Han characters
            scripts["ja"] += scripts.pop("zh", 0)
        script, count = max(scripts.items(), key=lambda item: item[1])
        if count / len(letters) >= MIN_SCRIPT_SHARE:
            return script
    words = [w.lower() for w in _WORD.findall(text)]
    # A word or two says too little ("merci" is answered as thanks) unless accents say more;
    # English function words say English.
    accented = not text.isascii()
    if len(words) < (2 if accented else MIN_WORDS) or _english_share(words) > MAX_ENGLISH_SHARE:
        return ENGLISH
    ranked = dict(_identifier().rank(text))
    if ranked.get(ENGLISH, 0.0) >= MAX_ENGLISH_PROBABILITY:
        return ENGLISH
    return str(max((lang for lang in ranked if lang != ENGLISH), key=ranked.__getitem__))


def _english_share(words: list[str]) -> float:
    return sum(w in _ENGLISH_WORDS for w in words) / len(words)


def name(code: str) -> str:
    return NAMES.get(code, code)
