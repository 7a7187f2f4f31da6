"""Each auth kind against a local counterpart on 127.0.0.1 that checks it as the real one would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import Received, Receiver

EVENT = {"id": "e1", "type": "tool_call", "tool": "ec2_stop_instances", "outcome": "success"}
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNED = re.compile(
    r"Credential=(?P<key>[^/]+)/[^,]+, SignedHeaders=(?P<headers>[^,]+), Signature=(?P<sig>\w+)"
)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def plugin_for(registry: IntegrationRegistry, **config: Any) -> Any:
    base = {"name": "it", "direction": "OUTBOUND", "type": "WEBHOOK"} | config
    record = run(registry.create(IntegrationConfig.model_validate(base), caller="me"))
    return run(registry.plugin(record))


# -- AWS_SIG_V4 ----------------------------------------------------------------------------------


def sigv4_valid(request: Received, host: str, *, service: str, region: str) -> bool:
    """Whether ``request`` carries a SigV4 signature botocore computes the same for KEY/SECRET."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    found = SIGNED.search(headers.get("authorization", ""))
    if found is None or found["key"] != KEY or "x-amz-date" not in headers:
        return False
    names = found["headers"].split(";")
    signed = AWSRequest(
        method=request.method,
        url=f"http://{host}{request.path}",
        data=request.body,
        headers={n: headers[n] for n in names if n in headers},
    )
    signed.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(KEY, SECRET), service, region)
    expected = signer.signature(signer.string_to_sign(signed, signer.canonical_request(signed)), signed)
    return bool(expected == found["sig"])


