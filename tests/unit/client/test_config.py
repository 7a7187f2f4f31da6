"""Settings come from the AWS_MCP_* variables once; a bad value is refused naming its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_mcp_client.config import (
    DEFAULT_SERVER_URL,
    ENV,
    CircuitBreakerConfig,
    ClientSettings,
    MCPServerConfig,
    RetryConfig,
    TransportType,
    get_aws_mcp_config,
)
from aws_mcp_client.errors import ErrorCodes, InfrastructureException


def test_without_variables_the_defaults_apply() -> None:
    settings = ClientSettings.from_env({})
    assert settings == ClientSettings()
    assert settings.server_url == DEFAULT_SERVER_URL
    assert settings.retry == RetryConfig(max_retries=3, base_delay=1.0, max_delay=60.0, jitter=True)
    assert settings.breaker == CircuitBreakerConfig(
        failure_threshold=5, recovery_timeout=60, success_threshold=3
    )
    assert settings.timeout == 30


def test_get_aws_mcp_config_reads_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MCP_SERVER_URL", "http://localhost:8000")
    monkeypatch.setenv("AWS_MCP_TIMEOUT", "45")
    monkeypatch.setenv("AWS_MCP_CB_RECOVERY_TIMEOUT", "120")
    config = get_aws_mcp_config()
    assert (config.server_url, config.timeout, config.breaker.recovery_timeout) == (
        "http://localhost:8000",
        45,
        120,
    )


def test_connect_failures_are_not_retried_unless_asked() -> None:
    assert ClientSettings().retry_connect is False


def test_every_variable_is_read() -> None:
    settings = ClientSettings.from_env(
        {
            "AWS_MCP_SERVER_URL": "https://example.com/dev/mcp",
            "AWS_MCP_TIMEOUT": "12.5",
            "AWS_MCP_POOL_SIZE": "4",
            "AWS_MCP_MAX_RETRIES": "0",
            "AWS_MCP_BASE_DELAY": "0.25",
            "AWS_MCP_MAX_DELAY": "8",
            "AWS_MCP_EXPONENTIAL_BASE": "3",
            "AWS_MCP_ENABLE_JITTER": "false",
            "AWS_MCP_CB_FAILURE_THRESHOLD": "7",
            "AWS_MCP_CB_RECOVERY_TIMEOUT": "60",
            "AWS_MCP_CB_SUCCESS_THRESHOLD": "1",
            "AWS_MCP_DEBUG_LOGGING": "yes",
            "AWS_MCP_LOG_REQUESTS": "1",
            "AWS_MCP_LOG_RESPONSES": "on",
            "AWS_MCP_RETRY_CONNECT": "true",
        }
    )
    assert settings == ClientSettings(
        server_url="https://example.com/dev/mcp",
        timeout=12.5,
        pool_size=4,
        retry=RetryConfig(max_retries=0, base_delay=0.25, max_delay=8.0, exponential_base=3.0, jitter=False),
        breaker=CircuitBreakerConfig(failure_threshold=7, recovery_timeout=60.0, success_threshold=1),
        debug_logging=True,
        log_requests=True,
        log_responses=True,
        retry_connect=True,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS_MCP_TIMEOUT", "soon"),
        ("AWS_MCP_TIMEOUT", "-1"),
        ("AWS_MCP_POOL_SIZE", "0"),
        ("AWS_MCP_POOL_SIZE", "2.5"),
        ("AWS_MCP_MAX_RETRIES", "-1"),
        ("AWS_MCP_BASE_DELAY", "0"),
        ("AWS_MCP_ENABLE_JITTER", "maybe"),
        ("AWS_MCP_CB_FAILURE_THRESHOLD", "none"),
        ("AWS_MCP_CB_RECOVERY_TIMEOUT", "0"),
        ("AWS_MCP_LOG_REQUESTS", "2"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(InfrastructureException) as raised:
        ClientSettings.from_env({name: value})
    assert raised.value.code is ErrorCodes.CONFIGURATION_INVALID
    assert name in str(raised.value) and repr(value) in str(raised.value)


def test_values_that_contradict_each_other_name_the_variables_that_set_them() -> None:
    with pytest.raises(InfrastructureException) as raised:
        ClientSettings.from_env({"AWS_MCP_BASE_DELAY": "10", "AWS_MCP_MAX_DELAY": "5"})
    assert "max_delay" in str(raised.value)
    assert "AWS_MCP_BASE_DELAY" in str(raised.value) and "AWS_MCP_MAX_DELAY" in str(raised.value)


def test_a_stdio_server_needs_a_command_and_an_http_one_a_url() -> None:
    with pytest.raises(InfrastructureException, match="server 'local', field 'command'"):
        MCPServerConfig(name="local", transport=TransportType.STDIO)
    with pytest.raises(InfrastructureException, match="server 'remote', field 'url'"):
        MCPServerConfig(name="remote", transport=TransportType.SSE)
    placeholder = MCPServerConfig(name="remote", url="ftp://example.com")  # made; refused on connecting
    with pytest.raises(InfrastructureException, match=r"server 'remote', field 'url': 'ftp://example\.com'"):
        placeholder.check_url()
    with pytest.raises(InfrastructureException, match="server 'remote', field 'mode'"):
        MCPServerConfig(name="remote", url="http://127.0.0.1/mcp", mode="sometimes")


def test_every_client_setting_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    names = [value for key, value in vars(ENV).items() if key.isupper()]
    assert len(names) == 15
    assert [name for name in names if f"`{name}`" not in readme] == []
