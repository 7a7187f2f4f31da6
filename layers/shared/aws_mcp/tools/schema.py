"""JSON Schema for tool inputs and outputs, shaped for language models.

pydantic emits ``$defs``/``$ref`` for nested models and enums and a ``title``
on every property. Several MCP clients resolve ``$ref`` poorly and every
title costs the model tokens, so we inline local references (our models are
not recursive) and drop pydantic's generated titles. Descriptions stay.

Every ``tools/list`` lands in the agent's context, so output schemas are lean: "T or
null" is ``"type": [T, "null"]`` rather than pydantic's ``anyOf`` of two schemas (the
same JSON Schema, in a third of the tokens), and there are no ``default``s,
descriptions or ``required`` lists (a reader needs the fields and their types; field
names say what a result holds, and a result explains itself where it must, as a cut
page's ``truncated`` does).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel

__all__ = ["model_schema"]


def model_schema(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    """Inputs use the validation schema, outputs the serialization schema."""
    raw = model.model_json_schema(mode=mode)
    definitions = raw.pop("$defs", {})
    schema = _inline(raw, definitions, depth=0)
    assert isinstance(schema, dict)
    schema.setdefault("type", "object")
    if mode == "validation":
        _drop_optional_nulls(schema)
        return schema
    lean: dict[str, Any] = _compact_output(schema)
    return lean


# What an output schema leaves out: it describes a result's shape for a reader, it does not police it.
_NOT_IN_OUTPUTS: Final = ("default", "description", "required", "properties")


def _compact_output(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact_output(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _compact_output(v) for k, v in node.items() if k not in _NOT_IN_OUTPUTS}
    if isinstance(node.get("properties"), dict):
        # Names here are fields, not keywords: a field called "description" stays.
        out["properties"] = {name: _compact_output(sub) for name, sub in node["properties"].items()}
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [o for o in options if o != {"type": "null"}]
        if isinstance(kept.get("type"), str) and not set(kept) & set(out):
            del out["anyOf"]
            out = {**kept, **out, "type": [kept["type"], "null"]}
    return out


def _drop_optional_nulls(schema: dict[str, Any]) -> None:
    """``x: T | None = None`` reads as "T, optional" to a model; say just that.

    Outputs keep their ``null`` branches: structuredContent carries nulls and must conform.
    """
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in required or prop.get("default", ...) is not None or not isinstance(options, list):
            continue
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del prop["anyOf"], prop["default"]
            prop.update({**kept[0], **prop})


def _inline(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    if depth > 32:
        raise ValueError("tool schemas must not be recursive")
    if isinstance(node, list):
        return [_inline(item, definitions, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, definitions, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _inline(sub, definitions, depth) for name, sub in value.items()}
        else:
            out[key] = _inline(value, definitions, depth)
    return out
