"""`aws-mcp smoke` against the built function under the Lambda emulator, as against a deployed stack.

Between the smoke client and the function: API Gateway's REST proxy (scripts/api_gateway.py),
and the stack's audit log subscription, played here by the real ingest code (aws_mcp.audit.ingest)
fed the function's own log lines after each invocation. The function writes only mutating calls'
records to the table itself (AWS_MCP_AUDIT_TABLE_WRITES=mutations, as template.yaml sets it), so
audit_query finds the smoke test's read call only if that path works. AWS is the demo's moto on
127.0.0.1. Both access modes.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from aws_mcp.audit.ingest import AuditIngest, AuditTableWriter
from aws_mcp.config import ENV
from aws_mcp_client.cli import app
from aws_mcp_client.smoke import CHECKS
from aws_mcp_local.demo import DEMO_KEY, DEMO_REGIONS, table_names

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import api_gateway  # noqa: E402
import lambda_emulator  # noqa: E402

pytestmark = pytest.mark.slow
runner = CliRunner()


class LogSubscription:
    """The stack's subscription filter and AuditIngestFunction: the function's audit lines logged since
    the last delivery, in a CloudWatch Logs subscription event, handed to the ingest code."""

    def __init__(self, emulator: lambda_emulator.Emulator, aws_endpoint: str) -> None:
        self._emulator = emulator
        self._seen = 0
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=aws_endpoint,
            region_name=DEMO_REGIONS[0],
            aws_access_key_id=DEMO_KEY,
            aws_secret_access_key=DEMO_KEY,
        )
        self.ingest = AuditIngest(
            AuditTableWriter(dynamodb, table_names()["audit"]),
            retention_days=1,
            logger=logging.getLogger("audit-ingest"),
        )
        self.delivered = 0

    def deliver(self) -> None:
        text = self._emulator.log_text()
        fresh, self._seen = text[self._seen :], len(text)
        lines = [line for line in fresh.splitlines() if '"audit"' in line]
        if lines:
            self.ingest.handle(_subscription_event(lines))
            self.delivered += len(lines)


def _subscription_event(messages: list[str]) -> dict[str, Any]:
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": f"/aws/lambda/{lambda_emulator.FUNCTION}",
        "logStream": "emulator",
        "subscriptionFilters": ["audit-read-only-records"],
        "logEvents": [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


@pytest.fixture(scope="module", params=["ReadOnly", "ReadWrite"])
def stack(
    request: pytest.FixtureRequest, x86_build: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, LogSubscription]]:
    """The access mode, the endpoint's MCP URL and the audit subscription of an emulated stack."""
    mode: str = request.param
    work = tmp_path_factory.mktemp(f"smoke-{mode}")
    try:
        with lambda_emulator.running(x86_build, work, overrides={ENV.ACCESS_MODE: mode}) as live:
            subscription = LogSubscription(live.emulator, live.aws_endpoint)

            def invoke(event: Mapping[str, Any]) -> Mapping[str, Any]:
                answer = live.emulator.invoke(event)
                subscription.deliver()
                return answer

            with api_gateway.Gateway(invoke) as gateway:
                yield mode, gateway.mcp_url, subscription
    except lambda_emulator.EmulatorError as err:
        pytest.fail(str(err))


def smoke(url: str, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["smoke", "--server", url, *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout.splitlines()


def test_the_built_function_passes_every_check_in_its_access_mode(
    stack: tuple[str, str, LogSubscription],
) -> None:
    mode, url, subscription = stack
    code, lines = smoke(url, "--expect-access-mode", mode, "--audit-wait", "20")
    assert code == 0, "\n".join(lines)
    assert [line.split(":", 1)[0] for line in lines[:-1]] == [f"PASS  {check}" for check in CHECKS]
    audit = next(line for line in lines if line.startswith("PASS  audit"))
    # The caller API Gateway names (the events' IAM user), found through the log subscription.
    assert "by arn:aws:iam::123456789012:user/mcp-client" in audit
    assert subscription.delivered > 0
    write = lines[len(CHECKS) - 1]
    if mode == "ReadOnly":
        assert "refused, as a ReadOnly server must" in write
        assert "Deploy the stack with its AccessMode parameter set to ReadWrite" in write
    else:
        assert "passed the access guard" in write and "Nothing was changed" in write


def test_the_emulated_stack_in_the_other_mode_fails_the_smoke_test(
    stack: tuple[str, str, LogSubscription],
) -> None:
    mode, url, _ = stack
    other = "ReadWrite" if mode == "ReadOnly" else "ReadOnly"
    code, lines = smoke(url, "--expect-access-mode", other, "--audit-wait", "0")
    assert code == 1
    assert lines[0].startswith("FAIL  health:") and f"expected {other}" in lines[0]
