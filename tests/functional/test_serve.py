"""``aws-mcp serve``: the port it binds, the hosts it answers, the credentials it reports, demo settings.

The subprocess tests run the real command on a free 127.0.0.1 port; without ``--demo`` it
starts in a second, with no AWS behind it (the credential check makes no network call).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp_local.demo import DemoAws
from aws_mcp_local.serve import connect_instructions, local_session, serve_stdio, trusted_hosts

REPO = Path(__file__).resolve().parents[2]
AWS_MCP = Path(sys.executable).with_name("aws-mcp")
DEMO = DemoAws(endpoint_url="http://127.0.0.1:9", instance_ids={"us-east-1": ["i-1"]})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def no_credentials_environment(home: Path) -> dict[str, str]:
    """An environment where boto3 finds no credentials anywhere, and asks no metadata service."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# -- Host ------------------------------------------------------------------------------------------


class TestTrustedHosts:
    def test_the_local_names_on_the_bound_port_are_trusted(self) -> None:
        assert set(trusted_hosts("127.0.0.1", 8123, Settings())) == {
            "127.0.0.1:8123",
            "localhost:8123",
            "[::1]:8123",
        }

    def test_allowed_hosts_add_names(self) -> None:
        settings = Settings.from_env({ENV.ALLOWED_HOSTS: "mcp.internal, box:9000"})
        assert {"mcp.internal", "box:9000"} <= set(trusted_hosts("127.0.0.1", 8123, settings))

    def test_a_bound_name_is_trusted(self) -> None:
        assert "devbox.lan:8123" in trusted_hosts("devbox.lan", 8123, Settings())


# -- credentials -----------------------------------------------------------------------------------


class TestCredentials:
    def test_missing_credentials_are_named_with_how_to_fix_them(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.delenv(name, raising=False)
        for name, value in no_credentials_environment(tmp_path).items():
            monkeypatch.setenv(name, value)
        _, problem = local_session()
        assert problem is not None
        for advice in ("AWS_PROFILE", "aws configure", "aws sso login", "AWS_ACCESS_KEY_ID"):
            assert advice in problem

    def test_an_unknown_profile_is_named_and_the_session_still_works(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        for name, value in no_credentials_environment(tmp_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
        session, problem = local_session()
        assert problem is not None and "no-such-profile" in problem
        assert session.client("sts", region_name="us-east-1") is not None

    def test_stdio_says_what_is_missing_on_stderr_and_still_answers(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.delenv(name, raising=False)
        for name, value in no_credentials_environment(tmp_path).items():
            monkeypatch.setenv(name, value)
        stdout, stderr = io.StringIO(), io.StringIO()
        serve_stdio(False, io.StringIO('{"jsonrpc":"2.0","id":1,"method":"ping"}\n'), stdout, stderr)
        assert "No usable AWS credentials" in stderr.getvalue()
        assert json.loads(stdout.getvalue()) == {"jsonrpc": "2.0", "id": 1, "result": {}}

    def test_credentials_in_the_environment_are_no_problem(self) -> None:
        assert local_session()[1] is None


# -- the demo's settings ---------------------------------------------------------------------------


class TestDemoSettings:
    def test_the_demo_allows_writes_by_default(self) -> None:
        assert DEMO.settings(Settings(), {}).access_mode is AccessMode.READ_WRITE

    def test_the_demo_honours_an_access_mode_set_in_the_environment(self) -> None:
        environ = {ENV.ACCESS_MODE: "ReadOnly"}
        settings = DEMO.settings(Settings.from_env(environ), environ)
        assert settings.access_mode is AccessMode.READ_ONLY

    def test_the_demo_reads_with_a_timeout_that_fits_its_fake_aws(self) -> None:
        assert DEMO.settings(Settings(), {}).aws_read_timeout == 60.0

    def test_a_read_timeout_set_in_the_environment_wins(self) -> None:
        environ = {ENV.AWS_READ_TIMEOUT: "7"}
        assert DEMO.settings(Settings.from_env(environ), environ).aws_read_timeout == 7.0

    @pytest.mark.parametrize(("mode", "says"), [("ReadOnly", "ReadOnly"), ("ReadWrite", "writes allowed")])
    def test_the_banner_says_which_mode_the_demo_runs_in(self, mode: str, says: str) -> None:
        environ = {ENV.ACCESS_MODE: mode}
        settings = DEMO.settings(Settings.from_env(environ), environ)
        assert says in connect_instructions("http://127.0.0.1:8000/mcp", settings, DEMO.instance_ids, True)


# -- the real command ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``aws-mcp serve`` with no AWS credentials: its base URL and its stderr log."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AWS_MCP), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=no_credentials_environment(home),
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                httpx.get(base + "/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
class TestServingWithoutCredentials:
    def test_the_banner_says_what_is_missing_and_how_to_fix_it(
        self, without_credentials: tuple[str, Path]
    ) -> None:
        banner = without_credentials[1].read_text()
        assert "No usable AWS credentials" in banner
        assert "aws configure" in banner and "AWS_PROFILE" in banner
        assert "is serving your AWS credentials" not in banner

    def test_health_is_degraded_with_the_reason(self, without_credentials: tuple[str, Path]) -> None:
        health = httpx.get(without_credentials[0] + "/health").json()
        assert health["status"] == "degraded"
        assert "AWS_PROFILE" in health["problems"][0]

    def test_a_foreign_host_cannot_read_health(self, without_credentials: tuple[str, Path]) -> None:
        response = httpx.get(without_credentials[0] + "/health", headers={"host": "evil.example"})
        assert response.status_code == 421


@pytest.mark.slow
def test_a_port_in_use_is_said_plainly_before_any_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(AWS_MCP), "serve", "--demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=no_credentials_environment(tmp_path),
        )
    assert done.returncode == 2
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "PORT=" in done.stderr and "--port" in done.stderr
    assert "Connect a client" not in done.stderr + done.stdout


def test_make_run_takes_a_port() -> None:
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert "serve --demo --port 8123" in dry.stdout
