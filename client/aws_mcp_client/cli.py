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
        return {**info, "tools": len(info["tools"]), "connected": True}

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
    health = _run(lambda: _health(AWSMCPClient(config=server_config, settings=settings)))
    _render(output, health.model_dump())
    if not health.healthy:
        raise typer.Exit(EXIT_CONNECTION)


async def _health(client: AWSMCPClient) -> Any:
    try:
        return await client.health_status()
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


ProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Only the project's resources (its aws-mcp:project tag)."),
]
RegionOption = Annotated[str | None, typer.Option("--region", help="Default: the server's region.")]
PropertyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--property",
        "-P",
        help="A property, K=V (any case: instanceType=t3.micro); V is JSON if it parses, else text.",
    ),
]
TagOption = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag, key=value.")]
TypeArgument = Annotated[
    str, typer.Argument(help="A Cloud Control type: AWS::S3::Bucket, S3::Bucket, or ec2 (instances).")
]
IdentifierArgument = Annotated[str, typer.Argument(help="The resource's identifier (its primary one).")]
EC2_ALIASES = frozenset({"ec2", "instance", "instances"})
DEFAULT_PROJECT = "default"


def _type_of(resource: str) -> str:
    """The type a CLI word names: ``ec2`` is ``EC2::Instance``; others as given."""
    return "EC2::Instance" if resource.lower() in EC2_ALIASES else resource


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
    resource: TypeArgument,
    *,
    project: ProjectOption = None,
    state: Annotated[
        list[str] | None, typer.Option("--state", help="ec2 only: instances in this state.")
    ] = None,
    tag: TagOption = None,
    region: RegionOption = None,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """List resources of a type, e.g. `list ec2 --state running` or `list S3::Bucket --project web`."""
    tags = dict(_pair(item, "--tag") for item in tag or [])
    if resource.lower() in EC2_ALIASES and project is None:
        _list_instances(state or [], tags, region, server=server, config=config, output=output)
        return
    if state:
        _usage("--state is for ec2 instances; other types are listed as they are")
    from aws_mcp_client.models import ResourceFilter

    where = ResourceFilter(resource_type=_type_of(resource), region=region, tags=tags)

    async def run(client: AWSMCPClient) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in await client.list_resources(project, where)]

    found = _session(server, config, run)
    _render(
        output,
        found,
        columns=("id", "name", "project", "status"),
        rows=[(r["id"], r["name"], r["project_id"], r["status"]) for r in found],
    )


def _list_instances(
    states: list[str],
    tags: dict[str, str],
    region: str | None,
    *,
    server: str | None,
    config: Path,
    output: str,
) -> None:
    """``list ec2``: the EC2 tool's view, with instance states and types."""
    args: dict[str, Any] = {"states": states or None, "tags": tags or None, "region": region}

    async def run(client: AWSMCPClient) -> list[dict[str, Any]]:
        page = await client.call_json("ec2_list_instances", {k: v for k, v in args.items() if v})
        return [
            {"identifier": item.get("instance_id"), **item, "region": page.get("region")}
            for item in page.get("instances", [])
        ]

    found = _session(server, config, run)
    _render(
        output,
        found,
        columns=("identifier", "name", "state", "type", "region"),
        rows=[
            (r.get("instance_id"), r.get("name"), r.get("state"), r.get("instance_type"), r.get("region"))
            for r in found
        ],
    )


AUTH_KINDS = {"sigv4": "sigv4", "api-key": "api_key", "bearer": "bearer"}


