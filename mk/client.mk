# Third-party MCP servers the client library is tested against over stdio
# (@modelcontextprotocol/server-everything and server-filesystem), pinned by the lockfile in
# tests/e2e/client/npm and installed with `npm ci` into $(TOOLS); they run on the conformance node.
# The client's stdio tests find them through AWS_MCP_TEST_NPM_SERVERS and AWS_MCP_TEST_NODE.

CLIENT_SERVERS_DIR := $(TOOLS)/mcp-servers

TEST_EXTRA_BEFORE += client-servers

$(CLIENT_SERVERS_DIR)/.installed: tests/e2e/client/npm/package-lock.json
	$(call conformance_npm_ci,$(CLIENT_SERVERS_DIR),tests/e2e/client/npm)

.PHONY: client-servers
# $(TOOLS)/node is conformance.mk's CONFORMANCE_NODE_DIR, spelled out: this file is read before that one.
client-servers: $(TOOLS)/node/.installed $(CLIENT_SERVERS_DIR)/.installed

export AWS_MCP_TEST_NPM_SERVERS := $(abspath $(CLIENT_SERVERS_DIR))/node_modules
export AWS_MCP_TEST_NODE = $(abspath $(CONFORMANCE_NODE))
