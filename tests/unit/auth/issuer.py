"""A local OAuth issuer with its own keys: a JWKS served on 127.0.0.1 and tokens it signs."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["Issuer", "local_issuer"]


@dataclass
class Issuer:
    url: str  # the issuer (iss); its JWKS is at url + /.well-known/jwks.json
    keys: dict[str, Any] = field(default_factory=dict)  # kid → private key, all published
    fetches: list[float] = field(default_factory=list)

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def new_key(self) -> str:
        kid = uuid.uuid4().hex[:8]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            published.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": published}

    def token(self, *, kid: str | None = None, key: Any = None, **claims: Any) -> str:
        kid = kid or next(iter(self.keys))
        now = int(time.time())
        payload = {
            "iss": self.url,
            "sub": "user-1",
            "aud": "aws-mcp",
            "iat": now,
            "exp": now + 300,
            "scope": "aws-mcp/read",
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@contextmanager
def local_issuer() -> Iterator[Issuer]:
    """An issuer whose JWKS is served on 127.0.0.1 until the block ends."""
    issuer = Issuer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(issuer.jwks()).encode()
            issuer.fetches.append(time.monotonic())
            self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    issuer.new_key()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
