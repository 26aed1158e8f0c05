# LÚMEN — one Makefile for both run modes.
#   Docker mode: `make up` with a Docker engine answering drives docker compose (LUMEN_DOCKER=0/1 forces).
#   Native mode (default here): embedded PostgreSQL, mage start, jupyter lab — no Docker.
#   down/logs/clean follow what runs and what `make up` recorded (scripts/stack_mode.py).
# `make demo` and `make test` do all set-up themselves on a fresh machine.

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       := .venv
MAGE_VENV  := .venv-mage
BIN        := $(VENV)/bin
LUMEN      := $(BIN)/lumen
PIP_FLAGS  := --disable-pip-version-check --no-input -q
COMPOSE    := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup up down logs clean demo test test-docker lab strip lint bench pipeline backfill

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- setup -----
setup: $(VENV)/.installed $(MAGE_VENV)/.installed .env ## create .venv (lumen) and .venv-mage (Mage), .env, the kernelspec

$(VENV)/.installed: pyproject.toml requirements/lumen.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "LÚMEN needs Python 3.11+ (set PYTHON=python3.x)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing the lumen env into $(VENV) (first time: ~1 min)"
	@$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@# the build backend's banners go to a log, shown only if the install fails
	@$(BIN)/python -m pip install $(PIP_FLAGS) -c requirements/lumen.lock -e '.[dev]' >$(VENV)/pip.log 2>&1 \
	  || { grep -v '^WARNING: Location' $(VENV)/pip.log | tail -n 30; echo "setup: pip failed (log: $(VENV)/pip.log)"; exit 1; }
	@$(BIN)/python -m ipykernel install --sys-prefix --name lumen --display-name "LÚMEN (Python 3)" >/dev/null
	@$(BIN)/python -m lumen.validate.docs_assets  # Data Docs' CSS/JS, for offline pages
	@if git rev-parse --git-dir >/dev/null 2>&1; then $(BIN)/nbstripout --install; fi
	@touch $@

$(MAGE_VENV)/.installed: mage_project/requirements.txt mage_project/constraints.lock
	@test -x $(MAGE_VENV)/bin/python || $(PYTHON) -m venv $(MAGE_VENV)
	@echo "setup: installing the Mage env into $(MAGE_VENV) (first time: ~1.5 min)"
	@$(MAGE_VENV)/bin/python -m pip install $(PIP_FLAGS) -c mage_project/constraints.lock -r mage_project/requirements.txt \
	  >$(MAGE_VENV)/pip.log 2>&1 \
	  || { grep -v '^WARNING: Location' $(MAGE_VENV)/pip.log | tail -n 30; echo "setup: pip failed (log: $(MAGE_VENV)/pip.log)"; exit 1; }
	@touch $@

.env: .env.example
	@$(PYTHON) scripts/env_init.py

# ---------------------------------------------------------------- stack -----
# scripts/stack_mode.py (stdlib only) says which stack each target drives: `up` records its
# choice in .lumen/mode; down/logs/clean follow what runs and what was recorded, never merely
# whether a Docker engine answers.
STACK := $(PYTHON) scripts/stack_mode.py

# Docker mode needs only Docker and python3 (.env by a stdlib script); native mode sets up both venvs.
# LUMEN_COMPOSE_BUILD=0: start images built beforehand (scripts/docker_standins.sh builds them with
# BuildKit and a CA secret, which Debian's docker-compose 1.29 cannot pass to a build).
up: ## start the stack (Docker if an engine answers, else native: db, MLflow, Mage, JupyterLab)
	@if [ "$$($(STACK) up)" = docker ]; then $(MAKE) --no-print-directory .env \
	  && { [ -n "$$($(COMPOSE) ps -q 2>/dev/null)" ] || $(PYTHON) scripts/ports_free.py; } \
	  && $(COMPOSE) up -d $(if $(filter 0,$(LUMEN_COMPOSE_BUILD)),,--build) \
	  && { grep -qE '^INMET_TOKEN=.+' .env || echo "up: schedule inmet_hourly is paused: no INMET_TOKEN in .env (set it, then make up)"; }; \
	else $(MAKE) --no-print-directory setup && $(LUMEN) db start && $(LUMEN) mlflow start && $(LUMEN) pipeline start \
	  && $(LUMEN) lab start; fi

down: ## stop the stack (data is kept)
	@for mode in $$($(STACK) down); do \
	  if [ "$$mode" = docker ]; then $(COMPOSE) down; \
	  elif [ -x $(LUMEN) ]; then $(LUMEN) lab stop; $(LUMEN) pipeline stop; $(LUMEN) mlflow stop; $(LUMEN) db stop; \
	  else echo "nothing to stop"; fi; \
	done

