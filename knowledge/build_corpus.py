"""Extract the employee-facing sections of the Schedule TO seed into knowledge/corpus/.

    python -m knowledge.build_corpus --seed ../shared/seeds/003_301bafae8f02b91b.txt \\
        --out knowledge/corpus [--ids ../shared/knowledge/SECTION_IDS.md]

The output is committed: nothing at run time reads the seed. The script is
deterministic (same seed, same bytes) and fails loudly when the seed does not
look as expected (a heading not found, a repair that no longer applies, a table
it does not know), so a changed seed cannot silently produce a wrong corpus.

The Notice is a legal document: its wording is kept verbatim. Only debris of
the PDF-to-markdown extraction is removed or repaired:

- markup: ``\\$`` -> ``$``; ``**`` and ``*...*`` emphasis, ``<u>``/``</u>``,
  ``^{*}`` superscripts, LaTeX remnants (``$\\boldsymbol{may}$``,
  ``$\\underline{...}$``, ``$\\pmb{...}$``, ``$[\\cdot]$``, the agreements'
  discount-factor formula) and superscript digits (``⁽¹⁾`` -> ``(1)``) are
  reduced to their text;
- bullet glyphs (``- ``, ``- ·``, ``•``) are dropped; list numbers that are part
  of the text ("1.", "(a)") stay;
- whitespace is collapsed; lines of one paragraph or list item are joined;
- paragraphs split by a page break are re-joined (one ends without terminal
  punctuation and the next starts in lowercase, or one ends with a comma, or
  one ends inside a phrase: "... holders of Eligible" / "Options. Please ...");
- a standalone "OR" between two ways of electing is joined to the next item; a
  filer's bracketed note that runs over several paragraphs, a conditional text
  and the "[NOTE: ...]" about it, and an email's To/From/Subject Line/Date lines
  are each kept together as one paragraph;
- a short heading line (guide and tool sub-headings such as "Receipt of Total
  Payment") is joined to the paragraph it introduces, "Heading: text", so each
  paragraph answers on its own; the section's own heading becomes its title;
- OCR letter errors: "Eliqible" -> "Eligible", "Malavsia" -> "Malaysia",
  "PersonnelNhr" -> "PersonnelNbr", "2 B" -> "28" in the paper form's price row,
  a word split by a tab ("exactly a<TAB>s shown") is re-joined;
- tables are rendered as text rows built from the table's own cells, labelled
  "Table columns:", "Table rows:", "Factor: ... — Consideration: ..." (the payment
  schedule of the cover, Q11 and section 3, the price ranges of section 10, the
  aggregate payments of section 11, the summary financial data of section 12,
  Schedule A, the Factors to Consider table, the Tool's and the paper form's
  tables). Broken cells are read for what they are ("20.000.04", "¢20,000,01"
  and "$20,000.01 or — more" are the one merged cell "$20,000.01 or more");
  numbers are not corrected ("March 31, 2003 $20.36 / $22.79" stays). Q11's copy
  of the payment schedule lost its label row in extraction; its labels are those
  of the identical table in the cover and section 3. One copy of the Tool's
  payout table lost its "Estimated Amount" heading and one its "Total Payment,
  pre-" heading; they are restored from the identical copies on the same pages;
- interleaved text is put back in order: the "Initial Payment"/"market
  disruption" rows of the Defined Terms page, the Factors to Consider columns,
  the two address columns of the Withdrawal Form, the lines of the Tool's fourth
  variant that the extraction shuffled;
- page artifacts are dropped: running headers ("Microsoft Corporation" above
  each country guide), "[MSFT Logo]", the "Term Definition" table heading, a
  duplicated line fragment at the top of Factors to Consider, empty signature
  boxes and the web pages' bare button and link labels ("Help", "Print Help",
  "<Submit> <Cancel>", "Go to the Stock Option Transfer Program Guide.").
  The filer's bracketed notes ("[NOTE: This paragraph is conditional text
  ...]") are kept: they say when a text shows;
- footnote markers of the Method of Payment country lists are dropped (each
  footnote names its country) and the two-column country lists are listed in
  alphabetical order;
- the Employee Election Tool and the paper forms repeat near-identical pages;
  an exact duplicate paragraph within those sections is dropped (first wins).

Misspellings of the compchng alias ("compching", "compchag", "compchang") and
other wording of the documents (such as "(425)705-8853") are quoted as written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

NOTICE = "Notice to Eligible Employees of Stock Option Transfer Program"
SKIPPED = ("toc", "defined-terms-index", "guides-intro")
RANK_LAST = ("schedule-a", "agreements")
DEDUPED = ("tool", "forms")

# Titles and document names of the companion documents (their first lines are
# all-caps headings or no heading at all).
DOCUMENTS: dict[str, tuple[str, str]] = {
    "tool": ("Employee Election Tool pages: election and withdrawal, standard and two-step processes",
             "Employee Election Tool"),
    "forms": ("Election to Participate form and Withdrawal Form", "Paper Election Form and Withdrawal Form"),
    "letter": ("Cover letter for Eligible Employees receiving the Notice on paper (leave of absence)",
               "Cover letter for employees on leave of absence"),
    "getting-started": ("Getting Started: Stock Option Transfer Program Guide", "Getting Started"),
    "understanding": ('Understanding the Stock Option Transfer Program (the "Program")',
                      "Understanding the Stock Option Transfer Program"),
    "factors": ("Factors to Consider", "Factors to Consider"),
    "resources": ("Stock Option Transfer Program Resources and Assistance",
                  "Stock Option Transfer Program Resources and Assistance"),
    "defined-terms": ("Defined Terms Used in the Employee Election Tool",
                      "Defined Terms Used in the Employee Election Tool"),
    "payment-method": ("Method of Payment", "Method of Payment"),
    "announcements": ("Announcements: July 8, 2003 press release and Steve Ballmer email; "
                      "October 13 and October 15, 2003 emails", "Announcements"),
    "agreements": ("Legal agreements: Registration Agreement, Engagement Letter, Program Agreement, "
                   "Call Option Confirmation, 1997 Share Appreciation Rights Plan",
                   "Schedule TO exhibits: legal agreements"),
}

# Documents whose first line is their heading (dropped from the paragraphs).
HEADED_DOCUMENTS = ("getting-started", "understanding", "factors", "resources", "defined-terms",
                    "payment-method")


class BuildError(RuntimeError):
    """The seed does not look as this script expects; the message says where."""


# --------------------------------------------------------------------------- ids


@dataclass(frozen=True)
class IdRow:
    id: str
    what: str
    kind: str                      # notice | document | guide | term | skip
    lines: tuple[int, int] | None  # approximate, from SECTION_IDS.md


def _kind(section_id: str) -> str:
    if section_id in SKIPPED:
        return "skip"
    if section_id.startswith("guide:"):
        return "guide"
    if section_id.startswith("term:"):
        return "term"
    if section_id == "cover" or section_id == "schedule-a" or re.fullmatch(r"[qs]\d+", section_id):
        return "notice"
    return "document"


def parse_section_ids(text: str) -> list[IdRow]:
    rows: list[IdRow] = []
    for m in re.finditer(r"^\| ([a-z0-9:-]+) \| (\d+)-(\d+) \| (.+?) \|$", text, re.MULTILINE):
        sid = m.group(1)
        rows.append(IdRow(sid, m.group(4).strip(), _kind(sid), (int(m.group(2)), int(m.group(3)))))
    terms = re.search(r"^## Defined terms.*?\n(.*?)(?:\n## |\Z)", text, re.DOTALL | re.MULTILINE)
    if not terms:
        raise BuildError("SECTION_IDS.md: no 'Defined terms' list")
    for sid in re.findall(r"\bterm:[a-z0-9-]+", terms.group(1)):
        if sid != "term:<slug>" and all(r.id != sid for r in rows):
            rows.append(IdRow(sid, "Defined term: " + sid[5:].replace("-", " "), "term", None))
    if not rows or len({r.id for r in rows}) != len(rows):
        raise BuildError("SECTION_IDS.md: no ids or duplicate ids")
    return rows


# ---------------------------------------------------------------- section bounds


def _heading_test(row: IdRow) -> Callable[[str], bool]:
    sid = row.id
    fixed = {
        "cover": lambda s: s == "NOTICE TO ELIGIBLE EMPLOYEES OF STOCK OPTION TRANSFER PROGRAM",
        "toc": lambda s: s == "Table of Contents",
        "defined-terms-index": lambda s: s == "INDEX OF DEFINED TERMS",
        "schedule-a": lambda s: s == "SCHEDULE A",
        "guides-intro": lambda s: s == "A GUIDE TO ISSUES IN COUNTRIES OTHER THAN THE UNITED STATES",
        "tool": lambda s: s.startswith("[The following pages are the ELECTION TO PARTICIPATE pages of the tool for most"),
        "forms": lambda s: s.startswith("IMPORTANT: You only need to complete and return this form if you want to make"),
        "letter": lambda s: s == "[MSFT Logo]",
        "getting-started": lambda s: s.startswith("GETTING STARTED:"),
        "understanding": lambda s: s.startswith("UNDERSTANDING THE STOCK OPTION TRANSFER PROGRAM"),
        "factors": lambda s: s == "FACTORS TO CONSIDER",
        "resources": lambda s: s == "STOCK OPTION TRANSFER PROGRAM RESOURCES AND ASSISTANCE",
        "defined-terms": lambda s: s.startswith("MICROSOFT STOCK OPTION TRANSFER PROGRAM DEFINED TERMS"),
        "payment-method": lambda s: s == "METHOD OF PAYMENT",
        "announcements": lambda s: s == "Microsoft Reshapes Compensation for Continued Success",
        "agreements": lambda s: s == "635,000,000 Shares",
    }
    if sid in fixed:
        return fixed[sid]
    if m := re.fullmatch(r"q(\d+)", sid):
        return lambda s, n=m.group(1): s.startswith(f"Q{n}. ")
    if m := re.fullmatch(r"s(\d+)", sid):
        return lambda s, n=m.group(1): s.startswith(f"{n}. ") and s.endswith(".")
    if sid.startswith("guide:"):
        country = row.what.removeprefix("Country guide: ")
        prefix = "Stock Option Transfer Program: A Guide to Issues in "
        return lambda s, c=country: (s.removeprefix("Microsoft Corporation ").startswith(prefix)
                                     and s.removeprefix("Microsoft Corporation ")[len(prefix):].removeprefix("the ") == c)
    raise BuildError(f"no heading rule for section {sid}")


def locate_sections(lines: list[str], rows: list[IdRow], window: int = 25) -> dict[str, tuple[int, int]]:
    """Real (first, last) 1-based line numbers of each section, from its heading near the listed line."""
    starts: list[tuple[str, int]] = []
    for row in rows:
        if row.lines is None:
            continue
        test = _heading_test(row)
        approx = row.lines[0]
        hits = [n for n in range(max(1, approx - window), min(len(lines), approx + window) + 1)
                if test(lines[n - 1].strip())]
        if not hits:
            raise BuildError(f"{row.id}: heading not found near line {approx}")
        starts.append((row.id, min(hits, key=lambda n: (abs(n - approx), n))))
    for (a, la), (b, lb) in zip(starts, starts[1:]):
        if lb <= la:
            raise BuildError(f"sections out of order: {a} at {la}, {b} at {lb}")
    bounds: dict[str, tuple[int, int]] = {}
    for i, (sid, first) in enumerate(starts):
        last = starts[i + 1][1] - 1 if i + 1 < len(starts) else len(lines)
        while last > first and not lines[last - 1].strip():
            last -= 1
        bounds[sid] = (first, last)
    return bounds


# ------------------------------------------------------------------ inline text

_LATEX = re.compile(r"\$?\\(?:pmb|boldsymbol|underline|mathbf|textbf|mathrm)\{([^{}]*)\}\$?")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])")
_SUPERSCRIPTS = str.maketrans({"⁽": "(", "⁾": ")", "¹": "1", "²": "2", "³": "3"})
_OCR_WORDS = (("Eliqible", "Eligible"), ("Malavsia", "Malaysia"), ("PersonnelNhr", "PersonnelNbr"))


def clean_inline(text: str) -> str:
    text = text.replace("\\$", "$")
    text = text.replace("$[\\cdot]$", "[·]")
    text = _LATEX.sub(r"\1", text)
    text = re.sub(r"(\w) @ (\w)", r"\1@\2", text)          # e-mail split by the LaTeX remnant
    text = re.sub(r"</?u>", "", text)
    text = re.sub(r"\^\{(\*+)\}", r"\1", text)
    text = text.replace("**", "")
    text = _EMPHASIS.sub(r"\1", text)
    text = text.translate(_SUPERSCRIPTS)
    for wrong, right in _OCR_WORDS:
        text = text.replace(wrong, right)
    return text


def squash(text: str) -> str:
    return " ".join(text.split())


# -------------------------------------------------------------------- raw repairs
# Each repair names its section, must apply exactly as often as stated, and
# changes layout or extraction debris only.

@dataclass(frozen=True)
class Fix:
    section: str
    old: str
    new: str
    count: int = 1


TEXT_FIXES: tuple[Fix, ...] = (
    # Tool, variant 1: button label and its text on one line; variant 2: the label split in two.
    Fix("tool", "Participate I elect to transfer all of my Eligible Options",
        "Participate\n\nI elect to transfer all of my Eligible Options"),
    Fix("tool", "Do Not\n\nParticipate I do not elect", "Do Not Participate\n\nI do not elect"),
    # Tool signature box of the withdrawal page: an empty box and a word split by a tab.
    Fix("tool", "John Doe\t\n[]\nEmployee Signature\t\n(Type your name exactly a\ts shown, including punctuation.\n",
        "John Doe\nEmployee Signature\n(Type your name exactly as shown, including punctuation.)\n"),
    Fix("tool", "John Doe ₋\t", "John Doe\t"),
    # Tool, variant 1: a heading cell cut short ("Total Payment, pre-" lost).
    Fix("tool", "(based on assumed Average Closing Price)\ttax (based on assumed Average Closing Price)",
        "(based on assumed Average Closing Price)\tTotal Payment, pre- tax (based on assumed Average Closing Price)"),
    # Tool, variant 2: the payout table lost its third heading.
    Fix("tool", "Employed through Date\tEstimated Time of Payout\t\t\t",
        "Employed through Date\tEstimated Time of Payout\tEstimated Amount"),
    # Tool, variant 2: OCR noise under a table heading.
    Fix("tool", "\t\t————\t\t\tTwerage closing Free)\t\n", ""),
    # Tool, variant 4: lines of Step 2 and Step 3 shuffled by the extraction.
    Fix("tool",
        "The payment schedule displayed below is based on the assumed Average Closing Price of \\$ Total Payment.\n\n"
        "as modeled in Step 2 above and \\boldsymbol{may} not $\\boldsymbol{reflect}$ your actual\n",
        "The payment schedule displayed below is based on the assumed Average Closing Price of \\$ "
        "as modeled in Step 2 above and **may not reflect** your actual Total Payment.\n"),
    Fix("tool", "\n\\$\n\nTotal Payment (Pre-Tax):\n\nPayout Schedule:", "\nPayout Schedule:"),
    Fix("tool", "Total Payment (Pre-Tax):\n\n\\$\n\nIf you participate", "If you participate"),
    Fix("tool", "The payment schedule displayed below is based on the assumed Average Closing Price of \\$\\ as",
        "The payment schedule displayed below is based on the assumed Average Closing Price of \\$ as"),
    # Tool, variant 4: a sentence broken across a page ("Stock Option Transfer" / "Program Guide.").
    Fix("tool", "available in the Stock Option Transfer\n\nProgram Guide.", "available in the Stock Option Transfer Program Guide."),
    # Paper forms: signature and field boxes.
    Fix("forms", "q\tI ELECT to transfer", "I ELECT to transfer"),
    Fix("forms", "q\tI WITHDRAW my previous election", "I WITHDRAW my previous election"),
    Fix("forms", "[Employee Name]\tLT#\nPersonnelNhr\t", "[Employee Name] LT# PersonnelNbr"),
    Fix("tool", "\t<u> </u>", ""),
    # Withdrawal Form: the fax and mail columns interleaved letter by letter.
    Fix("forms",
        "By Facsimile:By Mail:(201) 329-8456Mellon Investor Services LLCConfirm Receipt of FacsimileAttn: "
        "Reorganization Dept.By Telephone: 1-800-853-4970P.O. Box 3301 South(calling from within the U.S.)"
        "Hackensack, NJ 07606+(201) 329-8246 (calling from outside the U.S.)USA",
        "By Facsimile: (201) 329-8456 Confirm Receipt of Facsimile By Telephone: 1-800-853-4970 (calling from "
        "within the U.S.) +(201) 329-8246 (calling from outside the U.S.)\n\nBy Mail: Mellon Investor Services "
        "LLC Attn: Reorganization Dept. P.O. Box 3301 South Hackensack, NJ 07606 USA"),
    # Election form: fax, mail and courier on one line, the courier address on the next ones.
    Fix("forms",
        " (calling from outside the U.S.) By Mail: Mellon Investor Services LLC Attn: Reorganization Dept. "
        "P.O. Box 3301 South Hackensack, NJ 07606 USA By Overnight Courier:\n",
        " (calling from outside the U.S.)\n\nBy Mail: Mellon Investor Services LLC Attn: Reorganization Dept. "
        "P.O. Box 3301 South Hackensack, NJ 07606 USA\n\nBy Overnight Courier:\n"),
    Fix("forms", "Ridgefield Park, NJ 07660\n\nUSA\n", "Ridgefield Park, NJ 07660 USA\n"),
    Fix("letter", "[MSFT Logo]\n", ""),
    Fix("forms", "[MSFT Logo]\n", "", 0),
    # Resources: a link glyph before the address.
    Fix("resources", "located on – https://stock", "located on https://stock"),
    # Defined Terms page: the table heading row.
    Fix("defined-terms", "Term **Definition**\n", ""),
    # Agreements: a defined term wrapped in LaTeX with spaces inside the quotes.
    Fix("agreements", '" $\\pmb{Commission}$ " means', '"Commission" means'),
    Fix("agreements", "Discount Factor = $1/[e^{(Interest Rate * N)}]$", "Discount Factor = 1/[e^(Interest Rate * N)]"),
)


def apply_fixes(section: str, text: str) -> str:
    for fix in TEXT_FIXES:
        if fix.section != section:
            continue
        found = text.count(fix.old)
        if found != fix.count:
            raise BuildError(f"{section}: repair expected {fix.count} x {fix.old[:60]!r}, found {found}")
        text = text.replace(fix.old, fix.new)
    return text


def _index(lines: list[str], prefix: str, section: str, start: int = 0) -> int:
    for i in range(start, len(lines)):
        if lines[i].startswith(prefix):
            return i
    raise BuildError(f"{section}: line starting {prefix[:50]!r} not found")


def reorder_defined_terms(lines: list[str]) -> list[str]:
    """The page interleaves the rows "Initial Payment" and "market disruption"; put each heading first."""
    i_def = _index(lines, "The payment we intend to make no later than December 31, 2003", "defined-terms")
    i_md = _index(lines, "In respect of our common stock, the occurrence", "defined-terms")
    i_ip = _index(lines, "Initial Payment", "defined-terms", i_md)
    i_mh = _index(lines, "market disruption", "defined-terms", i_ip)
    i_rest = _index(lines, "than an event described in clause (iii) below)", "defined-terms", i_mh)
    if not (i_def < i_md < i_ip < i_mh < i_rest):
        raise BuildError("defined-terms: the interleaved rows are not where expected")
    block = ["Initial Payment", "", lines[i_def], "", "market disruption", "",
             lines[i_md].rstrip() + " " + lines[i_rest].strip()]
    return lines[:i_def] + block + lines[i_rest + 1:]


# The Factors to Consider table (Factor | Consideration), whose columns the
# extraction interleaved. Every fragment must be found in the seed, and the
# fragments must account for all the text of the table.
FACTOR_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Your participation decision will be made at a time when you will not know the Total Payment",
     ("The Total Payment you model in the Employee Election Tool shows the Total Payment for an assumed Average "
      "Closing Price. The actual Total Payment can only be determined after the Averaging Period, when the "
      "Average Closing Price is known.",)),
    ("The terms and conditions of your current stock option grants, including grant price(s), vesting dates, "
     "expiration dates and your personal assessment of the future market price of MSFT stock prior to the "
     "expiration date of your Eligible Options.",
     ("You should think about all the terms and conditions of your Eligible Options along with the likelihood "
      "of your continued employment at Microsoft or one of its subsidiaries. Additionally, you should also take "
      "into account your thoughts about the potential future value of MSFT stock in relation to your Eligible "
      "Options versus the estimated value you could realize through the Program.",
      "If you retain your Eligible Options instead of participating in the Program, and",
      "MSFT stock price rises far enough above your grant price (prior to expiration), you could potentially "
      "receive more value from exercising your options than by",
      "participating in the Program.",
      "Conversely, if MSFT stock price does not rise above the grant price of your Eligible Options before they "
      "expire, and you do not participate in the Program, you would not receive any value.")),
    ("Timing of payments",
     ("You should consider when you will receive the proceeds from this program as part of your overall cash and "
      "financial needs. The payment schedule is detailed in the Notice and Employee Election Tool.",)),
    ("Your personal financial situation and goals",
     ("You should consider your financial portfolio management, diversification strategy, risk tolerance and "
      "your current need for cash as well as the tax implications. A summary of the tax implications by country "
      "is provided at the end of the Notice.",)),
    ("The Stock Option Transfer Program is a one-time opportunity",
     ("We do not plan to make any options transferable in the future or to offer a similar transfer program "
      "again. If you do not participate, you will retain your current options under their original terms and "
      "conditions.",)),
)


def rebuild_factors(lines: list[str]) -> list[str]:
    first = _index(lines, "make any decision regarding whether to participate. Additionally", "factors")
    last = _index(lines, "The Stock Option Transfer Program is a one-time opportunity", "factors", first)
    region = "\n".join(lines[first + 1:last + 1])
    leftover = region
    for factor, considerations in FACTOR_ROWS:
        for fragment in (factor, *considerations):
            if fragment not in leftover:
                raise BuildError(f"factors: fragment not found: {fragment[:60]!r}")
            leftover = leftover.replace(fragment, " ", 1)
    if set(leftover.split()) - {"Factor", "Consideration"}:
        raise BuildError(f"factors: table text not accounted for: {squash(leftover)[:120]!r}")
    rows: list[str] = []
    for factor, considerations in FACTOR_ROWS:
        rows += [f"Factor: {factor} — Consideration: {squash(' '.join(considerations))}", ""]
    return lines[:first] + rows + lines[last + 1:]


# ---------------------------------------------------------------- method of payment

MULTIWORD_COUNTRIES = (
    "New Zealand", "South Africa", "Costa Rica", "Trinidad & Tobago", "United Kingdom", "United States",
    "Czech Republic", "Dominican Republic", "El Salvador", "Saudi Arabia", "Serbia and Montenegro (Yugoslavia)",
    "Hong Kong", "Ivory Coast", "United Arab Emirates (Dubai)",
)


def _countries(text: str) -> list[str]:
    text = text.replace("*", "")
    found: list[str] = []
    for name in MULTIWORD_COUNTRIES:
        if name in text:
            found.append(name)
            text = text.replace(name, " ")
    found += text.split()
    return sorted(found)


def rebuild_payment_method(lines: list[str]) -> list[str]:
    """Each two-column country list follows its lead-in sentence, alphabetically; footnote marks dropped."""
    out: list[str] = []
    lead: str | None = None
    names: list[str] = []

    def flush() -> None:
        nonlocal lead, names
        if lead is not None:
            if not names:
                raise BuildError("payment-method: a country list is empty")
            out.extend([f"{lead.rstrip('.:')}: {', '.join(_countries(' '.join(names)))}.", ""])
        lead, names = None, []

    for line in lines:
        text = line.strip()
        if text.startswith("Participants employed in the following countries"):
            flush()
            lead = text
        elif text.startswith("^{*"):
            flush()
            out.extend([re.sub(r"^\^\{\*+\}", "", text), ""])
        elif lead is not None and text:
            names.append(text)
        elif lead is None:
            out.append(line)
    flush()
    return out


LINE_REPAIRS: dict[str, Callable[[list[str]], list[str]]] = {
    "defined-terms": reorder_defined_terms,
    "factors": rebuild_factors,
    "payment-method": rebuild_payment_method,
}


# ------------------------------------------------------------------------ tables

@dataclass
class Para:
    text: str
    kind: str = "text"            # text | item | table


def _cells(line: str) -> list[str]:
    return [squash(clean_inline(c)) for c in line.split("\t")]


def _nonempty(line: str) -> list[str]:
    return [c for c in _cells(line) if c and c not in {"-", "_", "—", "."}]


def _require(section: str, text: str, fragments: Iterable[str]) -> None:
    for fragment in fragments:
        if fragment not in text:
            raise BuildError(f"{section}: table cell {fragment!r} not found")


PAYMENT_TITLE = "Expected Payment Schedule (% is of Total Payment)"
PAYMENT_COLUMNS = (
    ("Initial Payment", "Through the Election Deadline", "December 31, 2003"),
    ("First Contingent Payment Plus Interest Equivalent",
     "Throughout the two years from the last day of the Averaging Period", "December 31, 2005"),
    ("Second Contingent Payment Plus Interest Equivalent",
     "Throughout the three years from the last day of the Averaging Period", "December 31, 2006"),
)
PAYMENT_ROWS = (
    ("If the amount of the Total Payment is $20,000 or less, for any Employee Level",
     ("100%", "N/A", "N/A")),
    ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
     "Deadline is Levels 54-67",
     ("Greater of 33.33% or $20,000", "Remainder plus interest equivalent", "N/A")),
    ("If the amount of the Total Payment is $20,000.01 or more and your Employee Level at the Election "
     "Deadline is Levels 68+",
     ("Greater of 33.33% or $20,000", "50% of the remainder plus interest equivalent for this payment",
      "The remaining amount plus interest equivalent for this payment")),
)


def render_payment_schedule(section: str, block: list[str]) -> list[str]:
    text = squash(clean_inline(" ".join(block).replace("\t", " ")))
    _require(section, text, ["And if you are continuously employed by Microsoft", "Employee Level at the Election Deadline",
                             "Any", "Levels 54-67", "Levels 68+", "20,000 or", "100%", "N/A",
                             *[c for _, row in PAYMENT_ROWS for c in row],
                             *[part for _, when, by in PAYMENT_COLUMNS for part in (when, by)]])
    if text.count("Greater of 33.33% or $20,000") != 2:
        raise BuildError(f"{section}: payment schedule rows not as expected")
    head = "; ".join(f"{label}: {when}, then expected distribution no later than {by}"
                     for label, when, by in PAYMENT_COLUMNS)
    out = [f"{PAYMENT_TITLE}. And if you are continuously employed by Microsoft — {head}."]
    for lead, values in PAYMENT_ROWS:
        cells = "; ".join(f"{label}: {value}" for (label, _, _), value in zip(PAYMENT_COLUMNS, values))
        out.append(f"{lead}: {cells}.")
    return out


def _money(cell: str) -> str:
    return re.sub(r"\$\s*:?\s*", "$", cell)


def render_price_range(section: str, block: list[str]) -> list[str]:
    out: list[str] = []
    year = ""
    header = _nonempty(block[0])
    if header != ["High", "Low"]:
        raise BuildError(f"{section}: price table heading {header}")
    for line in block[1:]:
        cells = _nonempty(line)
        if not cells or cells == ["Quarter ended:"]:
            continue
        if len(cells) == 1 and cells[0].startswith("Fiscal Year"):
            year = cells[0]
            continue
        if len(cells) != 3:
            raise BuildError(f"{section}: price row {cells}")
        label, high, low = cells[0], _money(cells[1]), _money(cells[2])
        if label.startswith("Fiscal Year"):
            year = label
            out.append(f"{label}: High {high}; Low {low}.")
        else:
            out.append(f"Quarter ended {label} ({year}): High {high}; Low {low}.")
    return out


def render_aggregate(section: str, block: list[str]) -> list[str]:
    text = "\n".join(block)
    _require(section, text, ["At Average Closing Price", "Total Payments for all Eligible Options"])
    prices = re.findall(r"\d+\.\d\d", block[1])
    totals = re.findall(r"\d{1,3}(?:,\d{3})+", block[2])
    if len(prices) != 3 or len(totals) != 3:
        raise BuildError(f"{section}: aggregate table cells {prices} {totals}")
    return [f"Total Payments for all Eligible Options at Average Closing Price ${p}: ${t}."
            for p, t in zip(prices, totals)]


def render_financials(section: str, block: list[str]) -> list[str]:
    header = _nonempty(block[0])
    if header[0] != "Year ended June 30" or len(header) != 3:
        raise BuildError(f"{section}: financial table heading {header}")
    years = [re.sub(r"^(\d{4})\((\d)\)$", r"\1 (\2)", y) for y in header[1:]]
    out = []
    for line in block[1:]:
        cells = _nonempty(line)
        if len(cells) != 3:
            raise BuildError(f"{section}: financial row {cells}")
        label, a, b = cells[0], _money(cells[1]), _money(cells[2])
        out.append(f"{label}, year ended June 30, {years[0]}: {a}; year ended June 30, {years[1]}: {b}.")
    return out


def render_officers(section: str, block: list[str]) -> list[str]:
    header = _nonempty(block[0])
    if header != ["Name, Title, Address and Phone No.", "Aggregate No. of Eligible Options",
                  "Percent of Outstanding Eligible Options"]:
        raise BuildError(f"{section}: Schedule A heading {header}")
    group = ""
    out = []
    for line in block[1:]:
        cells = [c for c in _cells(line)]
        cells = [c for c in cells if c]
        if len(cells) == 1:
            group = cells[0].title()
            continue
        if len(cells) != 3:
            raise BuildError(f"{section}: Schedule A row {cells}")
        name, count, pct = cells
        pct = "—" if pct == "_" else pct
        out.append(f"{name} ({group}): {header[1]}: {count}; {header[2]}: {pct}.")
    return out


def render_columns(section: str, block: list[str]) -> list[str]:
    """A Tool or form table of personal data: its column headings (the rows are blank templates)."""
    heads = _nonempty(block[0])
    for line in block[1:]:
        extra = [c for c in _nonempty(line) if c not in {"$", "Totals:"} and "Payment (Pre-Tax)" not in c
                 and c not in {"Tota", "l Payment (Pre-Tax):", "Payment (Pre-Tax):", "Total"}]
        if extra:
            raise BuildError(f"{section}: unexpected cells in a template table: {extra}")
    return [f"Table columns: {'; '.join(heads)}."]


ACP_PRICES = tuple(f"${n}" for n in range(23, 32))


def render_acp(section: str, block: list[str]) -> list[str]:
    """The Tool's and the form's Total Payment row for assumed Average Closing Prices $23 to $31."""
    first = squash(clean_inline(block[0].replace("\t", " ")))
    digits = re.sub(r"[^\d]", "", first.replace("2 B", "28"))
    if not first.startswith("Assumed Average Closing Price") or digits != "".join(p[1:] for p in ACP_PRICES):
        raise BuildError(f"{section}: price row {first!r}")
    second = _nonempty(block[1]) if len(block) > 1 else []
    if not second or second[0] != "Total Payment (Pre-Tax)":
        raise BuildError(f"{section}: Total Payment row {second}")
    return [f"Table rows: Assumed Average Closing Price ({'; '.join(ACP_PRICES)}); Total Payment (Pre-Tax)."]


def render_payout(section: str, block: list[str]) -> list[str]:
    heads = _nonempty(block[0])
    if heads != ["Employed through Date", "Estimated Time of Payout", "Estimated Amount"]:
        raise BuildError(f"{section}: payout heading {heads}")
    rows = []
    for line in block[1:]:
        cells = _nonempty(line)
        if cells and cells[0].startswith("Total Payment"):
            rows.append(cells[0].rstrip(":"))
            continue
        if len(cells) != 3 or cells[2] not in {"$", "$]"}:
            raise BuildError(f"{section}: payout row {cells}")
        bracket = cells[0].startswith("[")
        row = f"{cells[0].lstrip('[')}, {cells[1]}"
        rows.append(f"[{row}]" if bracket else row)
    return [f"Table columns: {'; '.join(heads)}. Rows: {'; '.join(rows)}."]


def render_labels(section: str, block: list[str]) -> list[str]:
    """Field labels laid out with tabs (signature boxes): the labels as one line each."""
    return [" ".join(_nonempty(line)) for line in block if _nonempty(line)]


def render_plain(section: str, block: list[str]) -> list[str]:
    """Agreements: a label and its value separated by a tab."""
    return [" ".join(_nonempty(line)) for line in block if _nonempty(line)]


def pick_renderer(section: str, block: list[str]) -> Callable[[str, list[str]], list[str]]:
    first = squash(block[0].replace("\t", " "))
    joined = " ".join(block)
    if section in ("cover", "q11", "s3") and ("Employee Level at the Election Deadline" in joined
                                             or PAYMENT_TITLE in joined):
        return render_payment_schedule
    if section == "s10" and first == "High Low":
        return render_price_range
    if section == "s11" and first == "At Average Closing Price":
        return render_aggregate
    if section == "s12" and first.startswith("Year ended June 30"):
        return render_financials
    if section == "schedule-a" and first.startswith("Name, Title, Address and Phone No."):
        return render_officers
    if section in ("tool", "forms"):
        if first.startswith("Grant Date Grant Number"):
            return render_columns
        if first.startswith("Assumed Average Closing Price"):
            return render_acp
        if first.startswith("Employed through Date"):
            return render_payout
        if all(len(_nonempty(line)) <= 1 or line.startswith("[Employee Name]") for line in block):
            return render_labels
    if section == "agreements":
        return render_plain
    raise BuildError(f"{section}: no renderer for the table starting {first[:80]!r}")


# --------------------------------------------------------------------- paragraphs

_BULLET = re.compile(r"^\s*(?:-\s+|[·•]\s*)(?:[·•]\s*)*")
_SUBITEM = re.compile(r"^\s+\([a-z]\)\s")


def _is_table_line(line: str) -> bool:
    return "\t" in line


def segment(section: str, lines: list[str]) -> list[Para]:
    """Raw lines -> paragraphs: list items, text paragraphs and rendered table rows."""
    paras: list[Para] = []
    current: Para | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_table_line(line):
            j = i
            while j < len(lines) and _is_table_line(lines[j]):
                j += 1
            block = lines[i:j]
            renderer = pick_renderer(section, block)
            rendered = renderer(section, block)
            if renderer is render_payment_schedule and paras and paras[-1].text == PAYMENT_TITLE:
                paras.pop()
            kind = {render_labels: "label", render_plain: "text"}.get(renderer, "table")
            paras.extend(Para(squash(t), kind) for t in rendered)
            current = None
            i = j
            continue
        i += 1
        if not line.strip():
            current = None
            continue
        text = clean_inline(line)
        if _BULLET.match(line) and (line.lstrip().startswith(("-", "·", "•"))):
            current = Para(squash(_BULLET.sub("", text)), "item")
            paras.append(current)
        elif current is not None and current.kind == "item" and line[:1].isspace() and not _SUBITEM.match(line):
            current.text = squash(current.text + " " + text)
        elif current is not None and current.kind == "text" and not line[:1].isspace():
            current.text = squash(current.text + " " + text)
        else:
            current = Para(squash(text), "item" if _SUBITEM.match(line) else "text")
            paras.append(current)
    return [p for p in paras if p.text]


_TERMINAL = re.compile(r"[.!?:;]['\"”’)\]]*$")
# A page break that fell inside a sentence before a capitalised word: "... holders of Eligible" /
# "Options. Please note ...", "... the Initial Payment and the" / "Contingent Payment(s) ...".
_DANGLING = re.compile(r"[^;:,\s] (?:the|of|and|to|in|a|an|for|with|by|that|Eligible|Contingent)$")


def join_page_breaks(paras: list[Para]) -> list[Para]:
    out: list[Para] = []
    for p in paras:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind in ("text", "item") and p.kind == "text"
                and not _TERMINAL.search(prev.text)
                and (p.text[:1].islower() or (prev.text.endswith(",") and prev.kind == "text")
                     or _DANGLING.search(prev.text))):
            prev.text = prev.text + " " + p.text
            continue
        out.append(p)
    return out


def join_or(paras: list[Para]) -> list[Para]:
    out: list[Para] = []
    pending = False
    for p in paras:
        if p.text == "OR":
            pending = True
            continue
        if pending:
            p.text = "OR " + p.text
            pending = False
        out.append(p)
    if pending:
        raise BuildError("a trailing 'OR' with nothing after it")
    return out


def join_brackets(paras: list[Para]) -> list[Para]:
    """A filer's bracketed note that runs over several paragraphs is one paragraph."""
    out: list[Para] = []
    open_note: Para | None = None
    for p in paras:
        if open_note is not None:
            open_note.text += " " + p.text
            if open_note.text.count("[") <= open_note.text.count("]"):
                open_note = None
            continue
        out.append(p)
        if p.kind == "text" and p.text.startswith("[") and p.text.count("[") > p.text.count("]"):
            open_note = p
    if open_note is not None:
        raise BuildError(f"unclosed bracket: {open_note.text[:80]!r}")
    return out


