# SAM: validate the template, build it (deploy artifacts, or x86_64 for the local emulator),
# invoke the built function under the Lambda Runtime Interface Emulator, deploy.
#
#   make validate                          sam validate --lint, cfn-lint of fleet/ (part of make test)
#   make build [ARCH=x86_64]               sam build into .aws-sam/build (default arm64)
#   make build-x86                         x86_64 build into .aws-sam/build-x86_64, for the emulator
#   make invoke EVENT=events/<file>.json   run that event through the built function (no Docker)
#   make deploy [SAM_ENV=dev|prod] [GUIDED=1]   sam build + sam deploy with samconfig.toml's settings

ARCH ?= arm64
SAM_ENV ?= default
SAM_BUILD_DIR := .aws-sam/build
# sam build needs python3.13 on PATH (SAM's python builder, and the layer Makefile's LAYER_PYTHON).
SAM := PATH="$(PY313_DIR):$$PATH" LAYER_PYTHON="$(or $(PY313),python3.13)" SAM_CLI_TELEMETRY=0 $(BIN)/sam
EMULATOR := $(BIN)/python scripts/lambda_emulator.py

TEST_EXTRA_BEFORE += validate

.PHONY: validate build build-x86 invoke deploy generate

validate: $(STAMP)
	$(SAM) validate --lint
	$(BIN)/cfn-lint fleet/member-role.yaml

.PHONY: require-py313
require-py313:
	@test -n "$(PY313)" || { echo "sam build needs Python 3.13 (the Lambda runtime): install it, or pyenv 3.13" >&2; exit 2; }

# SAM does not tell a makefile build which architecture it targets, so the layer gets it here.
build: $(STAMP) require-py313
	@case "$(ARCH)" in arm64|x86_64) ;; *) echo "ARCH=$(ARCH): expected arm64 or x86_64" >&2; exit 2;; esac
	AWS_MCP_LAYER_ARCH=$(ARCH) $(SAM) build --build-dir $(SAM_BUILD_DIR) --parameter-overrides Architecture=$(ARCH)

build-x86: $(STAMP) require-py313
	$(EMULATOR) build --force

invoke: $(STAMP) require-py313
	@test -n "$(EVENT)" || { echo "usage: make invoke EVENT=events/<file>.json" >&2; exit 2; }
	$(EMULATOR) invoke $(EVENT)

# Rewrite what derives from the tool catalogue (all committed): events/, README.md's tools table,
# template.yaml's tool actions. After adding or changing a tool; the tests fail while any is stale.
generate: $(STAMP)
	$(BIN)/python scripts/make_events.py
	$(BIN)/python scripts/derive.py

# The Architecture parameter comes from samconfig.toml or the guided prompts, which this Makefile
# cannot see: build a layer that carries both architectures' wheels, so either works.
deploy: $(STAMP) require-py313
	$(SAM) build --build-dir $(SAM_BUILD_DIR) --config-env $(SAM_ENV)
	$(SAM) deploy --template-file $(SAM_BUILD_DIR)/template.yaml --config-env $(SAM_ENV) $(if $(GUIDED),--guided)
