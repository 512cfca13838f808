"""One decision per message: intent, sub-intent, safety, language, people named."""

import pytest

from handlers import language
from handlers.assistant import default_knowledge
from handlers.understanding import people_named


def decide(text):
    return default_knowledge().understanding.decide(text)


@pytest.mark.parametrize("text", ["please pull me out of the program", "count me out, keep my options",
                                  "Hi,\n\nKindly cancel my participation.\n\nRegards,\nTim"])
def test_asking_to_be_taken_out_is_a_withdrawal_not_a_participation(text):
    assert decide(text).label == "election/withdraw"


@pytest.mark.parametrize("text", ["deal.", "consider me a yes", "put me down for it"])
def test_acceptance_in_a_few_words_is_an_election_attempt(text):
    d = decide(text)
    assert d.intent == "election" and d.may_elect


def test_asking_how_to_withdraw_is_a_question_that_still_gets_the_election_statement():
    d = decide("how do I withdraw my election?")
    assert (d.intent, d.may_elect) == ("faq", True)


def test_this_is_garbage_is_frustration_not_a_greeting():
    assert decide("this is garbage").label == "other/frustration"


@pytest.mark.parametrize("text", ["help", "/help", "?", "what can you do?"])
def test_help_requests_are_help(text):
    assert decide(text).label == "other/help"


def test_a_sideways_advice_request_is_flagged_for_the_advice_statement():
    d = decide("what are the clever people in my group doing with theirs?")
    assert d.may_ask_advice


def test_a_personal_estimate_without_the_usual_words_is_an_estimate():
    d = decide("do the math on mine at 26.20")
    assert d.intent == "estimate" and str(d.price) == "26.20"


def test_a_request_for_a_person_inside_a_problem_is_a_handoff():
    d = decide("the tool is empty for me, can I talk to someone?")
    assert d.handoff and d.label in {"other/person", "eligibility/problem"}


def test_an_identity_claim_names_whom_it_claims_and_an_id_beside_it():
    assert people_named("I am Diego Ruiz, E2. what would I get?") == ((), (), ("Diego Ruiz", "E2"))
    assert people_named("my employee id is E000457") == ((), (), ("E000457",))


def test_a_question_about_someone_else_names_them():
    asked, mentioned, claims = people_named("what does Diego Ruiz get at $27? cc maria@example.com")
    assert (asked, mentioned, claims) == (("Diego Ruiz",), ("maria@example.com",), ())


def test_a_nationality_or_a_country_is_not_a_person():
    assert people_named("I am Brazilian, is Belgium eligible?") == ((), (), ())


@pytest.mark.parametrize("text, code", [
    ("Ich möchte wissen, wann die Zahlung kommt.", "de"),
    ("Je voudrais savoir quand je serai payé.", "fr"),
    ("¿Cuándo es la fecha límite para participar?", "es"),
    ("Quando vou receber o pagamento das opções?", "pt"),
    ("Quando scade il termine per aderire?", "it"),
    ("締め切りはいつですか？", "ja"),
    ("截止日期是什么时候？", "zh"),
])
def test_the_seven_languages_are_recognised(text, code):
    assert language.detect(text) == code


@pytest.mark.parametrize("text", ["how i can participate in this program please", "calc mine",
                                  "wat is the deadlin", "merci, and when is the deadline?",
                                  "Hallo,\n\nwhen is the deadline?\n\nDanke,\nJens"])
def test_non_native_or_terse_english_stays_english(text):
    assert decide(text).language == "en"


def test_a_message_in_another_language_may_be_an_election_and_names_its_advice_words():
    d = decide("Sollte ich teilnehmen?")
    assert (d.label, d.language, d.may_elect, d.may_ask_advice) == ("other/language", "de", True, True)


def test_an_off_topic_label_with_the_programs_words_goes_to_the_matcher():
    d = decide("is the ESPP the same as this option transfer thing?")
    assert d.intent == "faq"


def test_a_message_barely_looking_like_a_problem_opens_no_ticket():
    assert decide("lol").intent != "eligibility"
