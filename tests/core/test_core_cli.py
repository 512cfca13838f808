"""`sotp ask` as outside checks use it: the JSON contract, personal figures, tickets."""

import json
from decimal import Decimal

from bot.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_ask_as_an_employee_gives_the_same_total_payment_as_sotp_estimate(capsys, db_path):
    status, out = run(capsys, "estimate", "--db", str(db_path), "--employee", "E1", "--price", "27.00", "--json")
    expected = json.loads(out)["total_payment"]                                     # "2800.00"
    status, out = run(capsys, "ask", "--db", str(db_path), "--employee", "E1", "--json", "what would I get at $27?")
    answer = json.loads(out)
    assert status == 0 and answer["intent"] == "estimate"
    assert expected == "2800.00"                      # 1,000 x $1.90 + 2,000 x $0.45
    assert f"${Decimal(expected):,.2f}" in answer["text"]
    assert set(answer) == {"id", "intent", "sections", "text", "ticket", "confidence"}


def test_an_eligibility_problem_returns_a_ticket_that_queue_show_displays(capsys, db_path):
    status, out = run(capsys, "ask", "--db", str(db_path), "--employee", "E1", "--json",
                      "I never received the launch email for the option transfer")
    ticket = json.loads(out)["ticket"]
    assert ticket == "CC-000001"
    status, out = run(capsys, "queue", "show", ticket, "--db", str(db_path))
    assert status == 0
    assert "CC-000001" in out and "I never received the launch email" in out and "E1" in out


def test_batch_answers_keep_their_ids_and_a_bad_line_is_reported_in_place(capsys, db_path, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "text": "when is the deadline?"}\n'
                     "not json\n"
                     '{"id": "c", "text": "what would I get at $27?", "employee_id": "E1"}\n')
    status, out = run(capsys, "ask", "--db", str(db_path), "--json", "--batch", str(batch))
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 2
    assert [line.get("id") for line in lines] == ["a", None, "c"]
    assert lines[1]["error"].startswith("line 2:")
    assert lines[0]["sections"][0] == "q21" and "$2,800.00" in lines[2]["text"]


def test_asking_as_an_unknown_employee_is_a_clear_error(capsys, db_path):
    status, out = run(capsys, "ask", "--db", str(db_path), "--employee", "E404", "--json", "hi")
    assert status == 2 and json.loads(out) == {
        "error": f"no employee E404 in {db_path}: check the id, or import employees first"}
