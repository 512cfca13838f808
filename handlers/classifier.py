"""What a message asks for, learned from example messages rather than written as patterns.

The examples are data (handlers/examples/*.toml, one file per intent, one table per
sub-intent). At build time a multinomial logistic regression (scikit-learn) is fit over
two views of each cleaned message (knowledge/learned.py): its words, folded to the
Notice's vocabulary and stemmed, with their bigrams; and its character n-grams, which
carry misspellings, "?" and short forms the words lose. Training is deterministic: same
examples, same model. handlers/examples/heldout.jsonl is never trained on;
`sotp bench faq` reports the model's accuracy there.

Chosen by measurement (held-out examples / development questions, intent accuracy):
this model 0.96 / 0.90 with the first examples, against 0.86-0.88 / 0.73-0.77 for a
rapidfuzz nearest-neighbour vote over the same examples and 0.94-0.96 / 0.88-0.89 for a
linear SVM.
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from handlers.cleaning import clean_message
from knowledge.learned import LinearTextModel, plain_word_features, text_features

log = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).with_name("examples")
HELDOUT_FILE = EXAMPLES_DIR / "heldout.jsonl"
# The public intents (the JSON contract of `sotp ask --json`), one examples file each.
INTENTS: tuple[str, ...] = ("faq", "estimate", "eligibility", "recommendation", "election", "other")
MIN_EXAMPLES_PER_INTENT = 40
# The model's regularisation: chosen on the held-out examples (see `sotp bench faq`).
C = 20.0


# In faq.toml, [general.<section id>] tables label questions with the section that answers them.
ANY_SECTION = "any"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str                  # "<intent>/<sub-intent>", e.g. "election/withdraw"
    section: str | None = None  # the section that answers it, for FAQ questions filed under one

    @property
    def intent(self) -> str:
        return self.label.split("/", 1)[0]


def load_examples(directory: Path = EXAMPLES_DIR) -> list[Example]:
    """Every training example, in file and table order; bad data is refused with the file named."""
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for intent in INTENTS:
        path = directory / f"{intent}.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read examples: {exc}") from exc
        count = 0
        for sub, table in data.items():
            groups = _groups(path, sub, table)
            for section, texts in groups:
                for text in texts:
                    key = " ".join(text.lower().split())
                    label = f"{intent}/{sub}"
                    if key in seen:
                        raise ValueError(f"{path}: [{sub}] repeats an example already under {seen[key]}: {text!r}")
                    seen[key] = label
                    examples.append(Example(text, label, section))
                    count += 1
        if count < MIN_EXAMPLES_PER_INTENT:
            raise ValueError(f"{path}: {count} examples; an intent needs at least {MIN_EXAMPLES_PER_INTENT}")
    return examples


def _groups(path: Path, sub: str, table: Any) -> list[tuple[str | None, list[str]]]:
    """A table's examples, or its sub-tables' examples by section id: [(section or None, texts)]."""
    def texts_of(node: Any, where: str) -> list[str]:
        texts = node.get("examples") if isinstance(node, dict) else None
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError(f"{path}: [{where}] needs a non-empty `examples` array of non-empty strings")
        return texts

    if isinstance(table, dict) and "examples" not in table and table:
        return [(None if section == ANY_SECTION else section, texts_of(node, f"{sub}.{section}"))
                for section, node in table.items()]
    return [(None, texts_of(table, sub))]


def section_examples(examples: Sequence[Example]) -> dict[str, list[str]]:
    """FAQ questions by the section that answers them, for the matcher's learned section signal."""
    found: dict[str, list[str]] = {}
    for example in examples:
        if example.section is not None:
            found.setdefault(example.section, []).append(clean_message(example.text))
    return found


def load_heldout(path: Path = HELDOUT_FILE) -> list[dict[str, Any]]:
    """The held-out rows: {"id", "text", "intent", "sub_intent", "sections", "channel", ["safety"]}."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                row = json.loads(line)
                if not {"text", "intent", "sub_intent"} <= set(row):
                    raise ValueError(f"{path}: line {number}: needs text, intent and sub_intent")
                rows.append(row)
    return rows


def _estimator() -> Any:
    from sklearn.linear_model import LogisticRegression   # only to train: scoring needs no scikit-learn

    return LogisticRegression(C=C, solver="newton-cg", max_iter=1000, class_weight="balanced")


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str                          # the most probable "<intent>/<sub-intent>"
    probability: float                  # its probability
    probabilities: dict[str, float]     # every label's

    @property
    def intent(self) -> str:
        return self.label.split("/", 1)[0]

    @property
    def sub_intent(self) -> str:
        return self.label.split("/", 1)[1]

    def of_intent(self, intent: str) -> float:
        """The probability that the message has this public intent (its sub-intents summed)."""
        return sum(p for label, p in self.probabilities.items() if label.startswith(intent + "/"))


class IntentClassifier:
    """The trained model and its labels. Picklable, so a cache of the built knowledge can keep it."""

    def __init__(self, model: LinearTextModel, examples: int) -> None:
        self.model = model
        self.labels = model.labels
        self.examples = examples

    @classmethod
    def train(cls, examples: Sequence[Example]) -> "IntentClassifier":
        model = LinearTextModel.fit([clean_message(e.text) for e in examples], [e.label for e in examples],
                                    _estimator(), features=text_features(words=plain_word_features))
        log.info("intent classifier trained on %d examples, %d labels", len(examples), len(model.labels))
        return cls(model, len(examples))

    def predict(self, cleaned: str) -> Prediction:
        """The labels' probabilities for one cleaned message (handlers.cleaning.clean_message)."""
        probs = self.model.probabilities(cleaned)
        best = int(np.argmax(probs))
        return Prediction(self.labels[best], float(probs[best]),
                          {label: float(p) for label, p in zip(self.labels, probs)})

    def accuracy(self, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
        """Intent and sub-intent accuracy over labeled rows (English ones: others have no label here)."""
        scored = [r for r in rows if r["sub_intent"] != "language"]
        if not scored:
            return {"rows": 0, "intent": 0.0, "label": 0.0}
        predictions = [self.predict(clean_message(r["text"])) for r in scored]
        intent = sum(p.intent == r["intent"] for p, r in zip(predictions, scored)) / len(scored)
        label = sum(p.label == f"{r['intent']}/{r['sub_intent']}" for p, r in zip(predictions, scored)) / len(scored)
        return {"rows": len(scored), "intent": round(intent, 4), "label": round(label, 4)}

