"""Linear models over a text's words and character n-grams, trained deterministically, scored fast.

Two models use this: the intent classifier (handlers/classifier.py, trained on example
messages) and the matcher's learned section signal (knowledge/matcher.py, trained on the
sections' titles and curated phrasings). Both are fit with scikit-learn at build time on
one thread (multi-threaded BLAS is slower at this size and not bit-for-bit repeatable).
A message is then scored straight from the fitted vocabularies and weights: the same
numbers as scikit-learn's own transform and decision_function (tests check it), at tens
of microseconds instead of a millisecond of sparse-matrix round trips.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from knowledge.text import analyze, prepare, stem

_PLAIN_TOKEN = re.compile(r"[a-z0-9]+|\?")


def _with_bigrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def word_features(text: str) -> list[str]:
    """Words folded to the Notice's vocabulary and stemmed (filler words kept), and their bigrams: what is asked about."""
    return _with_bigrams(list(analyze(text).tokens))


def plain_word_features(text: str) -> list[str]:
    """Stemmed words as written, "?" included, and their bigrams: how it is asked ("sign me up" is not
    "how do I sign up?", though both fold to the Notice's "participate")."""
    return _with_bigrams([t if t == "?" else stem(t) for t in _PLAIN_TOKEN.findall(prepare(text))])


def text_features(words: Callable[[str], list[str]] = word_features, char_min_df: int = 1) -> FeatureUnion:
    """Words and bigrams; character n-grams within words, which carry misspellings, "?" and short forms.

    `words` must be a module-level function, so the fitted features stay picklable.
    """
    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True,
                                  min_df=char_min_df)),
    ])


_COUNTS_CACHE: dict[tuple[Any, ...], Counter[str]] = {}
_COUNTS_CACHE_SIZE = 256


def _counts(vectorizer: TfidfVectorizer, text: str) -> Counter[str]:
    """A view's feature counts for a text, kept for the next few texts: the intent model and the matcher
    read the same message, and equal character settings give equal counts."""
    key = (vectorizer.analyzer, vectorizer.ngram_range, vectorizer.lowercase, text)
    found = _COUNTS_CACHE.get(key)
    if found is None:
        if len(_COUNTS_CACHE) >= _COUNTS_CACHE_SIZE:
            _COUNTS_CACHE.clear()
        found = _COUNTS_CACHE[key] = Counter(vectorizer.build_analyzer()(text))
    return found


class LinearTextModel:
    """A fitted feature union and linear estimator; picklable (no lambdas, no open files)."""

    def __init__(self, features: FeatureUnion, estimator: Any) -> None:
        self.features = features
        self.estimator = estimator
        self.labels: tuple[str, ...] = tuple(str(c) for c in estimator.classes_)
        self._coef = np.asarray(estimator.coef_, dtype=np.float64)
        self._intercept = np.asarray(estimator.intercept_, dtype=np.float64)
        self._views: list[tuple[TfidfVectorizer, dict[str, int], np.ndarray, int]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            self._views.append((vectorizer, dict(vectorizer.vocabulary_), np.asarray(vectorizer.idf_), offset))
            offset += len(vectorizer.vocabulary_)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], estimator: Any, *,
            features: FeatureUnion | None = None) -> "LinearTextModel":
        features = features if features is not None else text_features()
        with threadpool_limits(1):
            matrix = features.fit_transform(list(texts))
            estimator.fit(matrix, list(labels))
        return cls(features, estimator)

    def decision(self, text: str) -> np.ndarray:
        """The estimator's decision value for each label: intercept + weights . (sublinear TF x IDF, L2 per view)."""
        total = self._intercept.copy()
        for vectorizer, vocabulary, idf, offset in self._views:
            counts = _counts(vectorizer, text)
            known = counts.keys() & vocabulary.keys()
            if not known:
                continue
            index = [vocabulary[f] for f in known]
            vector = np.log(np.fromiter((counts[f] for f in known), dtype=np.float64, count=len(index))) + 1.0
            vector *= idf[index]
            vector /= math.sqrt(float(vector @ vector))
            total += self._coef[:, [offset + j for j in index]] @ vector
        return total

    def probabilities(self, text: str, temperature: float = 1.0) -> np.ndarray:
        """Softmax of the decision values (times temperature): a multinomial model's own probabilities at 1."""
        decision = self.decision(text) * temperature
        exp = np.exp(decision - decision.max())
        return exp / exp.sum()
