"""``aws-mcp stdio`` answers newline-delimited JSON-RPC on stdout, one reply per request."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
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
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {
                "name": "ec2_list_instances",
                "arguments": {"states": ["running"], "tags": {"env": "prod"}},
            },
        },
        "{not json",
        {"jsonrpc": "2.0", "id": 4, "method": "server/discover", "params": {"_meta": MODERN_META}},
    )


def test_one_reply_per_request_in_order_and_none_for_notifications(session: list[dict[str, Any]]) -> None:
    assert [reply.get("id") for reply in session] == [1, 2, 3, None, 4]


def test_later_legacy_requests_use_the_negotiated_version(session: list[dict[str, Any]]) -> None:
    assert session[0]["result"]["protocolVersion"] == "2025-06-18"
    # 2025-06-18 has titles and structured content; 2025-03-26 (the HTTP default) has neither.
    assert all("title" in tool for tool in session[1]["result"]["tools"])
    assert session[2]["result"]["structuredContent"]["count"] == 4


def test_a_garbled_line_gets_a_parse_error_and_the_stream_goes_on(session: list[dict[str, Any]]) -> None:
    assert session[3]["error"]["code"] == -32700
    assert session[4]["result"]["resultType"] == "complete"


# -- a bad line is answered, and the loop goes on --------------------------------------------------

PING = {"jsonrpc": "2.0", "id": "after", "method": "ping"}
SURROGATE_ID = '{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}'
SURROGATE_ARGUMENT = (
    '{"jsonrpc":"2.0","id":5,"method":"tools/call",'
    '"params":{"name":"aws_whoami","arguments":{"x":"\\udfff"}}}'
)
DEEPLY_NESTED = "[" * 100_000
DEEP_PARAMS = '{"jsonrpc":"2.0","id":6,"method":"ping","params":{"a":' + "[" * 5000 + "]" * 5000 + "}}"


def run_with_stderr(*lines: str) -> tuple[list[dict[str, Any]], str]:
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    stdout, stderr = io.StringIO(), io.StringIO()
    serve_stdio(demo=True, stdin=stdin, stdout=stdout, stderr=stderr)
    return [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


@pytest.fixture(scope="module")
def bad_lines() -> tuple[list[dict[str, Any]], str]:
    return run_with_stderr(SURROGATE_ID, DEEPLY_NESTED, DEEP_PARAMS, SURROGATE_ARGUMENT, json.dumps(PING))


def test_every_bad_line_gets_one_jsonrpc_answer_and_the_next_line_is_served(
    bad_lines: tuple[list[dict[str, Any]], str],
) -> None:
    replies, _ = bad_lines
    assert len(replies) == 5
    assert all(r["jsonrpc"] == "2.0" and ("result" in r) != ("error" in r) for r in replies)
    assert replies[-1] == {"jsonrpc": "2.0", "id": "after", "result": {}}


def test_deep_nesting_is_a_parse_error(bad_lines: tuple[list[dict[str, Any]], str]) -> None:
    replies, _ = bad_lines
    assert replies[1]["error"]["code"] == -32700 and replies[1]["id"] is None


def test_deeply_nested_params_are_answered(bad_lines: tuple[list[dict[str, Any]], str]) -> None:
    replies, _ = bad_lines
    assert replies[2]["id"] in (6, None)


def test_a_line_that_fails_inside_the_server_is_logged_on_stderr(
    bad_lines: tuple[list[dict[str, Any]], str],
) -> None:
    replies, stderr = bad_lines
    internal = [r for r in replies if r.get("error", {}).get("code") == -32603]
    assert len(stderr.splitlines()) >= len(internal)
    assert all(r["id"] is None or isinstance(r["id"], int | str) for r in internal)


@pytest.mark.slow
def test_the_stdio_command_answers_bad_bytes_and_keeps_going() -> None:
    exe = Path(sys.executable).with_name("aws-mcp")
    lines = [b"\xff\xfe not utf-8", SURROGATE_ID.encode(), DEEPLY_NESTED.encode(), json.dumps(PING).encode()]
    done = subprocess.run(
        [str(exe), "stdio", "--demo"],
        input=b"".join(line + b"\n" for line in lines),
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(replies) == 4
    assert replies[0]["error"]["code"] == -32700
    assert replies[-1] == {"jsonrpc": "2.0", "id": "after", "result": {}}


def test_each_session_in_one_process_writes_its_audit_lines_to_its_own_stderr() -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "aws_whoami"}}
    _, first = run_with_stderr(json.dumps(call))
    _, second = run_with_stderr(json.dumps(call))
    assert [line for line in first.splitlines() if '"audit"' in line] != []
    assert len([line for line in second.splitlines() if '"audit"' in line]) == 1


def test_the_handshake_is_answered_while_the_demo_is_seeded_and_tool_calls_wait_for_the_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aws_mcp_local.demo as demo

    seeding = demo._seed_estate
    gate = threading.Event()
    held_in_vain: list[bool] = []

    def held(*args: Any) -> dict[str, list[str]]:
        # A server that seeds before it answers would wait here until the timeout.
        held_in_vain.append(not gate.wait(timeout=30))
        return seeding(*args)

    monkeypatch.setattr(demo, "_seed_estate", held)
    to_server, from_test = os.pipe()
    to_test, from_server = os.pipe()
    with os.fdopen(to_server, "rb") as stdin, os.fdopen(from_server, "w") as stdout:
        server = threading.Thread(
            target=serve_stdio,
            kwargs={
                "demo": True,
                "stdin": io.TextIOWrapper(stdin),
                "stdout": stdout,
                "stderr": io.StringIO(),
            },
        )
        server.start()
        with os.fdopen(from_test, "wb", buffering=0) as ask, os.fdopen(to_test, "r") as replies:
            ask.write(json.dumps(PING).encode() + b"\n")
            # Answered while the seed is held: a client's connect timeout cannot run out on it.
            assert json.loads(replies.readline())["id"] == "after" and not gate.is_set()
            listing = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "ec2_list_instances"},
            }
            ask.write(json.dumps(listing).encode() + b"\n")
            gate.set()
            answer = json.loads(replies.readline())
            ask.close()
            server.join(timeout=60)
    assert held_in_vain == [False]
    # The call waited for the estate: it sees the seeded fleet, not an empty account.
    assert answer["result"]["structuredContent"]["count"] > 0