_EMAIL_HEADER = re.compile(r"^(?:To|From|Subject Line|Date):")


def join_email_headers(paras: list[Para]) -> list[Para]:
    """An email's To/From/Subject Line/Date lines are one paragraph."""
    out: list[Para] = []
    for p in paras:
        prev = out[-1] if out else None
        if (prev is not None and p.kind == "text" and _EMAIL_HEADER.match(p.text)
                and _EMAIL_HEADER.match(prev.text) and not prev.text.startswith("To: Microsoft Corporation")):
            prev.text += " " + p.text
            continue
        out.append(p)
    return out


def join_notes(paras: list[Para]) -> list[Para]:
    """A bracketed conditional text and the filer's [NOTE: ...] about it form one paragraph."""
    out: list[Para] = []
    for p in paras:
        prev = out[-1] if out else None
        if (prev is not None and p.text.startswith("[NOTE:") and prev.text.startswith("[")
                and prev.text.endswith("]") and "[NOTE:" not in prev.text and not prev.text.startswith("[Note:")):
            prev.text = prev.text + " " + p.text
            continue
        out.append(p)
    return out


SIGN_OFFS = {"Steve", "Ken"}          # the emails' signatures, not headings
_DATE = re.compile(r"^[A-Z][a-z]+ \d{1,2}, \d{4}$")


