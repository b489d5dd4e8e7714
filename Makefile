# django-catalog developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
# The Django installed into the virtualenv: 5.2 LTS here; `make test-django6` runs 6.0.
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

# `make test BROWSER=no` leaves out the end-to-end tests in Chromium (tests/browser/), e.g.
# where no Chromium is installed; by default they run, and skip when none is found (not in CI).
BROWSER ?= yes
ifeq ($(BROWSER),no)
SQLITE_MARKERS := not postgres and not browser
POSTGRES_ARGS := -m "not browser"
else
SQLITE_MARKERS := not postgres
POSTGRES_ARGS :=
endif

# The demo project: an SQLite file and the folder the state diagrams are rendered into.
DEMO_DB ?= example/demo.sqlite3
DEMO_DIAGRAMS ?= example/diagrams
DEMO := CATALOG_DEMO_DB=$(DEMO_DB) $(PY) example/manage.py
SERVE_ADDRESS ?= 127.0.0.1:8000

# `make test-django6`: Django 6.0 needs Python 3.12+, which Debian trixie ships (3.13). The
# suite runs in a trixie root built once with debootstrap under TRIXIE_ROOT (ignored by git)
# and reused; the checkout is bind-mounted into it at /src. Needs root. The browser tests are
# left out there (BROWSER=no): the root has no Chromium, and the host's run covers them; the
# board's page itself is still rendered and checked on 6.0 by tests/admin/.
TRIXIE_ROOT ?= .cache/trixie
DEBIAN_MIRROR ?= http://deb.debian.org/debian
TRIXIE_PACKAGES := python3,python3-venv,ca-certificates,make,graphviz
DJANGO6_SPEC ?= Django>=6.0,<6.1
DJANGO6_VENV ?= .venv-django6
CHROOT_PATH := /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

.PHONY: help install test test-sqlite test-postgres test-django6 trixie-root lint diagrams demo \
	serve bench

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
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
	$(PY) -m pytest -m "$(SQLITE_MARKERS)"

test-postgres: install ## Run the suite on PostgreSQL (starts a throwaway server if none is configured)
	CATALOG_TEST_DATABASE=postgres $(PY) -m pytest $(POSTGRES_ARGS)

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

trixie-root: $(TRIXIE_ROOT)/.built ## Build the Debian trixie root for test-django6 (once; needs root)

$(TRIXIE_ROOT)/.built:
	@if [ -e $(TRIXIE_ROOT) ]; then \
		echo "$(TRIXIE_ROOT) exists but is unfinished; unmount anything in it, remove it, retry"; \
		exit 1; fi
	command -v debootstrap >/dev/null || { apt-get update && apt-get install -y debootstrap; }
	rm -rf $(TRIXIE_ROOT).partial
	mkdir -p $(dir $(abspath $(TRIXIE_ROOT)))
	debootstrap --variant=minbase --include=$(TRIXIE_PACKAGES) \
		trixie $(abspath $(TRIXIE_ROOT)).partial $(DEBIAN_MIRROR)
	mkdir -p $(TRIXIE_ROOT).partial/src
	touch $(TRIXIE_ROOT).partial/.built
	mv $(TRIXIE_ROOT).partial $(TRIXIE_ROOT)

# The mounts go away when the recipe ends, however it ends; stale ones from a killed run
# are removed first.
test-django6: $(TRIXIE_ROOT)/.built ## Run `make test` on Django 6.0 / Python 3.13 in a trixie root
	@root="$$(realpath $(TRIXIE_ROOT))"; \
	unmount() { \
		{ set +x; } 2>/dev/null; \
		for point in /src /dev/shm /proc; do \
			if mountpoint -q "$$root$$point"; then \
				umount "$$root$$point" || umount -l "$$root$$point"; fi; \
		done; \
	}; \
	unmount; trap unmount EXIT; set -ex; \
	cp -L --remove-destination /etc/resolv.conf "$$root/etc/resolv.conf"; \
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then \
		cp -L --remove-destination /etc/ssl/certs/ca-certificates.crt \
			"$$root/etc/ssl/certs/ca-certificates.crt"; fi; \
	mount -t proc proc "$$root/proc"; \
	mount -t tmpfs tmpfs "$$root/dev/shm"; \
	mount --bind "$(CURDIR)" "$$root/src"; \
	chroot "$$root" /usr/bin/env -i PATH=$(CHROOT_PATH) HOME=/root LANG=C.UTF-8 \
		make -C /src test PYTHON=python3 VENV=$(DJANGO6_VENV) 'DJANGO_SPEC=$(DJANGO6_SPEC)' \
		BROWSER=no
