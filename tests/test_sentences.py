from knowledge.sentences import split_sentences


def test_sentences_split_at_full_stops_before_a_capital():
    assert split_sentences("No, participation is voluntary. You keep your options.") == [
        "No, participation is voluntary.", "You keep your options."]


def test_abbreviations_do_not_end_a_sentence():
    text = ("J.P. Morgan Securities Inc. will sell shares. Call 9:00 a.m. New York time. "
            "All amounts are in U.S. dollars.")
    assert split_sentences(text) == [
        "J.P. Morgan Securities Inc. will sell shares.", "Call 9:00 a.m. New York time.",
        "All amounts are in U.S. dollars."]


def test_a_quoted_term_after_a_period_starts_a_new_sentence():
    assert split_sentences('It is final. "Total Payment" means the sum.') == [
        "It is final.", '"Total Payment" means the sum.']


def test_decimal_amounts_stay_inside_their_sentence():
    assert split_sentences("We pay $0.02 per share. That is all.") == ["We pay $0.02 per share.", "That is all."]


def test_a_po_box_does_not_end_the_sentence():
    text = 'Mail it to "Mellon Investor Services LLC, P.O. Box 3301, South Hackensack, NJ 07606." Keep a copy.'
    assert split_sentences(text)[0].endswith('NJ 07606."')