def _is_heading(text: str) -> bool:
    limit = 120 if re.match(r"Step \d ", text) else 90
    text = re.sub(r"^\([ivx]+\) ", "", text)        # "(ii) Receipt of Contingent Payments."
    if (len(text) > limit or text.startswith(("[", "(", '"')) or not text[:1].isupper()
            or ":" in text or text in SIGN_OFFS or _DATE.match(text)):
        return False
    bare = text.rstrip(")]\"'”’")
    if bare[-1:] not in set(".!?;,"):
        return True
    words = re.findall(r"[A-Za-z][\w'-]*", text)
    small = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    return (text.endswith(".") and len(words) <= 8
            and all(w[0].isupper() or w in small for w in words))


def merge_headings(paras: list[Para]) -> list[Para]:
    """A heading line introduces the paragraph after it: "Heading: text"."""
    out: list[Para] = []
    i = 0
    while i < len(paras):
        p = paras[i]
        heads: list[str] = []
        while (p.kind == "text" and _is_heading(p.text) and i + 1 < len(paras)
               and paras[i + 1].kind == "text"):
            heads.append(p.text)
            i += 1
            p = paras[i]
        if heads:
            lead = " — ".join(heads)
            sep = " " if re.search(r"[.!?:]$", lead) else ": "
            p = Para(lead + sep + p.text, p.kind)
        out.append(p)
        i += 1
    return out


