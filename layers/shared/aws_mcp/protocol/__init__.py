"""MCP over JSON-RPC: version eras, envelope checks and method dispatch (no HTTP, no AWS)."""

from aws_mcp.protocol.dispatcher import Dispatcher, Reply
from aws_mcp.protocol.envelope import Message, ParseError, parse
from aws_mcp.protocol.session import StdioSession

__all__ = ["Dispatcher", "Message", "ParseError", "Reply", "StdioSession", "parse"]
