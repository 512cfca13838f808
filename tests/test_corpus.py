"""The knowledge base: every employee-facing section of the seed, verbatim and clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge import build_corpus
from knowledge.corpus import Corpus, default_corpus, load_corpus

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
CORPUS_DIR = KNOWLEDGE / "corpus"


def _shared(*parts: str) -> Path | None:
    """A file of ../shared (next to the repository or one of its parents), None in a bare clone."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent.joinpath("shared", *parts)
        if candidate.exists():
            return candidate
    return None


SEED = _shared("seeds", "003_301bafae8f02b91b.txt")
SECTION_IDS_MD = _shared("knowledge", "SECTION_IDS.md")
NO_SEED = "the seed (../shared/seeds) is not available; CI clones the repository without it"

NOT_ANSWERED_FROM = {"toc", "defined-terms-index", "guides-intro"}
TWO_STEP = ("Argentina, Brazil, Bulgaria, Chile, Czech Republic, Dominican Republic, Egypt, France, Germany, "
            "Guatemala, Indonesia, Kuwait, Latvia, Lebanon, Morocco, Oman, Paraguay, Russia, Turkey or Uruguay")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The shipped sections without anyone's curated phrasings."""
    return load_corpus(curated_dir=tmp_path_factory.mktemp("no-curated"))


@pytest.fixture(scope="module")
def id_list() -> list[dict]:
    return json.loads((KNOWLEDGE / "section_ids.json").read_text(encoding="utf-8"))["sections"]


def _all_text(corpus: Corpus) -> list[tuple[str, str]]:
    return [(s.id, text) for s in corpus.values() for text in (s.title, *s.paragraphs)]


# ------------------------------------------------------------------ completeness


def test_every_listed_id_except_the_unanswered_ones_is_present_with_title_and_paragraphs(corpus, id_list):
    expected = [row["id"] for row in id_list if row["id"] not in NOT_ANSWERED_FROM]
    assert len(expected) == 160  # 47 Notice parts + 11 documents + 76 country guides + 26 defined terms
    for section_id in expected:
        section = corpus[section_id]
        assert section.title.strip(), section_id
        assert section.paragraphs and all(p.strip() for p in section.paragraphs), section_id
    assert set(corpus) == set(expected)


def test_table_of_contents_index_and_guides_heading_are_not_sections(corpus):
    assert NOT_ANSWERED_FROM.isdisjoint(corpus)


def test_ids_are_unique_and_each_file_carries_its_own_id():
    seen: set[str] = set()
    for path in sorted(CORPUS_DIR.glob("*/*.json")):
        section_id = json.loads(path.read_text(encoding="utf-8"))["id"]
        folder = path.parent.name
        expected = {"guides": f"guide:{path.stem}", "terms": f"term:{path.stem}"}.get(folder, path.stem)
        assert section_id == expected
        assert section_id not in seen
        seen.add(section_id)


def test_agreements_and_schedule_a_rank_last_and_everything_else_normal(corpus):
    last = {s.id for s in corpus.values() if s.rank == "last"}
    assert last == {"agreements", "schedule-a"}


def test_sections_come_in_order_notice_documents_guides_terms(corpus):
    ids = corpus.ids()
    assert ids[:3] == ("cover", "q1", "q2")
    assert ids[26:29] == ("q26", "s1", "s2")
    assert ids[46:49] == ("schedule-a", "tool", "forms")
    assert ids[57] == "agreements"
    assert ids[58] == "guide:argentina" and ids[133] == "guide:vietnam"
    assert ids[134] == "term:available-trading-day" and ids[-1] == "term:withdrawal-form"
    assert list(corpus) == list(ids)


def test_titles_are_the_full_question_or_heading(corpus):
    assert corpus["q11"].title == (
        "Q11. When and how will I get paid if I transfer my Eligible Options? Will there be any vesting? "
        "What if I transfer my Eligible Options and then my employment with Microsoft terminates?")
    assert corpus["s3"].title == "3. Payment For Eligible Options Transferred, Including Foreign Jurisdictions."
    assert corpus["guide:netherlands"].title == "Stock Option Transfer Program: A Guide to Issues in the Netherlands"
    assert corpus["term:available-trading-day"].title == "Available Trading Day"
    assert corpus["q11"].document == (
        "Notice to Eligible Employees of Stock Option Transfer Program — Summary Term Sheet")


# ------------------------------------------------------------------------ debris


