"""The tool catalog: every tool module's declarations, and the registry one deployment builds from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_mcp.config import Settings
from aws_mcp.tools import ec2, identity
from aws_mcp.tools.registry import ToolOutcome, ToolRegistry, ToolSpec

if TYPE_CHECKING:
    from aws_mcp.aws.clients import ClientFactory

__all__ = ["CATALOG", "ToolOutcome", "ToolRegistry", "ToolSpec", "build_registry"]

CATALOG: tuple[ToolSpec, ...] = identity.TOOLS + ec2.TOOLS


def build_registry(settings: Settings, clients: ClientFactory) -> ToolRegistry:
    """The tools this deployment exposes: mutating ones only when the access mode allows writes."""
    return ToolRegistry(CATALOG, settings, clients)
