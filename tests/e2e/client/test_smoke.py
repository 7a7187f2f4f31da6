"""`aws-mcp smoke` against our server: the demo in both access modes, a server with a broken tool,
servers behind API Gateway-like authentication, and no server at all. One line per check; exit 1 on
any failure, 2 on a usage error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.http import create_app
from aws_mcp.server import build_server
from aws_mcp_client.cli import app
from aws_mcp_client.smoke import CHECKS
from aws_mcp_local.demo import DemoAws, seed
from tests.e2e.client.servers import serving
from tests.e2e.conftest import serving_demo

pytestmark = [pytest.mark.slow]
runner = CliRunner()


def smoke(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    result = runner.invoke(
        app,
        ["smoke", "--server", url, *args],
        env={"COLUMNS": "200", "AWS_MCP_MAX_RETRIES": "0", **(env or {})},
    )
    return result.exit_code, result.stdout.splitlines(), result.stderr


def line(lines: list[str], check: str) -> str:
    found = [text for text in lines if text.split(":", 1)[0].split(None, 1)[-1] == check]
    assert len(found) == 1, lines
    return found[0]


@pytest.fixture(scope="module")
def read_only_demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("smoke") / "server.log"
    with serving_demo(log, env={"AWS_MCP_ACCESS_MODE": "ReadOnly"}) as url:
        yield url


def test_every_check_passes_against_the_read_write_demo(demo_url: str) -> None:
    code, lines, _ = smoke(demo_url, "--expect-access-mode", "ReadWrite")
    assert code == 0, lines
    assert [text.split(":", 1)[0] for text in lines[:-1]] == [f"PASS  {check}" for check in CHECKS]
    assert "negotiated 2026-07-28" in line(lines, "protocol 2026-07-28")
    assert "negotiated 2025-11-25" in line(lines, "protocol 2025 handshake")
    assert "found the read call (success, by local" in line(lines, "audit audit_query")
    assert "passed the access guard" in line(lines, "write ec2_stop_instances")
    assert "Nothing was changed" in line(lines, "write ec2_stop_instances")
    assert lines[-1] == f"smoke {demo_url}: 7 passed, 0 failed, 0 skipped"


def test_every_check_passes_against_the_read_only_demo_whose_write_is_refused(
    read_only_demo_url: str,
) -> None:
    code, lines, _ = smoke(read_only_demo_url, "--expect-access-mode", "ReadOnly")
    assert code == 0, lines
    assert "(0 that change things)" in line(lines, "tools/list")
    write = line(lines, "write ec2_stop_instances")
    assert write.startswith("PASS") and "refused, as a ReadOnly server must" in write
    assert "is disabled: this server runs in ReadOnly mode" in write


def test_a_server_in_the_wrong_mode_fails_on_the_lines_that_show_it(read_only_demo_url: str) -> None:
    code, lines, _ = smoke(read_only_demo_url, "--expect-access-mode", "ReadWrite")
    assert code == 1
    assert line(lines, "health").startswith("FAIL") and "the access mode is ReadOnly, expected ReadWrite" in (
        line(lines, "health")
    )
    write = line(lines, "write ec2_stop_instances")
    assert write.startswith("FAIL  write ec2_stop_instances: ReadWrite server: VALIDATION_FAILED")
    assert lines[-1].endswith("5 passed, 2 failed, 0 skipped")


def test_the_json_output_holds_every_check_and_the_verdict(read_only_demo_url: str) -> None:
    code, lines, _ = smoke(read_only_demo_url, "--output", "json", "--audit-wait", "30")
    report = json.loads("\n".join(lines))
    assert code == 0 and report["passed"] is True
    assert [c["check"] for c in report["checks"]] == list(CHECKS)
    assert {c["status"] for c in report["checks"]} == {"pass"}


# -- our server in this process, over uvicorn, on in-process moto ------------------------------------


class StsUnreachable(ClientFactory):
    """The in-process AWS for everything but STS, which nothing answers (127.0.0.1 port 9)."""

    def __init__(self, settings: Settings) -> None:
        session = boto3.Session(region_name="us-east-1")
        super().__init__(settings, session=session)
        self._nowhere = ClientFactory(settings, session=session, endpoint_url="http://127.0.0.1:9")

    def client(self, service: str, region: str, *, state: bool = False, **where: Any) -> Any:
        if service == "sts" and not state:
            return self._nowhere.client(service, region, **where)
        return super().client(service, region, state=state, **where)


class Gate:
    """API Gateway's part: refuses (403) any request, ``/health`` included, without the credentials."""

    def __init__(self, app: Any, header: str, starts: str) -> None:
        self.app, self.header, self.starts = app, header.encode(), starts.encode()
        self.refused = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            sent = dict(scope["headers"]).get(self.header, b"")
            if not sent.startswith(self.starts):
                self.refused += 1
                await send({"type": "http.response.start", "status": 403, "headers": []})
                await send({"type": "http.response.body", "body": b'{"message":"Forbidden"}'})
                return
        await self.app(scope, receive, send)


