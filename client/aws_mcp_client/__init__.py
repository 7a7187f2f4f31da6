"""The client side of AWS MCP: a resilient MCP client library, a connection manager and the CLI.

Built on the official ``mcp`` SDK's transports and session; what this package adds is a circuit
breaker, retries that are safe for mutations, timeouts, pooled HTTP, auth (bearer, API key, SigV4),
a manager for many servers configured in ``mcp_servers.json``, and a friendly API for our server.

The package imports lazily (PEP 562): ``aws-mcp serve`` loads the client's CLI through this package and
must not pay for the SDK, httpx2 and tenacity it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_mcp_client.aws import (
        AWSMCPClient,
        create_aws_mcp_client,
    )
    from aws_mcp_client.breaker import BreakerState, CircuitBreaker
    from aws_mcp_client.client import (
        MCPClient,
        MCPSSEClient,
        MCPSTDIOClient,
    )
    from aws_mcp_client.config import (
        AuthConfig,
        AuthKind,
        CircuitBreakerConfig,
        ClientSettings,
        MCPServerConfig,
        RetryConfig,
        TransportType,
        get_aws_mcp_config,
    )
    from aws_mcp_client.errors import (
        ErrorCodes,
        InfrastructureException,
        MCPConnectionError,
        MCPTimeoutError,
        MCPTransportError,
    )
    from aws_mcp_client.factory import MCPClientFactory
    from aws_mcp_client.manager import (
        ConnectResult,
        DiscoveredTool,
        MCPConnectionManager,
        ServerState,
        ServerStatus,
    )
    from aws_mcp_client.mcp_servers import MCPServersConfig, load_mcp_config
    from aws_mcp_client.models import (
        HealthStatus,
        Resource,
        ResourceConfig,
        ResourceFilter,
        ResourceStatus,
    )

__all__ = [
    "AWSMCPClient",
    "AuthConfig",
    "AuthKind",
    "BreakerState",
    "CircuitBreaker",
    "CircuitBreakerConfig",
    "ClientSettings",
    "ConnectResult",
    "DiscoveredTool",
    "ErrorCodes",
    "HealthStatus",
    "InfrastructureException",
    "MCPClient",
    "MCPClientFactory",
    "MCPConnectionError",
    "MCPConnectionManager",
    "MCPSSEClient",
    "MCPSTDIOClient",
    "MCPServerConfig",
    "MCPServersConfig",
    "MCPTimeoutError",
    "MCPTransportError",
    "Resource",
    "ResourceConfig",
    "ResourceFilter",
    "ResourceStatus",
    "RetryConfig",
    "ServerState",
    "ServerStatus",
    "TransportType",
    "create_aws_mcp_client",
    "get_aws_mcp_config",
    "load_mcp_config",
]

_WHERE = {
    "AWSMCPClient": "aws_mcp_client.aws",
    "AuthConfig": "aws_mcp_client.config",
    "AuthKind": "aws_mcp_client.config",
    "BreakerState": "aws_mcp_client.breaker",
    "CircuitBreaker": "aws_mcp_client.breaker",
    "CircuitBreakerConfig": "aws_mcp_client.config",
    "ClientSettings": "aws_mcp_client.config",
    "ConnectResult": "aws_mcp_client.manager",
    "DiscoveredTool": "aws_mcp_client.manager",
    "ErrorCodes": "aws_mcp_client.errors",
    "HealthStatus": "aws_mcp_client.models",
    "InfrastructureException": "aws_mcp_client.errors",
    "MCPClient": "aws_mcp_client.client",
    "MCPClientFactory": "aws_mcp_client.factory",
    "MCPConnectionError": "aws_mcp_client.errors",
    "MCPConnectionManager": "aws_mcp_client.manager",
    "MCPSSEClient": "aws_mcp_client.client",
    "MCPSTDIOClient": "aws_mcp_client.client",
    "MCPServerConfig": "aws_mcp_client.config",
    "MCPServersConfig": "aws_mcp_client.mcp_servers",
    "MCPTimeoutError": "aws_mcp_client.errors",
    "MCPTransportError": "aws_mcp_client.errors",
    "Resource": "aws_mcp_client.models",
    "ResourceConfig": "aws_mcp_client.models",
    "ResourceFilter": "aws_mcp_client.models",
    "ResourceStatus": "aws_mcp_client.models",
    "RetryConfig": "aws_mcp_client.config",
    "ServerState": "aws_mcp_client.manager",
    "ServerStatus": "aws_mcp_client.manager",
    "TransportType": "aws_mcp_client.config",
    "create_aws_mcp_client": "aws_mcp_client.aws",
    "get_aws_mcp_config": "aws_mcp_client.config",
    "load_mcp_config": "aws_mcp_client.mcp_servers",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'aws_mcp_client' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
