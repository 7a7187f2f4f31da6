"""The aws-mcp command: serve and stdio bound to 127.0.0.1 unless told otherwise, the provisioning
walkthrough, then the client's very commands, options and version, listed as one command."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import typer
from typer.testing import CliRunner

from aws_mcp_client import cli as client_cli
from aws_mcp_local.cli import app

runner = CliRunner()


def test_the_command_lists_the_server_commands_then_the_client_commands() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert list(typer.main.get_group(app).commands) == [
        "serve",
        "stdio",
        "demo",
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
    ]
    assert all(command in result.output for command in ("serve", "stdio", "test-connection", "list"))


def test_the_client_commands_are_the_client_packages_own() -> None:
    assert app.registered_commands[3:] == client_cli.app.registered_commands


def test_demo_takes_the_walkthrough_options() -> None:
    result = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--server", "--dry-run", "--yes", "--cleanup", "--image-id", "--lambda-role", "--region"):
        assert option in result.output, option


def test_serve_binds_to_loopback_on_port_8000_by_default() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "8000" in result.output and "--demo" in result.output


def test_stdio_takes_demo() -> None:
    result = runner.invoke(app, ["stdio", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--demo" in result.output


def test_an_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["serve", "--colour", "red"])
    assert result.exit_code == 2


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"aws-mcp {version('aws-mcp')}"


def test_a_client_command_loads_neither_the_server_nor_the_sdk_at_start() -> None:
    probe = (
        "import sys, aws_mcp_local.cli; "
        "print(sorted(m for m in ('aws_mcp', 'aws_mcp_local.serve', 'mcp', 'httpx2', 'tenacity') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