@pytest.mark.parametrize("debris", ["\\$", "**", "<u>", "</u>", "¢20", "^{", "\t", "Eliqible", "\\boldsymbol",
                                    "20.000.04", "— more", "Twerage", "[MSFT Logo]"])
def test_no_extraction_debris_remains_anywhere(corpus, debris):
    found = [(sid, text[:80]) for sid, text in _all_text(corpus) if debris in text]
    assert found == []


def test_no_running_header_is_left_at_the_end_of_a_country_guide(corpus):
    guides = [s for s in corpus.values() if s.id.startswith("guide:")]
    assert all(s.paragraphs[-1] != "Microsoft Corporation" for s in guides)


def test_the_tool_pages_keep_one_copy_of_each_repeated_paragraph(corpus):
    paragraphs = corpus["tool"].paragraphs
    assert len(paragraphs) == len(set(paragraphs))
    assert sum("Step 1 Review your stock options eligible for transfer" in p for p in paragraphs) == 1


def test_the_tool_keeps_the_filers_notes_on_conditional_text(corpus):
    assert any(p.startswith("[Your payment schedule may be accelerated") and
               "[NOTE: This paragraph is conditional text that will only appear if the employee is employed "
               "in a country where the payment schedule may be accelerated due to a pending tax ruling.]" in p
               for p in corpus["tool"].paragraphs)


# ---------------------------------------------------------------------- verbatim


def test_q4_answer_is_quoted_exactly(corpus):
    assert corpus["q4"].paragraphs == ("No, participation in the Stock Option Transfer Program is completely voluntary.",)


def test_q26_gives_the_stock_services_phone_and_alias(corpus):
    (answer,) = corpus["q26"].paragraphs
    assert answer == ("For additional information or assistance about the Stock Option Transfer Program, "
                      "you may call (425) 706-8853 or email compchng@microsoft.com.")


@pytest.mark.parametrize("section_id", ["cover", "q11", "s3"])
def test_payment_schedule_rows_read_cleanly(corpus, section_id):
    paragraphs = corpus[section_id].paragraphs
    assert ("If the amount of the Total Payment is $20,000 or less, for any Employee Level: Initial Payment: 100%; "
            "First Contingent Payment Plus Interest Equivalent: N/A; "
            "Second Contingent Payment Plus Interest Equivalent: N/A.") in paragraphs
    assert ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
            "Deadline is Levels 54-67: Initial Payment: Greater of 33.33% or $20,000; First Contingent Payment "
            "Plus Interest Equivalent: Remainder plus interest equivalent; Second Contingent Payment Plus "
            "Interest Equivalent: N/A.") in paragraphs
    assert ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
            "Deadline is Levels 68+: Initial Payment: Greater of 33.33% or $20,000; First Contingent Payment "
            "Plus Interest Equivalent: 50% of the remainder plus interest equivalent for this payment; Second "
            "Contingent Payment Plus Interest Equivalent: The remaining amount plus interest equivalent for "
            "this payment.") in paragraphs
    heading = next(p for p in paragraphs if p.startswith("Expected Payment Schedule (% is of Total Payment)."))
    assert "Through the Election Deadline, then expected distribution no later than December 31, 2003" in heading
    assert ("Throughout the three years from the last day of the Averaging Period, then expected distribution "
            "no later than December 31, 2006") in heading


def test_q22_two_step_country_list_is_one_paragraph(corpus):
    matches = [p for p in corpus["q22"].paragraphs if TWO_STEP in p]
    assert len(matches) == 1
    assert matches[0].startswith(f"If you are employed in {TWO_STEP} and you make your election")


def test_section_5_list_split_by_a_page_break_is_joined(corpus):
    assert any(p.startswith(f"If you are employed in {TWO_STEP} and you make your election to participate "
                            "through the Employee Election Tool, for your election to be effective")
               for p in corpus["s5"].paragraphs)


def test_misspelled_aliases_are_quoted_as_written(corpus):
    cover = " ".join(corpus["cover"].paragraphs)
    assert cover.count("compching@microsoft.com") == 2
    assert "compchag" in " ".join(corpus["tool"].paragraphs)
    assert "You may email compchang or call (425)706-8853" in " ".join(corpus["getting-started"].paragraphs)


def test_a_sentence_broken_by_a_page_is_rejoined(corpus):
    assert any("We do not believe that our making the Stock Option Transfer Program available to you will "
               "change any of the terms of your eligible incentive stock options." in p
               for p in corpus["q19"].paragraphs)


