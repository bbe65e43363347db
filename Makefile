# Two entry points: `make quickstart` and `make test`. Each creates .venv when it is missing and installs
# the project into it through constraints.txt (the CPU build of torch==2.13.0), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALL := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: quickstart test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(INSTALL) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml constraints.txt
	$(INSTALL) -e ".[test]"
	touch $@

quickstart: $(VENV)/.installed
	$(BIN)/pharmakon run quickstart

test: $(VENV)/.installed-test
	$(BIN)/pytest -q -rs

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -q -m "not slow"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/generation.py
	$(BIN)/python benchmarks/quickstart.py
	$(BIN)/python benchmarks/sweep_reuse.py

clean:
	rm -rf $(VENV) runs .pytest_cache
