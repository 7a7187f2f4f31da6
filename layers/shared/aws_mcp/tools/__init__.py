"""The tool catalogue: every tool module's declarations (the composition root builds a registry of them)."""

from __future__ import annotations

from aws_mcp.tools import audit, ec2, identity
from aws_mcp.tools.contract import ToolOutcome, ToolSpec
from aws_mcp.tools.registry import ToolRegistry

__all__ = ["CATALOG", "ToolOutcome", "ToolRegistry", "ToolSpec"]

CATALOG: tuple[ToolSpec, ...] = identity.TOOLS + ec2.TOOLS + audit.TOOLS