def test_price_range_rows_keep_the_printed_numbers(corpus):
    rows = corpus["s10"].paragraphs
    assert "Quarter ended March 31, 2003 (Fiscal Year 2003): High $20.36; Low $22.79." in rows
    assert "Fiscal Year 2001: High $41.00; Low $20.75." in rows


def test_aggregate_payments_table_is_three_rows(corpus):
    assert corpus["s11"].paragraphs[1:] == (
        "Total Payments for all Eligible Options at Average Closing Price $22.00: $313,000,000.",
        "Total Payments for all Eligible Options at Average Closing Price $27.00: $919,000,000.",
        "Total Payments for all Eligible Options at Average Closing Price $32.00: $1,975,000,000.",
    )


def test_tool_price_table_lists_23_to_31_dollars(corpus):
    assert ("Table rows: Assumed Average Closing Price ($23; $24; $25; $26; $27; $28; $29; $30; $31); "
            "Total Payment (Pre-Tax).") in corpus["tool"].paragraphs


def test_factors_to_consider_rows_pair_each_factor_with_its_consideration(corpus):
    assert ("Factor: Timing of payments — Consideration: You should consider when you will receive the proceeds "
            "from this program as part of your overall cash and financial needs. The payment schedule is "
            "detailed in the Notice and Employee Election Tool.") in corpus["factors"].paragraphs
    assert any("If you retain your Eligible Options instead of participating in the Program, and MSFT stock price "
               "rises far enough above your grant price (prior to expiration), you could potentially receive more "
               "value from exercising your options than by participating in the Program." in p
               for p in corpus["factors"].paragraphs)


def test_method_of_payment_lists_payroll_and_mellon_countries(corpus):
    payroll, mellon = corpus["payment-method"].paragraphs[1:3]
    assert payroll.startswith("Participants employed in the following countries will receive their payment "
                              "through local payroll: Argentina, Austria, Canada,")
    assert "Malaysia" in payroll and "Trinidad & Tobago" in payroll and "Netherlands" not in payroll
    assert ", Czech Republic," in mellon and ", Singapore," in mellon and "*" not in mellon


# ------------------------------------------------------------------------- terms


def test_every_term_has_a_definition_and_says_where_it_is_defined(corpus):
    terms = [path for path in sorted((CORPUS_DIR / "terms").glob("*.json"))]
    assert len(terms) == 26
    for path in terms:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["paragraphs"] and all(len(p) > 40 for p in data["paragraphs"]), data["id"]
        assert data["defined_in"] and set(data["defined_in"]) <= set(corpus), data["id"]


def test_a_term_on_the_tool_page_quotes_the_page_first_then_the_notice(corpus):
    initial = corpus["term:initial-payment"].paragraphs
    assert initial[0] == ("The payment we intend to make no later than December 31, 2003 in the amounts described "
                          "in the payment schedules in the Notice.")
    assert initial[1].startswith('For purposes of this Notice, "Initial Payment" means the payment we intend')


def test_market_disruption_is_reassembled_from_the_interleaved_page(corpus):
    page = corpus["term:market-disruption"].paragraphs[0]
    assert page.startswith("In respect of our common stock, the occurrence or existence of (i) any suspension")
    assert "(ii) any event (other than an event described in clause (iii) below) that materially disrupts" in page
    assert page.endswith("fails to open for trading during its regular trading session.")
    assert "market disruption: In respect of our common stock" in " ".join(corpus["defined-terms"].paragraphs)


def test_a_term_only_the_notice_defines_quotes_the_notice(corpus):
    assert corpus["term:business-day"].paragraphs == (
        '"business day" means a day on which commercial banks and foreign exchange markets settle payments and '
        "are open for general business in U.S. Dollars in New York City.",)
    assert corpus["term:employee-level"].paragraphs[0].endswith(
        '("Employee Level" being a term used internally by Microsoft).')


# ------------------------------------------------------------------ curated merge


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_curated_questions_and_keywords_are_merged_into_their_section(tmp_path):
    _write(tmp_path / "a.toml", '["guide:russia"]\nquestions = ["How is the payment taxed in Russia?"]\n'
                                'keywords = ["Moscow"]\n')
    _write(tmp_path / "b.toml", '["guide:russia"]\nkeywords = ["Moscow", "Russian tax"]\n'
                                '[q4]\nquestions = ["Do I have to sign up?"]\n')
    corpus = load_corpus(curated_dir=tmp_path)
    assert corpus["guide:russia"].questions == ("How is the payment taxed in Russia?",)
    assert corpus["guide:russia"].keywords == ("Moscow", "Russian tax")
    assert corpus["q4"].questions == ("Do I have to sign up?",)
    assert corpus["q5"].questions == () and corpus["q5"].keywords == ()


