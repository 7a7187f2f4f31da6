"""mcp_servers.json is read in the common mcpServers format; every error names the server and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aws_mcp_client.config import AuthConfig, AuthKind, MCPServerConfig, TransportType
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.mcp_servers import MCPServersConfig, load_mcp_config, parse_mcp_config

ENV = {"HOME": "/home/me", "TOKEN": "s3cret", "PORT": "9000"}


def parse(servers: dict[str, Any]) -> MCPServersConfig:
    return parse_mcp_config({"mcpServers": servers}, ENV)


def refused(servers: dict[str, Any]) -> str:
    with pytest.raises(InfrastructureException) as raised:
        parse(servers)
    assert raised.value.code is ErrorCodes.CONFIGURATION_INVALID
    return str(raised.value)


def test_a_file_with_every_kind_of_server_is_read_in_order_with_variables_expanded(tmp_path: Path) -> None:
    path = tmp_path / "mcp_servers.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "aws": {
                        "url": "https://api.example.com/dev/mcp",
                        "auth": {"type": "sigv4", "region": "eu-west-1"},
                    },
                    "everything": {
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-everything"],
                        "env": {"LOG_DIR": "${HOME}/logs"},
                        "enabled": False,
                    },
                    "legacy": {
                        "url": "http://127.0.0.1:${PORT}/sse",
                        "transport": "sse",
                        "headers": {"Authorization": "Bearer ${TOKEN}"},
                        "mode": "legacy",
                    },
                    "keyed": {
                        "type": "http",
                        "url": "http://h/mcp",
                        "auth": {"type": "api_key", "key": "${TOKEN}"},
                    },
                }
            }
        )
    )
    servers = load_mcp_config(path, ENV)
    assert list(servers) == ["aws", "everything", "legacy", "keyed"]
    assert servers["aws"] == MCPServerConfig(
        name="aws",
        url="https://api.example.com/dev/mcp",
        auth=AuthConfig(kind=AuthKind.SIGV4, region="eu-west-1"),
    )
    everything = servers["everything"]
    assert everything.transport is TransportType.STDIO and not everything.enabled
    assert everything.args == ("-y", "@modelcontextprotocol/server-everything")
    assert everything.env == {"LOG_DIR": "/home/me/logs"}
    legacy = servers["legacy"]
    assert legacy.transport is TransportType.SSE and legacy.url == "http://127.0.0.1:9000/sse"
    assert legacy.headers == {"Authorization": "Bearer s3cret"} and legacy.mode == "legacy"
    assert servers["keyed"].auth == AuthConfig(kind=AuthKind.API_KEY, token="s3cret")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"url": "http://h/${NOPE}"}, "server 'bad', field 'url': ${NOPE} is not set"),
        ({"command": "x", "env": {"K": "${NOPE}"}}, "server 'bad', field 'env.K': ${NOPE} is not set"),
        ({"command": "x", "args": ["ok", "${NOPE}"]}, "server 'bad', field 'args[1]': ${NOPE} is not set"),
        (
            {"url": "http://h", "transport": "carrier-pigeon"},
            "server 'bad', field 'transport': 'carrier-pigeon'",
        ),
        ({"url": "http://h", "enabled": "yes"}, "server 'bad', field 'enabled': must be true or false"),
        ({"url": "http://h", "colour": "red"}, "server 'bad', field 'colour': unknown field"),
        ({"command": "x", "args": "-y"}, "server 'bad', field 'args': must be a list"),
        ({"url": 42}, "server 'bad', field 'url': must be a string"),
        ({"transport": "stdio"}, "server 'bad', field 'command'"),
        ({"url": "localhost:8000"}, "server 'bad', field 'url'"),
        ({"url": "http://h", "auth": {"type": "bearer"}}, "server 'bad', field 'auth.token'"),
        ({"url": "http://h", "auth": {"type": "magic"}}, "server 'bad', field 'auth.type'"),
        ({"url": "http://h", "auth": {"type": "sigv4", "secret": "x"}}, "server 'bad', field 'auth.secret'"),
        ("http://h", "server 'bad': must be an object"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_server_and_the_field(entry: Any, expected: str) -> None:
    assert expected in refused({"good": {"url": "http://h/mcp"}, "bad": entry})


def test_a_file_without_mcp_servers_or_with_a_bad_name_is_refused() -> None:
    with pytest.raises(InfrastructureException, match='"mcpServers" object'):
        parse_mcp_config({"servers": {}}, ENV)
    assert "server name 'a b'" in refused({"a b": {"url": "http://h"}})


def test_an_unreadable_or_malformed_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InfrastructureException, match="cannot read it"):
        load_mcp_config(tmp_path / "missing.json", ENV)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(InfrastructureException, match=r"broken\.json: not valid JSON"):
        load_mcp_config(broken, ENV)


def test_the_documented_file_reads_a_remote_servers_url_from_command_and_its_headers_from_env() -> None:
    config = parse_mcp_config(
        {
            "mcpServers": {
                "filesystem": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-filesystem", "/data"],
                    "enabled": True,
                    "transport": "stdio",
                    "env": {"DEBUG": "true"},
                },
                "api": {
                    "command": "http://api.example.com/mcp",
                    "enabled": True,
                    "transport": "sse",
                    "env": {"Authorization": "Bearer ${TOKEN}"},
                },
            }
        },
        ENV,
    )
    assert list(config.mcpServers) == ["filesystem", "api"] == list(config)
    api = config["api"]
    assert api.transport is TransportType.SSE and api.url == "http://api.example.com/mcp"
    assert api.headers == {"Authorization": "Bearer s3cret"} and api.command is None and api.env == {}
    filesystem = config.mcpServers["filesystem"]
    assert filesystem.transport is TransportType.STDIO and filesystem.env == {"DEBUG": "true"}
    assert filesystem.args == ("-y", "@modelcontextprotocol/server-filesystem", "/data")


def test_a_url_in_command_without_a_transport_is_the_documented_sse() -> None:
    assert parse({"api": {"command": "https://h/mcp"}})["api"].transport is TransportType.SSE
    assert parse({"api": {"url": "https://h/mcp"}})["api"].transport is TransportType.STREAMABLE_HTTP
    assert parse({"local": {"command": "node"}})["local"].transport is TransportType.STDIO


def test_a_config_without_a_name_is_named_for_its_package_or_host() -> None:
    stdio = MCPServerConfig(command="npx", args=["-y", "@modelcontextprotocol/server-filesystem", "/data"])
    assert stdio.name == "server-filesystem"
    assert MCPServerConfig(command="http://api.example.com/mcp", transport=TransportType.SSE).name == (
        "api.example.com"
    )