logs: ## show the stack's logs
	@for mode in $$($(STACK) logs); do \
	  if [ "$$mode" = docker ]; then $(COMPOSE) logs --tail=200 -f; \
	  else for f in .lumen/postgres/log .lumen/logs/*.log; do [ -f "$$f" ] && { echo "==> $$f"; tail -n 50 "$$f"; }; done; fi; \
	done; true

clean: ## stop whatever runs, then remove project-local state: .lumen/ runs/ reports/ generated docs, compose volumes
	@modes="$$($(STACK) clean)"; \
	$(MAKE) --no-print-directory down; \
	case " $$modes " in *" docker "*) $(COMPOSE) down -v;; esac; \
	rm -rf .lumen runs reports data/sample expectations/uncommitted mage_project/.ssh_tunnel

# ------------------------------------------------------------- the jobs -----
SAMPLE_START := 2024-11-01
SAMPLE_END   := 2024-11-21
# the sample's own stations (Z codes, unused by INMET): the demo never touches real rows
SAMPLE_STATIONS := Z807,Z621,Z001,Z652
SAMPLE_DIR   := $(CURDIR)/data/sample
# the demo's forecast: a small model on 3 weeks, registered under its own name (never the real
# champion), then forecasts for every hour of its test days (a hindcast) for the report
DEMO_MODEL     := lumen-demo-next-hour-temperature
DEMO_HINDCAST  := 2024-11-18

demo: setup ## the main job: the pipeline (Mage → Papermill steps) on the offline sample, then where to look
	@$(LUMEN) db start
	@$(LUMEN) sample --out $(SAMPLE_DIR) --start $(SAMPLE_START) --days 21
	@$(LUMEN) stations --file $(SAMPLE_DIR)/api/estacoes_T.json --save >/dev/null
	@$(LUMEN) pipeline run backfill --archive $(SAMPLE_DIR)/archive/2024.zip --start $(SAMPLE_START) --end $(SAMPLE_END) --stations $(SAMPLE_STATIONS)
	@$(LUMEN) mlflow start
	@LUMEN_FORECAST_MODEL=$(DEMO_MODEL) $(LUMEN) pipeline run forecast_train --start $(SAMPLE_START) --end $(SAMPLE_END) --stations $(SAMPLE_STATIONS)
	@LUMEN_FORECAST_MODEL=$(DEMO_MODEL) $(LUMEN) forecast predict --start $(DEMO_HINDCAST) --end $(SAMPLE_END) --stations $(SAMPLE_STATIONS)
	@$(LUMEN) docs >/dev/null
	@docs="$$($(LUMEN) dbt docs)" && echo "analytics docs (dbt: models, tests, lineage): $$docs"
	@echo "report: $$($(LUMEN) report --stations $(SAMPLE_STATIONS) --start $(SAMPLE_START) --end $(SAMPLE_END) 2>/dev/null | tail -1)"
	@$(LUMEN) status

pipeline: setup ## one run of inmet_hourly (INMET API; needs INMET_TOKEN and network)
	@$(LUMEN) db start >/dev/null
	@$(LUMEN) pipeline run hourly $(if $(STATIONS),--stations $(STATIONS))

backfill: setup ## inmet_backfill: make backfill YEARS=2023,2024 [STATIONS=A807,A652] [UF=PR]
	@test -n "$(YEARS)" || { echo "make backfill: give YEARS=2024 (or YEARS=path/to/2024.zip)"; exit 2; }
	@$(LUMEN) db start >/dev/null
	@$(LUMEN) pipeline run backfill --archive $(YEARS) $(if $(STATIONS),--stations $(STATIONS)) $(if $(UF),--uf $(UF))

test: setup ## run every test (real PostgreSQL, Papermill, mage run)
	@$(BIN)/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests — treated as a failure"; exit 1; fi; exit $$rc

test-docker: setup ## the compose stack on a Docker engine with local stand-in images (root; see scripts/docker_standins.sh)
	@scripts/docker_preflight.sh
	@scripts/docker_standins.sh >/dev/null
	@$(BIN)/pytest -m docker tests/docker

lint: setup ## ruff and mypy
	$(BIN)/ruff check lumen tests benchmarks scripts
	$(BIN)/ruff format --check lumen tests benchmarks scripts
	$(BIN)/mypy lumen

lab: setup ## JupyterLab on the lumen env, rooted at notebooks/, on 127.0.0.1:LUMEN_LAB_PORT (8888; token in .env)
	@if [ "$$($(STACK) lab)" = docker ]; then $(COMPOSE) up -d jupyterlab; \
	else $(LUMEN) db start >/dev/null && $(LUMEN) lab start; fi

strip: setup ## strip outputs from every notebook (also done by the nbstripout git filter make setup installs)
	@$(BIN)/nbstripout notebooks/*/*.ipynb && echo "notebooks stripped"

bench: setup ## speed, side by side with psql \copy and pandas to_sql (one year × 600 stations; ~15 min)
	@$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
