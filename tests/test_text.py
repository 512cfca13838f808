"""The analysis both sides of the matcher share: employees' phrases folded to the Notice's words."""

from knowledge.text import fold


def test_an_employees_phrase_becomes_the_notices_word():
    assert fold("Can I opt out now?").split() == ["can", "i", "withdraw", "now?"]


def test_a_phrase_inside_a_longer_word_is_left_alone():
    assert fold("they rescinded it") == "they rescinded it"
    assert fold("optout") == "optout"


def test_the_longest_phrase_starting_at_a_place_wins():
    # "cutoff" alone is the deadline; "cutoff 33" is the $33.00 threshold.
    assert fold("the cutoff 33 rule").split() == ["the", "33", "threshold", "rule"]
    assert fold("the cutoff is when").split() == ["the", "deadline", "is", "when"]


def test_a_phrase_ending_in_punctuation_is_still_bounded_by_a_word_after_it():
    assert fold("my 401(k) plan").split() == ["my", "compensation", "plan"]
    assert fold("my 401(k)x plan") == "my 401(k)x plan"


def test_phrases_follow_each_other_left_to_right():
    assert fold("I signed up and then opted out").split() == ["i", "participate", "and", "then", "withdraw"]


def test_a_phrase_just_after_a_dollar_sign_is_not_one():
    assert fold("$first $ x").split() == ["$first", "$", "x"]