UI_LABELS = {"Help", "Print Help", "<Submit> <Cancel>", "[]",
             "Go to the Stock Option Transfer Program Guide.", "Go to the Stock Option Transfer Program Guide,"}
SIGNATURE_BOX = {"John Doe", "Date", "EMPLOYEE SIGNATURE", "[Employee Full Name]",
                 "EMPLOYEE SIGNATURE [Employee Full Name]"}


def drop_artifacts(section: str, paras: list[Para]) -> list[Para]:
    out = [p for p in paras if p.text not in UI_LABELS and not (p.kind == "label" and p.text in SIGNATURE_BOX)]
    if section.startswith("guide:") or section == "q26":
        while out and out[-1].text in ("Microsoft Corporation", "II. TERMS AND CONDITIONS"):
            out.pop()
    if section == "cover" and out and out[-1].text == "Table of Contents":
        out.pop()
    return out


def dedupe(paras: list[Para]) -> list[Para]:
    seen: set[str] = set()
    out = []
    for p in paras:
        if p.text not in seen:
            seen.add(p.text)
            out.append(p)
    return out


def paragraphs_of(section: str, lines: list[str]) -> list[str]:
    text = apply_fixes(section, "\n".join(lines))
    raw = text.split("\n")
    if section in LINE_REPAIRS:
        raw = LINE_REPAIRS[section](raw)
    paras = segment(section, raw)
    paras = drop_artifacts(section, paras)
    paras = join_page_breaks(paras)
    paras = join_or(paras)
    paras = join_brackets(paras)
    paras = join_notes(paras)
    paras = join_email_headers(paras)
    paras = merge_headings(paras)
    if section in DEDUPED:
        paras = dedupe(paras)
    return [p.text for p in paras]


