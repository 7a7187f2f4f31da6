"""Serving the same app off Lambda: HTTP under uvicorn, or the dispatcher over stdio.

stdio is hand-written: it is a line loop around the dispatcher, and the SDK's
stdio server would bring its whole server stack along for a dozen lines.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
import botocore.session
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ProfileNotFound

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INTERNAL_ERROR
from aws_mcp.jsontext import dumps_text
from aws_mcp.protocol import Message, StdioSession, parse
from aws_mcp.server import build_server

__all__ = [
    "LOCAL_ORIGINS",
    "ServerParts",
    "connect_instructions",
    "local_session",
    "local_settings",
    "serve_http",
    "serve_stdio",
    "server_parts",
    "trusted_hosts",
]

# Browsers on this machine (the Inspector's UI among them) may call a local server.
LOCAL_ORIGINS = ("http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*")


def local_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    settings = Settings.from_env(env)
    if not env.get(ENV.ALLOWED_ORIGINS):
        settings = settings.with_changes(allowed_origins=LOCAL_ORIGINS)
    return settings


# What to do when boto3 finds no credentials: said at start, on /health and in the banner.
CREDENTIALS_HOWTO = (
    "Set AWS_PROFILE to a profile in ~/.aws/config (make one with `aws configure`, or sign in "
    "with `aws sso login --profile NAME`), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(and AWS_SESSION_TOKEN for temporary ones); then restart. Until then every tool that calls AWS fails."
)
# Exit status when the server cannot start as asked (the CLI's "usage" code).
EXIT_CANNOT_SERVE = 2


@dataclass(frozen=True)
class ServerParts:
    settings: Settings
    clients: ClientFactory
    # The demo's instance ids by region (empty without --demo).
    fleet: dict[str, list[str]]
    # Why the server cannot work as it should (no credentials, ...): /health says "degraded".
    problems: tuple[str, ...] = ()
    # Set once the demo's estate is seeded (None: no demo, or seeded before serving).
    seeded: threading.Event | None = None


def local_session() -> tuple[boto3.Session, str | None]:
    """The caller's boto3 session and, when it has no usable credentials, what is missing.

    Resolving credentials reads the environment and the AWS config files and makes no
    network call (an SSO or assumed role is fetched on first use, so an expired SSO sign-in
    is found by the first tool call, not here).
    """
    try:
        session = boto3.Session()
    except ProfileNotFound as err:
        # Serve anyway, with no profile at all: /health and every tool call say what is wrong.
        bare = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
        name = err.kwargs.get("profile", "")
        return boto3.Session(botocore_session=bare), (
            f"No usable AWS credentials: the profile {name!r} (AWS_PROFILE) is not in your AWS "
            f"config files. {CREDENTIALS_HOWTO}"
        )
    try:
        credentials = session.get_credentials()
    except BotoCoreError as err:
        return session, f"No usable AWS credentials: {err}. {CREDENTIALS_HOWTO}"
    if credentials is None:
        return session, f"No usable AWS credentials were found. {CREDENTIALS_HOWTO}"
    return session, None


@contextmanager
def server_parts(demo: bool, *, seed_in_background: bool = False) -> Iterator[ServerParts]:
    """Settings and a client factory: the caller's AWS credentials, or the embedded demo AWS
    (its estate seeded before serving, or meanwhile: see ``ServerParts.seeded``)."""
    settings = local_settings()
    with ExitStack() as stack:
        if not demo:
            session, problem = local_session()
            yield ServerParts(
                settings, ClientFactory(settings, session=session), {}, (problem,) if problem else ()
            )
            return
        from aws_mcp_local.demo import running_demo

        aws = stack.enter_context(running_demo(seed_in_background=seed_in_background))
        settings = aws.settings(settings)
        yield ServerParts(
            settings,
            ClientFactory(settings, session=aws.session(), endpoint_url=aws.endpoint_url),
            aws.instance_ids,
            seeded=aws.seeded if seed_in_background else None,
        )


def with_integrations_api(mcp: Any, parts: ServerParts, hosts: tuple[str, ...]) -> Any:
    """``mcp`` with the integrations REST API beside it under ``/api/v1`` (same port), when the
    settings name an integrations table (the demo does); the API too answers only trusted hosts."""
    if not parts.settings.integrations_table:
        return mcp
    from aws_mcp.http.app import host_matcher
    from aws_mcp.integrations.api import API_PREFIX
    from aws_mcp.server import integrations_app

    api = integrations_app(parts.settings, parts.clients)
    trusted = host_matcher(hosts)

    async def both(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await mcp(scope, receive, send)
            return
        host = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1")
        if not trusted(host):
            body = b'{"title":"Misdirected request","status":421,"detail":"Host is not this server"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 421,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await api(scope, receive, send)

    return both


def trusted_hosts(host: str, port: int, settings: Settings) -> tuple[str, ...]:
    """The ``Host`` values a local server answers: this machine's names and the bound one, on
    the bound port, plus ``AWS_MCP_ALLOWED_HOSTS`` (a web page elsewhere cannot reach the server
    through DNS rebinding)."""
    bound = f"[{host}]" if ":" in host else host
    names = dict.fromkeys(("127.0.0.1", "localhost", "[::1]", bound))
    return tuple(f"{name}:{port}" for name in names) + settings.allowed_hosts


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (held from now on, so the banner never lies)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def serve_http(host: str, port: int, demo: bool, out: IO[str] = sys.stderr) -> None:
    import uvicorn

    from aws_mcp.http import MCP_PATH, create_app

    # Bind first: a port in use is said before the demo starts and before any banner.
    try:
        sock = listening_socket(host, port)
    except OSError as err:
        reason = (
            f"{host}:{port} is already in use (another server, or an earlier aws-mcp?)"
            if err.errno == errno.EADDRINUSE
            else f"cannot listen on {host}:{port}: {err.strerror or err}"
        )
        print(
            f"aws-mcp: {reason}. Choose another port: aws-mcp serve --port N, or make run PORT=N.",
            file=out,
            flush=True,
        )
        raise SystemExit(EXIT_CANNOT_SERVE) from None
    with sock, server_parts(demo) as parts:
        server = build_server(parts.settings, parts.clients)
        hosts = trusted_hosts(host, port, parts.settings)
        app = with_integrations_api(
            create_app(
                parts.settings,
                server.dispatcher,
                trusted_hosts=hosts,
                problems=parts.problems,
                oauth=server.oauth,
            ),
            parts,
            hosts,
        )
        url = f"http://{host}:{port}{MCP_PATH}"
        print(
            connect_instructions(url, parts.settings, parts.fleet, demo, parts.problems), file=out, flush=True
        )
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


@contextmanager
def background_server(demo: bool) -> Iterator[str]:
    """Serve HTTP on 127.0.0.1 (a free port) in a thread for as long as the block runs; its MCP URL."""
    import threading

    import uvicorn

    from aws_mcp.http import MCP_PATH, create_app

    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    with sock, server_parts(demo) as parts:
        # The audit trail still has every call (the demo's table); its log lines would drown the
        # output of whoever runs this server in the background.
        quiet = Logger(service=parts.settings.server_name, logger_handler=logging.NullHandler())
        hosts = trusted_hosts("127.0.0.1", port, parts.settings)
        app = with_integrations_api(
            create_app(
                parts.settings,
                build_server(parts.settings, parts.clients, logger=quiet).dispatcher,
                trusted_hosts=hosts,
                problems=parts.problems,
            ),
            parts,
            hosts,
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            while not server.started and thread.is_alive():
                thread.join(0.05)
            yield f"http://127.0.0.1:{port}{MCP_PATH}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def serve_stdio(
    demo: bool, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout, stderr: IO[str] = sys.stderr
) -> None:
    """Answer newline-delimited JSON-RPC until stdin ends.

    Every request line gets one reply, whatever it holds: a line the server fails on (a bug,
    a value it cannot encode) is answered with a JSON-RPC internal error and logged on stderr,
    and the loop goes on with the next line.

    With the demo, the handshake and ``tools/list`` are answered while its estate is still being
    seeded (seconds: a client's connect timeout must not run out on it); any other message
    waits for the seed.
    """
    with server_parts(demo, seed_in_background=True) as parts:
        settings, clients = parts.settings, parts.clients
        for problem in parts.problems:
            print(f"aws-mcp stdio: {problem}", file=stderr, flush=True)
        # stdout is the protocol channel: audit lines go to stderr.
        logger = Logger(service=settings.server_name, logger_handler=logging.StreamHandler(stderr))
        # Powertools keeps the handler of the first Logger built for a service in this process
        # (on the stdlib logger named after it): point that one at this session's stderr.
        handlers = logging.getLogger(settings.server_name).handlers
        handler = handlers[0] if handlers else None
        previous = handler.setStream(stderr) if isinstance(handler, logging.StreamHandler) else None
        dispatcher = build_server(settings, clients, logger=logger).dispatcher
        session = StdioSession(dispatcher, CallContext(caller="local"))
        for number, line in enumerate(_lines(stdin), start=1):
            if not line.strip():
                continue
            parsed = parse(line)
            if parts.seeded is not None and _needs_the_estate(parsed):
                parts.seeded.wait()
            try:
                reply = session.answer(parsed)
                if reply.body is None:
                    continue
                out = dumps_text(reply.body)
            except Exception as err:  # one line's failure must not end the session
                print(f"aws-mcp stdio: line {number}: {type(err).__name__}: {err}", file=stderr, flush=True)
                out = _internal_error(parsed.reply_id if isinstance(parsed, Message) else None)
            stdout.write(out + "\n")
            stdout.flush()
        if previous is not None and isinstance(handler, logging.StreamHandler):
            handler.setStream(previous)


# What a client sends before it uses any tool: answered without the demo's estate.
_WITHOUT_ESTATE = frozenset({"initialize", "server/discover", "ping", "tools/list"})


def _needs_the_estate(parsed: object) -> bool:
    method = parsed.method if isinstance(parsed, Message) else None
    return method is not None and method not in _WITHOUT_ESTATE and not method.startswith("notifications/")


def _lines(stdin: IO[str]) -> Iterator[str | bytes]:
    """stdin's lines: as bytes when it has a byte buffer (a line that is not UTF-8 is then a
    parse error rather than the end of the loop), else as text."""
    buffer = getattr(stdin, "buffer", None)
    return iter(buffer) if buffer is not None else iter(stdin)


def _internal_error(request_id: str | int | None) -> str:
    error = {"code": INTERNAL_ERROR, "message": "Internal error: the server logged it on stderr"}
    try:
        return dumps_text({"jsonrpc": "2.0", "id": request_id, "error": error})
    except Exception:  # an id JSON cannot carry (a lone surrogate): JSON-RPC's "unknown" instead
        return dumps_text({"jsonrpc": "2.0", "id": None, "error": error})


def connect_instructions(
    url: str, settings: Settings, fleet: dict[str, list[str]], demo: bool, problems: tuple[str, ...] = ()
) -> str:
    # The command next to this interpreter (the venv's), so the config works from any directory.
    beside = Path(sys.executable).with_name("aws-mcp")
    exe = str(beside) if beside.exists() else shutil.which("aws-mcp") or "aws-mcp"
    stdio_args = '["stdio", "--demo"]' if demo else '["stdio"]'
    mode = (
        "writes allowed, the AWS is fake"
        if settings.allows_writes
        else f"{settings.access_mode.value}, as production by default: write tools hidden"
    )
    where = (
        "the embedded demo AWS ("
        + " and ".join(fleet)
        + ": a fleet of "
        + " + ".join(str(len(ids)) for ids in fleet.values())
        + f" named instances, networks, load balancers, ECS, RDS, Lambda and S3; {mode})"
        if demo
        else f"your AWS credentials ({settings.access_mode.value}, default region {settings.default_region})"
    )
    serving = f"AWS MCP is serving {where}."
    root = url.rsplit("/", 1)[0]
    integrations = (
        f"\n  Integrations   {root}/api/v1/integrations (OpenAPI docs: {root}/api/v1/docs)"
        if settings.integrations_table
        else ""
    )
    if problems:
        serving = "AWS MCP is serving, degraded (see /health):\n\n" + "\n".join(f"  ! {p}" for p in problems)
    return f"""
{serving}

  MCP endpoint   {url}
  Health         {url.rsplit("/", 1)[0]}/health{integrations}

Connect a client:
  Claude Code     claude mcp add --transport http aws {url}
  Claude Desktop  add to claude_desktop_config.json:
                  {{"mcpServers": {{"aws": {{"command": "{exe}", "args": {stdio_args}}}}}}}
  MCP Inspector   npx @modelcontextprotocol/inspector   (Transport: Streamable HTTP, URL: {url})
                  npx @modelcontextprotocol/inspector --cli {url} --transport http --method tools/list

Press Ctrl+C to stop.
"""
