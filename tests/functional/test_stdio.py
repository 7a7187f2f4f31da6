"""``aws-mcp stdio`` answers newline-delimited JSON-RPC on stdout, one reply per request."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from aws_mcp_local.serve import serve_stdio

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def run(*lines: Any) -> list[dict[str, Any]]:
    stdin = io.StringIO(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    stdout = io.StringIO()
    serve_stdio(demo=True, stdin=stdin, stdout=stdout)
    return [json.loads(line) for line in stdout.getvalue().splitlines()]


@pytest.fixture(scope="module")
def session() -> list[dict[str, Any]]:
    return run(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        "",
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ec2_list_instances"}},
        "{not json",
        {"jsonrpc": "2.0", "id": 4, "method": "server/discover", "params": {"_meta": MODERN_META}},
    )


def test_one_reply_per_request_in_order_and_none_for_notifications(session: list[dict[str, Any]]) -> None:
    assert [reply.get("id") for reply in session] == [1, 2, 3, None, 4]


def test_later_legacy_requests_use_the_negotiated_version(session: list[dict[str, Any]]) -> None:
    assert session[0]["result"]["protocolVersion"] == "2025-06-18"
    # 2025-06-18 has titles and structured content; 2025-03-26 (the HTTP default) has neither.
    assert all("title" in tool for tool in session[1]["result"]["tools"])
    assert session[2]["result"]["structuredContent"]["count"] == 7


def test_a_garbled_line_gets_a_parse_error_and_the_stream_goes_on(session: list[dict[str, Any]]) -> None:
    assert session[3]["error"]["code"] == -32700
    assert session[4]["result"]["resultType"] == "complete"
