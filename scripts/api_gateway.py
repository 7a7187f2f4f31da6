"""API Gateway's REST proxy in front of the emulated function: HTTP on 127.0.0.1, one proxy event a request.

The Lambda emulator (lambda_emulator.py) takes events, not HTTP; a client (the smoke test, the SDK)
speaks HTTP. This plays the part API Gateway plays in the stack: each request becomes a REST API
proxy event (payload 1.0, shaped as events/ are: make_events.proxy_event, signed in as its fixed IAM
caller), the function's proxy response becomes the HTTP answer. One invocation at a time, as one
Lambda instance takes them. Authentication is not checked: API Gateway does that before the
function, and the emulator has no IAM.

Hand-written on the standard library's HTTP server: sam local start-api does this, but needs Docker.
"""

from __future__ import annotations

import base64
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_events

Invoke = Callable[[Mapping[str, Any]], Mapping[str, Any]]

# Headers API Gateway sets itself (or that describe this hop only), not passed on as the client sent them.
_HOP_HEADERS = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "content-length"})
_MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


class Gateway:
    """``invoke`` (an emulator's) behind HTTP on a free port of 127.0.0.1; as a context manager, stopped
    however the block ends."""

    def __init__(self, invoke: Invoke) -> None:
        self._invoke = invoke
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the gateway is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """The function's proxy response to one request (the HTTP handler's work, callable alone)."""
        passed = {name: value for name, value in headers.items() if name.lower() not in _HOP_HEADERS}
        text = body.decode("utf-8") if body else None
        event = make_events.proxy_event(uuid.uuid4().hex, method, path, passed, text)
        with self._lock:
            return dict(self._invoke(event))

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > _MAX_BODY:
                    self._send(413, {"content-type": "application/json"}, b'{"message":"Request too large"}')
                    return
                body = self.rfile.read(length) if length else b""
                path = self.path.partition("?")[0]
                try:
                    response = gateway.answer(self.command, path, dict(self.headers.items()), body)
                except Exception as err:  # the function or the emulator failed: API Gateway's 502
                    message = f'{{"message":"Internal server error: {type(err).__name__}"}}'
                    self._send(502, {"content-type": "application/json"}, message.encode())
                    return
                raw = response.get("body") or ""
                payload = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode("utf-8")
                headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
                self._send(int(response.get("statusCode", 502)), headers, payload)

            def _send(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in _HOP_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = do_OPTIONS = _relay  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> Gateway:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
