"""`sotp bench faq` tells a "did you mean" apart from a confident answer from the wrong section."""

from bot.benchmarks.faq import measure

RIGHT = {"id": "r", "text": "when is the election deadline?", "intent": "faq", "sections": ["q21"]}
WRONG = {"id": "w", "text": "when is the election deadline?", "intent": "faq", "sections": ["q9"]}
VAGUE = {"id": "v", "text": "something about the price", "intent": "faq", "sections": ["q6"]}


def test_a_confident_answer_citing_a_section_the_question_does_not_want_is_counted_confident_wrong():
    result = measure([RIGHT, WRONG], 1)
    assert (result["top1"], result["did_you_mean"], result["confident_wrong"]) == (0.5, 0, 1)


def test_a_did_you_mean_is_counted_as_such_and_not_as_confident_wrong():
    result = measure([RIGHT, VAGUE], 1)
    assert (result["top1"], result["did_you_mean"], result["confident_wrong"]) == (0.5, 1, 0)
