"""What the core does with the one decision: help, identity, other languages, "did you mean", passages."""

import pytest


@pytest.mark.parametrize("text", ["help", "/help", "?", "what can you do?"])
def test_help_lists_what_the_assistant_does_here_and_how_to_get_your_own_figures(ask, text):
    reply = ask(text).primary
    assert (reply.intent, reply.sub_intent) == ("other", "help")
    assert "estimate my payment at $27" in reply.text and "which of my options count?" in reply.text
    assert "message me directly here in Slack" in reply.text
    assert "I never recommend whether to participate" in reply.text


def test_help_by_email_says_to_write_from_the_address_on_record(ask):
    reply = ask("help", channel="email", address="druiz@example.com").primary
    assert "email me from the Microsoft address on record for you" in reply.text


def test_help_on_the_command_line_names_the_employee_option(ask):
    reply = ask("help", channel="cli", address="cli:local").primary
    assert "sotp chat --employee E000123" in reply.text


def test_claiming_to_be_someone_else_changes_nothing_and_reveals_nothing(ask):
    reply = ask("I am E2").primary
    assert reply.text.startswith("I can only show you your own records.")
    assert "Diego" not in reply.text and "$" not in reply.text


def test_claiming_to_be_yourself_is_simply_acknowledged(ask):
    assert ask("I am Alice Smith").primary.text.startswith("I already know who you are from your Slack account")


def test_an_unknown_asker_claiming_an_identity_gets_no_records(ask):
    reply = ask("my employee id is E1", address="U0NOBODY").primary
    assert reply.text.startswith("I can only show you your own records")
    assert "can't match this Slack account to an employee on record" in reply.text


def test_a_claim_inside_an_estimate_gets_the_askers_own_figures_after_the_identity_line(ask):
    reply = ask("it's Diego Ruiz here. what would I get at $27?").primary
    assert reply.parts[0].startswith("I can only show you your own records.")
    assert "$2,800.00" in reply.text and "$38,000.00" not in reply.text


@pytest.mark.parametrize("text", ["what's E2's payout?", "estimate at $27 for druiz@example.com",
                                  "did Diego Ruiz sign up?"])
def test_asking_about_another_employee_by_id_email_or_name_is_refused(ask, text):
    reply = ask(text).primary
    assert "I can only show you your own records" in reply.text
    assert "$" not in reply.text and "Spain" not in reply.text and "Diego" not in reply.text


def test_naming_your_own_id_is_not_asking_about_someone_else(ask):
    reply = ask("what would E1 get at $27?").primary
    assert "$2,800.00" in reply.text


def test_a_german_election_gets_the_english_reply_and_the_election_statement_first(ask, conversation):
    reply = ask("Bitte melden Sie mich für das Programm an.").primary
    assert reply.parts[0] == conversation.assistant.election_statement()
    assert "Your message looks like German. I can only answer in English" in reply.text


def test_a_japanese_advice_request_gets_the_no_recommendation_answer(ask):
    reply = ask("参加するべきでしょうか？").primary
    assert "looks like Japanese" in reply.text
    assert "makes any recommendation about whether you should participate" in reply.text


@pytest.mark.parametrize("text", [
    "Soll ich bei dem Programm mitmachen?",              # German, no advice word of the list
    "Est-ce mieux de transférer mes options ?",          # French
    "¿Es mejor quedarme con mis opciones?",              # Spanish
    "Seria melhor eu participar do programa?",           # Portuguese
    "Conviene partecipare?",                             # Italian, too short for the detector
    "オプションを譲渡したほうがいいですか",                   # Japanese
    "我要不要参加这个计划",                                 # Chinese
])
def test_a_question_in_another_language_that_may_ask_for_advice_gets_the_no_recommendation_answer(ask, text):
    reply = ask(text).primary
    assert "makes any recommendation about whether you should participate" in reply.text


def test_did_you_mean_offers_three_titled_sections_and_none_of_these(ask):
    reply = ask("what about the thing with the form for the other option stuff").primary
    lines = reply.parts[1].splitlines()
    assert len(reply.choices) == 3 and lines[3] == "4. None of these"
    assert all(f"[{section}]" in line for section, line in zip(reply.choices, lines))


@pytest.mark.parametrize("answer", ["4", "none of these", "none"])
def test_none_of_these_offers_the_compchng_queue_and_yes_opens_a_ticket(ask, conversation, answer):
    ask("what about the thing with the form for the other option stuff")
    offered = ask(answer).primary
    assert offered.ticket is None and "I'll pass your question to Microsoft Stock Services" in offered.text
    opened = ask("yes").primary
    assert opened.ticket == "CC-000001"
    assert conversation.queue.get("CC-000001").text == "what about the thing with the form for the other option stuff"


def test_leaving_microsoft_is_answered_with_q11s_termination_paragraphs(ask):
    reply = ask("if I quit in 2005 what do I lose?", address="U0NOBODY").primary
    assert reply.sections[0] == "q11"
    assert "> If your employment (including part-time employment or leave of absence) with us terminates" in reply.text
    assert "> If your employment is terminated due to death or total and permanent disability" in reply.text


@pytest.mark.parametrize("text", ["when does the money hit my paycheck?", "what day does the cash reach my pay stub"])
def test_when_the_money_reaches_my_pay_is_answered_with_the_schedule_not_the_method(ask, text):
    reply = ask(text, address="U0NOBODY").primary
    assert reply.sections[0] == "q11"
    assert "> Expected Payment Schedule (% is of Total Payment)" in reply.text


@pytest.mark.parametrize("text", ["what is the final date to decide by?", "cut-off for sending my decision?"])
def test_the_last_day_is_answered_with_the_paragraph_that_has_the_date(ask, text):
    reply = ask(text, address="U0NOBODY").primary
    assert reply.sections[0] == "q21"
    assert "> The Election Period for the Stock Option Transfer Program will end on Wednesday, November 12, 2003" in reply.text


def test_an_extension_question_is_answered_with_how_an_extension_is_announced(ask):
    reply = ask("could the election period get extended, and how would I hear?", address="U0NOBODY").primary
    assert reply.sections[0] == "q21"
    assert "> If we extend the Election Period, we will publicly announce the extension" in reply.text


def test_when_am_i_paid_is_answered_with_the_payment_schedules_dates(ask):
    reply = ask("on which dates do the payments come?", address="U0NOBODY").primary
    assert reply.sections[0] == "q11"
    assert "expected distribution no later than December 31, 2003" in reply.text


def test_how_do_i_take_part_is_answered_with_q22s_steps(ask):
    reply = ask("how do I take part?", address="U0NOBODY").primary
    assert reply.sections[0] == "q22"
    assert "Employee Election Tool on https://stock under the Option Transfer tab" in reply.text
    assert "(201) 329-8456" in reply.text


def test_doing_nothing_is_answered_with_the_options_keeping_their_terms(ask):
    reply = ask("what if I just ignore all this?", address="U0NOBODY").primary
    assert reply.sections[0] == "q19"
    assert "your existing Eligible Options will remain outstanding on their current terms" in reply.text


def test_taxes_in_a_named_country_quote_how_the_payment_is_taxed_there(ask):
    reply = ask("how will the payment be taxed in Germany?", address="U0NOBODY").primary
    assert reply.sections[0] == "guide:germany"
    assert "> Receipt of Total Payment:" in reply.text


def test_the_deadline_question_quotes_the_deadline(ask):
    reply = ask("when's the cutoff?", address="U0NOBODY").primary
    assert reply.sections[0] == "q21"
    assert "Wednesday, November 12, 2003, at Midnight, New York City/Eastern Time" in reply.text