# ------------------------------------------------------------------ the sections

@dataclass
class Section:
    id: str
    title: str
    document: str
    rank: str
    source_lines: tuple[int, int]
    paragraphs: list[str]
    defined_in: list[str] | None = None

    def to_json(self) -> dict:
        data: dict = {"id": self.id, "title": self.title, "document": self.document, "rank": self.rank,
                      "source_lines": list(self.source_lines)}
        if self.defined_in is not None:
            data["defined_in"] = self.defined_in
        data["paragraphs"] = self.paragraphs
        return data


def title_and_body(row: IdRow, lines: list[str]) -> tuple[str, str, list[str]]:
    """The section's title, its document name, and the lines after its heading."""
    sid = row.id
    head = squash(clean_inline(lines[0]))
    if sid == "cover":
        return NOTICE, NOTICE, lines[1:]
    if re.fullmatch(r"q\d+", sid):
        return head, f"{NOTICE} — Summary Term Sheet", lines[1:]
    if re.fullmatch(r"s\d+", sid):
        return head, f"{NOTICE} — Terms and Conditions", lines[1:]
    if sid == "schedule-a":
        k = next(i for i in range(1, len(lines)) if lines[i].strip())
        return f"Schedule A: {squash(lines[k])}", f"{NOTICE} — Schedule A", lines[k + 1:]
    if row.kind == "guide":
        return head.removeprefix("Microsoft Corporation "), "Country guide", lines[1:]
    title, document = DOCUMENTS[sid]
    return title, document, (lines[1:] if sid in HEADED_DOCUMENTS else lines)


