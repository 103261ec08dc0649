# Two commands do all the set-up: `make demo` and `make test` (see README.md).
# Another interpreter in its own virtualenv: make test PYTHON=python3.10 VENV=.venv-3.10
# Every supported Python in turn (what CI runs): make test-all (see .ci/test-all).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all wheel-smoke lint typecheck pytest bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m tools.demo

test: $(STAMP) lint typecheck pytest

test-all:
	.ci/test-all

# The wheel, built from the sdist, in a fresh virtualenv: init, check and a start (see .ci/wheel-smoke).
wheel-smoke: $(STAMP)
	VENV=$(VENV) PYTHON=$(PYTHON) .ci/wheel-smoke

lint: $(STAMP)
	$(BIN)/ruff check logboot tests benchmarks examples tools
	$(BIN)/ruff format --check logboot tests benchmarks examples tools
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 --cov=logboot --cov-branch --cov-report=term --cov-fail-under=90

# Then the remote sinks against real receivers (rsyslogd, TLS, OTLP), beside the file sink in
# the same run (issue 23), even when the first part failed; either failing fails the target.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run; status=$$?; \
	$(BIN)/python -m benchmarks.remote_sinks --records 100000 --repeats 5 || status=1; \
	$(BIN)/python -m benchmarks.collect || status=1; \
	$(BIN)/python -m benchmarks.instructions || status=1; exit $$status

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick; status=$$?; \
	$(BIN)/python -m benchmarks.remote_sinks --records 20000 --repeats 1 || status=1; \
	$(BIN)/python -m benchmarks.collect --records 20000 --rounds 3 || status=1; \
	$(BIN)/python -m benchmarks.instructions --small 2000 --large 6000 || status=1; exit $$status

clean:
	rm -rf $(VENV) .venv-3.* .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
