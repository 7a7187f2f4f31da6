"""One module per AWS service (or server facility), each holding its ``TOOLS`` and the ``TOOLSET``
they belong to (``core`` is always served; the others are chosen with ``AWS_MCP_TOOLSETS``); the
catalogue finds them."""
