# Quick start: `make run` and `make test`. Each target sets up .venv on its own.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sotp run $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/sotp bench faq --questions ../shared/eval/dev_questions.jsonl

# Everything a build, a run or the tests leave behind: the environment, the databases and
# exports in var/, packaging metadata, and every cache.
clean:
	rm -rf $(VENV) var build dist *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
