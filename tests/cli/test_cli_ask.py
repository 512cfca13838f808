"""`sotp ask` reads whatever it is given without crashing, and keeps its JSON contract."""

from __future__ import annotations

import json

from cli_helpers import run_process

CONTRACT = {"id", "intent", "sections", "text", "ticket", "confidence"}


def test_a_batch_answers_every_readable_line_and_names_the_unreadable_ones(demo_copy, tmp_path):
    batch = tmp_path / "questions.jsonl"
    batch.write_bytes(b'{"id": "a", "text": "when is the election deadline?"}\n'
                      b'{"id": "b", "text": "can I withdraw \xff my election?"}\n'
                      b'\n'
                      b'{"id": "c", "text": "what is the lone \\ud800 surrogate period?"}\n'
                      b'{"id": "d", "text": "how do I withdraw my election?"}\n')
    done = run_process("ask", "--json", "--batch", str(batch), "--db", str(demo_copy))
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert [(line.get("id"), line.get("line")) for line in lines] == [("a", None), (None, 2), ("c", None), ("d", None)]
    assert lines[1]["error"] == "line 2: not UTF-8 text (byte 0xff at position 37); the line was not read"
    assert set(lines[0]) == CONTRACT and set(lines[2]) == CONTRACT
    assert "q21" in lines[0]["sections"] and "q23" in lines[3]["sections"]
    assert done.stderr.decode().splitlines() == [
        "sotp ask: line 2: not UTF-8 text (byte 0xff at position 37); the line was not read"]


def test_a_batch_from_standard_input_reads_bytes(demo_copy):
    done = run_process("ask", "--json", "--batch", "-", "--db", str(demo_copy),
                       input=b'{"id": 1, "text": "when is the deadline? \xc3"}\n{"id": 2, "text": "hello"}\n')
    assert done.returncode == 2
    assert [json.loads(line).get("id") for line in done.stdout.splitlines()] == [None, 2]


def test_a_question_argument_that_is_not_utf8_is_answered(demo_copy):
    done = run_process("ask", "--json", b"when is the election deadline\xff?", "--db", str(demo_copy))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == CONTRACT and "q21" in answer["sections"]


def test_an_employee_id_in_lowercase_is_the_employee(demo_copy):
    done = run_process("ask", "--json", "--employee", "e000001", "what would I get at $27?", "--db", str(demo_copy))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["intent"] == "estimate"


def test_a_near_miss_employee_id_gets_a_suggestion(demo_copy):
    done = run_process("ask", "--json", "--employee", "E00001", "hello", "--db", str(demo_copy))
    assert done.returncode == 2
    assert json.loads(done.stdout) == {"error": f"no employee E00001 in {demo_copy} (did you mean E000001?): "
                                                "check the id, or import employees first"}
