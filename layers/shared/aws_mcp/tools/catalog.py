"""The tools one deployment serves, known without importing them.

Building a tool's pydantic models and JSON Schemas costs a millisecond or more per tool: at
sixty tools, most of a cold start. So a deployment knows its tools from ``catalog.json`` (each
tool's ``tools/list`` entry, toolset, clients and IAM actions), which ``make generate`` writes
from the declarations (a test fails when it drifts), and imports a service module only when
one of its tools is first called. Tools given as :class:`ToolSpec` (tests) are served as they are.

Which tools are served: those of the chosen toolsets (``core`` always), mutating ones only
when the access mode allows writes (the others are known, so a call is told why it is refused).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from aws_mcp.auth.roles import Kind
from aws_mcp.tools.contract import ToolSpec

__all__ = ["CORE", "MANIFEST", "Catalog", "Entry", "read_manifest"]

MANIFEST: Final = Path(__file__).with_name("catalog.json")
# The toolset served whatever the deployment chooses: who the server is, the audit trail.
CORE: Final = "core"
# What 2025-03-26 does not know of a tool.
_NEWER_FIELDS: Final = ("title", "outputSchema")


@dataclass(frozen=True, slots=True)
class Entry:
    """What the catalogue knows of a tool before importing it."""

    name: str
    module: str
    toolset: str
    read_only: bool
    clients: tuple[str, ...]
    iam_actions: tuple[str, ...]
    definition: dict[str, Any]

    @classmethod
    def of(cls, spec: ToolSpec) -> Entry:
        """``spec``'s entry; its toolset is its module's ``TOOLSET`` (``core`` without one)."""
        module = spec.func.__module__
        return cls(
            name=spec.name,
            module=module,
            toolset=getattr(sys.modules.get(module), "TOOLSET", CORE),
            read_only=spec.read_only,
            clients=spec.clients,
            iam_actions=spec.iam_actions,
            definition=spec.definition(),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "toolset": self.toolset,
            "read_only": self.read_only,
            "clients": list(self.clients),
            "iam_actions": list(self.iam_actions),
            "definition": self.definition,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(**{**data, "clients": tuple(data["clients"]), "iam_actions": tuple(data["iam_actions"])})


def _legacy(definition: dict[str, Any]) -> dict[str, Any]:
    """A definition as 2025-03-26 knows it: no top-level title or outputSchema, the title in the
    annotations instead (where that revision has it)."""
    legacy = {k: v for k, v in definition.items() if k not in _NEWER_FIELDS}
    legacy["annotations"] = {"title": definition["title"], **definition["annotations"]}
    return legacy


def _kind(definition: dict[str, Any]) -> Kind:
    hints = definition.get("annotations", {})
    if hints.get("readOnlyHint"):
        return Kind.READ
    return Kind.DESTRUCTIVE if hints.get("destructiveHint") else Kind.WRITE


def read_manifest(path: Path = MANIFEST) -> tuple[Entry, ...]:
    return tuple(Entry.from_json(item) for item in orjson.loads(path.read_bytes()))


class Catalog:
    def __init__(
        self,
        tools: Iterable[Entry | ToolSpec],
        *,
        allows_writes: bool,
        toolsets: Collection[str] | None = None,
        services: Collection[str] = (),
    ) -> None:
        """``toolsets``: those served besides ``core`` (None: all); ``services``: names of
        non-boto3 dependencies tools may take (the audit store, ...)."""
        self._loaded: dict[str, ToolSpec] = {}
        entries: dict[str, Entry] = {}
        for tool in tools:
            entry = Entry.of(tool) if isinstance(tool, ToolSpec) else tool
            if entry.name in entries:
                raise ValueError(f"tool {entry.name!r} is declared twice")
            entries[entry.name] = entry
            if isinstance(tool, ToolSpec):
                self._loaded[tool.name] = tool
        known = {e.toolset for e in entries.values()}
        if toolsets is not None and (unknown := set(toolsets) - known):
            raise ValueError(
                f"unknown toolset(s) {', '.join(sorted(unknown))}: this server has {', '.join(sorted(known))}"
            )
        chosen = {e.name: e for e in entries.values() if toolsets is None or e.toolset in {CORE, *toolsets}}
        self._unserved = {name: e.toolset for name, e in entries.items() if name not in chosen}
        self._entries = dict(sorted(chosen.items()))
        self._hidden = {name for name, e in self._entries.items() if not (e.read_only or allows_writes)}
        served = [e for e in self._entries.values() if e.name not in self._hidden]
        self._full = [e.definition for e in served]
        self._legacy = [_legacy(d) for d in self._full]
        # The first AWS service each tool calls: its breaker's, and its traces'.
        self._aws_service = {
            name: next((s for s in e.clients if s not in services), None) for name, e in self._entries.items()
        }

    @property
    def names(self) -> tuple[str, ...]:
        """The tools served, by name."""
        return tuple(d["name"] for d in self._full)

    def get(self, name: str) -> ToolSpec | None:
        """The tool called ``name``, served or hidden by the access mode (its module imported on
        first use); None if this deployment has none of that name."""
        spec = self._loaded.get(name)
        if spec is None and (entry := self._entries.get(name)) is not None:
            module = importlib.import_module(entry.module)
            spec = self._loaded[name] = next(s for s in module.TOOLS if s.name == name)
        return spec

    def hidden(self, name: str) -> bool:
        """Whether ``name`` is a tool this deployment's access mode hides."""
        return name in self._hidden

    def unserved_toolset(self, name: str) -> str | None:
        """The toolset of ``name`` when this deployment does not serve it."""
        return self._unserved.get(name)

    def mutating(self, name: str) -> bool:
        entry = self._entries.get(name)
        return entry is not None and not entry.read_only

    def kinds(self) -> dict[str, Kind]:
        """Each tool served, by name: ``read``, ``write`` or ``destructive`` (which roles may call it)."""
        return {d["name"]: _kind(d) for d in self._full}

    def kind(self, name: str) -> Kind:
        entry = self._entries.get(name)
        return _kind(entry.definition) if entry else Kind.READ

    def aws_service(self, name: str) -> str | None:
        return self._aws_service.get(name)

    def definitions(self, *, with_titles_and_output: bool = True) -> list[dict[str, Any]]:
        return self._full if with_titles_and_output else self._legacy

    def iam_actions(self) -> set[str]:
        return {
            action
            for name, e in self._entries.items()
            if name not in self._hidden
            for action in e.iam_actions
        }
