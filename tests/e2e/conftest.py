"""End-to-end fixtures: ``aws-mcp serve --demo`` as a real subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from mcp.client.stdio import StdioServerParameters

STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0


def aws_mcp_executable() -> str:
    """The ``aws-mcp`` next to the running interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("aws-mcp")
    found = str(beside) if beside.exists() else shutil.which("aws-mcp")
    if found is None:
        pytest.fail("aws-mcp is not installed: run `make install`")
    return found


def server_env() -> dict[str, str]:
    """This environment minus anything that would change what the demo server does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_MCP_")}
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(proc: subprocess.Popen[bytes], base: str) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def stdio_demo() -> StdioServerParameters:
    """How the SDK's stdio client launches ``aws-mcp stdio --demo``."""
    return StdioServerParameters(command=aws_mcp_executable(), args=["stdio", "--demo"], env=server_env())


@contextmanager
def serving_demo(log_path: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``aws-mcp serve --demo`` on a free port of 127.0.0.1 for as long as the block runs: its MCP URL.

    ``env``: settings for the server over :func:`server_env` (``AWS_MCP_ACCESS_MODE=ReadOnly``, say).
    """
    with log_path.open("wb") as log:
        for _attempt in range(3):
            port = _free_port()
            proc = subprocess.Popen(
                [aws_mcp_executable(), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**server_env(), **(env or {})},
            )
            try:
                base = f"http://127.0.0.1:{port}"
                if _healthy(proc, base):
                    yield f"{base}/mcp"
                    return
            finally:
                _stop(proc)
            # Another process took the port between picking and binding it: try another.
    pytest.fail(f"aws-mcp serve --demo did not become healthy:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The MCP endpoint of a demo server shared by the session's HTTP tests; always terminated."""
    with serving_demo(tmp_path_factory.mktemp("e2e") / "server.log") as url:
        yield url


@pytest.fixture
def fresh_demo_url(tmp_path: Path) -> Iterator[str]:
    """A demo server of the test's own, as seeded: for a test that reads what others may change."""
    with serving_demo(tmp_path / "server.log") as url:
        yield url
