"""The HTTP endpoint, driven through the ASGI app as a client would: statuses, headers, bodies.

Bad input always gets a 4xx with a JSON-RPC error body, never a 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from threading import get_ident
from typing import Any

import httpx
import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.errors import HEADER_MISMATCH, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR
from aws_mcp.http import create_app

MODERN = "2026-07-28"
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return settings.with_changes(
        max_body_bytes=4096, allowed_origins=("https://console.example", "http://localhost:*")
    )


@pytest.fixture
async def client(
    app_settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_settings, clients=clients)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


pytestmark = pytest.mark.anyio


def rpc(method: str, params: dict[str, Any] | None = None, request_id: int | None = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if request_id is not None:
        message["id"] = request_id
    if params is not None:
        message["params"] = params
    return message


def modern_headers(method: str, name: str | None = None) -> dict[str, str]:
    headers = {**JSON_HEADERS, "mcp-protocol-version": MODERN, "mcp-method": method}
    if name:
        headers["mcp-name"] = name
    return headers


async def post(client: httpx.AsyncClient, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post("/mcp", json=body, headers=headers or JSON_HEADERS)


def jsonrpc_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    return body["error"]  # type: ignore[no-any-return]


class TestTheHappyPath:
    async def test_legacy_initialize_then_list_then_call(self, client: httpx.AsyncClient) -> None:
        init = await post(client, rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}))
        assert init.status_code == 200
        assert init.json()["result"]["protocolVersion"] == "2025-11-25"
        assert "mcp-session-id" not in init.headers

        notified = await post(client, rpc("notifications/initialized", request_id=None))
        assert notified.status_code == 202 and notified.content == b""

        legacy = {**JSON_HEADERS, "mcp-protocol-version": "2025-11-25"}
        listed = await post(client, rpc("tools/list"), legacy)
        assert "ec2_list_instances" in [t["name"] for t in listed.json()["result"]["tools"]]

        called = await post(
            client, rpc("tools/call", {"name": "ec2_list_instances", "arguments": {}}), legacy
        )
        result = called.json()["result"]
        assert result["isError"] is False and result["structuredContent"]["count"] == 7

    async def test_modern_call_with_headers(self, client: httpx.AsyncClient) -> None:
        params = {"name": "aws_whoami", "arguments": {}, "_meta": META}
        response = await post(client, rpc("tools/call", params), modern_headers("tools/call", "aws_whoami"))
        assert response.status_code == 200
        result = response.json()["result"]
        assert result["resultType"] == "complete"
        assert result["structuredContent"]["account"] == "123456789012"

    async def test_health_reports_the_access_mode_and_tool_count(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/health")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "server": "aws-mcp",
            "version": "0.1.0",
            "accessMode": "ReadWrite",
            "tools": 6,
        }


class TestTransportRefusals:
    async def test_a_wrong_content_type_is_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/mcp", content=b"{}", headers={**JSON_HEADERS, "content-type": "text/plain"}
        )
        assert response.status_code == 415
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    async def test_a_content_type_with_charset_is_fine(self, client: httpx.AsyncClient) -> None:
        headers = {**JSON_HEADERS, "content-type": "application/json; charset=utf-8"}
        assert (await post(client, rpc("ping"), headers)).status_code == 200

    @pytest.mark.parametrize("accept", ["text/html", "text/event-stream", ""])
    async def test_an_accept_without_json_is_406(self, client: httpx.AsyncClient, accept: str) -> None:
        response = await post(client, rpc("ping"), {**JSON_HEADERS, "accept": accept})
        assert response.status_code == 406
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    @pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:1@evil.example", "null"])
    async def test_a_foreign_origin_is_403(self, client: httpx.AsyncClient, origin: str) -> None:
        response = await post(client, rpc("ping"), {**JSON_HEADERS, "origin": origin})
        assert response.status_code == 403
        assert origin in jsonrpc_error(response)["message"]

    @pytest.mark.parametrize("origin", ["https://console.example", "http://localhost:6274"])
    async def test_an_allowed_origin_is_served(self, client: httpx.AsyncClient, origin: str) -> None:
        assert (await post(client, rpc("ping"), {**JSON_HEADERS, "origin": origin})).status_code == 200

    async def test_an_oversized_body_is_413(self, client: httpx.AsyncClient) -> None:
        big = rpc("tools/call", {"name": "aws_whoami", "arguments": {"pad": "x" * 5000}})
        response = await post(client, big)
        assert response.status_code == 413
        assert "4096" in jsonrpc_error(response)["message"]

    async def test_an_oversized_streamed_body_is_413_without_a_length_header(
        self, client: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b" " * 1000

        response = await client.post("/mcp", content=chunks(), headers=JSON_HEADERS)
        assert response.status_code == 413

    @pytest.mark.parametrize("verb", ["GET", "DELETE"])
    async def test_get_and_delete_are_405_naming_post(self, client: httpx.AsyncClient, verb: str) -> None:
        response = await client.request(verb, "/mcp")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


class TestBadMessages:
    async def test_malformed_json_is_400_parse_error(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/mcp", content=b'{"jsonrpc": "2.0", "id": 1', headers=JSON_HEADERS)
        assert response.status_code == 400
        assert jsonrpc_error(response)["code"] == PARSE_ERROR
        assert response.json()["id"] is None

    async def test_a_batch_is_400_invalid_request(self, client: httpx.AsyncClient) -> None:
        response = await post(client, [rpc("ping"), rpc("ping", request_id=2)])
        assert response.status_code == 400
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    async def test_a_modern_unknown_method_is_404(self, client: httpx.AsyncClient) -> None:
        response = await post(client, rpc("prompts/list", {"_meta": META}), modern_headers("prompts/list"))
        assert response.status_code == 404
        assert jsonrpc_error(response)["code"] == METHOD_NOT_FOUND

    async def test_a_modern_header_mismatch_is_400(self, client: httpx.AsyncClient) -> None:
        params = {"name": "aws_whoami", "arguments": {}, "_meta": META}
        response = await post(
            client, rpc("tools/call", params), modern_headers("tools/call", "ec2_list_instances")
        )
        assert response.status_code == 400
        assert jsonrpc_error(response)["code"] == HEADER_MISMATCH

    async def test_an_unknown_tool_is_invalid_params(self, client: httpx.AsyncClient) -> None:
        response = await post(client, rpc("tools/call", {"name": "s3_delete_everything", "arguments": {}}))
        assert jsonrpc_error(response)["code"] == INVALID_PARAMS

    async def test_invalid_arguments_are_a_tool_error_result(self, client: httpx.AsyncClient) -> None:
        params = {"name": "ec2_describe_instance", "arguments": {"instance_id": 42}}
        response = await post(client, rpc("tools/call", params))
        assert response.status_code == 200
        result = response.json()["result"]
        assert result["isError"] is True and "instance_id" in result["content"][0]["text"]

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"null",
            b"[]",
            b'"text"',
            b"\xff\xfe\x00",
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}',
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"aws_whoami","arguments":"x"}}',
            b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":{"a":1}}}',
            b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":7}}',
            b"[" * 100_000,
        ],
    )
    async def test_nothing_malformed_causes_a_5xx(self, client: httpx.AsyncClient, body: bytes) -> None:
        response = await client.post("/mcp", content=body[:4000], headers=JSON_HEADERS)
        assert 200 <= response.status_code < 500
        if response.status_code != 202:
            assert response.json()["jsonrpc"] == "2.0"


def test_no_openapi_or_docs_are_served(settings: Settings, clients: ClientFactory) -> None:
    app = create_app(settings, clients=clients)
    assert app.openapi_url is None and app.docs_url is None and app.redoc_url is None


@pytest.mark.parametrize(("one_request_at_a_time", "on_the_loop_thread"), [(False, False), (True, True)])
async def test_tool_calls_leave_the_event_loop_unless_the_host_serves_one_request_at_a_time(
    settings: Settings,
    clients: ClientFactory,
    fleet: dict[str, list[str]],
    one_request_at_a_time: bool,
    on_the_loop_thread: bool,
) -> None:
    threads: list[int] = []

    def record(**_: Any) -> None:
        threads.append(get_ident())

    sts = clients.client("sts", settings.default_region)
    sts.meta.events.register("before-call.sts.GetCallerIdentity", record)
    app = create_app(settings, clients=clients, one_request_at_a_time=one_request_at_a_time)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            params = {"name": "aws_whoami", "arguments": {}, "_meta": META}
            response = await post(
                client, rpc("tools/call", params), modern_headers("tools/call", "aws_whoami")
            )
    finally:
        sts.meta.events.unregister("before-call.sts.GetCallerIdentity", record)
    assert response.status_code == 200
    assert response.json()["result"]["isError"] is False
    assert (threads == [get_ident()]) is on_the_loop_thread


async def test_a_request_id_beyond_64_bits_is_echoed_exactly(client: httpx.AsyncClient) -> None:
    huge = 2**70 + 1
    response = await client.post(
        "/mcp", content=f'{{"jsonrpc":"2.0","id":{huge},"method":"ping"}}', headers=JSON_HEADERS
    )
    assert response.status_code == 200
    assert f'"id":{huge}'.encode() in response.content
