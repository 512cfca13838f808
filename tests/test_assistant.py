"""Replies for anyone who asks: quoted, cited, neutral, and honest about uncertainty."""

import pytest

from bot import store
from bot.config import load_settings
from handlers.assistant import default_knowledge
from handlers.core import Conversation
from handlers.messages import Incoming


class _Anonymous:
    """Asks through the conversation core as an unidentified user, one question at a time."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.assistant = conversation.assistant

    def respond(self, text: str):
        return self.conversation.handle(Incoming("cli", "cli:test", text), remember=False).primary

    def full_section(self, section_id: str):
        return self.assistant.full_section(section_id)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    db = store.open_db(tmp_path_factory.mktemp("core") / "sotp.db")
    yield _Anonymous(Conversation(db, load_settings(), knowledge=default_knowledge()))
    db.close()


def test_a_faq_answer_quotes_the_notice_cites_the_section_and_offers_the_full_text(assistant):
    reply = assistant.respond("Can I transfer only some of my eligible grants?")
    assert reply.intent == "faq" and reply.sections[0] == "q14"
    assert reply.text.startswith("From Q14 of the Notice:\n\n> ")
    assert "You will not be able to transfer less than all of your Eligible Options." in reply.text
    assert "[q14]" in reply.text
    assert 'Reply "more" for the full section' in reply.text


def test_every_quoted_line_of_a_faq_answer_is_in_the_cited_section(assistant):
    reply = assistant.respond("what happens if the program is terminated after the deadline?")
    section = default_knowledge().corpus[reply.sections[0]]
    quoted = " ".join(line[2:] for line in reply.text.splitlines() if line.startswith("> "))
    assert quoted and any(quoted in p for p in section.paragraphs)


def test_below_the_threshold_the_reply_says_so_offers_three_sections_and_compchng(assistant):
    reply = assistant.respond("what about the thing with the form for the other option stuff")
    assert reply.text.startswith("I'm not sure which part of the Notice answers that")
    assert len(reply.choices) == 3 and reply.sections == reply.choices
    assert "compchng" in reply.text


def test_should_i_gets_the_notices_no_recommendation_the_factors_and_the_advisers(assistant):
    reply = assistant.respond("Should I take the deal?")
    assert reply.intent == "recommendation"
    assert reply.sections == ("q24", "factors", "resources")
    assert "makes any recommendation about whether you should participate" in reply.text
    assert "American Express Financial Advisors" in reply.text
    assert "you should participate" not in reply.text.replace(
        "about whether you should participate", "")


def test_a_request_to_elect_explains_the_tool_the_paper_form_and_the_two_step_countries(assistant):
    reply = assistant.respond("please sign me up for the program")
    assert reply.intent == "election"
    assert reply.sections[0] == "q22"
    assert "Employee Election Tool" in reply.text and "(201) 329-8456" in reply.text
    assert "Argentina, Brazil, Bulgaria" in reply.text
    assert "must RECEIVE your signed Election Form by the Election Deadline" in reply.text
    assert "Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003" in reply.text


def test_a_request_to_withdraw_from_a_two_step_country_says_the_signed_form_is_needed(assistant):
    reply = assistant.respond("I'm in Moscow, can you withdraw my election for me?")
    assert reply.intent == "election" and reply.sections[0] == "q23"
    assert "You are employed in Russia, one of the countries with a two-step process" in reply.text


def test_an_off_topic_question_is_declined_politely(assistant):
    reply = assistant.respond("where can I park my bike at building 40?")
    assert reply.intent == "other" and reply.sections == ()
    assert "only help with the Stock Option Transfer Program" in reply.text


def test_a_greeting_says_what_the_assistant_can_do_and_that_it_does_not_advise(assistant):
    reply = assistant.respond("hi there")
    assert reply.intent == "other" and "I don't give advice on whether to participate" in reply.text


def test_the_full_section_is_available_on_request(assistant):
    reply = assistant.full_section("q4")
    assert reply.text.splitlines()[0].startswith("Q4.")
    assert "> No, participation in the Stock Option Transfer Program is completely voluntary." in reply.text


def test_naming_a_two_step_country_adds_its_rule_to_a_public_answer(assistant):
    reply = assistant.respond("In Germany, do we have to send a signed form to Mellon too?")
    assert reply.privacy == "public"
    assert "Germany is one of the countries with a two-step process" in reply.text
