"""One exception for everything the client can go wrong with: :class:`InfrastructureException`.

The tree has one root; the transport failures seed 004 names, and the CLI's failures, are kinds of it::

    Exception
    └── InfrastructureException      every error this library raises; .code says which kind
        ├── MCPConnectionError       not connected: unreachable, connection lost, breaker open, disabled
        ├── MCPTimeoutError          no answer in time
        ├── MCPTransportError        HTTP 401/403/429/5xx, or an answer that is not valid MCP
        └── cli.CommandError         a failure the aws-mcp command reports, with its exit code

The code decides the class: ``InfrastructureException(ErrorCodes.TIMEOUT, ...)`` *is* an
:class:`MCPTimeoutError`, so ``except MCPTimeoutError`` and ``e.code == ErrorCodes.TIMEOUT`` always
agree, whoever raised it. Callers tell failures apart by :class:`ErrorCodes` (or those three classes),
never by message text. Whether a failure is
worth retrying is a property of its code (``retryable``, the codes in ``RETRYABLE``): the request
may not have been answered. An answer the server gave on purpose is never retried.

==========================  =======  ==========================================================
code                        retried  means
==========================  =======  ==========================================================
AWS_MCP_CONNECTION_FAILED   yes      the server could not be reached, or the connection broke
TIMEOUT                     yes      no answer within the request's timeout
RATE_LIMITED                yes      HTTP 429
SERVER_UNAVAILABLE          yes      HTTP 5xx
AUTHENTICATION_FAILED       no       HTTP 401 or 403, or no credentials to sign with
CIRCUIT_OPEN                no       this server's circuit breaker is open: nothing was sent
PROTOCOL_ERROR              no       a JSON-RPC error, another 4xx, or a malformed answer
TOOL_ERROR                  no       the tool ran and reported failure (an ``isError`` result)
RESOURCE_NOT_FOUND          no       the tool reported that the resource does not exist
VALIDATION_FAILED           no       the arguments were refused, by this library or the server
NOT_SUPPORTED               no       the server has no tool for the operation asked for
CONFIGURATION_INVALID       no       a setting, an ``mcp_servers.json`` entry or an argument
UNKNOWN_SERVER              no       the connection manager has no server by that name
SERVER_DISABLED             no       the connection manager's server is disabled
CONFIRMATION_REQUIRED       no       a destructive change the ``confirm`` hook did not agree to
==========================  =======  ==========================================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "RETRYABLE",
    "ErrorCodes",
    "InfrastructureException",
    "MCPConnectionError",
    "MCPTimeoutError",
    "MCPTransportError",
]


class ErrorCodes(StrEnum):
    AWS_MCP_CONNECTION_FAILED = "AWS_MCP_CONNECTION_FAILED"
    """The server could not be reached, or the connection broke (process died, socket closed)."""
    TIMEOUT = "TIMEOUT"
    """No answer within the request's timeout."""
    RATE_LIMITED = "RATE_LIMITED"
    """HTTP 429."""
    SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
    """HTTP 5xx."""
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    """HTTP 401 or 403: the credentials, API key or signature were refused."""
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    """The client's circuit breaker for this server is open: no request was sent."""
    PROTOCOL_ERROR = "PROTOCOL_ERROR"
    """The server answered with a JSON-RPC error."""
    TOOL_ERROR = "TOOL_ERROR"
    """The tool ran and reported failure (an ``isError`` result)."""
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    """The tool reported that the resource does not exist."""
    VALIDATION_FAILED = "VALIDATION_FAILED"
    """The arguments were refused, by this library or by the server."""
    NOT_SUPPORTED = "NOT_SUPPORTED"
    """The server has no tool for the operation asked for."""
    CONFIGURATION_INVALID = "CONFIGURATION_INVALID"
    """A setting, an ``mcp_servers.json`` entry or an argument to this library is wrong."""
    UNKNOWN_SERVER = "UNKNOWN_SERVER"
    """The connection manager has no server by that name."""
    SERVER_DISABLED = "SERVER_DISABLED"
    """The connection manager's server is disabled: enable it before connecting."""
    CONFIRMATION_REQUIRED = "CONFIRMATION_REQUIRED"
    """The server asks for the user's confirmation of a destructive change (the plan is in the
    message), and none was given: nothing was changed."""


RETRYABLE = frozenset(
    {
        ErrorCodes.AWS_MCP_CONNECTION_FAILED,
        ErrorCodes.TIMEOUT,
        ErrorCodes.RATE_LIMITED,
        ErrorCodes.SERVER_UNAVAILABLE,
    }
)


class InfrastructureException(Exception):  # noqa: N818 - the name callers were promised
    """Every error this library raises. ``code`` says what kind; ``server`` which server, if any."""

    def __new__(cls, code: ErrorCodes, *args: Any, **kwargs: Any) -> InfrastructureException:
        # Raised as the root, an error becomes the kind its code belongs to (see the module's tree).
        kind = _KINDS.get(code, cls) if cls is InfrastructureException else cls
        return super().__new__(kind, code, *args)

    def __init__(
        self,
        code: ErrorCodes,
        message: str,
        *,
        server: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"[{server}] {message}" if server else message)
        self.code = code
        self.message = message
        self.server = server
        self.details = details or {}

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}, {str(self)!r})"


class MCPConnectionError(InfrastructureException):
    """Not connected: the server is unreachable, the connection was lost, its breaker is open, or the
    manager's server is disabled or not connected yet."""


class MCPTimeoutError(InfrastructureException):
    """No answer within the request's timeout (30 s unless the request or the settings say otherwise)."""


class MCPTransportError(InfrastructureException):
    """The transport answered, but not with a usable MCP answer: HTTP 401/403, 429 or 5xx, another
    4xx, a JSON-RPC error, or a malformed message."""


_KINDS: dict[ErrorCodes, type[InfrastructureException]] = {
    ErrorCodes.AWS_MCP_CONNECTION_FAILED: MCPConnectionError,
    ErrorCodes.CIRCUIT_OPEN: MCPConnectionError,
    ErrorCodes.SERVER_DISABLED: MCPConnectionError,
    ErrorCodes.TIMEOUT: MCPTimeoutError,
    ErrorCodes.RATE_LIMITED: MCPTransportError,
    ErrorCodes.SERVER_UNAVAILABLE: MCPTransportError,
    ErrorCodes.AUTHENTICATION_FAILED: MCPTransportError,
    ErrorCodes.PROTOCOL_ERROR: MCPTransportError,
}