def build_sections(seed_lines: list[str], rows: list[IdRow],
                   bounds: dict[str, tuple[int, int]]) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    for row in rows:
        if row.kind in ("skip", "term"):
            continue
        first, last = bounds[row.id]
        lines = seed_lines[first - 1:last]
        title, document, body = title_and_body(row, lines)
        paragraphs = paragraphs_of(row.id, body)
        if not paragraphs:
            raise BuildError(f"{row.id}: no paragraphs")
        rank = "last" if row.id in RANK_LAST else "normal"
        sections[row.id] = Section(row.id, title, document, rank, (first, last), paragraphs)
    return sections


# ------------------------------------------------------------------------- terms
# Where the Notice defines each term: (section id, first words, last words) of
# the defining passage, quoted from the cleaned section. Terms that the
# Defined Terms page also lists get the page's definition first.

NOTICE_DEFINITIONS: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "available-trading-day": ("Available Trading Day", (
        ("q6", 'An "Available Trading Day" means', "availability of such registration statement."),
        ("s2", 'An "Available Trading Day" means', "availability of such registration statement."))),
    "average-closing-price": ("Average Closing Price", (
        ("q6", 'The "Average Closing Price" means', "during the Averaging Period."),
        ("s2", 'The "Average Closing Price" means', "during the Averaging Period."))),
    "averaging-period": ("Averaging Period", (
        ("q6", 'The "Averaging Period" means', "15th consecutive Available Trading Day."),
        ("s2", 'The "Averaging Period" means', "15th consecutive Available Trading Day."))),
    "business-day": ("business day", (
        ("s1", '"business day" means', "in New York City."),)),
    "closing-price": ("closing price", (
        ("s1", '"closing price" means', "on such Available Trading Day."),)),
    "contingent-interest-payment": ("Contingent Interest Payment", (
        ("q11", "No interest equivalent will be paid on Initial Payments. During the vesting period",
         "the amount of any Contingent Interest Payment."),)),
    "contingent-payment": ("Contingent Payment", (
        ("q11", '"Contingent Payment" means', "after the applicable period of vesting."),)),
    "election": ("election", (
        ("s1", "Any election to participate or withdraw", "will have no effect."),)),
    "election-deadline": ("Election Deadline", (
        ("q21", "The Election Period for the Stock Option Transfer Program will end on",
         'is referred to as the "Election Deadline").'),)),
    "election-form": ("Election Form", (
        ("q22", "If you wish to participate in the Stock Option Transfer Program, you must properly submit",
         "via the Employee Election Tool)."),)),
    "election-period": ("Election Period", (
        ("s1", "You may elect to participate in or to withdraw from the Stock Option Transfer Program at any time",
         "on Wednesday, November 12, 2003."),)),
    "election-period-extension-event": ("Election Period Extension Event", (
        ("s7", 'An "Election Period Extension Event" means the occurrence of:',
         "a Stock Option Transfer Program Disruption Event."),)),
    "eligible-employee": ("Eligible Employee", (
        ("q3", 'An "Eligible Employee" is a person who', "Italy, or Pakistan."),
        ("s1", 'An "Eligible Employee" is a person who:', "is not employed in Belgium, Italy or Pakistan."))),
    "eligible-option": ("Eligible Option", (
        ("q5", 'You may transfer all of your options or share appreciation rights ("Eligible Options") that:',
         "expire on or after February 29, 2004."),
        ("s1", '"Eligible Options" are options or share appreciation rights that:',
         "expire on or after February 29, 2004."))),
    "employee-election-tool": ("Employee Election Tool", (
        ("cover", "To make an informed decision about whether to participate,",
         "under the Option Transfer tab."),
        ("q7", "You will be able to determine the Total Payment", "under the Option Transfer tab."))),
    "employee-level": ("Employee Level", (
        ("q1", "If you are employed at Employee Level 68 or above",
         '("Employee Level" being a term used internally by Microsoft).'),)),
    "initial-payment": ("Initial Payment", (
        ("q11", 'For purposes of this Notice, "Initial Payment" means', "through the Election Deadline."),)),
    "market-disruption": ("market disruption", (
        ("s1", '"market disruption" means', "during its regular trading session."),)),
    "multi-year-grant-options": ("Multi-Year Grant Options", (
        ("q9", "Specifically, for Eligible Options whose expiration dates occur more than 36 months",
         "to 24 months from the last day of the Averaging Period."),
        ("s1", "The options originally issued as Multi-Year Grant Options are treated differently",
         "not issued as part of the Multi-Year Grant Options."))),
    "option-plans": ("Option Plans", (
        ("s1", "3. were granted under the Microsoft 1991 Stock Option Plan", '(together, the "Option Plans");'),)),
    "pricing-information": ("Pricing Information", (
        ("q7", "You may use a table in the tool to determine the Total Payment",
         'will be referred to as the "Pricing Information").'),)),
    "stock-option-transfer-program-disruption-event": ("Stock Option Transfer Program Disruption Event", (
        ("s7", 'A "Stock Option Transfer Program Disruption Event" means:',
         "materially and adversely affect the Stock Option Transfer Program taken as a whole."),)),
    "submitted-election": ("Submitted Election", (
        ("q22", "Your proper and timely use of any of these methods", 'will constitute a "Submitted Election."'),)),
    "total-payment": ("Total Payment", (
        ("q6", 'The "Total Payment" for your Eligible Options will be determined',
         "for your Eligible Options transferred."),)),
    "trading-day": ("trading day", (
        ("s1", '"trading day" means', "for its regular trading session."),)),
    "withdrawal-form": ("Withdrawal Form", (
        ("q22", "The same procedures are used to withdraw an election to participate except that",
         "to indicate your withdrawal from participation."),)),
}


