# The two commands that matter: `make run` serves the demo site, `make test` runs every test.
# Both create .venv and install what they need on a fresh machine; both are safe to re-run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app outreach
PORT   := $(or $(OUTREACH_PORT),5000)
TEST_DATABASE_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15

.PHONY: run serve-prod test test-tantivy test-postgres chromium catalogs setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changes, so a second `make run` starts in seconds.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

catalogs: $(VENV)/.installed
	@$(FLASK) outreach i18n compile

# Database (migrations), demo content and search index under instance/; each step skips work already done.
# `outreach demo` (this local demo site only, never serve-prod): demo campaigns moved to today once a day
# old, demo staff for every role, demo partners' keys and routing; it ends with how to sign in.
setup: catalogs
	@$(FLASK) db upgrade
	@$(FLASK) outreach geo load --if-empty
	@$(FLASK) outreach content load --if-changed
	@$(FLASK) outreach search reindex --if-missing
	@$(FLASK) outreach demo --yes-create-demo-accounts

run: setup
	@echo "Outreach is at http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	@$(FLASK) run --host 127.0.0.1 --port $(PORT) --no-debugger --no-reload

# Production set-up on this machine (README "Production"): PostgreSQL on 127.0.0.1:5432 (database
# outreach_prod, created when missing), Redis for sessions and rate limits, instance-prod/ for the secret
# key and the search index; migrations, ZIP centroids, content, a fresh index, then gunicorn with
# outreach/gunicorn_conf.py on 127.0.0.1:8000 (OUTREACH_BIND, OUTREACH_WORKERS, OUTREACH_THREADS).
PROD_DATABASE_URL:= $(or $(PROD_DATABASE_URL),$(OUTREACH_DATABASE_URL),postgresql+psycopg://root@127.0.0.1:5432/outreach_prod)
PROD_REDIS_URL   := $(or $(PROD_REDIS_URL),$(OUTREACH_REDIS_URL),redis://127.0.0.1:6379/0)
PROD_INSTANCE    := $(or $(PROD_INSTANCE),$(OUTREACH_INSTANCE_PATH),$(CURDIR)/instance-prod)

serve-prod: export OUTREACH_DATABASE_URL = $(PROD_DATABASE_URL)
serve-prod: export OUTREACH_REDIS_URL = $(PROD_REDIS_URL)
serve-prod: export OUTREACH_INSTANCE_PATH = $(PROD_INSTANCE)
serve-prod: $(VENV)/.installed catalogs
	@$(BIN)/python -m outreach.operations ensure-database
	@$(FLASK) db upgrade
	@$(FLASK) outreach geo load --if-empty
	@$(FLASK) outreach content load --if-changed
	@$(FLASK) outreach search reindex
	@echo "Outreach (gunicorn) is at http://$(or $(OUTREACH_BIND),127.0.0.1:8000)/  (Ctrl+C stops it)"
	@exec $(BIN)/gunicorn -c outreach/gunicorn_conf.py

# Debian's Chromium drives the browser tests; a missing browser fails the run, it never skips tests.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get install -y chromium', then 'make test' again." >&2; \
	    exit 1; \
	  fi; }

# Two worker processes (pytest-xdist): the suite, browser tests included, shares this 2-core machine's
# time better than one. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test chromium catalogs
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# The search tests again with the tantivy engine (OUTREACH_SEARCH_BACKEND=tantivy) instead of Whoosh.
test-tantivy: $(VENV)/.installed-test catalogs
	OUTREACH_TEST_SEARCH_BACKEND=tantivy $(BIN)/python -m pytest tests/test_search.py tests/test_search_basic.py tests/test_search_relevance.py tests/test_search_processes.py

# The database, session and rate-limit tests against PostgreSQL (127.0.0.1:5432) and Redis
# (127.0.0.1:6379), which is what production runs on; CI runs this after `make test`.
test-postgres: $(VENV)/.installed-test catalogs
	OUTREACH_TEST_DATABASE_URL=$(TEST_DATABASE_URL) OUTREACH_TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest -m db

clean:
	rm -rf $(VENV) instance .pytest_cache