def test_aws_sig_v4_signs_each_delivery_with_the_function_s_credentials(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    registry.context.credentials = lambda: Credentials(KEY, SECRET)
    hook = plugin_for(
        registry,
        endpoint=receiver.url + "/events?stage=prod",
        auth={"type": "AWS_SIG_V4", "service": "execute-api", "region": "eu-west-1"},
    )
    assert run(hook.send(EVENT)).delivered
    (request,) = receiver.requests
    host = receiver.url.removeprefix("http://")
    assert sigv4_valid(request, host, service="execute-api", region="eu-west-1")
    assert "x-aws-mcp-event" in SIGNED.search(request.headers["Authorization"])["headers"]  # type: ignore[index]
    # The check can fail: another body, region or key is refused.
    assert not sigv4_valid(
        Received(request.method, request.path, request.headers, request.body + b" "),
        host,
        service="execute-api",
        region="eu-west-1",
    )
    assert not sigv4_valid(request, host, service="execute-api", region="us-east-1")


# -- OAUTH2 (client credentials) -----------------------------------------------------------------


class OAuthServer:
    """A token endpoint (client credentials, client_secret_basic) and a resource that takes its tokens."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client = (client_id, client_secret)
        self.issued: list[str] = []
        self.token_requests: list[dict[str, list[str]]] = []
        self.resource_requests: list[Received] = []
        self.url = ""

    def token(self, authorization: str, form: dict[str, list[str]]) -> tuple[int, bytes]:
        self.token_requests.append(form)
        scheme, _, encoded = authorization.partition(" ")
        pair = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        if pair != ":".join(self.client) or form.get("grant_type") != ["client_credentials"]:
            return 401, b'{"error": "invalid_client"}'
        issued = f"at-{len(self.issued) + 1}"
        self.issued.append(issued)
        return 200, f'{{"access_token": "{issued}", "token_type": "Bearer", "expires_in": 3600}}'.encode()

    def resource(self, request: Received) -> int:
        self.resource_requests.append(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return 200 if scheme == "Bearer" and token in self.issued else 401


@contextmanager
def oauth_server(client_id: str, client_secret: str) -> Iterator[OAuthServer]:
    state = OAuthServer(client_id, client_secret)

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/oauth2/token":
                status, answer = state.token(
                    self.headers.get("Authorization", ""), parse_qs(body.decode(), strict_parsing=False)
                )
            else:
                status = state.resource(Received(self.command, self.path, dict(self.headers.items()), body))
                answer = b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = _any  # noqa: N815 - http.server's names

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def oauth() -> Iterator[OAuthServer]:
    with oauth_server("client-9", "cs-never-shown") as found:
        yield found


def oauth2(server: OAuthServer, secret: str = "cs-never-shown") -> dict[str, Any]:
    return {
        "type": "OAUTH2",
        "token_url": server.url + "/oauth2/token",
        "client_id": "client-9",
        "client_secret": secret,
        "scopes": ["events/write", "events/read"],
    }


def test_oauth2_gets_a_client_credentials_token_and_sends_it_as_the_bearer(
    registry: IntegrationRegistry, oauth: OAuthServer
) -> None:
    hook = plugin_for(
        registry,
        endpoint=oauth.url + "/events",
        auth=oauth2(oauth),
        health_check={"endpoint": oauth.url + "/health"},
    )
    assert run(hook.send(EVENT)).delivered
    assert oauth.token_requests[0] == {
        "grant_type": ["client_credentials"],
        "scope": ["events/write events/read"],
    }
    assert run(hook.health_check()) is True
    # One token for both requests: kept until shortly before it expires.
    assert [r.headers["Authorization"] for r in oauth.resource_requests] == ["Bearer at-1", "Bearer at-1"]
    assert len(oauth.token_requests) == 1


def test_oauth2_with_a_wrong_client_secret_fails_saying_the_token_endpoint_refused(
    registry: IntegrationRegistry, oauth: OAuthServer
) -> None:
    hook = plugin_for(
        registry,
        endpoint=oauth.url + "/events",
        auth=oauth2(oauth, secret="wrong"),
        health_check={"endpoint": oauth.url + "/health"},
    )
    assert run(hook.health_check()) is False
    assert hook.last_check.error == "TokenRefusedError: the token endpoint answered HTTP 401"
    assert oauth.resource_requests == []
    result = run(hook.send(EVENT))
    # Refused credentials are not retried (dead-lettered at once, saying why).
    assert (result.delivered, result.retryable) == (False, False)
    assert "HTTP 401" in (result.error or "")


# -- CUSTOM: named headers, each value a secret ---------------------------------------------------


def test_custom_auth_sends_its_named_headers_and_answers_only_their_names(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    auth = {"type": "CUSTOM", "custom_headers": {"X-Tenant-Key": "tk-secret-1", "X-Signature-Key": "sk-2"}}
    made = run(
        registry.create(
            IntegrationConfig.model_validate(
                {
                    "name": "c",
                    "type": "WEBHOOK",
                    "direction": "OUTBOUND",
                    "endpoint": receiver.url,
                    "auth": auth,
                }
            ),
            caller="me",
        )
    )
    shown = made.model_dump_json()
    assert made.auth.custom_headers == ["X-Signature-Key", "X-Tenant-Key"]
    assert "tk-secret-1" not in shown and "sk-2" not in shown
    assert run(run(registry.plugin(made)).send(EVENT)).delivered
    (request,) = receiver.requests
    assert (request.headers["X-Tenant-Key"], request.headers["X-Signature-Key"]) == ("tk-secret-1", "sk-2")


def test_a_put_without_custom_headers_keeps_them_and_clear_secrets_removes_them(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    from aws_mcp.errors import InvalidIntegrationError
    from aws_mcp.integrations.model import IntegrationUpdate

    config = {"name": "c", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url}
    made = run(
        registry.create(
            IntegrationConfig.model_validate(
                config | {"auth": {"type": "CUSTOM", "custom_headers": {"X-Key": "v-1"}}}
            ),
            caller="me",
        )
    )
    put = IntegrationUpdate.model_validate(config | {"auth": {"type": "CUSTOM"}, "revision": 1})
    kept = run(registry.update(made.id, put, caller="me"))
    assert kept.auth.custom_headers == ["X-Key"]
    assert run(run(registry.plugin(kept)).send(EVENT)).delivered
    assert receiver.requests[-1].headers["X-Key"] == "v-1"
    cleared = IntegrationUpdate.model_validate(
        config | {"auth": {"type": "CUSTOM"}, "revision": 2, "clear_secrets": ["custom_headers"]}
    )
    with pytest.raises(InvalidIntegrationError, match="custom_headers"):
        run(registry.update(made.id, cleared, caller="me"))
    with pytest.raises(InvalidIntegrationError, match="custom_headers"):
        run(
            registry.create(
                IntegrationConfig.model_validate(config | {"auth": {"type": "CUSTOM"}}), caller="me"
            )
        )


# -- OAUTH1 (RFC 5849, HMAC-SHA1) ----------------------------------------------------------------


def oauth1_valid(request: Received, url: str, consumer_secret: str, token_secret: str) -> bool:
    """The RFC 5849 check a provider makes: the signature base string from the request as received,
    signed with the consumer's and the token's secrets."""
    from oauthlib.oauth1.rfc5849 import signature

    authorization = request.headers["Authorization"]
    params = signature.collect_parameters(
        uri_query=url.partition("?")[2],
        headers={"Authorization": authorization},
        exclude_oauth_signature=True,
    )
    base = signature.signature_base_string(
        request.method, signature.base_string_uri(url), signature.normalize_parameters(params)
    )
    sent = signature.collect_parameters(
        headers={"Authorization": authorization}, exclude_oauth_signature=False
    )
    given = dict(sent)["oauth_signature"]
    # HMAC-SHA1 by the RFC's own words (section 3.4.2): key "consumer_secret&token_secret".
    key = f"{quote(consumer_secret, safe='~')}&{quote(token_secret, safe='~')}".encode()
    expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
    return bool(given == expected)


def test_oauth1_signs_each_request_with_the_consumer_and_token_secrets(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    auth = {
        "type": "OAUTH1",
        "consumer_key": "ck-1",
        "consumer_secret": "cs-secret",
        "token": "at-1",
        "token_secret": "ts-secret",
    }
    url = receiver.url + "/1.1/events?channel=ops"
    hook = plugin_for(registry, endpoint=url, auth=auth, health_check={"endpoint": receiver.url + "/ping"})
    assert run(hook.send(EVENT)).delivered
    assert run(hook.health_check()) is True
    sent, checked = receiver.requests
    assert 'oauth_consumer_key="ck-1"' in sent.headers["Authorization"]
    assert 'oauth_token="at-1"' in sent.headers["Authorization"]
    assert oauth1_valid(sent, url, "cs-secret", "ts-secret")
    assert oauth1_valid(checked, receiver.url + "/ping", "cs-secret", "ts-secret")
    # The check can fail: another secret, or another URL, does not match.
    assert not oauth1_valid(sent, url, "cs-other", "ts-secret")
    assert not oauth1_valid(sent, receiver.url + "/1.1/events", "cs-secret", "ts-secret")


def test_oauth1_without_a_consumer_key_or_secret_is_refused(registry: IntegrationRegistry) -> None:
    from aws_mcp.errors import InvalidIntegrationError

    for auth in ({"type": "OAUTH1", "consumer_secret": "s"}, {"type": "OAUTH1", "consumer_key": "k"}):
        with pytest.raises(InvalidIntegrationError, match="consumer_"):
            plugin_for(registry, endpoint="http://127.0.0.1:9/x", auth=auth)


def test_oauthlib_is_loaded_only_when_an_oauth1_request_is_signed() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aws_mcp.integrations.registry, aws_mcp.integrations.plugins; "
        "print('oauthlib' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
