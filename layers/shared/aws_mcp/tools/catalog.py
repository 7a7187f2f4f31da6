"""The tools one deployment exposes: the catalogue filtered by its access mode, in name order."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from aws_mcp.tools.contract import ToolSpec

__all__ = ["Catalog"]


class Catalog:
    def __init__(
        self, tools: Iterable[ToolSpec], *, allows_writes: bool, services: Collection[str] = ()
    ) -> None:
        """``services``: names of non-boto3 dependencies tools may take (the audit store, ...)."""
        enabled: dict[str, ToolSpec] = {}
        hidden: dict[str, ToolSpec] = {}
        for spec in sorted(tools, key=lambda t: t.name):
            if spec.name in enabled or spec.name in hidden:
                raise ValueError(f"tool {spec.name!r} is declared twice")
            (enabled if spec.read_only or allows_writes else hidden)[spec.name] = spec
        self._enabled = enabled
        self._hidden = hidden
        # The first AWS service each tool calls: its breaker's, and its traces'.
        self._aws_service = {
            name: next((s for s in spec.clients if s not in services), None)
            for name, spec in {**enabled, **hidden}.items()
        }
        self._full = [spec.definition() for spec in enabled.values()]
        self._legacy = [spec.legacy_definition() for spec in enabled.values()]

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        """The tools served, by name."""
        return tuple(self._enabled.values())

    def get(self, name: str) -> ToolSpec | None:
        """The tool called ``name``, served or hidden by the access mode; None if there is none."""
        return self._enabled.get(name) or self._hidden.get(name)

    def hidden(self, name: str) -> bool:
        """Whether ``name`` is a tool this deployment's access mode hides."""
        return name in self._hidden

    def aws_service(self, name: str) -> str | None:
        return self._aws_service.get(name)

    def definitions(self, *, with_titles_and_output: bool = True) -> list[dict[str, Any]]:
        return self._full if with_titles_and_output else self._legacy

    def iam_actions(self) -> set[str]:
        return {action for spec in self._enabled.values() for action in spec.iam_actions}
