"""AWS MCP server: MCP tools over AWS APIs, served from Lambda or locally.

The public surface is small on purpose: build :class:`Settings`, then
:func:`aws_mcp.http.create_app` (HTTP) or :class:`aws_mcp.protocol.Dispatcher`
(any other transport).
"""

from aws_mcp.config import AccessMode, Settings

__all__ = ["AccessMode", "Settings"]
__version__ = "0.1.0"
