# Two entry points for a newcomer (see README.md):
#   make run    install everything (embedded model included) and extract seeds/ into extract.db
#   make test   install the package with test tools and run the offline test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-local browser cassettes lint serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

install-local: $(BIN)/python
	$(BIN)/pip install -e '.[local,dev]'

run: install-local
	$(BIN)/extractor run seeds --db extract.db

# The browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

test: install browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check extractor tests bench

# Re-record the committed cassettes against the embedded local model (about 15-30 min on 2 cores).
cassettes: install-local
	rm -f cassettes/*.yaml cassettes/hostile/*.yaml cassettes.db hostile.db
	$(BIN)/extractor run seeds --record cassettes --force --db cassettes.db
	$(BIN)/extractor run tests/data/hostile --record cassettes/hostile --force --db hostile.db

serve:
	$(BIN)/extractor serve --db extract.db
