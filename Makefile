# django-catalog developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
# Use the active virtualenv if there is one, else create and use $(VENV).
ifdef VIRTUAL_ENV
BIN := $(VIRTUAL_ENV)/bin
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
STAMP := $(BIN)/.django-catalog-installed

.PHONY: help install test test-sqlite test-postgres bench

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## Install the package with its test and dev extras (into a virtualenv)

test: test-sqlite test-postgres ## Run the whole suite on SQLite, then on PostgreSQL

test-sqlite: install ## Run the suite on SQLite (PostgreSQL-only tests deselected)
	$(PY) -m pytest -m "not postgres"

test-postgres: install ## Run the suite on PostgreSQL (starts a throwaway server if none is configured)
	CATALOG_TEST_DATABASE=postgres $(PY) -m pytest

bench: install ## Time commit_basket against the per-row baseline and the floor (SQLite, PostgreSQL)
	$(PY) -m tests.benchmarks.commit_benchmark
