"""Serving the same app off Lambda: HTTP under uvicorn, or the dispatcher over stdio.

stdio is hand-written: it is a line loop around the dispatcher, and the SDK's
stdio server would bring its whole server stack along for a dozen lines.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from aws_lambda_powertools import Logger

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INTERNAL_ERROR
from aws_mcp.jsontext import dumps_text
from aws_mcp.protocol import Dispatcher
from aws_mcp.protocol.versions import LATEST_LEGACY
from aws_mcp.tools import build_registry

__all__ = ["LOCAL_ORIGINS", "local_settings", "serve_http", "serve_stdio", "server_parts"]

# Browsers on this machine (the Inspector's UI among them) may call a local server.
LOCAL_ORIGINS = ("http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*")


def local_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    settings = Settings.from_env(env)
    if not env.get(ENV.ALLOWED_ORIGINS):
        settings = settings.with_changes(allowed_origins=LOCAL_ORIGINS)
    return settings


@contextmanager
def server_parts(demo: bool) -> Iterator[tuple[Settings, ClientFactory, dict[str, list[str]]]]:
    """Settings and a client factory: the caller's AWS credentials, or the embedded demo AWS."""
    settings = local_settings()
    with ExitStack() as stack:
        if not demo:
            yield settings, ClientFactory(settings), {}
            return
        from aws_mcp_local.demo import running_demo

        aws = stack.enter_context(running_demo())
        settings = aws.settings(settings)
        yield (
            settings,
            ClientFactory(settings, session=aws.session(), endpoint_url=aws.endpoint_url),
            (aws.instance_ids),
        )


def serve_http(host: str, port: int, demo: bool, out: IO[str] = sys.stderr) -> None:
    import uvicorn

    from aws_mcp.http import MCP_PATH, create_app

    with server_parts(demo) as (settings, clients, fleet):
        app = create_app(settings, clients=clients)
        url = f"http://{host}:{port}{MCP_PATH}"
        print(connect_instructions(url, settings, fleet, demo), file=out, flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")


def serve_stdio(
    demo: bool, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout, stderr: IO[str] = sys.stderr
) -> None:
    """Answer newline-delimited JSON-RPC until stdin ends.

    Every request line gets one reply, whatever it holds: a line the server fails on (a bug,
    a value it cannot encode) is answered with a JSON-RPC internal error and logged on stderr,
    and the loop goes on with the next line.
    """
    with server_parts(demo) as (settings, clients, _):
        # stdout is the protocol channel: audit lines go to stderr.
        logger = Logger(service=settings.server_name, logger_handler=logging.StreamHandler(stderr))
        dispatcher = Dispatcher(settings, build_registry(settings, clients, logger=logger))
        context = CallContext(caller="local")
        # Legacy requests run under the revision initialize negotiated (the latest until then).
        version = LATEST_LEGACY
        for number, line in enumerate(_lines(stdin), start=1):
            if not line.strip():
                continue
            message: Any = None
            try:
                if isinstance(line, bytes):
                    line = line.decode("utf-8")  # noqa: PLW2901 - the same line, as text
                message = json.loads(line)
            except (ValueError, RecursionError):
                reply = dispatcher.handle_bytes("", None, context)  # answers with the parse error
                out = dumps_text(reply.body)
            else:
                try:
                    reply = dispatcher.handle(message, None, context, legacy_version=version)
                    if isinstance(message, dict) and message.get("method") == "initialize" and reply.body:
                        version = reply.body.get("result", {}).get("protocolVersion", version)
                    if reply.body is None:
                        continue
                    out = dumps_text(reply.body)
                except Exception as err:  # one line's failure must not end the session
                    print(
                        f"aws-mcp stdio: line {number}: {type(err).__name__}: {err}", file=stderr, flush=True
                    )
                    out = _internal_error(message)
            stdout.write(out + "\n")
            stdout.flush()


def _lines(stdin: IO[str]) -> Iterator[str | bytes]:
    """stdin's lines: as bytes when it has a byte buffer (a line that is not UTF-8 is then a
    parse error rather than the end of the loop), else as text."""
    buffer = getattr(stdin, "buffer", None)
    return iter(buffer) if buffer is not None else iter(stdin)


def _internal_error(message: Any) -> str:
    request_id = message.get("id") if isinstance(message, dict) else None
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        request_id = None
    error = {"code": INTERNAL_ERROR, "message": "Internal error: the server logged it on stderr"}
    try:
        return dumps_text({"jsonrpc": "2.0", "id": request_id, "error": error})
    except Exception:  # an id JSON cannot carry (a lone surrogate): JSON-RPC's "unknown" instead
        return dumps_text({"jsonrpc": "2.0", "id": None, "error": error})


def connect_instructions(url: str, settings: Settings, fleet: dict[str, list[str]], demo: bool) -> str:
    # The command next to this interpreter (the venv's), so the config works from any directory.
    beside = Path(sys.executable).with_name("aws-mcp")
    exe = str(beside) if beside.exists() else shutil.which("aws-mcp") or "aws-mcp"
    stdio_args = '["stdio", "--demo"]' if demo else '["stdio"]'
    where = (
        "the embedded demo AWS ("
        + ", ".join(f"{len(ids)} instances in {region}" for region, ids in fleet.items())
        + "; writes allowed, the AWS is fake)"
        if demo
        else f"your AWS credentials ({settings.access_mode.value}, default region {settings.default_region})"
    )
    return f"""
AWS MCP is serving {where}.

  MCP endpoint   {url}
  Health         {url.rsplit("/", 1)[0]}/health

Connect a client:
  Claude Code     claude mcp add --transport http aws {url}
  Claude Desktop  add to claude_desktop_config.json:
                  {{"mcpServers": {{"aws": {{"command": "{exe}", "args": {stdio_args}}}}}}}
  MCP Inspector   npx @modelcontextprotocol/inspector   (Transport: Streamable HTTP, URL: {url})
                  npx @modelcontextprotocol/inspector --cli {url} --transport http --method tools/list

Press Ctrl+C to stop.
"""
