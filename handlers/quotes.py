"""Verbatim quotes from the corpus, picked by a marker phrase.

Replies that are not a matched passage (the neutral "should I?" answer, how to
elect, the deadline) still quote the Notice rather than restate it. Templates name
a section and a phrase; this module returns the sentence(s) that contain it, and
fails at start-up, not in front of an employee, if the phrase is not there.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.corpus import Corpus
from knowledge.sentences import split_sentences


class QuoteNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class QuoteRef:
    section: str
    find: str
    sentences: int = 1      # how many sentences, starting with the one that contains `find`; 0 = whole paragraph


def quote(corpus: Corpus, ref: QuoteRef) -> str:
    section = corpus.get(ref.section)
    if section is None:
        raise QuoteNotFound(f"no section {ref.section!r}")
    for paragraph in section.paragraphs:
        if ref.find not in paragraph:
            continue
        if ref.sentences == 0:
            return paragraph
        sentences = split_sentences(paragraph)
        for i, sentence in enumerate(sentences):
            if ref.find in sentence:
                return " ".join(sentences[i:i + ref.sentences])
        # The phrase spans a sentence boundary: quote the paragraph rather than cut it.
        return paragraph
    raise QuoteNotFound(f"{ref.section}: no paragraph contains {ref.find!r}")
