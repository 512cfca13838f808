"""The curated phrasings for the country guides and the defined terms are well formed.

The lists of ids are copied from ../shared/knowledge/SECTION_IDS.md on purpose: the
test must fail if a guide or a term is missing, renamed or invented.
"""

from pathlib import Path
import tomllib

import pytest

CURATED = Path(__file__).resolve().parent.parent / "knowledge" / "curated"

GUIDE_IDS = {
    "guide:argentina", "guide:australia", "guide:austria", "guide:bolivia", "guide:brazil",
    "guide:bulgaria", "guide:canada", "guide:chile", "guide:china", "guide:colombia",
    "guide:costa-rica", "guide:croatia", "guide:czech-republic", "guide:denmark",
    "guide:dominican-republic", "guide:ecuador", "guide:egypt", "guide:el-salvador",
    "guide:finland", "guide:france", "guide:germany", "guide:greece", "guide:guatemala",
    "guide:hong-kong", "guide:hungary", "guide:india", "guide:indonesia", "guide:ireland",
    "guide:israel", "guide:ivory-coast", "guide:jamaica", "guide:japan", "guide:jordan",
    "guide:kenya", "guide:korea", "guide:kuwait", "guide:latvia", "guide:lebanon",
    "guide:malaysia", "guide:mauritius", "guide:mexico", "guide:morocco", "guide:namibia",
    "guide:netherlands", "guide:new-zealand", "guide:nigeria", "guide:norway", "guide:oman",
    "guide:panama", "guide:paraguay", "guide:peru", "guide:philippines", "guide:poland",
    "guide:portugal", "guide:puerto-rico", "guide:romania", "guide:russia",
    "guide:saudi-arabia", "guide:serbia", "guide:singapore", "guide:slovak-republic",
    "guide:slovenia", "guide:south-africa", "guide:spain", "guide:sweden",
    "guide:switzerland", "guide:taiwan", "guide:thailand", "guide:trinidad-and-tobago",
    "guide:tunisia", "guide:turkey", "guide:united-arab-emirates", "guide:united-kingdom",
    "guide:uruguay", "guide:venezuela", "guide:vietnam",
}

TERM_IDS = {
    "term:available-trading-day", "term:average-closing-price", "term:averaging-period",
    "term:business-day", "term:closing-price", "term:contingent-interest-payment",
    "term:contingent-payment", "term:election", "term:election-deadline",
    "term:election-form", "term:election-period", "term:election-period-extension-event",
    "term:eligible-employee", "term:eligible-option", "term:employee-election-tool",
    "term:employee-level", "term:initial-payment", "term:market-disruption",
    "term:multi-year-grant-options", "term:option-plans", "term:pricing-information",
    "term:stock-option-transfer-program-disruption-event", "term:submitted-election",
    "term:total-payment", "term:trading-day", "term:withdrawal-form",
}

FILES = {"guides.toml": GUIDE_IDS, "terms.toml": TERM_IDS}


def load(name: str) -> dict:
    with open(CURATED / name, "rb") as handle:
        return tomllib.load(handle)


def all_sections() -> dict:
    sections: dict = {}
    for name in FILES:
        sections.update(load(name))
    return sections


def test_the_id_lists_have_the_counts_of_section_ids_md():
    assert len(GUIDE_IDS) == 76
    assert len(TERM_IDS) == 26


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_has_exactly_the_section_ids(name):
    assert set(load(name)) == FILES[name]


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_table_has_only_questions_and_keywords(name):
    for section_id, table in load(name).items():
        assert set(table) == {"questions", "keywords"}, section_id


@pytest.mark.parametrize("name", sorted(FILES))
def test_questions_and_keywords_are_non_empty_lists_of_non_empty_strings(name):
    for section_id, table in load(name).items():
        for field in ("questions", "keywords"):
            values = table[field]
            assert isinstance(values, list) and values, (section_id, field)
            for value in values:
                assert isinstance(value, str) and value.strip(), (section_id, field, value)


def test_guides_have_8_to_15_questions_and_terms_5_to_10():
    for section_id, table in load("guides.toml").items():
        assert 8 <= len(table["questions"]) <= 15, section_id
    for section_id, table in load("terms.toml").items():
        assert 5 <= len(table["questions"]) <= 10, section_id


def test_no_question_is_repeated_within_a_section_ignoring_case():
    for section_id, table in all_sections().items():
        folded = [q.strip().casefold() for q in table["questions"]]
        repeated = sorted({q for q in folded if folded.count(q) > 1})
        assert not repeated, (section_id, repeated)


def test_no_question_appears_under_two_sections():
    owner: dict[str, str] = {}
    clashes = []
    for section_id, table in all_sections().items():
        for question in {q.strip().casefold() for q in table["questions"]}:
            if question in owner:
                clashes.append((question, owner[question], section_id))
            owner[question] = section_id
    assert not clashes
