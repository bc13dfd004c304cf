# spaser — every set-up step is here; a fresh machine needs only Python 3.11+ and make.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# uv from PATH, else the one pip installs (`make install` installs it when missing).
UV := $(if $(shell command -v uv 2>/dev/null),uv,python3 -m uv)
PY_SRC := src tests bench
RECORDS ?= 1500000

.PHONY: help install run test check lint typecheck bench bench-indicators docs clean

help:
	@echo "make run    install, then serve the platform on http://127.0.0.1:8000 (data in ./data; demonstration"
	@echo "           data on an empty folder; DATA=PATH... ingests real DECP files first)"
	@echo "make test   install, then run the whole test suite"
	@echo "make check  lint (ruff) + types (mypy) + tests"
	@echo "make bench  ingestion benchmark (RECORDS=N to change the size, default 1.5 M)"
	@echo "make bench-indicators  indicator benchmark on the national-scale warehouse"
	@echo "make docs   regenerate docs/indicateurs.md from the indicator catalogue"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
	  || python3 -m pip install --quiet uv \
	  || python3 -m pip install --quiet --user --break-system-packages uv
	@$(UV) sync --frozen --quiet --compile-bytecode
	@# Bytecode for our own sources too: every CLI call and every ingestion worker starts ~2 s faster where
	@# PYTHONDONTWRITEBYTECODE is set (imports then never cache what they compile).
	@$(UV) run --frozen --quiet python -m compileall -q src >/dev/null
	@# htmx for the web pages, from the npm registry with its lock file (the pages work without it).
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent || echo "npm ci failed: pages work without htmx"; fi

# DATA=PATH...: ingest these DECP files first (exit 2, some file unreadable, still serves the others); else, on an
# empty data folder ($SPASER_DATA_DIR, default ./data), seed the synthetic demonstration dataset (docs/demo.md).
run: install
ifneq ($(strip $(DATA)),)
	$(UV) run spaser ingest --replace-demo $(DATA) || [ $$? -eq 2 ]
else
	@if [ -e "$${SPASER_DATA_DIR:-data}/warehouse/current.duckdb" ]; then \
	  echo "serving the warehouse already in $${SPASER_DATA_DIR:-data}"; \
	else $(UV) run spaser demo seed; fi
endif
	$(UV) run spaser serve

test: install
	$(UV) run pytest $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check $(PY_SRC)

typecheck: install
	$(UV) run mypy $(PY_SRC)

check: lint typecheck test

bench: install
	$(UV) run python bench/ingest.py --records $(RECORDS)

bench-indicators: install
	$(UV) run python bench/indicators.py

docs: install
	$(UV) run python -m spaser.indicators.docs docs/indicateurs.md

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache bench/out
