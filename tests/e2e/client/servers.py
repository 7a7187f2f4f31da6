"""Real MCP servers for the client's tests, on 127.0.0.1 in a thread of the test process.

- ``serving(app)`` runs any ASGI app under uvicorn on a free port and always stops it.
- ``Flaky`` wraps an app: while ``sick`` it answers 503 (or ``status``) and counts what it refused.
- ``LosesAnswers`` wraps an app: the app handles a tool's call, but its answer is swapped for a 502,
  as a proxy or a dropped connection would do it: the change is made, the caller never hears of it.
- ``crud_server()`` is an MCP server (the SDK's ``MCPServer``) with the Cloud Control tools our
  server does not have yet, over an in-memory store, so AWSMCPClient's CRUD methods meet real tools.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` serving ``app`` until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)


@dataclass
class Flaky:
    """An ASGI app that fails every HTTP request with ``status`` while ``sick``."""

    app: Any
    sick: bool = False
    status: int = 503
    refused: int = 0
    passed: int = 0
    refused_bodies: list[Any] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.sick:
            self.refused += 1
            body = await _read_body(receive)
            self.refused_bodies.append(json.loads(body) if body else None)
            await _answer(send, self.status, b"unavailable")
            return
        if scope["type"] == "http":
            self.passed += 1
        await self.app(scope, receive, send)


@dataclass
class LosesAnswers:
    """An ASGI app that lets ``app`` run the next ``lose`` calls of ``tool`` and answers 502 instead."""

    app: Any
    tool: str = ""
    lose: int = 0
    lost: int = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.lose <= 0:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()  # type: ignore[no-any-return]
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        if not self._is_call(body):
            await self.app(scope, replay, send)
            return
        self.lose -= 1
        self.lost += 1

        async def discard(message: dict[str, Any]) -> None:
            return None

        await self.app(scope, replay, discard)  # the server acts in full
        await _answer(send, 502, b"bad gateway")

    def _is_call(self, body: bytes) -> bool:
        try:
            message = json.loads(body)
        except ValueError:
            return False
        return (
            isinstance(message, dict)
            and message.get("method") == "tools/call"
            and (message.get("params") or {}).get("name") == self.tool
        )


async def _read_body(receive: Any) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": body})


def echo_server() -> MCPServer:
    """A small server: a read-only tool, and a mutating one that takes an idempotency key."""
    server = MCPServer("echo")
    calls: list[dict[str, Any]] = []

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def echo(text: str) -> str:
        return text

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False))
    def remember(text: str, idempotency_key: str | None = None) -> str:
        calls.append({"text": text, "idempotency_key": idempotency_key})
        return json.dumps(calls)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False))
    def fire(text: str) -> str:
        return text

    return server


@dataclass
class Store:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)


def crud_server(store: Store | None = None) -> MCPServer:
    """Cloud Control-shaped tools (create/get/list/update/delete and request status) over ``store``."""
    store = store or Store()
    server = MCPServer("crud")
    read = ToolAnnotations(read_only_hint=True)
    write = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)

    def progress(operation: str, type_name: str, identifier: str) -> dict[str, Any]:
        token = f"req-{len(store.requests) + 1}"
        event = {
            "request_token": token,
            "operation": operation,
            "operation_status": "SUCCESS",
            "type_name": type_name,
            "identifier": identifier,
            "status_message": f"{operation} done",
        }
        store.requests[token] = event
        return {"progress_event": event}

    def missing(type_name: str, identifier: str) -> ToolError:
        return ToolError(f"ResourceNotFoundException: {type_name} {identifier} not found")

    @server.tool(annotations=write)
    def cloudcontrol_create_resource(
        type_name: str,
        desired_state: dict[str, Any],
        region: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        identifier = str(desired_state.get("BucketName") or f"id-{len(store.resources) + 1}")
        store.resources[(type_name, identifier)] = dict(desired_state)
        return progress("CREATE", type_name, identifier)

    @server.tool(annotations=read)
    def cloudcontrol_get_resource(
        type_name: str, identifier: str, region: str | None = None
    ) -> dict[str, Any]:
        if (type_name, identifier) not in store.resources:
            raise missing(type_name, identifier)
        properties = store.resources[(type_name, identifier)]
        return {"type_name": type_name, "resource": {"identifier": identifier, "properties": properties}}

    @server.tool(annotations=read)
    def cloudcontrol_list_resources(
        type_name: str, region: str | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        found = [
            {"identifier": ident, "properties": props}
            for (kind, ident), props in sorted(store.resources.items())
            if kind == type_name
        ]
        return {"type_name": type_name, "resources": found, "next_cursor": None}

    @server.tool(annotations=write)
    def cloudcontrol_update_resource(
        type_name: str,
        identifier: str,
        patch_document: list[dict[str, Any]],
        region: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        if (type_name, identifier) not in store.resources:
            raise missing(type_name, identifier)
        for op in patch_document:
            key = str(op["path"]).lstrip("/")
            if op["op"] == "remove":
                store.resources[(type_name, identifier)].pop(key, None)
            else:
                store.resources[(type_name, identifier)][key] = op["value"]
        return progress("UPDATE", type_name, identifier)

    @server.tool(annotations=write)
    def cloudcontrol_delete_resource(
        type_name: str, identifier: str, region: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        if store.resources.pop((type_name, identifier), None) is None:
            raise missing(type_name, identifier)
        return progress("DELETE", type_name, identifier)

    @server.tool(annotations=read)
    def cloudcontrol_get_resource_request_status(
        request_token: str, region: str | None = None
    ) -> dict[str, Any]:
        if request_token not in store.requests:
            raise ToolError(f"RequestTokenNotFoundException: {request_token} not found")
        return {"progress_event": store.requests[request_token]}

    return server


def http_app(server: MCPServer) -> Any:
    """The server's Streamable HTTP app: stateless, JSON answers (as our own server speaks)."""
    return server.streamable_http_app(stateless_http=True, json_response=True)