def test_curated_unknown_section_id_is_refused_naming_file_and_id(tmp_path):
    path = _write(tmp_path / "typos.toml", '["guide:narnia"]\nkeywords = ["wardrobe"]\n')
    with pytest.raises(ValueError) as error:
        load_corpus(curated_dir=tmp_path)
    assert str(path) in str(error.value) and "'guide:narnia'" in str(error.value)


def test_curated_value_that_is_not_an_array_is_refused(tmp_path):
    path = _write(tmp_path / "bad.toml", '[q4]\nquestions = "Do I have to?"\n')
    with pytest.raises(ValueError) as error:
        load_corpus(curated_dir=tmp_path)
    assert str(path) in str(error.value) and "'q4'" in str(error.value) and "questions" in str(error.value)


def test_curated_array_of_non_strings_is_refused(tmp_path):
    _write(tmp_path / "bad.toml", '[q4]\nkeywords = [1, 2]\n')
    with pytest.raises(ValueError, match="keywords"):
        load_corpus(curated_dir=tmp_path)


def test_curated_top_level_value_that_is_not_a_table_is_refused(tmp_path):
    _write(tmp_path / "bad.toml", 'q4 = ["voluntary"]\n')
    with pytest.raises(ValueError, match="'q4'"):
        load_corpus(curated_dir=tmp_path)


def test_curated_unknown_key_is_refused(tmp_path):
    _write(tmp_path / "bad.toml", '[q4]\nkeyword = ["typo"]\n')
    with pytest.raises(ValueError, match="keyword"):
        load_corpus(curated_dir=tmp_path)


def test_missing_curated_folder_means_no_phrasings(tmp_path):
    corpus = load_corpus(curated_dir=tmp_path / "absent")
    assert all(s.questions == () and s.keywords == () for s in corpus.values())


def test_shipped_corpus_and_curated_files_load_together():
    corpus = default_corpus()
    assert corpus is default_corpus()
    assert len(corpus) == 160


def test_a_corpus_file_with_an_unknown_rank_is_refused(tmp_path):
    for folder in ("notice", "documents", "guides", "terms"):
        (tmp_path / folder).mkdir()
    data = json.loads((CORPUS_DIR / "notice" / "q4.json").read_text(encoding="utf-8"))
    data["rank"] = "first"
    _write(tmp_path / "notice" / "q4.json", json.dumps(data))
    with pytest.raises(ValueError, match="rank"):
        load_corpus(corpus_dir=tmp_path, curated_dir=tmp_path / "none")


def test_corpus_is_read_only(corpus):
    with pytest.raises(TypeError):
        corpus["q4"] = corpus["q5"]  # type: ignore[index]


# -------------------------------------------------------------------- the build


@pytest.mark.skipif(SEED is None, reason=NO_SEED + "; the committed corpus is what ships")
def test_build_script_reproduces_the_committed_files_byte_for_byte(tmp_path, capsys):
    assert build_corpus.main(["--seed", str(SEED), "--out", str(tmp_path / "corpus"),
                              "--ids", str(SECTION_IDS_MD)]) == 0
    built = sorted(p.relative_to(tmp_path / "corpus") for p in (tmp_path / "corpus").glob("*/*.json"))
    committed = sorted(p.relative_to(CORPUS_DIR) for p in CORPUS_DIR.glob("*/*.json"))
    assert built == committed
    for rel in committed:
        assert (tmp_path / "corpus" / rel).read_bytes() == (CORPUS_DIR / rel).read_bytes(), rel
    assert (tmp_path / "section_ids.json").read_bytes() == (KNOWLEDGE / "section_ids.json").read_bytes()
    assert re.search(r"wrote 160 sections, \d+ paragraphs", capsys.readouterr().out)


@pytest.mark.skipif(SEED is None or SECTION_IDS_MD is None, reason=NO_SEED)
def test_build_refuses_a_seed_that_lost_a_heading(tmp_path):
    text = SEED.read_text(encoding="utf-8").replace("Q17. What market activities", "Q17 What market activities")
    seed = _write(tmp_path / "seeds" / "seed.txt", text)
    status = build_corpus.main(["--seed", str(seed), "--out", str(tmp_path / "corpus"),
                                "--ids", str(SECTION_IDS_MD)])
    assert status == 2
    assert not (tmp_path / "corpus").exists()
