# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_UPDATED := /tmp/.sipas-apt-updated

.PHONY: help run test lint typecheck migrations-check pytest system-deps system-test-deps bench clean

help:
	@echo "make run   - install, migrate the SQLite default (./sipas.db), load demo data if empty, serve on :8000"
	@echo "make test  - install test dependencies (PostgreSQL, Chromium, zbar, poppler from Debian if missing), run the suite"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		echo "python venv support is missing; installing it from Debian's packages"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv python3.11-venv && \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed system-deps
	$(BIN)/sipas migrate
	$(BIN)/sipas demo --if-empty
	$(BIN)/sipas serve

# Debian packages the service needs: pango and a font with Vietnamese letters, for the posters as PDF (WeasyPrint,
# app/links/pdf.py).
SYSTEM_PACKAGES := libpango-1.0-0:/usr/lib/*/libpango-1.0.so.0 libpangoft2-1.0-0:/usr/lib/*/libpangoft2-1.0.so.0 \
	fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# Debian packages the tests use: PostgreSQL (a private cluster is started when none runs on 127.0.0.1:5432),
# Chromium for the browser tests (Playwright drives /usr/bin/chromium), zbar to decode generated QR codes and
# poppler to read the posters' PDF back (pdftotext, pdftoppm).
TEST_PACKAGES := postgresql:/usr/lib/postgresql/*/bin/initdb chromium:/usr/bin/chromium zbar-tools:/usr/bin/zbarimg \
	poppler-utils:/usr/bin/pdftotext

# Installs from Debian each "package:path" of the list whose path is missing.
define install-missing
	@missing=""; for entry in $(1); do \
		ls $${entry#*:} >/dev/null 2>&1 || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian's packages:$$missing"; \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
endef

system-deps:
	$(call install-missing,$(SYSTEM_PACKAGES))

system-test-deps:
	$(call install-missing,$(SYSTEM_PACKAGES) $(TEST_PACKAGES))

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The models and the migrations must agree (no autogenerate drift), checked on a throw-away SQLite file.
migrations-check: $(VENV)/.installed-dev
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
		SIPAS_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic upgrade head && \
		SIPAS_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic check

# The suite on several workers (pytest-xdist; tests/conftest.py gives them one PostgreSQL): the database and browser
# tests wait on PostgreSQL, Chromium and uvicorn, so more workers than cores pay. Work stealing evens out the long
# tests. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 4
pytest: $(VENV)/.installed-dev system-test-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=25

test: lint typecheck migrations-check pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/demo_load.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