@app.command()
@_reports_failures
def get(
    resource: TypeArgument,
    identifier: IdentifierArgument,
    *,
    project: ProjectOption = None,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Show one resource and its properties; exit 1 if there is none."""
    resource_id = f"{_type_of(resource)}/{identifier}"

    async def run(client: AWSMCPClient) -> dict[str, Any] | None:
        found = await client.get_resource(project, resource_id)
        return None if found is None else found.model_dump(mode="json")

    shown = _session(server, config, run)
    if shown is None:
        where = f" in project {project!r}" if project else ""
        raise CommandError(
            ErrorCodes.RESOURCE_NOT_FOUND, f"no resource {resource_id}{where}", EXIT_TOOL_ERROR
        )
    _render(output, shown)


@app.command()
@_reports_failures
def smoke(
    *,
    server: ServerOption = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help="sigv4 (AuthMode=AWS_IAM), api-key or bearer; default: none, or the configured one.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="AWS_MCP_AUTH_TOKEN", help="The API key or bearer token (better: the variable)."
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="sigv4: the endpoint's region; default: AWS_REGION.")
    ] = None,
    expect_access_mode: Annotated[
        str | None,
        typer.Option("--expect-access-mode", help="ReadOnly or ReadWrite: fail unless the server runs so."),
    ] = None,
    audit_wait: Annotated[
        float,
        typer.Option("--audit-wait", min=0, help="Seconds to wait for the read call's audit record."),
    ] = 60.0,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Check a running server end to end: health, both protocol eras, tools/list, a read, its audit
    record, and a write its access mode refuses or lets through (a dry run on no instance). One line
    per check; exit 1 if any fails."""
    from aws_mcp_client.smoke import Smoke, SmokePlan, Status

    settings, server_config = _target(server, config)
    if auth is not None:
        server_config = _with_auth(server_config, auth, token, region)
    try:
        plan = SmokePlan(expect_access_mode=expect_access_mode, audit_wait_s=audit_wait)
        run = Smoke(server_config, settings, plan)
    except InfrastructureException as err:
        _usage(err.message, err.code, err.server)
    checks = asyncio.run(run.run())
    failed = [check for check in checks if check.status is Status.FAIL]
    passed = sum(check.status is Status.PASS for check in checks)
    skipped = len(checks) - passed - len(failed)
    summary = f"smoke {server_config.target}: {passed} passed, {len(failed)} failed, {skipped} skipped"
    if _format(output).value == "table":
        for check in checks:
            typer.echo(check.line)
        typer.echo(summary)
    else:
        _render(output, {"passed": not failed, "summary": summary, "checks": [c.as_dict() for c in checks]})
    if failed:
        raise typer.Exit(EXIT_TOOL_ERROR)


def _with_auth(server_config: Any, auth: str, token: str | None, region: str | None) -> Any:
    from dataclasses import replace

    from aws_mcp_client.config import AuthConfig, AuthKind

    kind = AUTH_KINDS.get(auth.lower())
    if kind is None:
        _usage(f"--auth {auth!r}: expected {', '.join(AUTH_KINDS)}")
    if kind != "sigv4" and not token:
        _usage(f"--auth {auth} needs --token or AWS_MCP_AUTH_TOKEN")
    try:
        return replace(server_config, auth=AuthConfig(AuthKind(kind), token=token, region=region))
    except InfrastructureException as err:
        _usage(err.message, err.code, err.server)


@app.command()
@_reports_failures
def create(
    resource: TypeArgument,
    *,
    prop: PropertyOption = None,
    tag: TagOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Its Name tag (and <Type>Name).")] = None,
    project: Annotated[
        str, typer.Option("--project", "-p", help="The project it belongs to (its aws-mcp:project tag).")
    ] = DEFAULT_PROJECT,
    region: RegionOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be created; create nothing.")
    ] = False,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Create a resource of any Cloud Control type and wait for it.

    Required properties left out are asked for when run in a terminal (else named in the error),
    except those the server fills with a safe default (an instance's image)."""
    from aws_mcp_client.aws import PROJECT_TAG, full_type_name
    from aws_mcp_client.models import ResourceConfig

    properties = _values(prop or [], "--property")
    tags = dict(_pair(item, "--tag") for item in tag or [])
    kind = _type_of(resource)

    async def run(client: AWSMCPClient) -> dict[str, Any]:
        schema = await client.describe_type(kind, region=region)
        given = {key.lower() for key in properties}
        defaults = schema.get("defaults") or {}
        missing = [
            p
            for p in schema.get("required") or []
            if p.lower() not in given and p not in defaults and not _named(p, kind, name)
        ]
        if missing and not _interactive():
            _usage(
                f"{full_type_name(kind)} needs {', '.join(missing)}: give them with --property K=V"
                + (f" (filled by the server when left out: {', '.join(defaults)})" if defaults else "")
            )
        for required in missing:
            properties[required] = _parsed(typer.prompt(f"{required}", err=True))
        config_ = ResourceConfig(type=kind, name=name, properties=properties, tags=tags, region=region)
        if dry_run:
            return {
                "dry_run": True,
                "type": full_type_name(kind),
                "properties": properties,
                "tags": {**tags, **({"Name": name} if name else {}), PROJECT_TAG: project},
                "filled_by_the_server_if_left_out": defaults,
            }
        return (await client.create_resource(project, config_)).model_dump(mode="json")

    _render(output, _session(server, config, run))


@app.command()
@_reports_failures
def update(
    resource: TypeArgument,
    identifier: IdentifierArgument,
    *,
    prop: PropertyOption = None,
    patch: Annotated[
        str | None, typer.Option("--patch", help='An RFC 6902 JSON Patch: [{"op": "add", ...}].')
    ] = None,
    project: ProjectOption = None,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Change a resource's properties (--property K=V, as a JSON Patch of adds; or --patch) and wait."""
    updates = _values(prop or [], "--property")
    operations = _patch(patch) if patch is not None else None
    if (operations is None) == (not updates):
        _usage("give --property K=V (one or more) or --patch JSON, not both")
    resource_id = f"{_type_of(resource)}/{identifier}"

    async def run(client: AWSMCPClient) -> dict[str, Any]:
        if operations is not None:
            changed = await client.patch_resource(project, resource_id, operations)
        else:
            changed = await client.update_resource(project, resource_id, updates)
        return changed.model_dump(mode="json")

    _render(output, _session(server, config, run))


@app.command()
@_reports_failures
def delete(
    resource: TypeArgument,
    identifier: IdentifierArgument,
    *,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
    server: ServerOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    output: OutputOption = "table",
) -> None:
    """Delete a resource and wait; asks first in a terminal, needs --yes elsewhere."""
    resource_id = f"{_type_of(resource)}/{identifier}"
    if not yes:
        if not _interactive():
            _usage(f"deleting {resource_id} needs --yes when not run in a terminal")
        typer.confirm(f"Delete {resource_id}?", abort=True, err=True)

    async def run(client: AWSMCPClient) -> dict[str, Any]:
        deleted = await client.delete_resource(project, resource_id)
        return {"id": resource_id, "deleted": deleted, "status": "DELETED" if deleted else "DELETING"}

    # The user agreed above (or with --yes): the server's plan of the deletion is confirmed.
    _render(output, _session(server, config, run, confirm=lambda plan: True))


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stderr.isatty()


def _named(prop: str, kind: str, name: str | None) -> bool:
    """``--name`` gives the type's ``<Type>Name`` property."""
    return bool(name) and prop.lower() == f"{kind.rsplit('::', 1)[-1]}name".lower()


def _values(pairs: list[str], option: str) -> dict[str, Any]:
    return {key: _parsed(raw) for key, raw in (_pair(pair, option) for pair in pairs)}


def _parsed(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _patch(text: str) -> list[dict[str, Any]]:
    try:
        operations = json.loads(text)
    except ValueError as err:
        _usage(f"--patch is not valid JSON: {err}")
    if not isinstance(operations, list) or not all(
        isinstance(op, dict) and "op" in op and "path" in op for op in operations
    ):
        _usage('--patch must be a JSON Patch: a list of {"op": ..., "path": ...} objects')
    return operations


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
    arguments.update(_values(pairs, "--arg"))
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
    from aws_mcp_client.config import ClientSettings, MCPServerConfig
    from aws_mcp_client.mcp_servers import load_mcp_config

    try:
        settings = ClientSettings.from_env()
        if server is None or server.startswith(("http://", "https://")):
            return settings, MCPServerConfig(name="aws-mcp", url=server or settings.server_url)
        servers = load_mcp_config(config)
    except InfrastructureException as err:
        _usage(err.message, err.code, err.server)
    if server not in servers:
        _usage(
            f"no server {server!r} in {config} (it has: {', '.join(servers) or 'none'})",
            ErrorCodes.UNKNOWN_SERVER,
        )
    return settings, servers[str(server)]


def _session(
    server: str | None,
    config: Path,
    work: Callable[[AWSMCPClient], Awaitable[T]],
    *,
    confirm: Callable[[str], bool] | None = None,
) -> T:
    """Connect to the server, do ``work``, disconnect; errors become messages and exit codes.
    ``confirm`` answers the server's plans of destructive changes (None: each is refused)."""
    from aws_mcp_client.aws import AWSMCPClient

    settings, server_config = _target(server, config)

    async def run() -> T:
        async with AWSMCPClient(config=server_config, settings=settings, confirm=confirm) as client:
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
