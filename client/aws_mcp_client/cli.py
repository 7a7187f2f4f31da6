"""The ``aws-mcp`` command: serve the MCP endpoint locally (HTTP or stdio), with or without the demo AWS."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="aws-mcp",
    help="AWS MCP: serve AWS tools to AI agents over the Model Context Protocol.",
    no_args_is_help=True,
    add_completion=False,
)

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


def main() -> None:
    app()