def quote_passage(section: Section, start: str, end: str) -> str:
    """The passage of a section from `start` through `end`, across list items if need be."""
    text = " ".join(section.paragraphs)
    a = text.find(start)
    if a < 0:
        raise BuildError(f"{section.id}: definition start {start!r} not found")
    b = text.find(end, a)
    if b < 0:
        raise BuildError(f"{section.id}: definition end {end!r} not found after {start!r}")
    return text[a:b + len(end)]


@dataclass
class PageEntry:
    term: str
    text: str
    lines: tuple[int, int]


def defined_terms_page(seed_lines: list[str], bounds: tuple[int, int]) -> list[PageEntry]:
    """The rows of the Defined Terms page: term and definition (its list joined into one paragraph)."""
    terms = {title for title, _ in NOTICE_DEFINITIONS.values()}
    first, last = bounds
    lines = apply_fixes("defined-terms", "\n".join(seed_lines[first:last])).split("\n")
    lines = reorder_defined_terms(lines)
    entries: list[PageEntry] = []
    for para in join_page_breaks(segment("defined-terms", lines)):
        if para.text in terms:
            entries.append(PageEntry(para.text, "", (0, 0)))
        elif entries:
            entries[-1].text = squash(entries[-1].text + " " + para.text)
    for entry in entries:
        if not entry.text:
            raise BuildError(f"defined-terms: no definition for {entry.term}")
        numbers = []
        for n in range(first, last + 1):
            raw = squash(clean_inline(_BULLET.sub("", seed_lines[n - 1])))
            if raw == entry.term or (raw and raw not in terms and raw in entry.text):
                numbers.append(n)
        entry.lines = (min(numbers), max(numbers))
    return entries


