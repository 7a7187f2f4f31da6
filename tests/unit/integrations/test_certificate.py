"""CERTIFICATE auth (mTLS) against a TLS server on 127.0.0.1 that requires a client certificate
its CA signed: the integration's certificate and key come from its secret."""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.certs import Authority, Issued

EVENT = {"id": "e1", "type": "tool_call", "tool": "ec2_stop_instances", "outcome": "success"}


@dataclass
class MutualTls:
    url: str
    ca: Authority
    # The client certificates' common names, one per request served.
    clients: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority("aws-mcp test CA")


@pytest.fixture
def mtls(authority: Authority) -> Iterator[MutualTls]:
    served = authority.issue("127.0.0.1", server=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=authority.pem)
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder) / "c.pem", Path(folder) / "k.pem"
        cert.write_text(served.certificate)
        key.write_text(served.private_key)
        context.load_cert_chain(cert, key)
    holder: dict[str, MutualTls] = {}

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            peer = self.connection.getpeercert() or {}
            names = [value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"]
            holder["s"].clients.extend(names)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _any  # noqa: N815 - http.server's names

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a refused handshake: the client's failure is what the tests look at

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    holder["s"] = MutualTls(f"https://127.0.0.1:{server.server_address[1]}", authority)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["s"]
    finally:
        server.shutdown()
        server.server_close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def certificate_auth(issued: Issued, ca: str | None) -> dict[str, Any]:
    return {
        "type": "CERTIFICATE",
        "certificate": issued.certificate,
        "private_key": issued.private_key,
        "ca_certificate": ca,
    }


def plugin_for(registry: IntegrationRegistry, endpoint: str, auth: dict[str, Any]) -> Any:
    config = {"name": "m", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": endpoint, "auth": auth}
    made = run(registry.create(IntegrationConfig.model_validate(config), caller="me"))
    assert made.auth.secrets_set == ["certificate", "private_key"]
    assert "PRIVATE KEY" not in made.model_dump_json()
    return run(registry.plugin(made))


def test_a_client_certificate_the_server_trusts_is_presented_on_send_and_check(
    registry: IntegrationRegistry, mtls: MutualTls
) -> None:
    plugin = plugin_for(
        registry,
        mtls.url + "/events",
        certificate_auth(mtls.ca.issue("aws-mcp-client", server=False), mtls.ca.pem)
        | {"type": "CERTIFICATE"},
    )
    assert run(plugin.send(EVENT)).delivered
    plugin.config.health_check.endpoint = mtls.url + "/health"
    assert run(plugin.health_check()) is True
    assert mtls.clients == ["aws-mcp-client", "aws-mcp-client"]


def test_a_certificate_another_ca_signed_is_refused_in_the_handshake(
    registry: IntegrationRegistry, mtls: MutualTls
) -> None:
    stranger = Authority("someone else")
    plugin = plugin_for(
        registry, mtls.url, certificate_auth(stranger.issue("intruder", server=False), mtls.ca.pem)
    )
    result = run(plugin.send(EVENT))
    assert not result.delivered and result.retryable
    assert mtls.clients == []


def test_a_server_the_ca_does_not_vouch_for_is_not_sent_anything(
    registry: IntegrationRegistry, mtls: MutualTls
) -> None:
    other_ca = Authority("not the server's CA")
    plugin = plugin_for(
        registry, mtls.url, certificate_auth(mtls.ca.issue("aws-mcp-client", server=False), other_ca.pem)
    )
    result = run(plugin.send(EVENT))
    assert not result.delivered and "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
    assert mtls.clients == []


def test_a_certificate_that_is_not_pem_or_not_its_key_s_is_refused_without_echoing_it(
    registry: IntegrationRegistry, authority: Authority
) -> None:
    one, other = authority.issue("a", server=False), authority.issue("b", server=False)
    for auth in (
        {"type": "CERTIFICATE", "certificate": "not a certificate", "private_key": one.private_key},
        {"type": "CERTIFICATE", "certificate": one.certificate, "private_key": other.private_key},
        {"type": "CERTIFICATE", "certificate": one.certificate},
    ):
        config = {"name": "m", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": "https://127.0.0.1:9"}
        with pytest.raises(InvalidIntegrationError) as refused:
            run(registry.create(IntegrationConfig.model_validate(config | {"auth": auth}), caller="me"))
        assert "auth.certificate" in str(refused.value)
        assert "PRIVATE KEY" not in str(refused.value) and "BEGIN" not in str(refused.value)
