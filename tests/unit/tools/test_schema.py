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


class Nested(BaseModel):
    inner: Inner
    inners: list[Inner]
    count: int | float


def test_a_nullable_output_says_its_type_alone_as_results_leave_unknowns_out() -> None:
    note = model_schema(Result, "serialization")["properties"]["note"]
    assert note == {"type": "string"}


def test_outputs_say_every_top_level_field_and_its_type_and_nothing_more() -> None:
    assert model_schema(Result, "serialization") == {
        "type": "object",
        "properties": {
            "note": {"type": "string"},
            "tags": {"type": "object"},
            "description": {"type": "string"},
        },
    }
    assert model_schema(Nested, "serialization")["properties"] == {
        "inner": {"type": "object"},
        "inners": {"type": "array"},
        "count": {"type": ["integer", "number"]},
    }


def test_a_lean_output_schema_accepts_every_result_and_refuses_wrong_types() -> None:
    import jsonschema

    lean = jsonschema.Draft202012Validator(model_schema(Result, "serialization"))
    for result in (Result(note=None, description="d"), Result(note="n", tags={"a": "b"}, description="d")):
        assert lean.is_valid(result.model_dump(mode="json", exclude_none=True))
    # It says what each field holds; which fields must be there is the server's business, not the reader's.
    for wrong in (
        {"note": 1, "description": "d"},
        {"note": None, "description": "d"},
        {"tags": [], "description": ""},
    ):
        assert not lean.is_valid(wrong), wrong
