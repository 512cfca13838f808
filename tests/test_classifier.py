"""The intent classifier: learned from the example files, deterministic, and scored like scikit-learn."""

import numpy as np
import pytest

from handlers.assistant import default_knowledge
from handlers.classifier import (HELDOUT_FILE, INTENTS, MIN_EXAMPLES_PER_INTENT, IntentClassifier,
                                 load_examples, load_heldout)
from handlers.cleaning import clean_message


@pytest.fixture(scope="module")
def trained():
    """Knowledge built in this process: a cached one keeps no scikit-learn objects to compare with."""
    return default_knowledge.build()


@pytest.fixture(scope="module")
def classifier(trained):
    return trained.understanding.classifier


def test_every_intent_has_at_least_forty_examples():
    examples = load_examples()
    for intent in INTENTS:
        assert sum(e.intent == intent for e in examples) >= MIN_EXAMPLES_PER_INTENT, intent


def test_the_held_out_tuning_and_sealed_examples_are_never_training_examples():
    trained = {" ".join(e.text.lower().split()) for e in load_examples()}
    others = ("sealed.jsonl", "sealed3.jsonl", "tuning.jsonl", "tuning2.jsonl", "tuning3.jsonl",
              "tuning4.jsonl", "tuning5.jsonl")
    for path in (HELDOUT_FILE, *(HELDOUT_FILE.with_name(n) for n in others)):
        held = [" ".join(r["text"].lower().split()) for r in load_heldout(path)]
        assert held and not trained.intersection(held), path


def test_training_twice_gives_the_same_model_and_the_same_answers():
    examples = load_examples()
    first, second = IntentClassifier.train(examples), IntentClassifier.train(examples)
    assert first.labels == second.labels
    assert np.array_equal(first.model.estimator.coef_, second.model.estimator.coef_)
    for text in ("pull me out please", "when is the deadline?", "is it worth it?"):
        assert first.predict(text).probabilities == second.predict(text).probabilities


def test_the_fast_scorer_gives_scikit_learns_own_probabilities(classifier):
    texts = [clean_message(r["text"]) for r in load_heldout()[:40]]
    model = classifier.model
    expected = model.estimator.predict_proba(model.features.transform(texts))
    got = np.array([[classifier.predict(t).probabilities[label] for label in classifier.labels] for t in texts])
    assert np.allclose(got, expected, atol=1e-12)


def test_the_matchers_learned_section_signal_is_scikit_learns_decision_function(trained):
    model = trained.matcher._learned
    texts = ["when will I get paid?", "how is the payment taxed in Germany?", "what is the averaging period"]
    expected = model.estimator.decision_function(model.features.transform(texts))
    assert np.allclose(np.array([model.decision(t) for t in texts]), expected, atol=1e-12)


def _decision_label_major(model, text):
    """The decision as first written: weights gathered column by column from the label-major matrix."""
    import math

    from knowledge.learned import _features

    coef = np.ascontiguousarray(model._coef_t.T)
    total = model._intercept.copy()
    for view, vocabulary, idf, offset in model._views:
        found = _features(view, text)
        known = [(vocabulary[f], tf) for f, tf in zip(found.names, found.tf) if f in vocabulary]
        if not known:
            continue
        index = [j for j, _ in known]
        vector = np.array([tf for _, tf in known]) * idf[index]
        vector /= math.sqrt(float(vector @ vector))
        total += coef[:, [offset + j for j in index]] @ vector
    return total


def test_the_feature_major_weights_give_the_label_major_decision_to_the_last_bit(trained):
    texts = [r["text"] for r in load_heldout()] + ["?", "hi", "when will I get paid?"]
    for model in (trained.understanding.classifier.model, trained.matcher._learned):
        for text in texts:
            assert np.array_equal(model.decision(text), _decision_label_major(model, text)), text


def test_a_repeated_example_is_refused_with_the_file_named(tmp_path):
    for intent in INTENTS:
        texts = [f"{intent} example number {i}" for i in range(MIN_EXAMPLES_PER_INTENT)]
        if intent == "other":
            texts.append("faq example number 3")
        body = "[x]\nexamples = [" + ", ".join(f'"{t}"' for t in texts) + "]\n"
        (tmp_path / f"{intent}.toml").write_text(body)
    with pytest.raises(ValueError, match=r"other\.toml: \[x\] repeats an example already under faq/x"):
        load_examples(tmp_path)


def test_an_intent_with_too_few_examples_is_refused(tmp_path):
    for intent in INTENTS:
        (tmp_path / f"{intent}.toml").write_text('[x]\nexamples = ["' + intent + ' only"]\n')
    with pytest.raises(ValueError, match="faq.toml: 1 examples; an intent needs at least 40"):
        load_examples(tmp_path)


def test_the_classifier_is_right_on_most_held_out_examples(classifier):
    # The exact figure is reported by `sotp bench faq`; this only guards against a broken model.
    assert classifier.accuracy(load_heldout())["intent"] >= 0.85


def test_faq_questions_are_filed_under_the_section_that_answers_them():
    from handlers.classifier import section_examples

    by_section = section_examples(load_examples())
    assert "if i leave microsoft next year do i lose the rest of the money?" in [
        t.lower() for t in by_section["q11"]]
    assert all(section in default_knowledge().corpus for section in by_section)


def test_examples_filed_under_an_unknown_section_stop_start_up():
    from knowledge.matcher import Matcher

    with pytest.raises(ValueError, match=r"examples for unknown sections: \['q99'\]"):
        Matcher(default_knowledge().corpus, examples={"q99": ["what is q99?"]})


def test_the_char_ngrams_are_scikit_learns_char_wb_ngrams():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from knowledge.learned import char_wb_ngrams

    text = "Sign me UP  for the  SOTP?? e-mail à Mellon"
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True).build_analyzer()(text)
    assert char_wb_ngrams(text, (2, 5), True) == theirs


def test_a_pickled_model_carries_no_scikit_learn_object():
    import pickle

    from handlers.assistant import default_knowledge

    data = pickle.dumps(default_knowledge())
    assert b"sklearn" not in data
