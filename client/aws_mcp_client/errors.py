"""One exception for everything the client can go wrong with: :class:`InfrastructureException`.

The tree has one root; the CLI's failures are a kind of it::

    Exception
    └── InfrastructureException      every error this library raises; .code says which kind
        └── cli.CommandError         a failure the aws-mcp command reports, with its exit code

Callers tell failures apart by :class:`ErrorCodes`, never by message text. Whether a failure is
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
==========================  =======  ==========================================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["RETRYABLE", "ErrorCodes", "InfrastructureException"]


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
        return f"InfrastructureException({self.code.value}, {str(self)!r})"
