"""The MCP endpoint as an ASGI app (Starlette); Lambda wraps it with Mangum, laptops serve it with uvicorn."""

from aws_mcp.http.app import MCP_PATH, create_app

__all__ = ["MCP_PATH", "create_app"]
