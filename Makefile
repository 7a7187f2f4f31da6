# AWS MCP — the two set-up commands are `make run` (local demo) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TOOLS   := .tools

# The Lambda runtime is python3.13: use a working python3.13 if there is one,
# else pyenv's 3.13 (see LAMBDA_NOTES), else whatever python3 is on PATH.
PY313 := $(shell for p in python3.13 "$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13"; do \
            "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
PYTHON ?= $(or $(PY313),python3)
PY313_DIR := $(if $(PY313),$(dir $(shell command -v $(PY313) 2>/dev/null || echo $(PY313))),)

.PHONY: help
help:
	@echo "make run [PORT=n] start the local demo (embedded AWS + MCP endpoint on 127.0.0.1:8000)"
	@echo "make test         lint, type-check, validate the template, run every test and conformance"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python scripts/tiktoken_cache.py
	@touch $@

.PHONY: install
install: $(STAMP)

.PHONY: run
PORT ?= 8000
run: $(STAMP)
	$(BIN)/aws-mcp serve --demo --port $(PORT)

.PHONY: lint
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: typecheck
typecheck: $(STAMP)
	$(BIN)/mypy layers/shared/aws_mcp local client functions tests scripts bench

.PHONY: pytest
pytest: $(STAMP)
	$(BIN)/pytest -q

# SAM (build, validate, invoke, deploy) and conformance live in their own files.
-include mk/*.mk

.PHONY: test
test: lint typecheck $(TEST_EXTRA_BEFORE) pytest $(TEST_EXTRA_AFTER)
