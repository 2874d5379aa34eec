# SCIM 2.0 provisioning server. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime

.DEFAULT_GOAL := help
.PHONY: help install run test conformance lint format migrate revision bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# make run needs the service's own dependencies only, not the test and lint tools.
$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

install: $(STAMP) ## Create .venv and install the project with its dev tools

run: $(RUNTIME) ## Migrate and serve (HOST, PORT, WORKERS; HTTPS when SCIM_SSL_CERTFILE/KEYFILE are set)
	$(BIN)/python -m app migrate
	$(BIN)/python -m app serve --host $(HOST) --port $(PORT) \
		$(if $(WORKERS),--workers $(WORKERS)) \
		$(if $(SCIM_SSL_CERTFILE),--ssl-certfile '$(SCIM_SSL_CERTFILE)') \
		$(if $(SCIM_SSL_KEYFILE),--ssl-keyfile '$(SCIM_SSL_KEYFILE)')

test: $(STAMP) ## Run the suite (SQLite; PostgreSQL too when SCIM_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

conformance: $(STAMP) ## Only the external suites, IdP transcripts, HTTPS and /docs browser tests
	$(BIN)/pytest tests/conformance tests/idp tests/http/test_https.py tests/http/test_docs_browser.py

bench: $(STAMP) ## This service vs a bare stack and scim2-server, PASS/FAIL per target (bench/compare.py)
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, mypy --strict on app/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP) ## Apply Alembic migrations to SCIM_DATABASE_URL
	$(BIN)/python -m app migrate

revision: $(STAMP) ## Autogenerate a migration: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
