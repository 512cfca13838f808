# Quick start: `make run` and `make test`. Each target sets up .venv on its own.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean bytecode

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Our packages' bytecode, written ahead: where PYTHONDONTWRITEBYTECODE is set, every `sotp`
# command would otherwise compile them from source (~0.14 s of CPU a one-shot `sotp ask`).
# Only stale files are rewritten, so this is quick when nothing changed.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q bot handlers knowledge

run: bytecode
	$(BIN)/sotp run $(ARGS)

test: bytecode
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/sotp bench faq --questions ../shared/eval/dev_questions.jsonl

# Everything a build, a run or the tests leave behind: the environment, the databases and
# exports in var/, packaging metadata, and every cache.
clean:
	rm -rf $(VENV) var build dist *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
