"""The aws-mcp command offers serve and stdio, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from typer.testing import CliRunner

from aws_mcp_client.cli import app

runner = CliRunner()


def test_the_command_lists_its_subcommands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output and "stdio" in result.output


def test_serve_binds_to_loopback_on_port_8000_by_default() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "8000" in result.output and "--demo" in result.output


def test_an_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["serve", "--colour", "red"])
    assert result.exit_code == 2
