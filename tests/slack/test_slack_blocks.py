"""Replies as Block Kit: quotes, sources, the answer buttons, choices, and Slack's size limits."""

import json

from bot.channels.slack.blocks import (MAX_BLOCK_TEXT, MAX_BLOCKS, MAX_MESSAGE_TEXT, Style, escape,
                                       reply_messages)
from bot.channels.slack.texts import texts
from handlers.reply import Reply

STYLE = Style(words=texts(), source_prefix="Source: ",
              more_line=lambda s: 'Reply "more" for the full section, or ask another question.',
              title={"q21": "Q21. When does my ability to elect end?", "s7": "Section 7. Extension"}.get,
              notice_url="https://stock")
ANSWER = Reply("faq", ("From Q21 of the Notice:", "> The Election Period will end on Wednesday.",
                       "Source: Notice, Q21. When does my ability to elect end? [q21]",
                       'Reply "more" for the full section, or ask another question.'), ("q21", "s7"), 0.8)


def _blocks(replies, answer="reply:slack:D1:1.1:0"):
    (message,) = reply_messages(replies, answer, STYLE)
    return message.blocks


def test_the_passage_is_a_quote_and_its_source_a_context_block():
    blocks = _blocks([ANSWER])
    assert blocks[1] == {"type": "section", "text": {"type": "mrkdwn",
                                                     "text": "> The Election Period will end on Wednesday."}}
    assert blocks[2] == {"type": "context", "elements": [
        {"type": "mrkdwn", "text": "Source: Notice, Q21. When does my ability to elect end? [q21]"}]}


def test_an_answer_from_the_notice_has_exactly_the_four_buttons_and_no_reply_more_line():
    blocks = _blocks([ANSWER])
    actions = blocks[-1]
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Show full section", "Helpful", "Not helpful", "Ask compchng"]
    assert json.loads(actions["elements"][0]["value"]) == {"a": "reply:slack:D1:1.1:0#0", "s": "q21"}
    assert not any("Reply \"more\"" in b.get("text", {}).get("text", "") for b in blocks)


def test_low_confidence_choices_are_buttons_titled_by_section_then_ask_compchng():
    unsure = Reply("faq", ("I'm not sure which part answers that.",), ("q21", "s7", "none"), 0.2,
                   choices=("q21", "s7", "none"))
    labels = [e["text"]["text"] for e in _blocks([unsure])[-1]["elements"]]
    assert labels == ["Q21. When does my ability to elect end?", "Section 7. Extension", "none", "Ask compchng"]


def test_a_ticket_reply_and_the_private_pointer_have_no_buttons():
    ticket = Reply("eligibility", ("I've passed this to compchng as ticket CC-000001.",), ("q3",), ticket="CC-000001")
    pointer = Reply("estimate", ("I've sent my answer to you privately.",))
    assert [b["type"] for b in _blocks([pointer, ticket])] == ["section", "section"]


def test_text_is_escaped_for_mrkdwn_but_a_quote_keeps_its_marker():
    blocks = _blocks([Reply("other", ("Pay <b> & co >", "> a < b"))])
    assert [b["text"]["text"] for b in blocks] == ["Pay &lt;b&gt; &amp; co &gt;", "> a &lt; b"]
    assert escape("a&b") == "a&amp;b"


def test_a_long_section_is_cut_into_blocks_of_at_most_3000_characters_with_a_link_to_the_notice():
    paragraph = " ".join(["The Election Period may be extended."] * 400)      # ~14,800 characters
    full = Reply("faq", ("Section 7 [s7]", f"> {paragraph}"), ("s7",))
    blocks = _blocks([full])
    quotes = [b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith(">")]
    assert len(quotes) == 5 and all(len(b["text"]["text"]) <= MAX_BLOCK_TEXT for b in quotes)
    assert "".join(b["text"]["text"].replace("> ", "", 1) for b in quotes).replace(" ", "") == \
        paragraph.replace(" ", "")
    assert blocks[-2]["elements"][0]["text"] == ("The full Notice to Eligible Employees: "
                                                 "<https://stock|Stock Option Transfer Program documents>")


def test_a_reply_too_big_for_one_message_continues_in_the_next_within_50_blocks_and_40000_characters():
    parts = tuple(f"> {'x' * 2500} {n}" for n in range(60))                  # 60 quote blocks, ~150,000 chars
    messages = reply_messages([Reply("faq", parts, ("s3",))], "k", STYLE)
    assert len(messages) == 5                              # 14 quotes of ~2,500 characters fit in one
    for message in messages:
        chars = sum(len(b["text"]["text"]) for b in message.blocks if b["type"] == "section")
        assert len(message.blocks) <= MAX_BLOCKS and chars + len(message.text) <= MAX_MESSAGE_TEXT
    assert [m.text for m in messages[1:]] == ["(continued)"] * 4
    assert sum(len(m.blocks) for m in messages) == 60 + 2      # the Notice link and the buttons
    assert messages[-1].blocks[-2]["elements"][0]["text"].startswith("The full Notice to Eligible Employees: ")
