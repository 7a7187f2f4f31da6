"""Requests carry the configured credentials: a bearer token, an API key header, or a valid SigV4 signature.

The server here checks what arrives: it records each POST's headers and body, and the SigV4 test
recomputes the signature from them with botocore, as API Gateway would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.auth import SigV4Auth as BotocoreSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aws_mcp_client import AuthConfig, AuthKind, ClientSettings, MCPClient, MCPServerConfig
from tests.e2e.client.servers import echo_server, http_app, serving

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Recorder:
    app: Any
    seen: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, more, messages = b"", True, []
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append((headers, body, f"http://{headers['host']}{scope['path']}"))

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    recording = Recorder(http_app(echo_server()))
    with serving(recording) as base:
        yield recording, f"{base}/mcp"


async def call_with(auth: AuthConfig, url: str) -> None:
    async with MCPClient(
        MCPServerConfig(name="echo", url=url, auth=auth), ClientSettings(timeout=10.0)
    ) as client:
        assert (await client.call_tool("echo", {"text": "signed"})).is_error is False


async def test_a_bearer_token_goes_in_the_authorization_header(recorder: tuple[Recorder, str]) -> None:
    recording, url = recorder
    await call_with(AuthConfig(kind=AuthKind.BEARER, token="t0ken"), url)
    assert recording.seen and all(h["authorization"] == "Bearer t0ken" for h, _, _ in recording.seen)


async def test_an_api_key_goes_in_its_header(recorder: tuple[Recorder, str]) -> None:
    recording, url = recorder
    await call_with(AuthConfig(kind=AuthKind.API_KEY, token="k3y"), url)
    assert all(h["x-api-key"] == "k3y" for h, _, _ in recording.seen)


async def test_sigv4_signs_every_request_so_that_the_signature_verifies(
    recorder: tuple[Recorder, str],
) -> None:
    recording, url = recorder
    await call_with(AuthConfig(kind=AuthKind.SIGV4, region="eu-west-1"), url)
    assert len(recording.seen) >= 2  # discover (or initialize), then the call
    for headers, body, where in recording.seen:
        scheme, _, rest = headers["authorization"].partition(" ")
        parts = dict(part.split("=", 1) for part in rest.split(", "))
        assert scheme == "AWS4-HMAC-SHA256"
        assert parts["Credential"].startswith("testing/") and parts["Credential"].endswith(
            "/eu-west-1/execute-api/aws4_request"
        )
        signed = parts["SignedHeaders"].split(";")
        request = AWSRequest(method="POST", url=where, data=body, headers={h: headers[h] for h in signed})
        request.context["timestamp"] = headers["x-amz-date"]
        signer = BotocoreSigV4(Credentials("testing", "testing"), "execute-api", "eu-west-1")
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        assert parts["Signature"] == expected
