# Two entry points, both from a fresh clone:
#   make explorer   set up, then open the storage explorer on sample mounts (no cloud needed)
#   make test       set up, then run every test: unit, real servers, notebooks, browser
# Setup is idempotent: each step is redone only when its inputs change.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup explorer test lint azurite chromium clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Azurite (the Azure Blob emulator) comes from npm into a git-ignored folder.
azurite: tests/azurite/node_modules/.bin/azurite-blob

tests/azurite/node_modules/.bin/azurite-blob: tests/azurite/package.json tests/azurite/package-lock.json
	npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error
	touch $@

# The browser test drives Debian's Chromium; never a browser downloaded by a tool.
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

explorer: setup
	$(PY) -m genro_storage.widgets.app

test: setup azurite chromium
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) tests/azurite/node_modules
