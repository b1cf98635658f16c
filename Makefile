PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Bytecode is written even where the environment turns it off: without it every pytest
# worker compiles src/ and re-rewrites the tests' asserts on every run (collection took
# 2.4 times the CPU); __pycache__/ is ignored by git.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: test test-fast test-cpu demo bench lint typecheck clean

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
# -n 4 117 s; `python benchmarks/bench_test_suite.py --all` measures it again, interleaved).
# worksteal: an idle worker takes tests queued for a busy one, so a few long TUI stories
# do not leave the other workers waiting at the end.
PYTEST := $(BIN)/pytest -n 3 --dist worksteal

test: lint typecheck
	$(PYTEST)

test-fast: $(STAMP)  # the quick loop: no checks, no TUI tests
	$(PYTEST) --ignore=tests/tui

test-cpu: $(STAMP)  # the tests ranked by the CPU they cost (tests/cpu_report.py)
	@out=$$(mktemp -d); RUNBENCH_TEST_CPU=$$out $(PYTEST) -p cpu_report; status=$$?; \
	$(BIN)/python tests/cpu_report.py $$out; rm -rf $$out; exit $$status

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
