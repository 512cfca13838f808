from datetime import date

from handlers.deadline import deadline_instant, deadline_sentence


def test_the_deadline_is_midnight_eastern_at_the_end_of_the_day():
    assert deadline_instant(date(2003, 11, 12)).isoformat() == "2003-11-13T00:00:00-05:00"


def test_the_deadline_sentence_gives_eastern_and_pacific_time_as_the_tool_does():
    assert deadline_sentence(date(2003, 11, 12)) == (
        "Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003")


def test_an_extended_deadline_is_worded_the_same_way():
    assert deadline_sentence(date(2003, 11, 19)).endswith("on Wednesday, November 19, 2003")
