"""The tool catalogue: the tools of every service module in :mod:`aws_mcp.tools.services`.

A service module registers itself by being there and holding ``TOOLS``: adding a tool to a
service touches that module alone, adding a service adds a module. The composition root
(:mod:`aws_mcp.server`) builds a registry of them.
"""

from __future__ import annotations

import importlib
import pkgutil

from aws_mcp.tools import services
from aws_mcp.tools.contract import ToolOutcome, ToolSpec
from aws_mcp.tools.registry import ToolRegistry

__all__ = ["CATALOG", "ToolOutcome", "ToolRegistry", "ToolSpec"]


def _discover() -> tuple[ToolSpec, ...]:
    found: list[ToolSpec] = []
    for module in sorted(pkgutil.iter_modules(services.__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{services.__name__}.{module.name}").TOOLS
    return tuple(found)


CATALOG: tuple[ToolSpec, ...] = _discover()
