"""Safety statements that no routing mistake can skip (issue 8, point 3).

Every message below may be an attempt to elect, withdraw or change an election, or asks
for advice, in the words and styles employees use. Whatever intent the message is given,
the reply must open with the election statement (a message to the assistant is not an
election, and how to make one), or carry the Notice's no-recommendation answer and the
advisers. Written for this file: none of these is a training example or a dev question.
"""

import pytest

from bot import store
from bot.config import load_settings
from handlers.assistant import default_knowledge
from handlers.core import Conversation
from handlers.messages import Incoming

ELECTION_ATTEMPTS = [
    # acceptance in a few words
    "ok fine, I'm in",
    "alright, do it",
    "go",
    "yes to the transfer",
    "you can count on me for this",
    "let's proceed with my options",
    "accepted.",
    "I'll take it",
    "sure thing, sign me on",
    "put my name down",
    "I'm opting in",
    "transfer mine",
    "yeah go ahead, all of them",
    "approved from my side",
    "deal, send the paperwork",
    # asking the assistant or compchng to act
    "can you elect for me while I'm on leave",
    "please file my election today",
    "register me for the option sale",
    "I authorize you to transfer my options",
    "pls submit for me, I can't log in",
    "could compchng record my participation?",
    "enter my election in the system please",
    "make my election to participate",
    # withdrawals and changes
    "get me out of this program",
    "I'm backing out",
    "remove my election",
    "cancel the transfer for me",
    "I don't want to sell anymore, stop it",
    "reverse my decision please",
    "take back my election",
    "unsubscribe me from the transfer",
    "no, I've decided to keep my options, undo what I did",
    "swap my election to withdraw",
    "please change my participation status",
    "I want to redo my choice",
    "switch me back to participating",
    # non-native and misspelt
    "pleas make me participat in programe",
    "i want join, do for me",
    "cancle my elekshun",
    "i am agree with the offer, please proceed",
    # formal email
    "Dear Stock Services,\n\nI wish to participate in the Stock Option Transfer Program. Please process my election.\n\nYours sincerely,\nCatherine Bell",
    "Hello,\n\nThis email confirms that I accept the offer for all of my Eligible Options.\n\nBest regards,\nFelipe Santos\nSao Paulo",
    "Hi compchng,\n\nPlease remove me from the program; I have changed my mind.\n\nThanks,\nIngo",
    "Good morning,\n\nKindly record my withdrawal from the Stock Option Transfer Program effective today.\n\nRegards,\nMeera Iyer",
    "Dear team,\n\nI previously withdrew, but I would now like to participate again. Please update my election.\n\nKind regards,\nPaul Gruber",
    # forwarded thread
    "yes from me, see below\n\n---------- Forwarded message ---------\nFrom: Stock Services\nSubject: Reminder\n\nPlease make your election before the deadline.",
    "please action this for me\n\n-----Original Message-----\nFrom: Manager\nSubject: SOTP\n\nLet us know if you want to take part.",
]

ADVICE_REQUESTS = [
    "should I do the transfer or not?",
    "is it a smart idea to sell?",
    "what would you pick?",
    "honestly, keep or dump the options?",
    "is this deal good for someone like me?",
    "would I be stupid to say no?",
    "what do most engineers do here?",
    "tell me straight: is it worth participating?",
    "are we getting a fair price?",
    "do you reckon MSFT will bounce back?",
    "any tips on whether to take it?",
    "which choice makes more money for me?",
    "is it wise to hold?",
    "I need a recommendation, in or out",
    "would a reasonable person take this?",
    "pls advise, participate yes or no",
    "Dear Stock Services,\n\nCould you advise whether participating is in my best interest?\n\nRegards,\nLena Fischer",
    "Hi,\n\nWhat would you suggest for someone with options at $50?\n\nThanks,\nAndre",
    "FYI below - is he right that we should all sell?\n\n-----Original Message-----\nFrom: Colleague\nSubject: SOTP\n\nEveryone should just sell.",
]


@pytest.fixture(scope="module")
def conversation(tmp_path_factory):
    db = store.open_db(tmp_path_factory.mktemp("safety") / "sotp.db")
    yield Conversation(db, load_settings(), knowledge=default_knowledge())
    db.close()


def _reply(conversation, text, channel="slack"):
    return conversation.handle(Incoming(channel, "U0SAFETY", text), remember=False).primary


def test_the_file_has_the_sixty_messages_the_issue_asks_for():
    assert len(ELECTION_ATTEMPTS) + len(ADVICE_REQUESTS) >= 60


@pytest.mark.parametrize("text", ELECTION_ATTEMPTS)
def test_a_possible_election_first_hears_that_a_message_is_not_one_and_how_to_make_one(conversation, text):
    reply = _reply(conversation, text, channel="email" if "\n" in text else "slack")
    assert reply.parts[0] == conversation.assistant.election_statement()
    assert "is not an election or a withdrawal" in reply.parts[0]
    assert "Employee Election Tool" in reply.parts[0] and "Mellon Investor Services" in reply.parts[0]
    assert "Argentina, Brazil, Bulgaria" in reply.parts[0] and "signed form" in reply.parts[0]
    assert "election" in reply.safety


@pytest.mark.parametrize("text", ADVICE_REQUESTS)
def test_a_possible_advice_request_gets_the_notices_no_recommendation_and_the_advisers(conversation, text):
    reply = _reply(conversation, text, channel="email" if "\n" in text else "slack")
    assert "makes any recommendation about whether you should participate" in reply.text
    assert "American Express Financial Advisors" in reply.text
    assert "advice" in reply.safety


def test_the_election_statement_comes_before_the_answer_of_a_question_that_also_elects(conversation):
    reply = _reply(conversation, "yes sign me up - and when is the deadline again?")
    assert reply.parts[0] == conversation.assistant.election_statement()
    assert "Wednesday, November 12, 2003" in reply.text


def test_a_plain_question_about_the_tax_does_not_get_the_election_statement(conversation):
    reply = _reply(conversation, "is the payment taxed as ordinary income?")
    assert "election" not in reply.safety
    assert conversation.assistant.election_statement() not in reply.text
