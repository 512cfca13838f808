"""Linear models over a text's words and character n-grams, trained deterministically, scored fast.

Two models use this: the intent classifier (handlers/classifier.py, trained on example
messages) and the matcher's learned section signal (knowledge/matcher.py, trained on the
sections' titles and curated phrasings). Both are fit with scikit-learn at build time on
one thread (multi-threaded BLAS is slower at this size and not bit-for-bit repeatable).
A message is then scored straight from the fitted vocabularies and weights: the same
numbers as scikit-learn's own transform and decision_function (tests check it), at tens
of microseconds instead of a millisecond of sparse-matrix round trips. A fitted model
keeps no scikit-learn object once pickled, so loading the knowledge cache does not import
scikit-learn (about 0.7 s of a one-shot `sotp ask`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import repeat
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from knowledge.text import analyze, prepare, stem

if TYPE_CHECKING:   # scikit-learn is imported only to train (build time), never to score
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

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


def text_features(words: Callable[[str], list[str]] = word_features, char_min_df: int = 1) -> "FeatureUnion":
    """Words and bigrams; character n-grams within words, which carry misspellings, "?" and short forms.

    `words` must be a module-level function, so the fitted features stay picklable.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True,
                                  min_df=char_min_df)),
    ])


_WHITE_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, ngram_range: tuple[int, int], lowercase: bool) -> list[str]:
    """scikit-learn's analyzer="char_wb": n-grams inside words padded with one space (same output)."""
    if lowercase:
        text = text.lower()
    min_n, max_n = ngram_range
    out: list[str] = []
    for w in _WHITE_SPACES.sub(" ", text).split():
        w = " " + w + " "
        length = len(w)
        for n in range(min_n, max_n + 1):
            if length <= n:     # a word no longer than n is counted once, and ends the word
                out.append(w)
                break
            out += [w[i:i + n] for i in range(length - n + 1)]
    return out


# (callable analyzer, or None for char_wb), ngram range, lowercase: all a view needs to count features.
_View = tuple[Callable[[str], list[str]] | None, tuple[int, int], bool]

class _Features:
    """A text's features under one view, in order of first occurrence, with their sublinear TF."""

    __slots__ = ("names", "tf")

    def __init__(self, features: list[str]) -> None:
        counts = Counter(features)
        self.names: list[str] = list(counts)
        self.tf: np.ndarray = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0


_FEATURES_CACHE: dict[tuple[Any, ...], _Features] = {}
_FEATURES_CACHE_SIZE = 256


def _features(view: _View, text: str) -> _Features:
    """A view's features of a text, kept for the next few texts: the intent model and the matcher
    read the same message, and equal character settings give equal features."""
    key = (*view, text)
    found = _FEATURES_CACHE.get(key)
    if found is None:
        if len(_FEATURES_CACHE) >= _FEATURES_CACHE_SIZE:
            _FEATURES_CACHE.clear()
        analyzer, ngram_range, lowercase = view
        found = _FEATURES_CACHE[key] = _Features(
            analyzer(text) if analyzer is not None else char_wb_ngrams(text, ngram_range, lowercase))
    return found


def _view_of(vectorizer: "TfidfVectorizer") -> _View:
    if callable(vectorizer.analyzer):
        return (vectorizer.analyzer, tuple(vectorizer.ngram_range), bool(vectorizer.lowercase))
    if vectorizer.analyzer != "char_wb" or vectorizer.preprocessor is not None or vectorizer.strip_accents:
        raise ValueError(f"unsupported analyzer for fast scoring: {vectorizer.analyzer!r}")
    return (None, tuple(vectorizer.ngram_range), bool(vectorizer.lowercase))


class LinearTextModel:
    """A fitted linear model over text features, as plain vocabularies and arrays; picklable.

    `features` and `estimator` (the scikit-learn objects it was fitted with) are kept for
    checks in the process that trained it, and left out of the pickle.
    """

    def __init__(self, features: "FeatureUnion", estimator: Any) -> None:
        self.features: "FeatureUnion | None" = features
        self.estimator: Any = estimator
        self.labels: tuple[str, ...] = tuple(str(c) for c in estimator.classes_)
        # Stored feature-major: a message has a few hundred of the ~20,000 features, and gathering
        # their weights is then a few hundred contiguous rows instead of a strided column read from
        # every label's row (most of the time of a decision). The gathered block, seen transposed,
        # has the very layout (column-major) that coef[:, columns] had, so the product is the same
        # to the last bit (tests/test_classifier.py checks it).
        self._coef_t = np.ascontiguousarray(np.asarray(estimator.coef_, dtype=np.float64).T)
        self._intercept = np.asarray(estimator.intercept_, dtype=np.float64)
        self._views: list[tuple[_View, dict[str, int], np.ndarray, int]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            self._views.append((_view_of(vectorizer), dict(vectorizer.vocabulary_),
                                np.asarray(vectorizer.idf_, dtype=np.float64), offset))
            offset += len(vectorizer.vocabulary_)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["features"] = state["estimator"] = None
        return state

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], estimator: Any, *,
            features: "FeatureUnion | None" = None) -> "LinearTextModel":
        from threadpoolctl import threadpool_limits

        features = features if features is not None else text_features()
        with threadpool_limits(1):
            matrix = features.fit_transform(list(texts))
            estimator.fit(matrix, list(labels))
        return cls(features, estimator)

    def decision(self, text: str) -> np.ndarray:
        """The estimator's decision value for each label: intercept + weights . (sublinear TF x IDF, L2 per view)."""
        total = self._intercept.copy()
        for view, vocabulary, idf, offset in self._views:
            found = _features(view, text)
            # Each feature's column, or -1 if the model never saw it: one pass in C, no Python loop.
            columns = np.fromiter(map(vocabulary.get, found.names, repeat(-1)), dtype=np.intp,
                                  count=len(found.names))
            known = columns >= 0
            if not known.any():
                continue
            columns = columns[known]
            vector = found.tf[known] * idf[columns]
            vector /= math.sqrt(float(vector @ vector))
            if offset:
                columns += offset
            total += self._coef_t[columns].T @ vector
        return total

    def probabilities(self, text: str, temperature: float = 1.0) -> np.ndarray:
        """Softmax of the decision values (times temperature): a multinomial model's own probabilities at 1."""
        decision = self.decision(text) * temperature
        exp = np.exp(decision - decision.max())
        return exp / exp.sum()
