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


# Not add_typer(): a nameless sub-app's callback (--version) is dropped with a warning.
app.registered_commands.extend(client_cli.app.registered_commands)


def main() -> None:
    app()
