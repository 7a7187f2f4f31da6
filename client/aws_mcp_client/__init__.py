"""The client side of AWS MCP: a resilient MCP client library, a connection manager and the CLI.

Built on the official ``mcp`` SDK's transports and session; what this package adds is a circuit
breaker, retries that are safe for mutations, timeouts, pooled HTTP, auth (bearer, API key, SigV4),
a manager for many servers configured in ``mcp_servers.json``, and a friendly API for our server.
"""

from aws_mcp_client.aws import AWSMCPClient, create_aws_mcp_client
from aws_mcp_client.breaker import BreakerState, CircuitBreaker
from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import (
    AuthConfig,
    AuthKind,
    BreakerPolicy,
    ClientSettings,
    RetryPolicy,
    ServerConfig,
    TransportKind,
)
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.factory import MCPClientFactory
from aws_mcp_client.manager import (
    ConnectResult,
    DiscoveredTool,
    MCPConnectionManager,
    ServerState,
    ServerStatus,
)
from aws_mcp_client.mcp_servers import load_mcp_config
from aws_mcp_client.models import (
    HealthStatus,
    Resource,
    ResourceConfig,
    ResourceFilter,
    ResourcePage,
    ResourceStatus,
    ServerInfo,
)

__all__ = [
    "AWSMCPClient",
    "AuthConfig",
    "AuthKind",
    "BreakerPolicy",
    "BreakerState",
    "CircuitBreaker",
    "ClientSettings",
    "ConnectResult",
    "DiscoveredTool",
    "ErrorCodes",
    "HealthStatus",
    "InfrastructureException",
    "MCPClient",
    "MCPClientFactory",
    "MCPConnectionManager",
    "Resource",
    "ResourceConfig",
    "ResourceFilter",
    "ResourcePage",
    "ResourceStatus",
    "RetryPolicy",
    "ServerConfig",
    "ServerInfo",
    "ServerState",
    "ServerStatus",
    "TransportKind",
    "create_aws_mcp_client",
    "load_mcp_config",
]
