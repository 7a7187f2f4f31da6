"""The stdio loop under Hypothesis: serve_stdio with in-memory streams on in-process moto, and
one real ``aws-mcp stdio --demo`` subprocess. Every request line is answered, the session goes
on to the end, every answer is JSON-RPC, and each tools/call leaves exactly one audit line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aws_mcp_local.serve import serve_stdio
from tests.fuzz.strategies import deeply_nested, messages, tools_call_requests
from tests.fuzz.test_fuzz_http import assert_jsonrpc

LAST = {"jsonrpc": "2.0", "id": "last", "method": "ping"}


def lines() -> st.SearchStrategy[str]:
    """One stdin line: a message (ASCII-escaped, so lone surrogates ride as \\ud800), a
    tools/call, deep nesting, or text that is not JSON."""
    return (
        messages().map(json.dumps)
        | tools_call_requests().map(lambda request: json.dumps(request[0]))
        | st.integers(1, 100_000).map(deeply_nested)
        | st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=40)
    )


def is_request(line: str) -> bool:
    """A line the server must answer: a JSON-RPC request with an id."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(message, dict) and "id" in message and isinstance(message.get("method"), str)


def tools_calls(line: str) -> int:
    """How many tools/call requests a line holds (a batch may hold several): each leaves one record."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return 0
    messages = message if isinstance(message, list) else [message]
    return sum(1 for m in messages if isinstance(m, dict) and m.get("method") == "tools/call")


def audit_lines(stderr: str) -> int:
    count = 0
    for line in stderr.split("\n"):
        try:
            count += "audit" in json.loads(line)
        except ValueError:
            continue
    return count


@given(session=st.lists(lines(), min_size=1, max_size=6))
def test_every_request_line_is_answered_and_the_session_goes_on(
    fleet: dict[str, list[str]], session: list[str]
) -> None:
    sent = [*session, json.dumps(LAST)]
    stdout, stderr = io.StringIO(), io.StringIO()
    serve_stdio(
        demo=False, stdin=io.StringIO("".join(f"{line}\n" for line in sent)), stdout=stdout, stderr=stderr
    )
    replies = [json.loads(line) for line in stdout.getvalue().split("\n") if line]
    for reply in replies:
        assert_jsonrpc(reply)
    assert sum(map(is_request, sent)) <= len(replies) <= sum(1 for line in sent if line.strip())
    assert replies[-1] == {"jsonrpc": "2.0", "id": "last", "result": {}}
    assert audit_lines(stderr.getvalue()) == sum(map(tools_calls, sent))


@pytest.mark.slow
@settings(max_examples=1)
@given(session=st.lists(lines(), min_size=10, max_size=20))
def test_the_stdio_command_answers_a_fuzzed_session_to_its_end(session: list[str]) -> None:
    sent = [*session, json.dumps(LAST)]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("aws-mcp")), "stdio", "--demo"],
        input="".join(f"{line}\n" for line in sent).encode(),
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    replies = [json.loads(line) for line in done.stdout.decode().split("\n") if line]
    for reply in replies:
        assert_jsonrpc(reply)
    assert sum(map(is_request, sent)) <= len(replies)
    assert replies[-1] == {"jsonrpc": "2.0", "id": "last", "result": {}}
    assert audit_lines(done.stderr.decode()) == sum(map(tools_calls, sent))
