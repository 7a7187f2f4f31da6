"""Each client command of `aws-mcp` against our demo server over HTTP: its output and its exit code.

Exit codes: 0 ok, 1 tool error, 2 usage, 3 connection.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aws_mcp_client.cli import app
from tests.e2e.client.servers import free_port

pytestmark = [pytest.mark.slow]
runner = CliRunner()
MISSING = "i-0123456789abcdef0"


def aws_mcp(*args: str, url: str | None = None) -> tuple[int, str, str]:
    argv = [*args, "--server", url] if url else list(args)
    result = runner.invoke(app, argv, env={"COLUMNS": "200", "AWS_MCP_MAX_RETRIES": "0"})
    return result.exit_code, result.stdout, result.stderr


def test_test_connection_names_the_server_and_its_protocol(demo_url: str) -> None:
    code, out, _ = aws_mcp("test-connection", url=demo_url)
    assert code == 0 and "aws-mcp" in out and "2026-07-28" in out
    code, out, _ = aws_mcp("test-connection", "--output", "json", url=demo_url)
    info = json.loads(out)
    assert code == 0 and info["connected"] is True and info["tools"] >= 6


def test_test_connection_to_nothing_exits_3() -> None:
    code, _, err = aws_mcp("test-connection", url=f"http://127.0.0.1:{free_port()}/mcp")
    assert code == 3 and "AWS_MCP_CONNECTION_FAILED: [aws-mcp] cannot reach" in err


def test_a_failure_with_json_output_is_a_json_error_object_on_stdout() -> None:
    code, out, _ = aws_mcp("tools", "-o", "json", url="http://127.0.0.1:9/mcp")
    error = json.loads(out)["error"]
    assert code == 3 and error["code"] == "AWS_MCP_CONNECTION_FAILED" and error["server"] == "aws-mcp"
    assert error["message"].startswith("cannot reach http://127.0.0.1:9/mcp")


def test_an_unreachable_server_is_reported_at_once_with_the_default_retries() -> None:
    started = time.monotonic()
    result = runner.invoke(
        app, ["test-connection", "--server", "http://127.0.0.1:9/mcp"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 3 and "AWS_MCP_CONNECTION_FAILED" in result.stderr
    # Retrying would sleep 1 + 2 + 4 s and more; refusing takes milliseconds. Loose on a busy machine.
    assert time.monotonic() - started < 5.0


def test_health_check_reports_healthy_or_exits_3(demo_url: str) -> None:
    code, out, _ = aws_mcp("health-check", "--output", "yaml", url=demo_url)
    assert code == 0 and yaml.safe_load(out)["healthy"] is True
    code, out, _ = aws_mcp("health-check", "-o", "json", url=f"http://127.0.0.1:{free_port()}/mcp")
    assert code == 3 and json.loads(out)["healthy"] is False


def test_tools_lists_every_tool_with_its_kind(demo_url: str) -> None:
    code, out, _ = aws_mcp("tools", url=demo_url)
    assert code == 0 and "ec2_list_instances" in out and "audit_query" in out
    code, out, _ = aws_mcp("tools", "-o", "json", url=demo_url)
    kinds = {tool["name"]: tool["kind"] for tool in json.loads(out)}
    assert kinds["ec2_describe_instance"] == "read" and kinds["ec2_stop_instances"] == "write"


def test_tools_with_a_name_shows_that_tools_parameters(demo_url: str) -> None:
    code, out, _ = aws_mcp("tools", "ec2_stop_instances", url=demo_url)
    assert code == 0 and "Stop running EC2 instances" in out
    row = next(line for line in out.splitlines() if "instance_ids" in line)
    assert "array of string" in row and "yes" in row and "Instances to stop." in row
    code, out, _ = aws_mcp("tools", "ec2_stop_instances", "-o", "json", url=demo_url)
    shown = json.loads(out)
    assert code == 0 and shown["name"] == "ec2_stop_instances" and shown["kind"] == "write"
    parameters = {p["name"]: p for p in shown["parameters"]}
    assert parameters["instance_ids"]["required"] is True and parameters["dry_run"]["required"] is False
    assert parameters["dry_run"]["type"] == "boolean"
    code, out, err = aws_mcp("tools", "no_such_tool", "-o", "json", url=demo_url)
    assert code == 1 and json.loads(out)["error"]["code"] == "NOT_SUPPORTED" and "no_such_tool" in err


def test_call_prints_the_structured_result(demo_url: str) -> None:
    code, out, _ = aws_mcp("call", "aws_whoami", "-o", "json", url=demo_url)
    assert code == 0 and json.loads(out)["region"] == "us-east-1"
    code, out, _ = aws_mcp(
        "call", "ec2_list_instances", "--json", '{"region": "eu-west-1"}', "-o", "json", url=demo_url
    )
    assert code == 0 and json.loads(out)["region"] == "eu-west-1"


def test_call_shows_nested_values_in_a_table_as_readable_text(demo_url: str) -> None:
    code, out, _ = aws_mcp("call", "ec2_list_instances", "--json", '{"region": "eu-west-1"}', url=demo_url)
    assert code == 0 and '{"' not in out
    assert "name=api-eu-prod-1, state=running" in out and "env=prod," in out


def test_call_of_a_failing_tool_exits_1_with_its_message(demo_url: str) -> None:
    code, _, err = aws_mcp("call", "ec2_describe_instance", "--arg", f"instance_id={MISSING}", url=demo_url)
    assert code == 1 and "NotFound" in err
    code, out, _ = aws_mcp(
        "call", "ec2_describe_instance", "--arg", f"instance_id={MISSING}", "-o", "json", url=demo_url
    )
    error = json.loads(out)["error"]
    assert code == 1 and error["code"] == "TOOL_ERROR" and "NotFound" in error["message"]
    assert error["server"] == "aws-mcp"


def test_call_with_a_malformed_argument_or_output_is_a_usage_error(demo_url: str) -> None:
    assert aws_mcp("call", "aws_whoami", "--arg", "no-equals-sign", url=demo_url)[0] == 2
    assert aws_mcp("call", "aws_whoami", "--json", "[1]", url=demo_url)[0] == 2
    assert aws_mcp("call", "aws_whoami", "--output", "xml", url=demo_url)[0] == 2
    code, _, err = aws_mcp("call", "aws_whoami", "--dry-run", url=demo_url)
    assert code == 2 and "no dry run" in err


def test_call_with_dry_run_asks_a_mutating_tool_and_changes_nothing(demo_url: str) -> None:
    code, out, _ = aws_mcp("list", "ec2", "--state", "running", "-o", "json", url=demo_url)
    running = json.loads(out)[0]["identifier"]
    code, out, _ = aws_mcp(
        "call",
        "ec2_stop_instances",
        "--arg",
        f'instance_ids=["{running}"]',
        "--dry-run",
        "-o",
        "json",
        url=demo_url,
    )
    result = json.loads(out)
    assert code == 0 and result["dry_run"] is True and result["changes"] == []
    code, out, _ = aws_mcp(
        "call", "ec2_describe_instance", "-a", f"instance_id={running}", "-o", "json", url=demo_url
    )
    assert json.loads(out)["instance"]["state"] == "running"


def test_list_ec2_filters_by_state_and_region(demo_url: str) -> None:
    code, out, _ = aws_mcp(
        "list", "ec2", "--state", "stopped", "--region", "eu-west-1", "-o", "json", url=demo_url
    )
    found = json.loads(out)
    assert code == 0 and found and {r["state"] for r in found} == {"stopped"}
    assert {r["region"] for r in found} == {"eu-west-1"}
    code, out, _ = aws_mcp("list", "ec2", "--state", "running", url=demo_url)
    assert code == 0 and "running" in out and "stopped" not in out


def test_list_of_a_type_the_server_cannot_list_exits_1(demo_url: str) -> None:
    code, _, err = aws_mcp("list", "AWS::S3::Bucket", url=demo_url)
    assert code == 1 and "cloudcontrol_list_resources" in err


def test_a_server_name_is_looked_up_in_mcp_servers_json(demo_url: str, tmp_path: Path) -> None:
    config = tmp_path / "mcp_servers.json"
    config.write_text(json.dumps({"mcpServers": {"demo": {"url": demo_url}}}))
    code, out, _ = aws_mcp("tools", "--server", "demo", "--config", str(config), "-o", "json")
    assert code == 0 and any(tool["name"] == "aws_whoami" for tool in json.loads(out))
    code, _, err = aws_mcp("tools", "--server", "elsewhere", "--config", str(config))
    assert code == 2 and "no server 'elsewhere'" in err
    config.write_text(json.dumps({"mcpServers": {"demo": {"url": "${UNSET_FOR_THIS_TEST}"}}}))
    code, _, err = aws_mcp("tools", "--server", "demo", "--config", str(config))
    assert code == 2 and "field 'url'" in err
