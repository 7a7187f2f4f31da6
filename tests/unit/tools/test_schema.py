"""Tool schemas are self-contained and lean, for clients that do not resolve $ref."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from aws_mcp.tools.schema import model_schema


class Colour(StrEnum):
    RED = "red"


class Inner(BaseModel):
    colour: Colour = Field(description="A colour.")


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner: Inner = Field(description="Nested.")
    note: str | None = Field(default=None, description="Optional note.")


class Result(BaseModel):
    note: str | None


def test_references_are_inlined_and_generated_titles_dropped() -> None:
    schema = model_schema(Args, "validation")
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text and '"title"' not in text
    assert schema["properties"]["inner"]["properties"]["colour"]["enum"] == ["red"]
    assert schema["properties"]["inner"]["description"] == "Nested."
    assert schema["additionalProperties"] is False


def test_an_optional_input_reads_as_its_type() -> None:
    note = model_schema(Args, "validation")["properties"]["note"]
    assert note == {"type": "string", "description": "Optional note."}


def test_a_nullable_output_keeps_its_null_branch() -> None:
    note = model_schema(Result, "serialization")["properties"]["note"]
    assert {"type": "null"} in note["anyOf"]
