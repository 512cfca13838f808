"""The curated phrasings for the Notice and its companion documents are well-formed data.

The matcher trusts these files blindly: an unknown id would cite a section that does not exist,
and a question filed under two sections would make both of them win the same query.
"""
import tomllib
from collections import Counter
from pathlib import Path

import pytest

CURATED = Path(__file__).resolve().parent.parent / "knowledge" / "curated"

NOTICE_IDS = {"cover", "schedule-a"} | {f"q{n}" for n in range(1, 27)} | {
    f"s{n}" for n in range(1, 20)}
DOCUMENT_IDS = {
    "tool", "forms", "letter", "getting-started", "understanding", "factors", "resources",
    "defined-terms", "payment-method", "announcements", "agreements",
}
FILES = {"notice.toml": NOTICE_IDS, "documents.toml": DOCUMENT_IDS}


def load(name: str) -> dict:
    with (CURATED / name).open("rb") as handle:
        return tomllib.load(handle)


def all_tables() -> dict[str, dict]:
    tables: dict[str, dict] = {}
    for name in FILES:
        tables.update(load(name))
    return tables


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_table_is_a_known_section_id(name):
    assert set(load(name)) <= FILES[name]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_section_of_the_brief_is_curated(name):
    assert set(load(name)) == FILES[name]


def test_each_table_has_only_questions_and_keywords():
    for section, table in all_tables().items():
        assert set(table) == {"questions", "keywords"}, section


@pytest.mark.parametrize("field", ["questions", "keywords"])
def test_fields_are_non_empty_lists_of_non_empty_strings(field):
    for section, table in all_tables().items():
        values = table[field]
        assert isinstance(values, list) and values, (section, field)
        for value in values:
            assert isinstance(value, str) and value.strip(), (section, field, value)


def test_no_question_is_repeated_within_a_section():
    for section, table in all_tables().items():
        counts = Counter(q.strip().lower() for q in table["questions"])
        repeated = [q for q, n in counts.items() if n > 1]
        assert repeated == [], section


def test_no_question_is_filed_under_two_sections():
    owners: dict[str, list[str]] = {}
    for section, table in all_tables().items():
        for question in {q.strip().lower() for q in table["questions"]}:
            owners.setdefault(question, []).append(section)
    shared = {q: s for q, s in owners.items() if len(s) > 1}
    assert shared == {}


def test_keywords_are_a_short_distinctive_list():
    # The brief asks for 5 to 20 keywords; generic words would match every section.
    generic = {"options", "program", "microsoft", "payment", "stock"}
    for section, table in all_tables().items():
        keywords = [k.lower() for k in table["keywords"]]
        assert 5 <= len(keywords) <= 20, (section, len(keywords))
        assert len(set(keywords)) == len(keywords), section
        assert generic.isdisjoint(keywords), section


def test_question_counts_follow_the_brief():
    # 10-30 per Notice Q&A or Terms and Conditions section (a rich section like Q11 needs more),
    # 4-8 for the schedule and exhibits: enough variety without one section drowning the rest.
    tables = all_tables()
    for section in NOTICE_IDS - {"schedule-a"}:
        most = 32 if section == "q11" else 30   # Q11: timing, the schedule, vesting, interest and leaving
        assert 10 <= len(tables[section]["questions"]) <= most, section
    for section in ("schedule-a", "agreements"):
        assert 4 <= len(tables[section]["questions"]) <= 8, section
