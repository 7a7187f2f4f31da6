"""The Lambda handler (functions/mcp/app.py, imported as on Lambda) under Hypothesis, with
API Gateway events from events/ mutated field by field: every answer is an API Gateway proxy
response below 500, with a JSON body; on the endpoint, a JSON-RPC one; and every tools/call
with a readable envelope leaves exactly one audit line."""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp.config import ENV, AccessMode
from tests.functional.test_lambda_handler import function_environment, import_handler
from tests.fuzz.strategies import bodies, header_values, json_values, tools_call_requests
from tests.fuzz.test_fuzz_http import assert_jsonrpc

REPO = Path(__file__).resolve().parents[2]
EVENTS = {path.name: json.loads(path.read_text()) for path in sorted((REPO / "events").glob("*.json"))}
EVENTS.pop("expected.json")
TOOLS_CALL_EVENT = EVENTS["legacy-tools-call-aws_whoami.json"]


class LambdaContext:
    """The attributes of the Lambda context object that Mangum and Powertools read."""

    function_name = "McpFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:McpFunction"
    memory_limit_in_mb = 512
    aws_request_id = "fuzz"
    log_group_name = "/aws/lambda/McpFunction"
    log_stream_name = "fuzz"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


class Function:
    """The handler, and the audit lines it writes (the Powertools logger's stdout, redirected)."""

    def __init__(self, handler: Any, log: io.StringIO) -> None:
        self.handler = handler
        self.log = log

    def __call__(self, event: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.handler(event, LambdaContext())
        return response

    def audit_records(self) -> int:
        return sum(1 for line in self.log.getvalue().split("\n") if line and "audit" in json.loads(line))


@pytest.fixture(scope="module")
def function(fleet: dict[str, list[str]]) -> Iterator[Function]:
    environment = {
        **function_environment(AccessMode.READ_WRITE),
        ENV.STAGE: "fuzz",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    with pytest.MonkeyPatch.context() as monkeypatch:
        handler = import_handler(monkeypatch, environment)
        (stream,) = logging.getLogger("aws-mcp").handlers
        assert isinstance(stream, logging.StreamHandler)
        log = io.StringIO()
        previous = stream.setStream(log)
        try:
            yield Function(handler, log)
        finally:
            stream.setStream(previous)


# -- mutations of a real event ---------------------------------------------------------------------

TOP_LEVEL = [
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
    "requestContext",
    "queryStringParameters",
    "multiValueQueryStringParameters",
]
HEADERS = [
    "Host",
    "Content-Type",
    "Accept",
    "MCP-Protocol-Version",
    "X-Forwarded-Port",
    "Origin",
    "Mcp-Method",
]


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    event = copy.deepcopy(EVENTS[draw(st.sampled_from(sorted(EVENTS)))])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 7))
        if kind == 0:  # a top-level field: any JSON value, or gone
            key = draw(st.sampled_from(TOP_LEVEL))
            if draw(st.booleans()):
                event.pop(key, None)
            else:
                event[key] = draw(json_values())
        elif kind == 1:  # a header: odd text, a wrong type, or a Host with several colons
            name = draw(st.sampled_from(HEADERS))
            value = draw(header_values() | json_values() | st.sampled_from(["a:b:c", "[::1]:443", "h:x"]))
            if isinstance(event.get("headers"), dict):
                event["headers"][name] = value
            if isinstance(event.get("multiValueHeaders"), dict):
                event["multiValueHeaders"][name] = draw(st.just([value]) | st.just(value))
        elif kind == 2:  # headers as a list
            headers = event.get("headers")
            event["headers"] = (
                [[k, v] for k, v in headers.items()] if isinstance(headers, dict) else [headers]
            )
        elif kind == 3:  # the body: any bytes, as text or base64 (valid or not)
            raw = draw(bodies())
            if draw(st.booleans()):
                event["body"] = base64.b64encode(raw).decode()
                event["isBase64Encoded"] = True
            else:
                event["body"] = raw.decode("utf-8", "replace")
        elif kind == 4:  # base64 garbage
            event["isBase64Encoded"] = True
            event["body"] = draw(st.text(max_size=20))
        elif kind == 5:  # the request context and its identity
            context = event.get("requestContext")
            if isinstance(context, dict):
                context[draw(st.sampled_from(["identity", "authorizer", "requestId"]))] = draw(json_values())
        elif kind == 6:  # the method and the path
            event["httpMethod"] = draw(st.sampled_from(["GET", "PUT", "OPTIONS", "post", ""]))
            event["path"] = draw(st.sampled_from(["/mcp/", "/health", "/", "/x"]))
        else:  # the whole event replaced
            return draw(json_values() | st.just({}))
    return event


def assert_proxy_response(event: Any, response: Any) -> None:
    assert isinstance(response, dict)
    status = response["statusCode"]
    assert isinstance(status, int) and status < 500, response
    if status == 202:
        return
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    answer = json.loads(body)
    path = event.get("path") if isinstance(event, dict) else None
    if path in ("/mcp", "/mcp/") or "jsonrpc" in answer:
        assert_jsonrpc(answer)
    else:
        assert isinstance(answer, dict)


@given(event=mutated_events())
def test_every_event_gets_a_proxy_response_below_500_with_a_json_body(function: Function, event: Any) -> None:
    assert_proxy_response(event, function(event))


@given(request=tools_call_requests())
def test_every_tools_call_event_leaves_exactly_one_audit_line(
    function: Function, request: tuple[dict[str, Any], dict[str, str]]
) -> None:
    message, headers = request
    event = copy.deepcopy(TOOLS_CALL_EVENT)
    event["body"] = json.dumps(message)
    event["headers"] = {
        **{k: v for k, v in event["headers"].items() if k.lower() != "mcp-protocol-version"},
        **headers,
    }
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    before = function.audit_records()
    response = function(event)
    assert_proxy_response(event, response)
    assert function.audit_records() - before == 1, response["body"][:300]
