# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
INSTALLED := $(VENV)/.installed
CATALOG := feedback/translations/vi/LC_MESSAGES/messages

.PHONY: install run test lint reset-demo extract-messages clean

install: $(INSTALLED) $(CATALOG).mo

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev]'
	touch $@

$(CATALOG).mo: $(CATALOG).po $(INSTALLED)
	$(BIN)/pybabel compile -d feedback/translations -D messages

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) serve

# One pytest-xdist worker per core, each with its own database, Redis database and ports
# (tests/support/isolation.py); at most 8, so that a run flushes TEST_REDIS_URL's Redis database
# and at most the 7 below it. Each test file runs on one worker, with its module's live server.
test: install
	$(BIN)/python -m pytest -n auto --maxprocesses 8 --dist loadfile

# Lint and import order (ruff), then types (mypy); settings in pyproject.toml. CI runs both.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The demo from the start again: its SQLite database and uploaded files go (the secret key stays).
reset-demo: install
	@test -z "$$DATABASE_URL" || { echo "DATABASE_URL is set: reset-demo resets only the demo's own SQLite database." >&2; exit 1; }
	rm -f instance/pakn.sqlite3 instance/pakn.sqlite3-wal instance/pakn.sqlite3-shm
	rm -rf instance/uploads
	$(FLASK) db upgrade
	$(FLASK) seed-demo

# After changing user-facing text: extract it and merge it into the Vietnamese catalogue.
extract-messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o feedback/translations/messages.pot .
	$(BIN)/pybabel update -i feedback/translations/messages.pot -d feedback/translations -l vi

clean:
	rm -rf $(VENV) $(CATALOG).mo
