"""Calling a tool as an agent does, through the registry: what every service's tests share."""

from __future__ import annotations

from typing import Any

from aws_mcp.context import CallContext
from aws_mcp.tools.registry import ToolRegistry

__all__ = ["call", "refused"]


def call(registry: ToolRegistry, tool: str, /, **arguments: Any) -> dict[str, Any]:
    """The tool's structured result; the test fails on an error result, saying it."""
    outcome = registry.call(tool, arguments, CallContext())
    assert not outcome.is_error, outcome.text
    assert outcome.structured is not None
    return outcome.structured


def refused(registry: ToolRegistry, tool: str, /, **arguments: Any) -> str:
    """The text of the tool's error result; the test fails if the tool answered."""
    outcome = registry.call(tool, arguments, CallContext())
    assert outcome.is_error, outcome.structured
    return outcome.text
