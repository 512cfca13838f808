import pytest

from handlers.router import route


@pytest.mark.parametrize("text", [
    "Should I participate or keep my options?",
    "would you take the deal if you were me",
    "is this program worth it for someone at level 62?",
    "honestly, what's your opinion, good idea or not?",
    "my wife thinks we should sell. is she right?",
])
def test_should_i_questions_are_recommendation(text):
    assert route(text).intent == "recommendation"


def test_asking_whether_microsoft_recommends_anything_is_a_faq():
    assert route("Does Microsoft make any recommendation about participating?").intent == "faq"


@pytest.mark.parametrize("text", [
    "please enroll me in the program",
    "can you submit my election for me, I'm on vacation",
    "Hi,\n\nPlease withdraw my election.\n\nThanks,\nAnn",
    "opt me out please",
    "Attached is my signed withdrawal form, please send it on to Mellon.",
])
def test_asking_the_assistant_to_elect_or_withdraw_is_election(text):
    assert route(text).intent == "election"


def test_asking_how_to_elect_is_a_faq_not_an_election():
    assert route("how do I submit my election if I'm in Brazil?").intent == "faq"


@pytest.mark.parametrize("text", [
    "how much would I receive at $25?",
    "what's my payout if the ACP ends up at 29",
    "estimate my total please",
    "what would my grants be worth at 30?",
])
def test_asking_for_ones_own_figure_is_estimate(text):
    assert route(text).intent == "estimate"


def test_a_rule_question_about_the_20000_threshold_is_a_faq():
    assert route("if my payout is below 20k will I get all of it in December?").intent == "faq"


@pytest.mark.parametrize("text", [
    "I never received the launch email and the tool is empty for me",
    "my $45 grant from 2000 is missing from the list",
    "The tool shows my status as terminated but I'm on parental leave",
    "I'm moving from the Seattle office to Brussels next week, am I still in?",
    "I was rehired in October, do my old grants count?",
])
def test_personal_eligibility_problems_are_eligibility(text):
    assert route(text).intent == "eligibility"


def test_a_general_rule_about_part_time_employees_is_a_faq():
    assert route("are part-time employees eligible?").intent == "faq"


@pytest.mark.parametrize("text", ["hello", "thank you!", "you are a useless bot"])
def test_greetings_thanks_and_frustration_are_other(text):
    assert route(text).intent == "other"


def test_a_thanks_that_asks_a_new_question_is_not_other():
    assert route("thanks! and when is the deadline?").intent == "faq"


def test_off_topic_messages_are_flagged_for_the_matcher_to_confirm():
    r = route("what's on the cafeteria menu today?")
    assert (r.intent, r.on_topic) == ("faq", False)


def test_route_carries_price_countries_and_handoff():
    r = route("Hi,\n\nI'm in Prague, can I talk to a person about my options at $27?\n\nRegards,\nJan")
    assert r.price is not None and str(r.price) == "27"
    assert r.countries == ("Czech Republic",)
    assert r.handoff is True


def test_would_you_sell_is_a_request_for_advice():
    assert route("honestly would you sell at these prices?").intent == "recommendation"
