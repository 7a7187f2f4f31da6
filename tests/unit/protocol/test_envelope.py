"""One message's bytes become a decoded message or a parse error, the same for every transport."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_mcp.errors import PARSE_ERROR
from aws_mcp.protocol.envelope import Message, ParseError, parse


@pytest.mark.parametrize(
    "raw", [b'{"jsonrpc":"2.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping"}']
)
def test_bytes_or_text_holding_json_are_a_message_of_that_value(raw: bytes | str) -> None:
    assert parse(raw) == Message({"jsonrpc": "2.0", "id": 1, "method": "ping"})


@pytest.mark.parametrize("raw", [b"null", b"[]", b'"text"', b"42", b"[1, 2]"])
def test_any_json_value_is_a_message_for_the_dispatcher_to_judge(raw: bytes) -> None:
    assert parse(raw) == Message(json.loads(raw))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "Expecting value"),
        (b'{"jsonrpc": "2.0", "id": 1', "Expecting"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        ('{"id": 1}'.encode("utf-16"), "not UTF-8"),
        (b"\xef\xbb\xbf{}", "BOM"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_what_holds_no_json_value_is_a_parse_error_saying_why(raw: bytes, reason: str) -> None:
    parsed = parse(raw)
    assert isinstance(parsed, ParseError)
    assert reason in parsed.reason


def test_a_parse_error_is_answered_with_the_jsonrpc_parse_error_and_no_id() -> None:
    parsed = parse(b"{")
    assert isinstance(parsed, ParseError)
    assert parsed.body["id"] is None
    assert parsed.body["error"]["code"] == PARSE_ERROR


def test_a_lone_surrogate_escape_is_valid_json_so_a_message() -> None:
    assert parse(b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}') == Message(
        {"jsonrpc": "2.0", "id": "\ud800", "method": "ping"}
    )


@pytest.mark.parametrize(
    ("value", "method"),
    [({"method": "tools/call"}, "tools/call"), ({"method": 7}, None), ({}, None), (["tools/call"], None)],
)
def test_a_message_names_its_method_only_when_it_is_text(value: Any, method: str | None) -> None:
    assert Message(value).method == method


@pytest.mark.parametrize(
    ("value", "reply_id"),
    [
        ({"id": 7}, 7),
        ({"id": "a"}, "a"),
        ({"id": True}, None),
        ({"id": 1.5}, None),
        ({}, None),
        ([{"id": 1}], None),
    ],
)
def test_a_message_answers_with_its_id_only_when_it_is_a_valid_one(value: Any, reply_id: Any) -> None:
    assert Message(value).reply_id == reply_id
