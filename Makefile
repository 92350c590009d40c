# The commands people type. `make run` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test e2e lint format migrations-check clean fuzz bench bench-scale bench-tools messages prod-local

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is required (Python 3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e . --group dev --group e2e
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@echo "Serving on http://$(HOST):$(PORT)/ with the worker and W0099's webhook receiver beside it (Ctrl+C stops all)."
	@export WSO_WORK_DELAY=$${WSO_WORK_DELAY:-10} \
	  WSO_WEBHOOK_RETRY_SCHEDULE=$${WSO_WEBHOOK_RETRY_SCHEDULE:-5,10,20,40,60,120,300}; \
	  $(PY) manage.py demo_receiver & receiver=$$!; \
	  WSO_WORKER_POLL_SECONDS=2 $(PY) manage.py worker & worker=$$!; \
	  trap "kill $$worker $$receiver 2>/dev/null; wait $$worker $$receiver 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo --reset

# The English catalogue: collect the texts marked for translation, then compile it (needs GNU
# gettext). Both locale/en/LC_MESSAGES/django.po and django.mo are committed, so that `make run`
# and the Docker image need neither step.
messages: install
	$(PY) manage.py makemessages -l en --add-location=file $(foreach d,.venv node_modules staticfiles tests var bench test-artifacts templates/admin templates/ninja,-i "$(d)/*")
	$(PY) manage.py compilemessages -l en -i .venv -i node_modules

# Always the tests' own settings, whatever DJANGO_SETTINGS_MODULE the shell has.
test: install
	DJANGO_SETTINGS_MODULE=wso_portal.settings.test $(PY) -m pytest $(PYTEST_ARGS)

# Hostile input to every page, form and API operation (tests/fuzz): 10,000 requests, none a 5xx.
fuzz: install
	WSO_FUZZ_REQUESTS=$${WSO_FUZZ_REQUESTS:-10000} DJANGO_SETTINGS_MODULE=wso_portal.settings.test \
	  $(PY) -m pytest -q tests/fuzz/test_no_server_error.py $(PYTEST_ARGS)

# Browser tests alone (also part of `make test`, which skips them when Chromium is missing).
e2e: install
	@[ -x /usr/bin/chromium ] || { echo "error: Chromium is missing at /usr/bin/chromium; run scripts/install-chromium" >&2; exit 1; }
	DJANGO_SETTINGS_MODULE=wso_portal.settings.test $(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Pages and look-ups against a bare Django floor, as ratios (PostgreSQL, Redis and wrk needed).
bench: install bench-tools
	$(PY) bench/run.py

# The disclosure log at scale: 100,000,000 rows over 36 monthly partitions (about 40 minutes and
# 25 GB of disk; BENCH_SCALE_ROWS makes it smaller). Same needs as make bench.
bench-scale: install bench-tools
	$(PY) bench/scale.py

bench-tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] || { echo "error: make bench needs wrk: apt-get install wrk" >&2; exit 1; }; \
	  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "error: make bench needs PostgreSQL on 127.0.0.1:5432" >&2; exit 1; }

# The production topology as processes here (scripts/prod-local): PgBouncer in transaction mode,
# two web instances, two workers, production settings. Ctrl+C stops all of it.
prod-local: install
	scripts/prod-local

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
