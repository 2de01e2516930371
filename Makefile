# sharekit: two set-up commands, `make lab` (run it) and `make test` (prove it). Both start from plain Python.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export SHAREKIT_HOME ?= $(CURDIR)/.sharekit-home
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

.PHONY: lab demo test lint test-fast test-notebooks test-binder notebooks bench stress browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## Debian's chromium for the real-browser tests (never a browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## JupyterLab on the tutorial notebooks, against the embedded server.
lab: $(VENV)/.installed-dev
	$(BIN)/sharekit demo --prepare-only --home "$(SHAREKIT_HOME)"
	cd notebooks && ../$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --no-browser $(ALLOW_ROOT)

## A headless end-to-end run in the terminal.
demo: $(VENV)/.installed-dev
	$(BIN)/sharekit demo

## The whole suite: unit, integration (real server, SDK, delta-sharing client), Spark, browser, notebooks
## (tests/test_notebooks.py runs each tutorial with nbclient), then the tutorials' stored outputs under strict
## nbval, then the Binder environment built from binder/requirements.txt alone.
test: $(VENV)/.installed-dev browser-deps lint
	$(BIN)/python -m pytest -p no:cacheprovider tests
	$(MAKE) --no-print-directory test-notebooks
	$(MAKE) --no-print-directory test-binder

## The layer rules (import-linter contracts in pyproject.toml; docs/architecture.md explains them).
lint: $(VENV)/.installed-dev
	$(BIN)/lint-imports --no-logo

## The tutorials' stored outputs, compared cell by cell (ports, times, paths and tokens sanitized).
test-notebooks: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -p no:cacheprovider $(NBVAL) notebooks/

## A fresh venv from binder/requirements.txt alone, binder/postBuild, and every tutorial on its kernel (no Docker).
test-binder:
	binder/check.sh $(PYTHON)

## Re-run every tutorial in a fresh kernel and save its outputs (after changing a notebook or a repr).
notebooks: $(VENV)/.installed-dev
	SHAREKIT_SAVE_NOTEBOOKS=1 $(BIN)/python -m pytest -p no:cacheprovider tests/test_notebooks.py

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -p no:cacheprovider -m "not spark and not browser and not load and not crash and not hostile" tests

bench: $(VENV)/.installed-dev
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

stress: $(VENV)/.installed-dev
	SHAREKIT_STRESS=1 $(BIN)/python -m pytest -p no:cacheprovider -m "load or crash or hostile" tests

clean:
	rm -rf $(VENV) .sharekit-home build *.egg-info
