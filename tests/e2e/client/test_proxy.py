"""``aws-mcp proxy``: the official SDK's stdio client, through the proxy, to our server behind a
gate that checks every request's SigV4 signature with botocore, as API Gateway's AWS_IAM does."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from moto import mock_aws

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.http import create_app
from aws_mcp.server import build_server
from aws_mcp_client.proxy import Proxy, region_of
from tests.e2e.client.servers import serving

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

KEY, SECRET = "AKIDPROXYTEST000001", "proxy-test-secret"
REGION = "us-east-1"
SIGNED = re.compile(
    r"Credential=(?P<key>[^/]+)/[^,]+, SignedHeaders=(?P<headers>[^,]+), Signature=(?P<sig>[0-9a-f]+)"
)


@dataclass
class SigV4Gate:
    """Lets through only requests signed with KEY/SECRET for execute-api in REGION (botocore checks)."""

    app: Any
    seen: list[dict[str, str]] = field(default_factory=list)
    refused: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append(headers)
        if not self.valid(scope, headers, body):
            self.refused += 1
            answer = json.dumps({"message": "The request signature we calculated does not match"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": answer})
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def valid(scope: Any, headers: dict[str, str], body: bytes) -> bool:
        found = SIGNED.search(headers.get("authorization", ""))
        if found is None or found["key"] != KEY or "x-amz-date" not in headers:
            return False
        names = found["headers"].split(";")
        url = f"http://{headers['host']}{scope['path']}"
        request = AWSRequest(
            method=scope["method"], url=url, data=body, headers={n: headers[n] for n in names if n in headers}
        )
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(Credentials(KEY, SECRET), "execute-api", REGION)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        return bool(expected == found["sig"])


@pytest.fixture(scope="module")
def gate() -> Iterator[tuple[str, SigV4Gate]]:
    with mock_aws():
        settings = Settings(default_region=REGION, local_role="viewer")
        server = build_server(settings, ClientFactory(settings))
        gate = SigV4Gate(create_app(settings, server.dispatcher))
        with serving(gate) as base:
            yield f"{base}/mcp", gate


def proxy_process(url: str, secret: str = SECRET) -> StdioServerParameters:
    environment = {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "aws_mcp_client", "proxy", url, "--region", REGION],
        env=environment,
    )


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_both_eras_pass_through_the_proxy_signed(
    gate: tuple[str, SigV4Gate], mode: str, version: str
) -> None:
    url, checked = gate
    refused = checked.refused
    with anyio.fail_after(90):
        async with Client(proxy_process(url), mode=mode, read_timeout_seconds=30) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            whoami = await client.call_tool("aws_whoami", {})
    assert "aws_whoami" in tools and "ec2_stop_instances" not in tools  # the local caller: a viewer
    assert whoami.is_error is False and whoami.structured_content is not None
    assert whoami.structured_content["account"] == "123456789012"
    assert checked.refused == refused
    # Each request carried what its era's HTTP transport needs, signed.
    assert checked.seen[-1]["mcp-protocol-version"] == version
    if version == "2026-07-28":
        assert checked.seen[-1]["mcp-method"] == "tools/call" and checked.seen[-1]["mcp-name"] == "aws_whoami"


def test_a_refused_signature_comes_back_as_an_error_for_that_request(gate: tuple[str, SigV4Gate]) -> None:
    import subprocess

    url, checked = gate
    refused = checked.refused
    process = proxy_process(url, secret="wrong")
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    done = subprocess.run(
        [process.command, *process.args],
        input="".join(json.dumps(line) + "\n" for line in lines),
        env=process.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and [r["id"] for r in replies] == [1, 2]
    assert all("signature we calculated does not match" in r["error"]["message"] for r in replies)
    assert "HTTP 403" in done.stderr and checked.refused == refused + 3


def test_an_execute_api_url_names_its_region() -> None:
    assert region_of("https://abc123.execute-api.eu-west-1.amazonaws.com/dev/mcp") == "eu-west-1"
    assert region_of("https://mcp.example.com/mcp") is None


def test_an_unreachable_server_answers_every_request_and_no_notification() -> None:
    import httpx2

    errors: list[str] = []

    class Err:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    with httpx2.Client(timeout=2) as client:
        proxy = Proxy("http://127.0.0.1:9/mcp", client, err=Err())  # type: ignore[arg-type]
        answer = proxy.forward('{"jsonrpc":"2.0","id":7,"method":"tools/list"}')
        assert proxy.forward('{"jsonrpc":"2.0","method":"notifications/initialized"}') is None
    assert answer is not None
    reply = json.loads(answer)
    assert (
        reply["id"] == 7
        and reply["error"]["code"] == -32000
        and "could not reach" in reply["error"]["message"]
    )
    assert errors
