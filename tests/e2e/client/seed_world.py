"""The world the seeds' examples assume, built on 127.0.0.1 so they run exactly as written.

The examples name hosts (``http://localhost:8000``, ``http://api.example.com/mcp``,
``http://localhost:8080/sse``), run ``npx -y @modelcontextprotocol/server-filesystem /data``, and
read ``mcp_servers.json`` from the working directory. Rather than edit them, the tests provide:

- ``hosts(table)``: this process resolves each ``(host, port)`` an example names to an address of
  its own in 127.0.0.0/8 (``socket.getaddrinfo``, which asyncio and so httpx use; the port stays the
  example's, so each gets its own loopback address); every other name that is not 127.0.0.0/8 or
  localhost fails to resolve, so nothing an example does can leave the machine.
- ``forwarding(target, address, paths)``: an HTTP server on that address and the example's port
  (``api.example.com`` means port 80: binding it needs root, as this machine's tests run) that
  passes requests on to ``target`` (our demo, server-everything), streaming, with the ``Host``
  header of the target and the example's path mapped to the target's (``/mcp`` → ``/sse`` for
  server-everything's SSE endpoint).
- ``npx_shim(...)``: an ``npx`` for PATH that runs the npm servers pinned by
  ``tests/e2e/client/npm`` (installed by ``make client-servers``) with the pinned node, as npx
  runs a package the project already has, without the registry; directories the example names
  that this machine lacks (``/data``) are given as a temporary one.
- ``everything_sse()``: ``@modelcontextprotocol/server-everything`` in its SSE mode on a free port.
"""

from __future__ import annotations

import contextlib
import os
import random
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.client.servers import free_port, serving

START_TIMEOUT_S = 30.0
_real_getaddrinfo = socket.getaddrinfo
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


def npm_paths() -> tuple[Path, Path]:
    """The pinned npm servers' node_modules and node (from make client-servers)."""
    modules, node = os.environ.get("AWS_MCP_TEST_NPM_SERVERS"), os.environ.get("AWS_MCP_TEST_NODE")
    if not modules or not node:
        pytest.fail("the npm test servers are not installed: run `make client-servers` (make test does)")
    return Path(modules), Path(node)


def loopback_addresses(count: int) -> list[str]:
    """``count`` addresses of 127.0.0.0/8 other than 127.0.0.1, random so parallel runs differ."""
    base = random.randrange(1, 255)
    return [f"127.{base}.{random.randrange(0, 256)}.{n + 1}" for n in range(count)]


@contextlib.contextmanager
def hosts(table: Mapping[tuple[str, int], str]) -> Iterator[None]:
    """Resolve ``(host, port)`` to the loopback address ``table[...]``; refuse names outside this machine."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        wanted = int(port) if port not in (None, "") else 80
        if (name, wanted) in table:
            address = (table[(name, wanted)], wanted)
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
        if name == "localhost" or name.startswith("127.") or name in ("::1", "0.0.0.0"):
            return _real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"{name} is outside this test's world")

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = _real_getaddrinfo


def forwarding_app(target: str, paths: Mapping[str, str] | None = None) -> Any:
    """An ASGI app passing each request on to ``target``, response streamed back."""
    paths = dict(paths or {})

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        query = scope["query_string"].decode()
        url = f"{target}{paths.get(scope['path'], scope['path'])}" + (f"?{query}" if query else "")
        headers = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in _HOP_BY_HOP
        ]
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None)) as client,
            client.stream(scope["method"], url, headers=headers, content=body) as answer,
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status_code,
                    "headers": [
                        (k.encode(), v.encode())
                        for k, v in answer.headers.items()
                        if k.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            # An event stream ends when either side closes it: that is its end, not an error.
            with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):
                async for chunk in answer.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


@contextlib.contextmanager
def forwarding(
    target: str, address: str, port: int, paths: Mapping[str, str] | None = None
) -> Iterator[None]:
    """``address:port`` passing its requests on to ``target``."""
    with serving(forwarding_app(target, paths), host=address, port=port):
        yield


def npx_shim(directory: Path, data_dirs: Mapping[str, Path]) -> Path:
    """Write ``directory/npx``: ``npx [-y] @modelcontextprotocol/<server> ARGS`` from the pinned install."""
    modules, node = npm_paths()
    cases = "\n".join(
        f"    {shlex.quote(name)}) args+=({shlex.quote(str(path))}) ;;" for name, path in data_dirs.items()
    )
    script = f"""#!/bin/bash
# npx for the seeds' examples: the pinned npm servers, no registry (tests/e2e/client/seed_world.py).
set -euo pipefail
[[ "${{1:-}}" == "-y" || "${{1:-}}" == "--yes" ]] && shift
package="$1"; shift
args=()
for arg in "$@"; do
  case "$arg" in
{cases}
    *) args+=("$arg") ;;
  esac
done
exec {shlex.quote(str(node))} {shlex.quote(str(modules))}/"$package"/dist/index.js "${{args[@]}}"
"""
    path = directory / "npx"
    path.write_text(script)
    path.chmod(0o755)
    return path


@contextlib.contextmanager
def everything_sse() -> Iterator[str]:
    """server-everything's SSE mode on a free 127.0.0.1 port: its base URL (``/sse``, ``/message``)."""
    modules, node = npm_paths()
    port = free_port()
    script = modules / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
    process = subprocess.Popen(
        [str(node), str(script), "sse"],
        env={"PATH": os.environ.get("PATH", ""), "PORT": str(port), "HOME": os.environ.get("HOME", "/")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "server-everything (sse) exited"
            assert time.monotonic() < deadline, "server-everything (sse) did not start"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
