"""The HTTP endpoint, driven through the ASGI app as a client would: statuses, headers, bodies.

Bad input always gets a 4xx with a JSON-RPC error body, never a 5xx.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from threading import get_ident
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
)
from aws_mcp.http import create_app
from aws_mcp.http.app import host_matcher
from aws_mcp.protocol import Dispatcher
from aws_mcp.server import build_server
from aws_mcp.tools import CATALOG, ToolRegistry
from aws_mcp.tools.contract import ToolOutcome

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
    app = create_app(app_settings, build_server(app_settings, clients).dispatcher)
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
            "tools": len(CATALOG),
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


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
async def test_no_openapi_or_docs_are_served(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


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
    app = create_app(
        settings, build_server(settings, clients).dispatcher, one_request_at_a_time=one_request_at_a_time
    )
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


# -- every answer is JSON: JSON-RPC on the MCP endpoint, plain JSON elsewhere ---------------------


class TestEveryAnswerOnTheEndpointIsJsonRpc:
    @pytest.mark.parametrize("verb", ["PUT", "PATCH", "OPTIONS", "TRACE", "BREW"])
    async def test_any_other_method_is_405_naming_post(self, client: httpx.AsyncClient, verb: str) -> None:
        response = await client.request(verb, "/mcp")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    async def test_a_cors_preflight_from_an_allowed_origin_is_405_too(
        self, client: httpx.AsyncClient
    ) -> None:
        preflight = {"origin": "http://localhost:6274", "access-control-request-method": "POST"}
        response = await client.options("/mcp", headers=preflight)
        assert response.status_code == 405
        assert "access-control-allow-origin" not in response.headers
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    async def test_the_endpoint_with_a_trailing_slash_is_served_without_a_redirect(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/mcp/", json=rpc("ping"), headers=JSON_HEADERS)
        assert response.status_code == 200
        assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}

    async def test_the_endpoint_with_a_trailing_slash_refuses_get_like_the_endpoint(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/mcp/")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert jsonrpc_error(response)["code"] == INVALID_REQUEST

    @pytest.mark.parametrize("path", ["/", "/nope", "/mcp/extra", "/health/", "/docs"])
    async def test_an_unknown_path_is_a_plain_json_404(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"error": "not found", "path": path}

    async def test_head_on_health_is_answered_like_get_without_a_body(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.head("/health")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == b""

    async def test_a_wrong_method_on_health_is_a_plain_json_405(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/health")
        assert response.status_code == 405
        assert "GET" in response.headers["allow"]
        assert response.json() == {"error": "method not allowed", "path": "/health"}


# -- an internal error is a JSON-RPC error, and the connection survives it ------------------------


class BrokenRegistry(ToolRegistry):
    """Our registry with a bug on the call path: every tools/call raises."""

    def call(self, name: Any, arguments: Any, context: CallContext) -> ToolOutcome:
        raise RuntimeError("a bug on the call path")


class RegistryWithoutTools(ToolRegistry):
    """Our registry with a bug outside the dispatcher: asking for its tools (/health) raises."""

    @property
    def names(self) -> tuple[str, ...]:
        raise RuntimeError("a bug outside the dispatcher")


@pytest.fixture
def broken_app(settings: Settings, clients: ClientFactory) -> Starlette:
    return create_app(settings, Dispatcher(settings, BrokenRegistry(CATALOG, settings, clients)))


class TestInternalErrors:
    async def test_an_exception_in_the_dispatcher_is_a_jsonrpc_internal_error(
        self, broken_app: Starlette
    ) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken_app), base_url="http://t") as c:
            response = await post(c, rpc("tools/call", {"name": "aws_whoami", "arguments": {}}, request_id=7))
        assert response.status_code == 500
        assert response.json()["id"] == 7
        error = jsonrpc_error(response)
        assert error["code"] == INTERNAL_ERROR
        assert "a bug on the call path" not in error["message"]

    def test_the_connection_stays_open_after_an_internal_error(self, broken_app: Starlette) -> None:
        connects: list[str] = []

        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                connects.append(event)

        with uvicorn_serving(broken_app) as base_url, httpx.Client(base_url=base_url) as c:
            failed = c.post(
                "/mcp",
                json=rpc("tools/call", {"name": "aws_whoami", "arguments": {}}),
                headers=JSON_HEADERS,
                extensions={"trace": trace},
            )
            pinged = c.post(
                "/mcp", json=rpc("ping", request_id=2), headers=JSON_HEADERS, extensions={"trace": trace}
            )
        assert failed.status_code == 500 and jsonrpc_error(failed)["code"] == INTERNAL_ERROR
        assert failed.headers.get("connection") != "close"
        assert pinged.status_code == 200 and pinged.json()["result"] == {}
        assert len(connects) == 1

    def test_an_exception_anywhere_else_is_a_plain_json_500_and_the_connection_stays_open(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        app = create_app(settings, Dispatcher(settings, RegistryWithoutTools(CATALOG, settings, clients)))
        connects: list[str] = []

        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                connects.append(event)

        with uvicorn_serving(app) as base_url, httpx.Client(base_url=base_url) as c:
            failed = c.get("/health", extensions={"trace": trace})
            pinged = c.post("/mcp", json=rpc("ping"), headers=JSON_HEADERS, extensions={"trace": trace})
        assert failed.status_code == 500
        assert failed.json() == {"error": "internal error", "path": "/health"}
        assert pinged.status_code == 200
        assert len(connects) == 1


@contextmanager
def uvicorn_serving(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn on a free 127.0.0.1 port, stopped on exit: its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# -- Host: only the names this machine answers to, when serving locally ----------------------------


@pytest.fixture
async def local_client(
    app_settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        app_settings,
        build_server(app_settings, clients).dispatcher,
        trusted_hosts=("127.0.0.1:8000", "localhost:8000", "[::1]:8000"),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as c:
        yield c


class TestHostCheck:
    @pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"])
    async def test_a_local_host_is_served(self, local_client: httpx.AsyncClient, host: str) -> None:
        assert (await local_client.get("/health", headers={"host": host})).status_code == 200

    @pytest.mark.parametrize(
        "host", ["evil.example", "evil.example:8000", "localhost:9999", "localhost", "127.0.0.1:8000:1", ""]
    )
    async def test_a_foreign_host_cannot_read_health(
        self, local_client: httpx.AsyncClient, host: str
    ) -> None:
        response = await local_client.get("/health", headers={"host": host})
        assert response.status_code == 421
        assert response.json() == {"error": "misdirected request", "host": host}

    async def test_a_foreign_host_on_the_endpoint_gets_a_jsonrpc_error(
        self, local_client: httpx.AsyncClient
    ) -> None:
        response = await local_client.post(
            "/mcp", json=rpc("ping"), headers={**JSON_HEADERS, "host": "evil.example"}
        )
        assert response.status_code == 421
        assert "evil.example" in jsonrpc_error(response)["message"]

    async def test_without_trusted_hosts_any_host_is_served_as_api_gateway_sets_it(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await client.get("/health", headers={"host": "evil.example"})).status_code == 200

    @pytest.mark.parametrize(
        ("trusted", "host", "served"),
        [
            (("mcp.internal",), "mcp.internal:8123", True),
            (("mcp.internal:80",), "mcp.internal", True),
            (("mcp.internal:80",), "mcp.internal:8123", False),
            (("*",), "anything.example", True),
        ],
    )
    def test_a_trusted_host_without_a_port_allows_any_port(
        self, trusted: tuple[str, ...], host: str, served: bool
    ) -> None:
        assert host_matcher(trusted)(host) is served
