PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Bytecode is written even where the environment turns it off: without it every pytest
# worker compiles src/ and re-rewrites the tests' asserts on every run (collection took
# 2.4 times the CPU); __pycache__/ is ignored by git.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: test test-fast demo bench lint typecheck clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/vulture

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --config-file tests/mypy.ini

# Three workers on two cores: many tests wait (servers, child processes, the sandbox), so a
# third worker fills the idle time (pytest alone, quiet 2-core machine: -n 2 171 s, -n 3 118 s,
# -n 4 117 s).
test: lint typecheck
	$(BIN)/pytest -n 3

test-fast: $(STAMP)  # the quick loop: no checks, no TUI tests
	$(BIN)/pytest -n 3 --ignore=tests/tui

demo: $(STAMP)
	@$(BIN)/python -m compileall -q src  # bytecode once, even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/runbench demo

bench: $(STAMP)
	@results=$$(mktemp -d); names=""; \
	for b in benchmarks/bench_*.py; do \
		name=$$(basename $$b .py); names="$$names $$name"; echo "== $$b"; \
		RUNBENCH_BENCH_RESULTS=$$results $(BIN)/python $$b || echo $$? > $$results/$$name.failed; \
	done; \
	$(BIN)/python benchmarks/summary.py $$results $$names; status=$$?; rm -rf $$results; exit $$status

clean:
	rm -rf $(VENV)
