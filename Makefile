# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
PORT ?= 8501
# The app listens on this machine only; ADDRESS=0.0.0.0 serves every network it is on (README: a class).
ADDRESS ?= 127.0.0.1

.PHONY: run test lint format browser postgres bench clean

run: $(RUN_STAMP)
	$(VENV)/bin/streamlit run app.py --server.headless true --server.address $(ADDRESS) --server.port $(PORT)

test: $(DEV_STAMP) browser postgres
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(BENCH_STAMP)
	$(PY) -m bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt constraints.txt pyproject.toml | $(PY)
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .  # the `mlcore` command, this checkout editable
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUN_STAMP)
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

$(BENCH_STAMP): bench/requirements.txt $(DEV_STAMP)
	$(PY) -m pip install -q -r bench/requirements.txt -c constraints.txt
	touch $@

# Debian's Chromium drives the browser tests (playwright install cannot download here).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

# Debian's PostgreSQL server: the database-source tests start their own on 127.0.0.1.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
