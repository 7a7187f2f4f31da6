"""The client's commands (``python -m aws_mcp_client``, and in ``aws-mcp``): they are listed, they
serve nothing, the version, and how they report errors (unwrapped on stderr; as a JSON object on
stdout with --output json)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import typer
from typer.testing import CliRunner

from aws_mcp_client.cli import app

runner = CliRunner()


def test_starting_the_command_loads_neither_the_sdk_nor_the_client_library() -> None:
    probe = (
        "import sys, aws_mcp_client.cli; "
        "print(sorted(m for m in ('mcp', 'httpx2', 'tenacity') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


CLIENT_COMMANDS = (
    "test-connection",
    "health-check",
    "tools",
    "call",
    "proxy",
    "list",
    "get",
    "smoke",
    "create",
    "update",
    "delete",
)


def test_the_client_commands_are_listed() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    for command in CLIENT_COMMANDS:
        assert command in result.output


def test_the_client_commands_serve_nothing() -> None:
    assert list(typer.main.get_group(app).commands) == list(CLIENT_COMMANDS)
    assert runner.invoke(app, ["serve"]).exit_code == 2


def test_an_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["tools", "--colour", "red"])
    assert result.exit_code == 2


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"aws-mcp {version('aws-mcp')}"


LONG = "an-argument-without-an-equals-sign-" * 4


def test_error_text_is_not_wrapped_at_the_terminal_width() -> None:
    result = runner.invoke(app, ["call", "aws_whoami", "--arg", LONG], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert f"Usage error: --arg '{LONG}': expected name=value" in result.stderr.splitlines()


def test_a_usage_error_with_json_output_is_a_json_error_object_on_stdout() -> None:
    result = runner.invoke(app, ["call", "aws_whoami", "--arg", "oops", "--output", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {
            "code": "VALIDATION_FAILED",
            "message": "--arg 'oops': expected name=value",
            "server": None,
        }
    }
    assert "expected name=value" in result.stderr


def test_a_usage_error_with_table_output_prints_nothing_on_stdout() -> None:
    result = runner.invoke(app, ["call", "aws_whoami", "--json", "[1]"])
    assert result.exit_code == 2 and result.stdout == ""


def test_a_bad_output_format_is_refused_before_talking_to_the_server() -> None:
    result = runner.invoke(
        app, ["call", "ec2_stop_instances", "--output", "xml", "--server", "http://127.0.0.1:9/mcp"]
    )
    assert result.exit_code == 2 and "--output 'xml'" in result.stderr
