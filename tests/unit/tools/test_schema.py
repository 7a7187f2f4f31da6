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
    tags: dict[str, str] | None = Field(default=None, description="Tags.")
    description: str = Field(description="A field that happens to be called description.")


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


def test_a_nullable_output_keeps_its_null_branch_in_a_type_list() -> None:
    note = model_schema(Result, "serialization")["properties"]["note"]
    assert note == {"type": ["string", "null"]}


def test_outputs_carry_no_descriptions_or_defaults_but_keep_every_field() -> None:
    schema = model_schema(Result, "serialization")
    assert schema["properties"]["tags"] == {
        "type": ["object", "null"],
        "additionalProperties": {"type": "string"},
    }
    assert schema["properties"]["description"] == {"type": "string"}


def test_a_lean_output_schema_accepts_every_result_and_refuses_wrong_types() -> None:
    import jsonschema

    lean = jsonschema.Draft202012Validator(model_schema(Result, "serialization"))
    for result in (Result(note=None, description="d"), Result(note="n", tags={"a": "b"}, description="d")):
        assert lean.is_valid(result.model_dump(mode="json"))
    # It says what each field holds; which fields must be there is the server's business, not the reader's.
    for wrong in ({"note": 1, "description": "d"}, {"note": None, "tags": {"a": 1}, "description": "d"}):
        assert not lean.is_valid(wrong), wrong
