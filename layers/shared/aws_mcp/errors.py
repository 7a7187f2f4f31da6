"""The one exception tree of the server, and every JSON-RPC / MCP error code by name.

::

    AwsMcpError
    ├── ConfigurationError      bad settings; raised at start-up, never on a request
    ├── ProtocolError           becomes a JSON-RPC error response (code, message, data)
    │     ... raised with one of the codes below, HTTP status from HTTP_STATUS
    ├── IntegrationError        the integration framework (aws_mcp.integrations); a problem detail
    │     ├── IntegrationNotFoundError       no integration with that id (404)
    │     ├── RevisionConflictError          a write lost to another one (409, with the current revision)
    │     ├── IllegalTransitionError         a lifecycle move not allowed from the current status (409)
    │     ├── InvalidIntegrationError        a configuration its type cannot work with (422)
    │     ├── RateLimitedError               the caller's requests this minute are used up (429)
    │     └── SignatureRejectedError         an inbound event's signature is missing or wrong (401)
    └── ToolError               becomes an ``isError: true`` tool result the agent can act on
          ├── ToolInputError    the arguments failed validation
          ├── AwsCallError      AWS refused or failed; carries the service and error code
          │     └── AwsUnavailableError   throttling, 5xx, timeouts: the service is unhealthy
          │           └── OutcomeUnknownError   a change was sent and no answer came
          ├── AccessDeniedError the call is not allowed (by AWS, or by the server's own rules)
          ├── ConfirmationRequiredError  a destructive change awaits confirmation; nothing done
          ├── BreakerOpenError  the circuit for a service and region is open; no AWS call made
          ├── DeadlineError     the call ran out of time before AWS answered
          └── InProgressError   the same idempotent call is still running elsewhere

Tool failures the agent can fix are results, not protocol errors (MCP tools spec);
only envelope, method and tool-name problems are ``ProtocolError``.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "HEADER_MISMATCH",
    "HTTP_STATUS",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "PARSE_ERROR",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "AccessDeniedError",
    "AwsCallError",
    "AwsMcpError",
    "AwsUnavailableError",
    "BreakerOpenError",
    "ConfigurationError",
    "ConfirmationRequiredError",
    "DeadlineError",
    "IllegalTransitionError",
    "InProgressError",
    "IntegrationError",
    "IntegrationNotFoundError",
    "InvalidIntegrationError",
    "OutcomeUnknownError",
    "ProtocolError",
    "RateLimitedError",
    "RevisionConflictError",
    "SignatureRejectedError",
    "ToolError",
    "ToolInputError",
]

# JSON-RPC 2.0
PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
# MCP 2026-07-28 (basic/index: protocol-defined sub-range)
HEADER_MISMATCH: Final = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY: Final = -32021
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022

# HTTP status for an error code on the 2026-07-28 wire (streamable-http.mdx);
# anything unlisted answers 200 with the error in the body.
HTTP_STATUS: Final[dict[int, int]] = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}


class AwsMcpError(Exception):
    """Root of every exception this package raises on purpose."""


class ConfigurationError(AwsMcpError):
    """A setting is missing or malformed."""


class ProtocolError(AwsMcpError):
    """A request the protocol layer refuses; rendered as a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        # Set once a refused tools/call has its audit record, so it is not recorded twice.
        self.audited = False

    def to_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


# -- integrations (aws_mcp.integrations): each carries the HTTP status of its problem detail ----


class IntegrationError(AwsMcpError):
    """A request about integrations that cannot be done as asked; ``status`` is its HTTP status."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        # Extension members of the RFC 9457 problem detail (current_revision, allowed, ...).
        self.extra = extra


class IntegrationNotFoundError(IntegrationError):
    status = 404
    title = "Integration not found"


class RevisionConflictError(IntegrationError):
    status = 409
    title = "Revision conflict"


class IllegalTransitionError(IntegrationError):
    status = 409
    title = "Illegal status transition"


class InvalidIntegrationError(IntegrationError):
    status = 422
    title = "Invalid integration"


class RateLimitedError(IntegrationError):
    status = 429
    title = "Too many requests"


class SignatureRejectedError(IntegrationError):
    status = 401
    title = "Signature rejected"


class ToolError(AwsMcpError):
    """A tool failed in a way the caller can understand; rendered as ``isError: true``."""


class ToolInputError(ToolError):
    """The tool's arguments did not validate; the message says what to change."""


class AwsCallError(ToolError):
    """An AWS API call failed; :class:`AwsUnavailableError` marks the ones worth retrying."""

    def __init__(self, message: str, *, service: str, code: str) -> None:
        super().__init__(message)
        self.service = service
        self.code = code


class AwsUnavailableError(AwsCallError):
    """The service looks unhealthy (throttling, 5xx, timeout, connection): counts against its breaker."""


class OutcomeUnknownError(AwsUnavailableError):
    """A mutation reached AWS and no answer came back: it may or may not have happened.

    Its idempotency record keeps this outcome, so repeats with the same key are not sent again.
    """


class AccessDeniedError(ToolError):
    """AWS refused the caller's permissions, or the server refused the call itself."""


class ConfirmationRequiredError(ToolError):
    """A destructive change waits for the user's confirmation; nothing was done.

    ``input_required``: the 2026-07-28 input-required result (an elicitation and its
    ``requestState``) to answer with; None: the message is a plan with a confirmation token.
    """

    def __init__(self, message: str, plan: str, input_required: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.plan = plan
        self.input_required = input_required


class BreakerOpenError(ToolError):
    """The breaker for a service and region is open: no AWS call was made."""


class DeadlineError(ToolError):
    """The call would outlive the invocation: answered as a timeout instead of being killed."""


class InProgressError(ToolError):
    """An identical idempotent call is still running; its result will be replayed when done."""
