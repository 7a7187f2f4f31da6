"""MCP over JSON-RPC: version eras, envelope checks and method dispatch (no HTTP, no AWS)."""

from aws_mcp.protocol.dispatcher import Dispatcher, Reply

__all__ = ["Dispatcher", "Reply"]
