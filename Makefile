# Everyday tasks. `make run` and `make test` are all a newcomer needs (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.test-installed

.PHONY: run test lint format docs bench screenshots chromium clean help

help:
	@echo "make run          serve the dashboard on http://127.0.0.1:8050 (creates .venv and the database)"
	@echo "make test         run the whole test suite, browser tests included"
	@echo "make lint         ruff checks"
	@echo "make docs         regenerate docs/catalogue.md from indicator_catalog.yaml"
	@echo "make bench        run the benchmarks in bench/ (not part of the tests)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "migdash needs Python 3.11 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment. On Debian/Ubuntu: apt-get install -y python3-venv"; exit 1; }

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(INSTALLED)
	$(BIN)/migdash serve

chromium:
	@scripts/ensure-chromium.sh

test: $(TEST_INSTALLED) chromium
	$(BIN)/python -m pytest

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(TEST_INSTALLED)
	$(BIN)/ruff format .

docs: $(INSTALLED)
	$(BIN)/migdash catalog docs -o docs/catalogue.md

bench: $(TEST_INSTALLED)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

screenshots: $(TEST_INSTALLED) chromium
	$(BIN)/python scripts/screenshots.py
