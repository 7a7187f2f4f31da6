"""The tool catalogue: the tools of every service module in :mod:`aws_mcp.tools.services`.

A service module registers itself by being there and holding ``TOOLS`` (and its ``TOOLSET``):
adding a tool to a service touches that module alone, adding a service adds a module.

``CATALOG`` imports every one of them, for what is derived from the declarations
(``scripts/derive.py``: ``catalog.json``, the template's IAM actions, the README) and for tests.
A server does not: it knows its tools from ``catalog.json`` (:mod:`aws_mcp.tools.catalog`) and
imports a service module when one of its tools is first called.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_mcp.tools.contract import ToolOutcome, ToolSpec
from aws_mcp.tools.registry import ToolRegistry

if TYPE_CHECKING:
    CATALOG: tuple[ToolSpec, ...]

__all__ = ["CATALOG", "ToolOutcome", "ToolRegistry", "ToolSpec"]


@cache
def _discover() -> tuple[ToolSpec, ...]:
    from aws_mcp.tools import services

    found: list[ToolSpec] = []
    for module in sorted(pkgutil.iter_modules(services.__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{services.__name__}.{module.name}").TOOLS
    return tuple(found)


def __getattr__(name: str) -> Any:
    if name == "CATALOG":
        return _discover()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
