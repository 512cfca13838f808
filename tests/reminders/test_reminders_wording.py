"""The reminders' own words are plain English (issue 11); their quotes of the Notice stay verbatim
(tests/reminders/test_reminders_texts.py::test_every_quote_is_the_corpus_text_verbatim)."""

from __future__ import annotations

from bot.reminders import texts


def test_the_two_step_lead_says_how_to_elect_or_withdraw_in_plain_words():
    assert texts.load().text("how_two_step.lead", country="France") == (
        "If you choose to elect or to withdraw through the Employee Election Tool: in France the Notice sets a "
        "two-step process (Q22, Section 6):")


def test_no_reminder_text_says_so_choose_to():
    loaded = texts.load()
    found = [where for where, text in texts._strings(loaded.raw, "") if "so choose to" in text.lower()]
    assert found == []
