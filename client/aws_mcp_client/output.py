"""How the CLI prints results: JSON, YAML, or a rich table (the default on a terminal)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["OutputFormat", "render"]


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
        columns, rows = ("field", "value"), [(key, _cell(value)) for key, value in dict(data).items()]
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
