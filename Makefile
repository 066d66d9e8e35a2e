# cpdcore developer commands. Needs only Python 3.11 and pip; creates .venv itself.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
ADAPTERS := $(sort $(dir $(wildcard adapters/*/pyproject.toml)))
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck contracts pytest docs bench clean install

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when any pyproject changes.
$(STAMP): $(BIN)/python pyproject.toml $(wildcard adapters/*/pyproject.toml)
	$(BIN)/python -m pip install -q -e '.[cli,stats,dp,dev]' $(foreach a,$(ADAPTERS),-e $(a))
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict src $(foreach a,$(ADAPTERS),$(a)src)

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The order is the one the README promises.
test: lint typecheck contracts pytest docs

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) site .mypy_cache .ruff_cache .pytest_cache demo-output
