"""The client's commands of ``aws-mcp``: talk to MCP servers, ours or any other.

This module serves nothing: ``aws-mcp`` itself (aws_mcp_local.cli) adds ``serve`` and ``stdio`` to
these commands. With the client alone, ``python -m aws_mcp_client`` runs them.
Client commands take ``--server`` (a URL, or a name from ``mcp_servers.json``) and ``--output``.
Exit codes: 0 ok, 1 the tool or server refused (tool error, not found, not supported),
2 usage (bad options or configuration), 3 connection (unreachable, timeout, 5xx, breaker open).
A failure is told on stderr, unwrapped; with ``--output json`` also as ``{"error": {...}}`` on stdout.
Heavy imports (the SDK, the client library) happen inside the commands, so start-up stays lean.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

# errors is an enum and an exception: cheap enough for start-up, and CommandError derives from it.
from aws_mcp_client.errors import ErrorCodes, InfrastructureException

if TYPE_CHECKING:
    from rich.console import Console

    from aws_mcp_client.aws import AWSMCPClient
    from aws_mcp_client.output import OutputFormat

app = typer.Typer(
    name="aws-mcp",
    help="AWS MCP client: talk to MCP servers, ours or any other, over HTTP or stdio.",
    no_args_is_help=True,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        try:
            installed = version("aws-mcp")
        except PackageNotFoundError:
            installed = "unknown"
        typer.echo(f"aws-mcp {installed}")
        raise typer.Exit()


@app.callback()
def options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """The options before any command (aws-mcp's own app takes this callback too)."""


EXIT_OK, EXIT_TOOL_ERROR, EXIT_USAGE, EXIT_CONNECTION = 0, 1, 2, 3
T = TypeVar("T")
P = ParamSpec("P")


class CommandError(InfrastructureException):
    """Why a client command failed: an error code, a message, the server, and the exit code."""

    def __init__(
        self, code: ErrorCodes, message: str, exit_code: int, *, server: str | None = None, label: str = ""
    ) -> None:
        super().__init__(code, message, server=server)
        self.exit_code = exit_code
        self.label = label or code.value
        """What the line on stderr starts with."""


def _reports_failures(command: Callable[P, None]) -> Callable[P, None]:
    """Tell a failure on stderr, and on stdout as a JSON object when the command's output is json."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            if "output" in kwargs:
                _format(str(kwargs["output"]))  # refused before anything is sent, let alone changed
            command(*args, **kwargs)
        except CommandError as failure:
            shown = f"[{failure.server}] {failure.message}" if failure.server else failure.message
            _stderr().print(f"[red]{_escape(failure.label)}:[/] {_escape(shown)}")
            if str(kwargs.get("output", "")).lower() == "json":
                error = {"code": failure.code.value, "message": failure.message, "server": failure.server}
                typer.echo(json.dumps({"error": error}, indent=2, default=str))
            raise typer.Exit(failure.exit_code) from None

    return run


ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        "-s",
        help="Server URL, or a server name from mcp_servers.json. Default: $AWS_MCP_SERVER_URL, "
        "else http://127.0.0.1:8000/mcp.",
    ),
]
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The mcp_servers.json that --server names refer to.")
]
OutputOption = Annotated[
    str, typer.Option("--output", "-o", help="table, json or yaml.", case_sensitive=False)
]
DEFAULT_CONFIG = Path("mcp_servers.json")


@app.command("test-connection")
@_reports_failures
def check_connection(
    server: ServerOption = None, config: ConfigOption = DEFAULT_CONFIG, output: OutputOption = "table"
) -> None:
    """Connect, and show the server's name, version, protocol revision and tool count."""

    async def run(client: AWSMCPClient) -> dict[str, Any]:
        info = await client.get_server_info()
        return {**info.model_dump(exclude={"tools"}), "tools": len(info.tools), "connected": True}

    data = _session(server, config, run)
    _render(output, data)


@app.command("health-check")
@_reports_failures
def health_check(
    server: ServerOption = None, config: ConfigOption = DEFAULT_CONFIG, output: OutputOption = "table"
) -> None:
    """Ask the server whether it answers now, and how fast; exit 3 when it does not."""
    from aws_mcp_client.aws import AWSMCPClient

    settings, server_config = _target(server, config)
    health = _run(lambda: _health(AWSMCPClient(server_config, settings)))
    _render(output, health.model_dump())
    if not health.healthy:
        raise typer.Exit(EXIT_CONNECTION)


async def _health(client: AWSMCPClient) -> Any:
    try:
        return await client.health_check()
    finally:
        await client.disconnect()


@app.command()
@_reports_failures
def tools(
    name: Annotated[str | None, typer.Argument(help="Show this tool's parameters.")] = None,
    *,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """List the server's tools (name, whether it changes anything, what it does), or one tool's parameters."""
    if name is not None:
        _tool(name, server, config, output)
        return

    async def run(client: AWSMCPClient) -> list[dict[str, Any]]:
        listed = []
        for tool in await client.get_tools():
            summary = (tool.description or "").strip().splitlines()[0] if tool.description else ""
            listed.append({"name": tool.name, "kind": _kind(tool), "description": summary})
        return listed

    listed = _session(server, config, run)
    _render(
        output,
        listed,
        columns=("tool", "kind", "description"),
        rows=[(t["name"], t["kind"], t["description"]) for t in listed],
    )


def _tool(name: str, server: str | None, config: Path, output: str) -> None:
    from aws_mcp_client.output import tool_parameters

    async def run(client: AWSMCPClient) -> dict[str, Any]:
        found = {tool.name: tool for tool in await client.get_tools()}
        if name not in found:
            known = ", ".join(found) or "none"
            raise InfrastructureException(
                ErrorCodes.NOT_SUPPORTED,
                f"the server has no tool {name!r} (it has: {known})",
                server=client.name,
            )
        tool = found[name]
        return {
            "name": tool.name,
            "title": tool.title,
            "kind": _kind(tool),
            "description": (tool.description or "").strip(),
            "parameters": tool_parameters(tool.input_schema),
        }

    shown = _session(server, config, run)
    if _format(output).value != "table":
        _render(output, shown)
        return
    console = _stdout()
    console.print(f"[bold]{_escape(shown['name'])}[/] ({shown['kind']}): {_escape(shown['description'])}")
    params = shown["parameters"]
    _render(
        output,
        params,
        columns=("parameter", "type", "required", "description"),
        rows=[(p["name"], p["type"], "yes" if p["required"] else "no", p["description"]) for p in params],
    )


def _kind(tool: Any) -> str:
    hints = tool.annotations
    return "read" if hints and hints.read_only_hint else "write"


@app.command()
@_reports_failures
def call(
    tool: Annotated[str, typer.Argument(help="The tool's name.")],
    *,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg", "-a", help="An argument, name=value; the value is JSON if it parses, else text."
        ),
    ] = None,
    json_args: Annotated[str | None, typer.Option("--json", help="All arguments as one JSON object.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Ask a mutating tool what it would do.")] = False,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Call a tool and print its result; exit 1 if the tool reports an error."""
    arguments = _arguments(arg or [], json_args)

    import mcp_types as types

    async def run(client: AWSMCPClient) -> tuple[bool, Any]:
        if dry_run:
            found = {t.name: t for t in await client.get_tools()}
            if tool in found and "dry_run" not in (found[tool].input_schema.get("properties") or {}):
                _usage(f"{tool} has no dry run")
            arguments["dry_run"] = True
        result = await client.call_tool(tool, arguments)
        texts = [block.text for block in result.content if isinstance(block, types.TextContent)]
        shown = result.structured_content if result.structured_content is not None else "\n".join(texts)
        return bool(result.is_error), shown

    failed, shown = _session(server, config, run)
    if failed:
        text = shown if isinstance(shown, str) else json.dumps(shown, default=str)
        raise CommandError(
            ErrorCodes.TOOL_ERROR,
            text,
            EXIT_TOOL_ERROR,
            server=_server_name(server),
            label=f"{tool} reported an error",
        )
    if isinstance(shown, str) and _format(output).value == "table":
        typer.echo(shown)
    else:
        _render(output, shown)


@app.command()
def proxy(
    url: Annotated[str, typer.Argument(help="The deployed endpoint (the stack's McpEndpoint output).")],
    region: Annotated[
        str | None, typer.Option(help="Region to sign for; default: the URL's, else the credential chain's.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="AWS profile to sign with; default: the chain's.")
    ] = None,
) -> None:
    """Serve MCP on stdin/stdout, forwarding every message to an AuthMode=AWS_IAM endpoint, SigV4-signed."""
    from aws_mcp_client.proxy import run

    try:
        run(url, region=region, profile=profile)
    except InfrastructureException as err:
        _stderr().print(f"aws-mcp proxy: {_escape(err.message)}")
        raise typer.Exit(2) from None


@app.command("list")
@_reports_failures
def list_resources(
    resource: Annotated[
        str, typer.Argument(help="ec2 (instances), or a CloudFormation type like AWS::S3::Bucket.")
    ],
    *,
    state: Annotated[list[str] | None, typer.Option("--state", help="Only resources in this state.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="key=value ('*' for any value).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Default: the server's region.")] = None,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """List resources of a type, e.g. `list ec2 --state running`."""
    from aws_mcp_client.models import ResourceFilter

    tags = dict(_pair(item, "--tag") for item in tag or [])
    where = ResourceFilter(resource_type=resource, region=region, states=tuple(state or ()), tags=tags)

    async def run(client: AWSMCPClient) -> list[dict[str, Any]]:
        page = await client.list_resources(where)
        return [r.model_dump() for r in page.resources]

    found = _session(server, config, run)
    _render(
        output,
        found,
        columns=("identifier", "name", "state", "type", "region"),
        rows=[
            (
                r["identifier"],
                r["properties"].get("name"),
                r["state"],
                r["properties"].get("instance_type"),
                r["region"],
            )
            for r in found
        ],
    )


def _arguments(pairs: list[str], json_args: str | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if json_args:
        try:
            parsed = json.loads(json_args)
        except ValueError as err:
            _usage(f"--json is not valid JSON: {err}")
        if not isinstance(parsed, dict):
            _usage("--json must be a JSON object")
        arguments.update(parsed)
    for pair in pairs:
        name, raw = _pair(pair, "--arg")
        try:
            arguments[name] = json.loads(raw)
        except ValueError:
            arguments[name] = raw
    return arguments


def _pair(item: str, option: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        _usage(f"{option} {item!r}: expected name=value")
    return name, value


def _usage(
    message: str, code: ErrorCodes = ErrorCodes.VALIDATION_FAILED, server: str | None = None
) -> NoReturn:
    raise CommandError(code, message, EXIT_USAGE, server=server, label="Usage error")


def _server_name(server: str | None) -> str:
    """The name errors give the server: its name in mcp_servers.json, else aws-mcp (as _target does)."""
    return server if server and not server.startswith(("http://", "https://")) else "aws-mcp"


def _target(server: str | None, config: Path) -> tuple[Any, Any]:
    """Settings from the environment and the server to talk to: a URL, a configured name, or the default."""
    from aws_mcp_client.config import ClientSettings, ServerConfig
    from aws_mcp_client.mcp_servers import load_mcp_config

    try:
        settings = ClientSettings.from_env()
        if server is None or server.startswith(("http://", "https://")):
            return settings, ServerConfig(name="aws-mcp", url=server or settings.server_url)
        servers = load_mcp_config(config)
    except InfrastructureException as err:
        _usage(err.message, err.code, err.server)
    if server not in servers:
        _usage(
            f"no server {server!r} in {config} (it has: {', '.join(servers) or 'none'})",
            ErrorCodes.UNKNOWN_SERVER,
        )
    return settings, servers[str(server)]


def _session(server: str | None, config: Path, work: Callable[[AWSMCPClient], Awaitable[T]]) -> T:
    """Connect to the server, do ``work``, disconnect; errors become messages and exit codes."""
    from aws_mcp_client.aws import AWSMCPClient

    settings, server_config = _target(server, config)

    async def run() -> T:
        async with AWSMCPClient(server_config, settings) as client:
            return await work(client)

    return _run(run)


def _run(make: Callable[[], Awaitable[T]]) -> T:
    try:
        with _stderr().status("Talking to the server…"):
            return asyncio.run(make())  # type: ignore[arg-type]
    except CommandError:
        raise  # already says how the command ends (a usage error found while talking, say)
    except InfrastructureException as err:
        raise CommandError(err.code, err.message, _exit_code(err), server=err.server) from None


def _exit_code(err: InfrastructureException) -> int:
    from aws_mcp_client.errors import RETRYABLE

    if err.code in RETRYABLE or err.code in (
        ErrorCodes.CIRCUIT_OPEN,
        ErrorCodes.AUTHENTICATION_FAILED,
    ):
        return EXIT_CONNECTION
    if err.code in (ErrorCodes.CONFIGURATION_INVALID, ErrorCodes.UNKNOWN_SERVER):
        return EXIT_USAGE
    return EXIT_TOOL_ERROR


def _format(output: str) -> OutputFormat:
    from aws_mcp_client.output import OutputFormat

    try:
        return OutputFormat(output.lower())
    except ValueError:
        _usage(f"--output {output!r}: expected table, json or yaml")


def _render(output: str, data: Any, **table: Any) -> None:
    from aws_mcp_client.output import render

    render(_stdout(), data, _format(output), **table)


def _stdout() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True)


def _stderr() -> Console:
    from rich.console import Console

    # Soft-wrapped: an error line stays one line whatever the terminal's width (copyable, greppable).
    return Console(stderr=True, soft_wrap=True)


def _escape(text: str) -> str:
    """``text`` shown as written by rich (``[aws-mcp]`` is not a style)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def main() -> None:
    app()
