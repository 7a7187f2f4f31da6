"""Client side of AWS MCP: the ``aws-mcp`` command line (client library arrives with its issue)."""
