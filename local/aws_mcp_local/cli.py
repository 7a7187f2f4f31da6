"""The ``aws-mcp`` command: ``serve`` and ``stdio`` from here, then every client command.

The client package imports nothing of the server, so the one command users know is put together
on this side, which depends on both: the client's commands are the very same objects (options,
output and exit codes), and its ``--version``. The server is imported only when a command
serves, so the client commands start as lean as ``python -m aws_mcp_client``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aws_mcp_client import cli as client_cli

app = typer.Typer(
    name="aws-mcp",
    help="AWS MCP: serve AWS tools to AI agents over the Model Context Protocol.",
    no_args_is_help=True,
    add_completion=False,
)
app.callback()(client_cli.options)

DemoOption = Annotated[
    bool,
    typer.Option("--demo", help="Serve an embedded fake AWS (moto) with a seeded fleet; writes allowed."),
]


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; keep 127.0.0.1 unless you mean it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: DemoOption = False,
) -> None:
    """Serve the MCP endpoint over HTTP at http://HOST:PORT/mcp."""
    from aws_mcp_local.serve import serve_http

    serve_http(host, port, demo)


@app.command()
def stdio(demo: DemoOption = False) -> None:
    """Serve MCP over stdin/stdout, for desktop clients that launch their servers."""
    from aws_mcp_local.serve import serve_stdio

    serve_stdio(demo)


@app.command()
def demo(
    *,
    server: Annotated[
        str | None, typer.Option(help="MCP endpoint URL to run against; default: an embedded demo server.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Ask AWS whether each change would be allowed; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do each step without asking.")] = False,
    cleanup: Annotated[bool, typer.Option("--cleanup", help="Remove everything made, at the end.")] = False,
    image_id: Annotated[
        str | None, typer.Option(help="AMI for the instance; default: the account's newest own image.")
    ] = None,
    lambda_role: Annotated[
        str | None, typer.Option(help="Execution role ARN for the function; default: an existing function's.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Region to build in; default: the server's.")] = None,
) -> None:
    """Provision a VPC, an instance, a database, a bucket and a function step by step through the
    server's own tools, list them, and clean up."""
    from aws_mcp_local.walkthrough import Options, run

    options = Options(
        dry_run=dry_run, yes=yes, cleanup=cleanup, image_id=image_id, lambda_role=lambda_role, region=region
    )
    ok = run(options, server, say=typer.echo, ask=lambda question: typer.confirm(question, default=True))
    raise typer.Exit(0 if ok else 1)


# Not add_typer(): a nameless sub-app's callback (--version) is dropped with a warning.
app.registered_commands.extend(client_cli.app.registered_commands)


def main() -> None:
    app()
