"""The JSON the server writes: compact, UTF-8, and exact for every value a reply can carry."""

from __future__ import annotations

import json

from aws_mcp.jsontext import dumps, dumps_text


def test_output_is_compact_utf8_that_reads_back_the_same() -> None:
    value = {"jsonrpc": "2.0", "id": 7, "result": {"text": "café ☕", "n": [1, 2.5, None, True]}}
    encoded = dumps(value)
    assert b" " not in encoded.replace(b"caf\xc3\xa9 \xe2\x98\x95", b"")
    assert "café ☕".encode() in encoded
    assert json.loads(encoded) == value


def test_an_integer_beyond_64_bits_is_written_exactly() -> None:
    huge = 2**70 + 1
    assert json.loads(dumps({"id": huge}))["id"] == huge


def test_text_is_the_same_json_as_a_string() -> None:
    assert dumps_text({"a": [1, "b"]}) == '{"a":[1,"b"]}'


def test_a_lone_surrogate_is_written_as_an_escape_that_reads_back_the_same() -> None:
    value = {"id": "\ud800", "text": "café"}
    encoded = dumps(value)
    encoded.decode("utf-8")  # valid UTF-8 on the wire
    assert json.loads(encoded) == value
