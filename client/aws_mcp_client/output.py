"""How the CLI prints results: JSON, YAML, or a rich table (the default on a terminal).

In a table, nested values are flattened into text a person reads (``k=v, k2=v2``; lists
comma-joined; a list of objects one per paragraph) rather than shown as raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["OutputFormat", "cell", "render", "tool_parameters"]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def render(
    console: Console,
    data: Any,
    fmt: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    rows: Sequence[Sequence[Any]] | None = None,
    title: str | None = None,
) -> None:
    """Print ``data`` as JSON or YAML; as a table, print ``rows`` under ``columns`` (or ``data``'s keys)."""
    if fmt is OutputFormat.JSON:
        console.print_json(json.dumps(data, default=str))
        return
    if fmt is OutputFormat.YAML:
        import yaml

        console.print(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip(), markup=False, highlight=False
        )
        return
    if columns is None or rows is None:
        columns, rows = ("field", "value"), [(key, value) for key, value in dict(data).items()]
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Cells are data, not rich markup: "[i-1, i-2]" must print as written.
        table.add_row(*(Text(cell(value)) for value in row))
    console.print(table)


def cell(value: Any) -> str:
    """A value as table text: ``k=v, k2=v2`` for an object, ``a, b`` for a list, one line per object."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_inline(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping | list | tuple) for item in value):
            # One item per line, and a blank line between objects, which wrap over several lines.
            gap = "\n\n" if any(isinstance(item, Mapping) for item in value) else "\n"
            return gap.join(cell(item) if isinstance(item, Mapping) else _inline(item) for item in value)
        return ", ".join(_inline(item) for item in value)
    return _inline(value)


def _inline(value: Any) -> str:
    """A value inside another: nested objects in braces, nested lists in brackets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + cell(value) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return str(value)


def tool_parameters(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A tool's input schema as parameters: name, type, whether required, and a description."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    defs: Mapping[str, Any] = schema.get("$defs") or schema.get("definitions") or {}
    listed = []
    for name, prop in properties.items():
        description = str(prop.get("description") or "")
        extra = []
        enum = prop.get("enum")
        if enum:
            extra.append("One of: " + ", ".join(_inline(v) for v in enum) + ".")
        if "default" in prop and prop["default"] is not None:
            extra.append(f"Default: {_inline(prop['default'])}.")
        listed.append(
            {
                "name": name,
                "type": _type_of(prop, defs),
                "required": name in required,
                "description": " ".join([description, *extra]).strip(),
            }
        )
    return listed


def _type_of(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    ref = prop.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        target = defs.get(name)
        return f"{name} ({_type_of(target, defs)})" if isinstance(target, Mapping) else name
    for key in ("anyOf", "oneOf"):
        if key in prop:
            kinds = [_type_of(p, defs) for p in prop[key] if p.get("type") != "null"]
            return " or ".join(dict.fromkeys(kinds)) or "null"
    kind = prop.get("type")
    if isinstance(kind, list):
        return " or ".join(k for k in kind if k != "null") or "null"
    if kind == "array" and isinstance(prop.get("items"), Mapping):
        return f"array of {_type_of(prop['items'], defs)}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), Mapping):
        return f"object of {_type_of(prop['additionalProperties'], defs)}"
    if kind == "string" and prop.get("format"):
        return f"string ({prop['format']})"
    return str(kind) if kind else "any"