def our_server(mode: AccessMode, factory: type[ClientFactory] = ClientFactory) -> Any:
    settings = DemoAws("", {}).settings(Settings(access_mode=mode), environ={"AWS_MCP_ACCESS_MODE": mode})
    clients = (
        factory(settings)
        if factory is not ClientFactory
        else ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
    )
    return create_app(settings, build_server(settings, clients).dispatcher)


@pytest.fixture(scope="module")
def moto() -> Iterator[None]:
    with mock_aws():
        seed(endpoint_url=None, parts=())  # the server's tables only
        yield


def test_a_broken_tool_fails_the_smoke_test_on_its_line(moto: None) -> None:
    with serving(our_server(AccessMode.READ_ONLY, StsUnreachable)) as base:
        code, lines, _ = smoke(f"{base}/mcp", "--audit-wait", "5")
    assert code == 1
    read = line(lines, "read aws_whoami")
    assert read.startswith("FAIL  read aws_whoami: the tool reported an error:")
    assert "127.0.0.1:9" in read or "connect" in read.lower()
    # The failed call is on the trail all the same; everything else about the server is fine.
    assert "found the read call (tool_error" in line(lines, "audit audit_query")
    assert lines[-1].endswith("6 passed, 1 failed, 0 skipped")


@pytest.mark.parametrize(
    ("args", "env", "header", "starts"),
    [
        (("--auth", "api-key"), {"AWS_MCP_AUTH_TOKEN": "k3y"}, "x-api-key", "k3y"),
        (("--auth", "bearer", "--token", "t0ken"), {}, "authorization", "Bearer t0ken"),
        (("--auth", "sigv4", "--region", "eu-west-1"), {}, "authorization", "AWS4-HMAC-SHA256 Credential="),
    ],
    ids=["api-key", "bearer", "sigv4"],
)
def test_every_request_carries_the_credentials_asked_for(
    moto: None, args: tuple[str, ...], env: dict[str, str], header: str, starts: str
) -> None:
    gate = Gate(our_server(AccessMode.READ_ONLY), header, starts)
    with serving(gate) as base:
        code, lines, _ = smoke(f"{base}/mcp", *args, env=env)
        assert code == 0 and gate.refused == 0, lines
        code, _, _ = smoke(f"{base}/mcp", "--audit-wait", "0")
    assert code == 1 and gate.refused > 0  # the same server refuses a smoke test without them


def test_without_credentials_the_refusal_is_each_check_s_line(moto: None) -> None:
    gate = Gate(our_server(AccessMode.READ_ONLY), "x-api-key", "k3y")
    with serving(gate) as base:
        code, lines, _ = smoke(f"{base}/mcp")
    assert code == 1
    assert line(lines, "health").startswith(f"FAIL  health: GET {base}/health: HTTP 403")
    assert "AUTHENTICATION_FAILED" in line(lines, "protocol 2026-07-28")
    assert line(lines, "read aws_whoami") == "FAIL  read aws_whoami: not run: no connection to the server"
    assert lines[-1].endswith("0 passed, 7 failed, 0 skipped")


def test_no_server_at_all_fails_every_check() -> None:
    code, lines, _ = smoke("http://127.0.0.1:9/mcp")
    assert code == 1
    assert line(lines, "health").startswith("FAIL  health: GET http://127.0.0.1:9/health: ConnectError")
    assert all(text.startswith("FAIL") for text in lines[:-1]) and len(lines) == 8


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--auth", "api-key"), "--auth api-key needs --token or AWS_MCP_AUTH_TOKEN"),
        (("--auth", "kerberos"), "--auth 'kerberos': expected sigv4, api-key, bearer"),
        (("--expect-access-mode", "Sometimes"), "expected ReadOnly or ReadWrite"),
    ],
)
def test_a_usage_error_exits_2_before_anything_is_sent(args: tuple[str, ...], said: str) -> None:
    code, _, err = smoke("http://127.0.0.1:9/mcp", *args)
    assert code == 2 and said in err
