# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint format check-python chromium postgres demo migration clean

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'

## run: set up and serve the bot in local mode (SQLite, sample organisation, web playground)
run: $(STAMP)
	$(PY) app.py serve

## demo: a few simulated weeks of the sample programme on a fresh local database
demo: $(STAMP)
	$(PY) app.py demo

## test: set up and run lint, types and the whole suite (SQLite and PostgreSQL, headless browser)
test: $(STAMP) chromium
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q

## lint: ruff check, ruff format --check, mypy --strict on bot/, storage/, handlers/ and app.py
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## chromium: Debian's headless browser for the playground test (never a downloaded build)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

## postgres: start the local PostgreSQL cluster if it is down
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

## migration: autogenerate a schema revision from the models (review it before committing)
migration: $(STAMP)
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 2; }
	$(PY) -c 'import sys; from storage.migrate import new_revision; new_revision(sys.argv[1])' "$(m)"

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
