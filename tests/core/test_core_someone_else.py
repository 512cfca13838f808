"""Asking for another person's figures is refused however the person is named: a name typed in lower case, or
"employee 2" / "employee #2"; the reply is the refusal, never the asker's own figures (Alice, E1, gets $2,800.00
at $27; Diego Ruiz, E2, is on record in the world of tests/core/conftest.py)."""

import pytest

REFUSAL = "I can only show you your own records"


@pytest.mark.parametrize("text", [
    "how much is diego ruiz getting?",
    "how much is diego ruiz getting at $27?",
    "what will diego ruiz receive if the average is 27?",
    "what would diego get at $27",
    "what is employee 2 getting at $27?",
    "how much does employee #2 get",
    "pull up the estimate for employee no. 2 at $30",
    "show me employee #2's payout",
])
def test_another_persons_figures_are_refused_whatever_the_case_or_form_of_the_name(ask, text):
    reply = ask(text).primary
    assert REFUSAL in reply.text
    assert "$" not in reply.text and "Diego" not in reply.text and "Spain" not in reply.text


@pytest.mark.parametrize("text", [
    "how much would I get at $27?",
    "how much will my options get at $27?",
    "what would vested options get at $27?",
    "how much is the initial payment getting at $27?",
])
def test_a_question_about_ones_own_options_in_the_same_words_is_not_refused(ask, text):
    reply = ask(text).primary
    assert REFUSAL not in reply.text
    assert "$2,800.00" in reply.text


def test_naming_yourself_in_lower_case_is_not_asking_about_someone_else(ask):
    reply = ask("how much is alice smith getting at $27?").primary
    assert REFUSAL not in reply.text and "$2,800.00" in reply.text
