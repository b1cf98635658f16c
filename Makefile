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

# vulture (3 s of CPU, no cache of its own) is skipped when nothing it reads changed since it
# last passed: the same files, config and version give the same answer (as mypy's cache does).
# Any part failing (a missing file, no vulture installed) fails the key: then vulture runs and
# nothing is cached (sh has no pipefail, so bash computes it).
VULTURE_INPUTS := bash -o pipefail -ec "{ find src tests benchmarks -name '*.py' -print0 \
	| LC_ALL=C sort -z | xargs -0 sha256sum pyproject.toml vulture_whitelist.py; \
	ls -d $(VENV)/lib/python*/site-packages/vulture-*.dist-info; } | sha256sum"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	@key=$$($(VULTURE_INPUTS)) || key=; passed=$(VENV)/.vulture-passed; \
	if [ -n "$$key" ] && [ "$$(cat $$passed 2>/dev/null)" = "$$key" ]; then \
	echo "vulture: unchanged since it passed"; \
	else echo "$(BIN)/vulture"; $(BIN)/vulture && { [ -z "$$key" ] || echo "$$key" > $$passed; }; fi

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --config-file tests/mypy.ini

# Four workers on two cores: many tests wait (servers, child processes, the sandbox, the
# pilot's idle slices), so workers beyond the cores fill the idle time. Measured with
# `python benchmarks/bench_test_suite.py --all --counts 4` (interleaved rounds): once the
# pilot's idle wait was cut (tests/pilot_costs.py), -n 4 / -n 3 wall 0.84 and 0.90, wall
# over the CPU floor 1.13 against 1.23 (before it: -n 2 171 s, -n 3 118 s, -n 4 117 s).
# --dist load --maxschedchunk 1 with the longest tests first (tests/ordering.py): a worker
# takes the next test when it finishes one, so the long TUI stories run side by side at the
# start and short tests fill the end, instead of one long test ending the run alone.
PYTEST := $(BIN)/pytest -n 4 --dist load --maxschedchunk 1
# The bytecode the workers read, written once before they start (tests/prime_bytecode.py):
# from a clean clone each worker rewrote every test module's asserts and
# compiled src/ at the same time (5.3 s of CPU each); warm, this is a 0.1 s check.
PRIME := $(BIN)/python tests/prime_bytecode.py

# lint and typecheck run beside pytest (niced: they fill the time workers wait) instead of
# before it; every check runs (-k), all output is printed and make test fails if any fails.
test: $(STAMP)
	@checks=$$(mktemp); \
	nice -n 5 $(MAKE) -k --no-print-directory lint typecheck >$$checks 2>&1 & pid=$$!; \
	$(PRIME); $(PYTEST); tests=$$?; wait $$pid; checked=$$?; \
	echo "== lint and typecheck"; cat $$checks; rm -f $$checks; \
	if [ $$checked -ne 0 ]; then echo "make test: lint or typecheck FAILED (above)"; fi; \
	if [ $$tests -ne 0 ]; then echo "make test: pytest FAILED (exit $$tests)"; fi; \
	[ $$checked -eq 0 ] && [ $$tests -eq 0 ]

test-fast: $(STAMP)  # the quick loop: no checks, no TUI tests
	@$(PRIME)
	$(PYTEST) --ignore=tests/tui

# RECORD=1 also writes the long tests' wall times to tests/test_costs.tsv (the run order).
test-cpu: $(STAMP)  # the tests ranked by the CPU they cost (tests/cpu_report.py)
	@$(PRIME); out=$$(mktemp -d); RUNBENCH_TEST_CPU=$$out $(PYTEST) -p cpu_report; status=$$?; \
	$(BIN)/python tests/cpu_report.py $$out $(if $(RECORD),--record); rm -rf $$out; exit $$status

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
