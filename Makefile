# django-catalog developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
# The Django installed into the virtualenv; CI runs 5.2 LTS and, in .venv-django42, 4.2 LTS:
#   make test VENV=.venv-django42 DJANGO_SPEC='Django>=4.2,<5.0'
DJANGO_SPEC ?= Django>=5.2,<6.0
# Use the active virtualenv if there is one, else create and use $(VENV).
ifdef VIRTUAL_ENV
BIN := $(VIRTUAL_ENV)/bin
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
# One stamp per Django spec, so changing DJANGO_SPEC reinstalls.
STAMP := $(BIN)/.django-catalog-installed-$(shell printf '%s' '$(DJANGO_SPEC)' | cksum | cut -d' ' -f1)

# The demo project: an SQLite file and the folder the state diagrams are rendered into.
DEMO_DB ?= example/demo.sqlite3
DEMO_DIAGRAMS ?= example/diagrams
DEMO := CATALOG_DEMO_DB=$(DEMO_DB) $(PY) example/manage.py
SERVE_ADDRESS ?= 127.0.0.1:8000

.PHONY: help install test test-sqlite test-postgres lint diagrams demo serve bench

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' '$(DJANGO_SPEC)'
	@rm -f $(BIN)/.django-catalog-installed*
	@touch $@

install: $(STAMP) ## Install the package with its test and dev extras (Django 5.2; see DJANGO_SPEC)

test: test-sqlite test-postgres ## Run the whole suite on SQLite, then on PostgreSQL

test-sqlite: install ## Run the suite on SQLite (PostgreSQL-only tests deselected)
	$(PY) -m django --version
	$(PY) -m pytest -m "not postgres"

test-postgres: install ## Run the suite on PostgreSQL (starts a throwaway server if none is configured)
	CATALOG_TEST_DATABASE=postgres $(PY) -m pytest

lint: install ## ruff (lint and format check) on the code, mypy with django-stubs on src/
	$(BIN)/ruff check src tests example
	$(BIN)/ruff format --check src tests example
	$(PY) -m mypy

diagrams: install ## Regenerate diagrams/ (DOT, Mermaid; SVG needs Graphviz) and the README's copies
	CATALOG_TEST_DATABASE=sqlite $(BIN)/django-admin catalog_diagrams --output diagrams \
		--settings=tests.settings --pythonpath=.
	$(PY) diagrams/readme_sync.py

demo: install ## Run the demo: seed a clinic's catalog, order, work, dispense, print it all
	$(DEMO) demo --diagrams $(DEMO_DIAGRAMS)

serve: demo ## Run the demo admin on 127.0.0.1:8000 with a demo superuser (prints the login)
	$(DEMO) demo_superuser
	$(DEMO) runserver $(SERVE_ADDRESS)

bench: install ## Time commit_basket (SQLite, PostgreSQL) and the documented reads at scale (PostgreSQL)
	@status=0; \
	$(PY) -m tests.benchmarks.commit_benchmark || status=1; \
	$(PY) -m tests.benchmarks.read_benchmark || status=1; \
	exit $$status
