"""``aws-mcp proxy URL``: a local stdio MCP server forwarding every message to a deployed endpoint,
signed with SigV4, so desktop clients that launch stdio servers can use ``AuthMode=AWS_IAM``.

One JSON-RPC message a line in, each POSTed as it is, its answer's body out as one line. What
HTTP needs and stdio does not carry is added from the messages themselves, so both protocol eras
pass through unchanged: ``MCP-Protocol-Version`` (a 2026-07-28 message's own ``_meta`` version, or
the legacy revision ``initialize`` settled on), and ``Mcp-Method`` and ``Mcp-Name`` from the body.
Every request gets an answer: an HTTP failure (a refused signature, a timeout) becomes a
JSON-RPC error for that request, said on stderr too. Signing is botocore's, with the local
credential chain (profile, SSO, environment), read for each request, so refreshed credentials
are used as they come.

Hand-written: the SDK's stdio server and HTTP client would each bring a session layer that
interprets messages, where this must pass them through untouched. Requests go one at a time.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterable
from typing import IO, Any, Final

import httpx2

from aws_mcp_client.auth import SigV4Auth

__all__ = ["PROXY_ERROR", "Proxy", "region_of", "run"]

PROTOCOL_VERSION_META: Final = "io.modelcontextprotocol/protocolVersion"
# Methods whose params field 2026-07-28 mirrors into Mcp-Name.
_NAME_FIELD: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
# JSON-RPC error code of answers the proxy makes itself (the server-defined range).
PROXY_ERROR: Final = -32000
_EXECUTE_API: Final = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
_PLAIN_HEADER: Final = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")
# API Gateway gives up after 29 s.
TIMEOUT_S: Final = 35.0


def region_of(url: str) -> str | None:
    """The region of an ``execute-api`` URL, if it is one."""
    found = _EXECUTE_API.match(httpx2.URL(url).host)
    return found[1] if found else None


class Proxy:
    def __init__(self, url: str, client: httpx2.Client, *, err: IO[str] = sys.stderr) -> None:
        self._url = url
        self._client = client
        self._err = err
        # The legacy revision initialize settled on: sent on every later request, as HTTP requires.
        self._legacy_version: str | None = None

    def forward(self, line: str) -> str | None:
        """The line to write back for ``line``, or None (a notification, or a blank line)."""
        if not line.strip():
            return None
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        single = message if isinstance(message, dict) else {}
        request_id = single.get("id")
        try:
            response = self._client.post(self._url, content=line.encode(), headers=self._headers(single))
        except httpx2.HTTPError as err:
            return self._failed(request_id, f"{type(err).__name__}: {err}")
        body = _body(response)
        if body is None:
            if response.status_code >= 400:
                return self._failed(request_id, f"HTTP {response.status_code}: {response.text[:300]}")
            return None
        if single.get("method") == "initialize" and isinstance(body, dict):
            version = (body.get("result") or {}).get("protocolVersion")
            self._legacy_version = version if isinstance(version, str) else None
        if isinstance(body, dict) and "jsonrpc" not in body:
            # Not an MCP answer (API Gateway's own refusal, say {"message": "..."}).
            return self._failed(request_id, f"HTTP {response.status_code}: {json.dumps(body)[:300]}")
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    def _headers(self, message: dict[str, Any]) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        found = message.get("params")
        params: dict[str, Any] = found if isinstance(found, dict) else {}
        meta = params.get("_meta")
        version = meta.get(PROTOCOL_VERSION_META) if isinstance(meta, dict) else None
        method = message.get("method")
        if isinstance(version, str):
            headers["MCP-Protocol-Version"] = version
            if isinstance(method, str):
                headers["Mcp-Method"] = method
                name = params.get(_NAME_FIELD.get(method, ""))
                if isinstance(name, str):
                    headers["Mcp-Name"] = _header_value(name)
        elif self._legacy_version is not None and method != "initialize":
            headers["MCP-Protocol-Version"] = self._legacy_version
        return headers

    def _failed(self, request_id: Any, why: str) -> str | None:
        print(f"aws-mcp proxy: {self._url}: {why}", file=self._err, flush=True)
        if request_id is None:
            return None
        error = {"code": PROXY_ERROR, "message": f"The proxy could not reach the server: {why}"}
        return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


def _header_value(value: str) -> str:
    """A value as an HTTP header carries it: plain, or 2026-07-28's ``=?base64?...?=`` form."""
    if _PLAIN_HEADER.match(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode()).decode('ascii')}?="


def _body(response: httpx2.Response) -> Any:
    """The JSON answer: the body, or an event stream's last message; None when there is none."""
    if not response.content:
        return None
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        return json.loads(data[-1]) if data else None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def run(
    url: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    lines: Iterable[str] = sys.stdin,
    out: IO[str] = sys.stdout,
    err: IO[str] = sys.stderr,
) -> None:
    """Forward ``lines`` to ``url`` until they end, signing each request."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    auth = SigV4Auth(region=region or region_of(url), session=session)
    with httpx2.Client(auth=auth, timeout=TIMEOUT_S) as client:
        proxy = Proxy(url, client, err=err)
        for line in lines:
            answer = proxy.forward(line)
            if answer is not None:
                out.write(answer + "\n")
                out.flush()