def passage_lines(seed_lines: list[str], bounds: tuple[int, int], start: str, end: str) -> tuple[int, int]:
    """The seed lines a quoted passage comes from (the section's lines if it cannot be pinned down)."""
    first, last = bounds
    cleaned = {n: squash(clean_inline(seed_lines[n - 1])) for n in range(first, last + 1)}
    a = next((n for n in cleaned if start in cleaned[n]), None)
    b = next((n for n in cleaned if a is not None and n >= a and end in cleaned[n]), None)
    return (a, b) if a is not None and b is not None else bounds


def build_terms(rows: list[IdRow], sections: dict[str, Section], entries: list[PageEntry],
                seed_lines: list[str]) -> dict[str, Section]:
    page = {e.term: e for e in entries}
    out: dict[str, Section] = {}
    for row in rows:
        if row.kind != "term":
            continue
        slug = row.id[5:]
        if slug not in NOTICE_DEFINITIONS:
            raise BuildError(f"{row.id}: no definition source listed in build_corpus.NOTICE_DEFINITIONS")
        title, sources = NOTICE_DEFINITIONS[slug]
        paragraphs: list[str] = []
        defined_in: list[str] = []
        lines: tuple[int, int] | None = None
        if title in page:
            paragraphs.append(page[title].text)
            defined_in.append("defined-terms")
            lines = page[title].lines
        for sid, start, end in sources:
            passage = quote_passage(sections[sid], start, end)
            if passage not in paragraphs:
                paragraphs.append(passage)
            defined_in.append(sid)
            if lines is None:
                lines = passage_lines(seed_lines, sections[sid].source_lines, start, end)
        assert lines is not None
        out[row.id] = Section(row.id, title, "Defined term", "normal", lines, paragraphs, defined_in)
    return out


def defined_terms_document(entries: list[PageEntry], section: Section) -> Section:
    """The Defined Terms page as a document: its note, then one "Term: definition" row per term."""
    lead = [p for p in section.paragraphs if p.startswith("(A complete list of defined Terms")]
    section.paragraphs = lead + [f"{e.term}: {e.text}" for e in entries]
    return section


# --------------------------------------------------------------------- main


def build(seed: Path, ids_md: Path) -> tuple[list[IdRow], dict[str, Section]]:
    seed_lines = seed.read_text(encoding="utf-8").split("\n")
    if seed_lines and seed_lines[-1] == "":
        seed_lines.pop()
    rows = parse_section_ids(ids_md.read_text(encoding="utf-8"))
    bounds = locate_sections(seed_lines, rows)
    sections = build_sections(seed_lines, rows, bounds)
    entries = defined_terms_page(seed_lines, bounds["defined-terms"])
    sections["defined-terms"] = defined_terms_document(entries, sections["defined-terms"])
    sections.update(build_terms(rows, sections, entries, seed_lines))
    return rows, sections


def _folder(section_id: str) -> tuple[str, str]:
    kind = _kind(section_id)
    if kind == "guide":
        return "guides", section_id[6:]
    if kind == "term":
        return "terms", section_id[5:]
    return ("notice" if kind == "notice" else "documents"), section_id


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write(rows: list[IdRow], sections: dict[str, Section], out: Path) -> int:
    written = 0
    for sub in ("notice", "documents", "guides", "terms"):
        folder = out / sub
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()
    for sid, section in sections.items():
        sub, name = _folder(sid)
        (out / sub / f"{name}.json").write_text(_dump(section.to_json()), encoding="utf-8")
        written += 1
    listing = {
        "note": "Generated by knowledge/build_corpus.py from SECTION_IDS.md; do not edit by hand.",
        "sections": [{"id": r.id, "what": r.what, "kind": r.kind} for r in rows],
    }
    (out.parent / "section_ids.json").write_text(_dump(listing), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.build_corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", required=True, type=Path, metavar="PATH",
                        help="the seed text (Schedule TO exhibits), e.g. ../shared/seeds/003_301bafae8f02b91b.txt")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="corpus folder to (re)write, e.g. knowledge/corpus; section_ids.json goes next to it")
    parser.add_argument("--ids", type=Path, metavar="PATH",
                        help="SECTION_IDS.md (default: ../knowledge/SECTION_IDS.md beside the seed's folder)")
    args = parser.parse_args(argv)
    ids_md = args.ids or args.seed.resolve().parent.parent / "knowledge" / "SECTION_IDS.md"
    try:
        rows, sections = build(args.seed, ids_md)
    except (BuildError, OSError) as exc:
        print(f"build_corpus: {exc}", file=sys.stderr)
        return 2
    count = write(rows, sections, args.out)
    paragraphs = sum(len(s.paragraphs) for s in sections.values())
    print(f"wrote {count} sections, {paragraphs} paragraphs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
