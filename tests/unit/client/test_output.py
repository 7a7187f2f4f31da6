"""Tables show nested values as text a person reads; a tool's input schema becomes a parameter list."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from aws_mcp_client.output import OutputFormat, cell, render, tool_parameters


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        ("text", "text"),
        (3, "3"),
        (True, "true"),
        ({"env": "prod", "team": "data"}, "env=prod, team=data"),
        (["a", "b", 3], "a, b, 3"),
        ([], ""),
        (
            {"name": "web", "tags": {"env": "prod"}, "ids": ["i-1", "i-2"]},
            "name=web, tags={env=prod}, ids=[i-1, i-2]",
        ),
        (
            [{"id": "i-1", "state": "running"}, {"id": "i-2", "state": None}],
            "id=i-1, state=running\n\nid=i-2, state=",
        ),
        ([["a", "b"], ["c"]], "[a, b]\n[c]"),
    ],
)
def test_a_table_cell_flattens_nested_values_readably(value: Any, shown: str) -> None:
    assert cell(value) == shown


def test_a_table_of_a_result_shows_no_raw_json() -> None:
    console = Console(record=True, width=200)
    render(console, {"instance": {"state": "running", "tags": {"env": "prod"}}}, OutputFormat.TABLE)
    text = console.export_text()
    assert "state=running, tags={env=prod}" in text and '{"' not in text


SCHEMA = {
    "type": "object",
    "required": ["instance_ids"],
    "properties": {
        "instance_ids": {"type": "array", "items": {"type": "string"}, "description": "Instances to stop."},
        "dry_run": {"type": "boolean", "default": False, "description": "Only check."},
        "outcome": {"type": "string", "enum": ["success", "replay"], "description": "How it ended."},
        "since": {"type": "string", "format": "date-time"},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "filter": {"$ref": "#/$defs/Filter"},
    },
    "$defs": {"Filter": {"type": "object", "properties": {}}},
}


def test_a_tools_parameters_are_named_typed_and_marked_required() -> None:
    assert tool_parameters(SCHEMA) == [
        {
            "name": "instance_ids",
            "type": "array of string",
            "required": True,
            "description": "Instances to stop.",
        },
        {
            "name": "dry_run",
            "type": "boolean",
            "required": False,
            "description": "Only check. Default: false.",
        },
        {
            "name": "outcome",
            "type": "string",
            "required": False,
            "description": "How it ended. One of: success, replay.",
        },
        {"name": "since", "type": "string (date-time)", "required": False, "description": ""},
        {"name": "tags", "type": "object of string", "required": False, "description": ""},
        {"name": "note", "type": "string", "required": False, "description": ""},
        {"name": "filter", "type": "Filter (object)", "required": False, "description": ""},
    ]


def test_a_schema_without_properties_has_no_parameters() -> None:
    assert tool_parameters({"type": "object"}) == []
