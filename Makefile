# The two commands: `make plan` (what would stage create?) and `make test` (everything CI checks).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= stage
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | sha256sum | cut -c1-12)
PACKAGES := settings components preflight providers.py contract

.PHONY: setup plan test check-tools lint typecheck pytest bench config-reference outputs-fixture clean

$(STAMP): requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)  ## create .venv if missing and install the pinned dependencies

plan: setup  ## offline preview of STACK (default stage): plan, policy violations, cost, recovery budget
	$(PY) -m preflight --stack $(STACK)

test: setup check-tools lint typecheck pytest  ## what CI runs

check-tools: setup  ## stop with one line (exit 2) when promtool, amtool, the blackbox exporter or PostgreSQL is missing
	@$(PY) -m tools.check_tools

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy $(PACKAGES) policy ops monitoring benchmarks tools lambdas canaries

pytest: setup check-tools
	$(PY) -m pytest -n 2 -q

bench: setup  ## preflight wall time per stack against the import floor
	$(PY) benchmarks/preflight_bench.py

config-reference: setup  ## regenerate the stack config reference (docs/config-reference.md) from Pulumi.yaml
	$(PY) -m settings.reference --write docs/config-reference.md

outputs-fixture: setup  ## regenerate tests/fixtures/outputs.stage.json from the real program (mock engine; STACK=stage)
	$(PY) -m tools.outputs_fixture --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
