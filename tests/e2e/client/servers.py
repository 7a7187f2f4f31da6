"""Real MCP servers for the client's tests, on 127.0.0.1 in a thread of the test process.

- ``serving(app)`` runs any ASGI app under uvicorn on a free port and always stops it.
- ``Flaky`` wraps an app: while ``sick`` it answers 503 (or ``status``) and counts what it refused.
- ``LosesAnswers`` wraps an app: the app handles a tool's call, but its answer is swapped for a 502,
  as a proxy or a dropped connection would do it: the change is made, the caller never hears of it.
- ``crud_server()`` is an MCP server (the SDK's ``MCPServer``) with tools of the ``resources``
  toolset's contract over an in-memory store, whose requests may be made slow: what the demo cannot
  show (a request outliving the wait), AWSMCPClient meets here.
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
def serving(app: Any, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """``http://HOST:PORT`` (a free port of 127.0.0.1 unless told) serving ``app`` until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port or free_port(),
            log_level="warning",
            timeout_graceful_shutdown=1,  # an open event stream must not hold the test up
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://{host}:{server.config.port}"
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


SCHEMAS: dict[str, dict[str, Any]] = {
    "AWS::S3::Bucket": {
        "primary_identifier": ["BucketName"],
        "required": [],
        "writable": ["BucketName", "VersioningConfiguration", "Tags"],
        "read_only": ["Arn"],
        "create_only": ["BucketName"],
        "defaults": {},
    },
    "AWS::EC2::Instance": {
        "primary_identifier": ["InstanceId"],
        "required": ["ImageId"],
        "writable": ["ImageId", "InstanceType", "SubnetId", "Tags"],
        "read_only": ["InstanceId", "PrivateIp"],
        "create_only": ["ImageId"],
        "defaults": {"ImageId": "ami-0demo"},
    },
    "AWS::SQS::Queue": {
        "primary_identifier": ["QueueUrl"],
        "required": ["QueueName"],
        "writable": ["QueueName", "DelaySeconds", "Tags"],
        "read_only": ["QueueUrl", "Arn"],
        "create_only": ["QueueName"],
        "defaults": {},
    },
}


@dataclass
class Store:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    slow_polls: int = 0
    """How many status calls a request stays IN_PROGRESS for (0: changes finish within the call)."""
    polls: dict[str, int] = field(default_factory=dict)


def crud_server(store: Store | None = None) -> MCPServer:
    """The ``resources`` toolset's contract (cloudcontrol_*) over ``store``: a stand-in for a server
    with Cloud Control, for the client's tests of what the demo cannot show (a slow request)."""
    store = store or Store()
    server = MCPServer("crud")
    read = ToolAnnotations(read_only_hint=True)
    write = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)

    def outcome(operation: str, type_name: str, identifier: str, token: str | None = None) -> dict[str, Any]:
        token = token or f"req-{len(store.requests) + 1}"
        event: dict[str, Any] = {
            "type_name": type_name,
            "operation": operation,
            "status": "IN_PROGRESS" if store.slow_polls else "SUCCESS",
            "request_token": token,
            "identifier": identifier,
        }
        store.requests[token] = event
        store.polls[token] = store.slow_polls
        return finished(event)

    def finished(event: dict[str, Any]) -> dict[str, Any]:
        shown = dict(event)
        key = (event["type_name"], event["identifier"])
        if shown["status"] == "SUCCESS" and event["operation"] != "DELETE" and key in store.resources:
            shown["properties"] = store.resources[key]
        return shown

    def missing(type_name: str, identifier: str) -> ToolError:
        return ToolError(f"{type_name} {identifier} not found")

    def schema(type_name: str) -> dict[str, Any]:
        if type_name not in SCHEMAS:
            raise ToolError(f"{type_name} is not supported here: {', '.join(SCHEMAS)}")
        return SCHEMAS[type_name]

    @server.tool(annotations=read)
    def cloudcontrol_describe_type(type_name: str, region: str | None = None) -> dict[str, Any]:
        return {"type_name": type_name, **schema(type_name)}

    @server.tool(annotations=write)
    def cloudcontrol_create_resource(
        type_name: str,
        desired_state: dict[str, Any],
        region: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        known = schema(type_name)
        state = {**known["defaults"], **desired_state}
        unknown = sorted(set(state) - set(known["writable"]))
        if unknown:
            raise ToolError(f"invalid arguments: {type_name} has no property {', '.join(unknown)}")
        lacking = [p for p in known["required"] if p not in state]
        if lacking:
            raise ToolError(f"invalid arguments: {type_name} is missing {', '.join(lacking)}")
        key = known["primary_identifier"][0]
        identifier = str(state.get(key) or f"id-{len(store.resources) + 1}")
        state[key] = identifier
        store.resources[(type_name, identifier)] = state
        return outcome("CREATE", type_name, identifier)

    @server.tool(annotations=read)
    def cloudcontrol_get_resource(
        type_name: str, identifier: str, region: str | None = None
    ) -> dict[str, Any]:
        if (type_name, identifier) not in store.resources:
            raise missing(type_name, identifier)
        properties = store.resources[(type_name, identifier)]
        return {
            "region": "us-east-1",
            "type_name": type_name,
            "identifier": identifier,
            "properties": properties,
        }

    @server.tool(annotations=read)
    def cloudcontrol_list_resources(
        type_name: str,
        tags: dict[str, str] | None = None,
        region: str | None = None,
        cursor: str | None = None,
        max_results: int = 20,
    ) -> dict[str, Any]:
        def tagged(props: dict[str, Any]) -> bool:
            have = {t["Key"]: t["Value"] for t in props.get("Tags") or []}
            return all(have.get(k) == v for k, v in (tags or {}).items())

        found = [
            {"identifier": ident, "properties": props}
            for (kind, ident), props in sorted(store.resources.items())
            if kind == type_name and tagged(props)
        ]
        start = int(cursor or 0)
        page = found[start : start + max_results]
        more = start + max_results < len(found)
        return {
            "region": "us-east-1",
            "type_name": type_name,
            "resources": page,
            **({"next_cursor": str(start + max_results)} if more else {}),
        }

    @server.tool(annotations=write)
    def cloudcontrol_update_resource(
        type_name: str,
        identifier: str,
        patch: list[dict[str, Any]],
        region: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        if (type_name, identifier) not in store.resources:
            raise missing(type_name, identifier)
        for op in patch:
            key = str(op["path"]).lstrip("/")
            if op["op"] == "remove":
                store.resources[(type_name, identifier)].pop(key, None)
            else:
                store.resources[(type_name, identifier)][key] = op["value"]
        return outcome("UPDATE", type_name, identifier)

    @server.tool(annotations=write)
    def cloudcontrol_delete_resource(
        type_name: str, identifier: str, region: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        if store.resources.pop((type_name, identifier), None) is None:
            raise missing(type_name, identifier)
        return outcome("DELETE", type_name, identifier)

    @server.tool(annotations=read)
    def cloudcontrol_request_status(request_token: str, region: str | None = None) -> dict[str, Any]:
        if request_token not in store.requests:
            raise ToolError(f"request {request_token} not found")
        event = store.requests[request_token]
        store.polls[request_token] -= 1
        if store.polls[request_token] <= 0:
            event["status"] = "SUCCESS"
        return finished(event)

    return server


def http_app(server: MCPServer) -> Any:
    """The server's Streamable HTTP app: stateless, JSON answers (as our own server speaks)."""
    return server.streamable_http_app(stateless_http=True, json_response=True)
