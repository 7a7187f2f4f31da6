"""Integrations against in-process moto (DynamoDB, Secrets Manager, EventBridge, SQS, S3) and HTTP
receivers on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aws_mcp.integrations.integration import PluginContext
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.secrets import SecretVault
from aws_mcp.integrations.store import IntegrationStore
from aws_mcp_local.demo import TABLE_KEYS, table_names

TABLE = table_names()["integrations"]
REGION = "us-east-1"


def create_table(dynamodb: Any, name: str = TABLE) -> None:
    keys = TABLE_KEYS["integrations"]
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=True)],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers ``statuses`` in turn (then the last)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    body: bytes = b'{"ok": true}'

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            me = holder["r"]
            me.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
            status = me.answer()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(me.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(me.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_HEAD = do_DELETE = _any  # noqa: N815 - http.server's names

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()
        server.server_close()


# Nothing listens on port 9 (discard) of this machine: a counterpart that is down.
UNREACHABLE = "http://127.0.0.1:9/hook"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def aws_clients() -> Iterator[Callable[[str, str], Any]]:
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        cache: dict[tuple[str, str], Any] = {}

        def client(service: str, region: str = REGION) -> Any:
            return cache.setdefault((service, region), session.client(service, region_name=region))  # type: ignore[call-overload]

        create_table(client("dynamodb", REGION))
        yield client


@pytest.fixture
def registry(aws_clients: Callable[[str, str], Any], clock: Clock) -> IntegrationRegistry:
    store = IntegrationStore(lambda: aws_clients("dynamodb", REGION), TABLE)
    vault = SecretVault(lambda: aws_clients("secretsmanager", REGION), "aws-mcp/integrations")
    context = PluginContext(aws=aws_clients, default_region=REGION, clock=lambda: clock().timestamp())
    return IntegrationRegistry(store, vault, context, now=clock).register_built_in()
