"""The HTTP app under Hypothesis, in process (Starlette's TestClient) on in-process moto with the
demo's fleet and tables: no request is a 5xx, every answer on the endpoint is JSON-RPC, and
every tools/call leaves exactly one audit record (counted on the audit log)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.http import create_app
from aws_mcp.server import build_server
from aws_mcp_local.demo import table_names
from tests.fuzz.strategies import (
    JSON_HEADERS,
    bodies,
    http_headers,
    tools_call_requests,
)

ENDPOINT = ("/mcp", "/mcp/")


class AuditedApp:
    """The app, and the audit log its registry writes (one JSON line per tools/call)."""

    def __init__(self, client: TestClient, log: io.StringIO) -> None:
        self.client = client
        self.log = log

    def audit_records(self) -> int:
        # split on "\n" only: str.splitlines also breaks at \x85, \u2028... which JSON text may hold raw.
        lines = self.log.getvalue().split("\n")
        return sum(1 for line in lines if line and "audit" in json.loads(line))


@pytest.fixture(scope="module")
def app(fleet: dict[str, list[str]]) -> Iterator[AuditedApp]:
    tables = table_names()
    settings = Settings(
        access_mode=AccessMode.READ_WRITE,
        breaker_table=tables["breaker"],
        idempotency_table=tables["idempotency"],
        audit_table=tables["audit"],
        stage="fuzz",
    )
    clients = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
    log = io.StringIO()
    logger = Logger(service="aws-mcp-fuzz-http", logger_handler=logging.StreamHandler(log))
    server = build_server(settings, clients, logger=logger)
    with TestClient(create_app(settings, server.dispatcher), base_url="http://127.0.0.1:8000") as client:
        yield AuditedApp(client, log)


def assert_jsonrpc(body: Any) -> None:
    """A JSON-RPC response object: version, id, and a result or an error, never both."""
    assert isinstance(body, dict), body
    assert body.get("jsonrpc") == "2.0", body
    assert "id" in body, body
    assert ("result" in body) != ("error" in body), body
    if "error" in body:
        assert isinstance(body["error"].get("code"), int) and isinstance(body["error"].get("message"), str)


def assert_answer(path: str, status: int, content: bytes, content_type: str | None) -> None:
    assert status < 500, (status, content[:300])
    if status == 202:
        assert content == b""
        return
    assert content_type == "application/json", content_type
    body = json.loads(content)
    if path in ENDPOINT:
        assert_jsonrpc(body)
    else:
        assert isinstance(body, dict)


methods = st.sampled_from(["POST"] * 6 + ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
paths = st.sampled_from([*ENDPOINT, "/mcp", "/health", "/"]) | st.from_regex(r"/[a-z/]{0,8}", fullmatch=True)


@given(method=methods, path=paths, headers=http_headers(), body=bodies())
def test_no_request_is_a_5xx_and_every_answer_on_the_endpoint_is_jsonrpc(
    app: AuditedApp, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    response = app.client.request(method, path, headers=headers, content=body)
    assert_answer(path, response.status_code, response.content, response.headers.get("content-type"))


@given(request=tools_call_requests())
def test_every_tools_call_leaves_exactly_one_audit_record(
    app: AuditedApp, request: tuple[dict[str, Any], dict[str, str]]
) -> None:
    message, headers = request
    before = app.audit_records()
    response = app.client.post("/mcp", content=json.dumps(message).encode(), headers=headers)
    assert_answer("/mcp", response.status_code, response.content, response.headers.get("content-type"))
    assert app.audit_records() - before == 1, response.content[:300]


# -- inputs that once broke the server or lost their audit record ------------------------------


def call(app: AuditedApp, raw: str) -> tuple[int, Any, int]:
    before = app.audit_records()
    response = app.client.post("/mcp", content=raw.encode("utf-8", "surrogatepass"), headers=JSON_HEADERS)
    return response.status_code, response.json(), app.audit_records() - before


@pytest.mark.parametrize(
    "raw",
    [
        '{"jsonrpc":"2.0","id":"\\ud800","method":"tools/call","params":{"name":"aws_whoami"}}',
        '{"jsonrpc":"2.0","id":"a\\udfffb","method":"tools/call","params":{"name":"nope"}}',
    ],
)
def test_a_lone_surrogate_id_is_echoed_and_the_call_audited(app: AuditedApp, raw: str) -> None:
    status, body, records = call(app, raw)
    assert status < 500
    assert_jsonrpc(body)
    assert records == 1


@pytest.mark.parametrize("name", ['["aws_whoami"]', '{"a":1}'])
def test_a_list_or_object_as_the_tool_name_is_a_jsonrpc_error(app: AuditedApp, name: str) -> None:
    status, body, records = call(
        app, f'{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":{name}}}}}'
    )
    assert status < 500
    assert "error" in body
    assert records == 1


@pytest.mark.parametrize("number", ["1e300", str(10**100), "-1e300"])
def test_a_number_beyond_dynamodb_in_the_arguments_is_audited(app: AuditedApp, number: str) -> None:
    status, body, records = call(
        app,
        '{"jsonrpc":"2.0","id":1,"method":"tools/call",'
        f'"params":{{"name":"ec2_list_instances","arguments":{{"limit":{number}}}}}}}',
    )
    assert status < 500
    assert_jsonrpc(body)
    assert records == 1


@pytest.mark.parametrize(
    "raw",
    [
        '{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"aws_whoami"}}',
        '{"jsonrpc":"2.0","id":[1],"method":"tools/call","params":{"name":"aws_whoami"}}',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["aws_whoami"]}',
    ],
)
def test_a_tools_call_refused_at_the_envelope_is_audited(app: AuditedApp, raw: str) -> None:
    _, body, records = call(app, raw)
    assert_jsonrpc(body)
    assert records == 1
