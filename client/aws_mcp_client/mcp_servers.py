"""``mcp_servers.json``: the common ``mcpServers`` format, plus ``enabled``, ``transport`` and ``auth``.

:func:`load_mcp_config` returns an :class:`MCPServersConfig`: ``config.mcpServers`` holds the
servers by name, and the config is itself that mapping. A remote server may be written the
documented way too, its URL in ``command`` and its headers in ``env`` (see ``MCPServerConfig``).

Hand-parsed rather than a pydantic model so that every error names the server and the field, in the
words of the file (``server 'aws', field 'url': ...``), and so ``${VAR}`` is expanded field by field
with the variable's absence reported where it was used.

    {"mcpServers": {
        "aws":        {"url": "https://abc.execute-api.us-east-1.amazonaws.com/dev/mcp",
                       "auth": {"type": "sigv4", "region": "us-east-1"}},
        "everything": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"],
                       "env": {"LOG_DIR": "${HOME}/logs"}, "enabled": false},
        "legacy":     {"url": "http://127.0.0.1:9000/sse", "transport": "sse",
                       "headers": {"Authorization": "Bearer ${LEGACY_TOKEN}"}}
    }}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aws_mcp_client.config import AuthConfig, AuthKind, MCPServerConfig, TransportType
from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = ["MCPServersConfig", "load_mcp_config", "parse_mcp_config"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TRANSPORTS = {
    "stdio": TransportType.STDIO,
    "sse": TransportType.SSE,
    "streamable_http": TransportType.STREAMABLE_HTTP,
    "streamable-http": TransportType.STREAMABLE_HTTP,
    "http": TransportType.STREAMABLE_HTTP,
}
_FIELDS = {"command", "args", "env", "cwd", "url", "headers", "transport", "type", "enabled", "auth", "mode"}
_AUTH_FIELDS = {"type", "token", "key", "header", "region", "service"}


class MCPServersConfig(Mapping[str, MCPServerConfig]):
    """The servers of an ``mcp_servers.json`` by name, in the file's order (``config.mcpServers``)."""

    def __init__(self, servers: Mapping[str, MCPServerConfig]) -> None:
        self.mcpServers: dict[str, MCPServerConfig] = dict(servers)

    def __getitem__(self, name: str) -> MCPServerConfig:
        return self.mcpServers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.mcpServers)

    def __len__(self) -> int:
        return len(self.mcpServers)

    def __repr__(self) -> str:
        return f"MCPServersConfig({list(self.mcpServers)})"


def load_mcp_config(path: str | Path, environ: Mapping[str, str] | None = None) -> MCPServersConfig:
    """Read and validate ``mcp_servers.json``; servers by name, in the file's order."""
    source = Path(path)
    try:
        data = json.loads(source.read_text())
    except OSError as err:
        raise _error(f"{source}: cannot read it ({err.strerror})") from None
    except ValueError as err:
        raise _error(f"{source}: not valid JSON ({err})") from None
    return parse_mcp_config(data, os.environ if environ is None else environ, source=str(source))


def parse_mcp_config(
    data: object, environ: Mapping[str, str], *, source: str = "mcp_servers.json"
) -> MCPServersConfig:
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
        raise _error(f'{source}: expected an object with an "mcpServers" object')
    servers: dict[str, MCPServerConfig] = {}
    for name, entry in data["mcpServers"].items():
        if not _NAME.match(name):
            raise _error(f"{source}: server name {name!r} must be 1-64 letters, digits, '.', '-' or '_'")
        servers[name] = _Entry(name, entry, environ).server()
    return MCPServersConfig(servers)


class _Entry:
    """One server's entry, read field by field."""

    def __init__(self, name: str, entry: object, environ: Mapping[str, str]) -> None:
        self.name = name
        self.environ = environ
        if not isinstance(entry, dict):
            raise self.error(None, "must be an object")
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise self.error(unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
        self.entry: dict[str, Any] = entry

    def server(self) -> MCPServerConfig:
        transport = self.transport()
        declared = {"transport": transport} if transport is not None else {}
        try:
            config = MCPServerConfig(
                **declared,
                name=self.name,
                url=self.text("url"),
                headers=self.mapping("headers"),
                auth=self.auth(),
                command=self.text("command"),
                args=tuple(self.strings("args")),
                env=self.mapping("env"),
                cwd=self.text("cwd"),
                enabled=self.flag("enabled", default=True),
                mode=self.text("mode") or "auto",
            )
            config.check_url()
            return config
        except InfrastructureException as err:
            raise InfrastructureException(err.code, err.message, server=self.name) from None

    def transport(self) -> TransportType | None:
        """As declared; else MCPServerConfig infers it (a URL in command is the documented SSE)."""
        field = "transport" if "transport" in self.entry else "type"
        declared = self.text(field)
        if declared is None:
            return None
        if declared not in _TRANSPORTS:
            raise self.error(field, f"{declared!r} is not one of {', '.join(sorted(_TRANSPORTS))}")
        return _TRANSPORTS[declared]

    def auth(self) -> AuthConfig | None:
        value = self.entry.get("auth")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error("auth", "must be an object")
        unknown = sorted(set(value) - _AUTH_FIELDS)
        if unknown:
            raise self.error(f"auth.{unknown[0]}", "unknown field")
        kind = value.get("type")
        if kind not in {k.value for k in AuthKind}:
            raise self.error("auth.type", f"{kind!r} is not one of {', '.join(k.value for k in AuthKind)}")
        token_field = "key" if kind == AuthKind.API_KEY else "token"
        token = self.expand(f"auth.{token_field}", value.get(token_field))
        if kind != AuthKind.SIGV4 and not token:
            raise self.error(f"auth.{token_field}", f"{kind} authentication needs it")
        return AuthConfig(
            kind=AuthKind(kind),
            token=token,
            header=self.expand("auth.header", value.get("header")) or "x-api-key",
            region=self.expand("auth.region", value.get("region")),
            service=self.expand("auth.service", value.get("service")) or "execute-api",
        )

    def text(self, field: str) -> str | None:
        return self.expand(field, self.entry.get(field))

    def strings(self, field: str) -> list[str]:
        value = self.entry.get(field, [])
        if not isinstance(value, list):
            raise self.error(field, "must be a list of strings")
        return [self.expand(f"{field}[{i}]", item) or "" for i, item in enumerate(value)]

    def mapping(self, field: str) -> dict[str, str]:
        value = self.entry.get(field, {})
        if not isinstance(value, dict):
            raise self.error(field, "must be an object of strings")
        return {key: self.expand(f"{field}.{key}", item) or "" for key, item in value.items()}

    def flag(self, field: str, *, default: bool) -> bool:
        value = self.entry.get(field, default)
        if not isinstance(value, bool):
            raise self.error(field, f"must be true or false, got {value!r}")
        return value

    def expand(self, field: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(field, f"must be a string, got {type(value).__name__}")

        def substitute(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable not in self.environ:
                raise self.error(field, f"${{{variable}}} is not set in the environment")
            return self.environ[variable]

        return _VARIABLE.sub(substitute, value)

    def error(self, field: str | None, why: str) -> InfrastructureException:
        where = f"server {self.name!r}" + (f", field {field!r}" if field else "")
        return InfrastructureException(ErrorCodes.CONFIGURATION_INVALID, f"{where}: {why}", server=self.name)


def _error(message: str) -> InfrastructureException:
    return InfrastructureException(ErrorCodes.CONFIGURATION_INVALID, message)
