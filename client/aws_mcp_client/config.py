"""Client settings, read once from the environment into frozen dataclasses and passed down.

Nothing below reads ``os.environ`` except :meth:`ClientSettings.from_env` (which
:func:`get_aws_mcp_config` calls); everything else takes its settings as an argument, so tests build
them directly. A bad value is refused with the name of the variable that held it.

The names and defaults are the documented ones (seeds 000 and 004): :class:`CircuitBreakerConfig`,
:class:`RetryConfig`, :class:`MCPServerConfig`, :class:`TransportType`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self, TypeVar

from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = [
    "DEFAULT_SERVER_URL",
    "ENV",
    "AuthConfig",
    "AuthKind",
    "CircuitBreakerConfig",
    "ClientSettings",
    "MCPServerConfig",
    "RetryConfig",
    "TransportType",
    "get_aws_mcp_config",
]

DEFAULT_SERVER_URL = "http://127.0.0.1:8000/mcp"


class ENV:
    """The variables :meth:`ClientSettings.from_env` reads."""

    SERVER_URL = "AWS_MCP_SERVER_URL"
    TIMEOUT = "AWS_MCP_TIMEOUT"
    POOL_SIZE = "AWS_MCP_POOL_SIZE"
    MAX_RETRIES = "AWS_MCP_MAX_RETRIES"
    RETRY_CONNECT = "AWS_MCP_RETRY_CONNECT"
    BASE_DELAY = "AWS_MCP_BASE_DELAY"
    MAX_DELAY = "AWS_MCP_MAX_DELAY"
    EXPONENTIAL_BASE = "AWS_MCP_EXPONENTIAL_BASE"
    ENABLE_JITTER = "AWS_MCP_ENABLE_JITTER"
    CB_FAILURE_THRESHOLD = "AWS_MCP_CB_FAILURE_THRESHOLD"
    CB_RECOVERY_TIMEOUT = "AWS_MCP_CB_RECOVERY_TIMEOUT"
    CB_SUCCESS_THRESHOLD = "AWS_MCP_CB_SUCCESS_THRESHOLD"
    DEBUG_LOGGING = "AWS_MCP_DEBUG_LOGGING"
    LOG_REQUESTS = "AWS_MCP_LOG_REQUESTS"
    LOG_RESPONSES = "AWS_MCP_LOG_RESPONSES"


@dataclass(frozen=True)
class RetryConfig:
    """Exponential backoff: ``base_delay * exponential_base**n`` before retry ``n`` (from 0), plus jitter,
    never more than ``max_delay``.

    ``max_retries`` counts retries, not attempts: 3 means up to 4 attempts. Jitter adds 0-50% of the
    delay at random, so many clients do not retry in step.
    """

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    exponential_base: float = 2.0
    jitter: bool = True

    def delay(
        self, attempt: int, jitter: bool | None = None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait before retry ``attempt`` (0 for the first); ``jitter`` overrides the policy's."""
        try:
            exact = min(self.max_delay, self.base_delay * self.exponential_base ** max(attempt, 0))
        except OverflowError:
            exact = self.max_delay
        if self.jitter if jitter is None else jitter:
            return min(self.max_delay, exact * (1.0 + 0.5 * rand()))
        return exact

    def __post_init__(self) -> None:
        _check(self.max_retries >= 0, "max_retries", self.max_retries, "a whole number >= 0")
        _check(self.base_delay > 0, "base_delay", self.base_delay, "a number > 0")
        _check(self.max_delay >= self.base_delay, "max_delay", self.max_delay, "a number >= base_delay")
        _check(self.exponential_base >= 1, "exponential_base", self.exponential_base, "a number >= 1")


@dataclass(frozen=True)
class CircuitBreakerConfig:
    """Open after ``failure_threshold`` failures in a row; probe after ``recovery_timeout`` seconds;
    close after ``success_threshold`` probe successes."""

    failure_threshold: int = 5
    recovery_timeout: float = 60.0
    success_threshold: int = 3

    def __post_init__(self) -> None:
        _check(
            self.failure_threshold >= 1, "failure_threshold", self.failure_threshold, "a whole number >= 1"
        )
        _check(self.recovery_timeout > 0, "recovery_timeout", self.recovery_timeout, "a number > 0")
        _check(
            self.success_threshold >= 1, "success_threshold", self.success_threshold, "a whole number >= 1"
        )


@dataclass(frozen=True)
class ClientSettings:
    """How every client behaves: timeouts, pool, retries, breaker, logging."""

    server_url: str = DEFAULT_SERVER_URL
    timeout: float = 30.0
    """Seconds per request (and for connecting)."""
    pool_size: int = 10
    """Most HTTP connections one server's pooled client keeps open."""
    retry: RetryConfig = field(default_factory=RetryConfig)
    breaker: CircuitBreakerConfig = field(default_factory=CircuitBreakerConfig)
    retry_connect: bool = False
    """Retry failures to reach the server at all (refused, unreachable, connect timeout) by ``retry``.
    Off, the first one is reported at once: a server that is not there rarely appears in seconds."""
    auto_idempotency_key: bool = True
    """Give mutating calls to tools that accept an ``idempotency_key`` one, so they may be retried."""
    debug_logging: bool = False
    log_requests: bool = False
    log_responses: bool = False

    def __post_init__(self) -> None:
        _check(self.timeout > 0, "timeout", self.timeout, "a number > 0")
        _check(self.pool_size >= 1, "pool_size", self.pool_size, "a whole number >= 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        read = _Reader(env)
        # Unset variables take the dataclasses' defaults: the documented ones, written once.
        default, retry, breaker = cls(), RetryConfig(), CircuitBreakerConfig()
        return cls(
            server_url=read(ENV.SERVER_URL, str, default.server_url),
            timeout=read(ENV.TIMEOUT, _positive_float, default.timeout),
            pool_size=read(ENV.POOL_SIZE, _positive_int, default.pool_size),
            retry=read.policy(
                RetryConfig,
                max_retries=(ENV.MAX_RETRIES, _non_negative_int, retry.max_retries),
                base_delay=(ENV.BASE_DELAY, _positive_float, retry.base_delay),
                max_delay=(ENV.MAX_DELAY, _positive_float, retry.max_delay),
                exponential_base=(ENV.EXPONENTIAL_BASE, _positive_float, retry.exponential_base),
                jitter=(ENV.ENABLE_JITTER, _bool, retry.jitter),
            ),
            retry_connect=read(ENV.RETRY_CONNECT, _bool, default.retry_connect),
            breaker=read.policy(
                CircuitBreakerConfig,
                failure_threshold=(ENV.CB_FAILURE_THRESHOLD, _positive_int, breaker.failure_threshold),
                recovery_timeout=(ENV.CB_RECOVERY_TIMEOUT, _positive_float, breaker.recovery_timeout),
                success_threshold=(ENV.CB_SUCCESS_THRESHOLD, _positive_int, breaker.success_threshold),
            ),
            debug_logging=read(ENV.DEBUG_LOGGING, _bool, default.debug_logging),
            log_requests=read(ENV.LOG_REQUESTS, _bool, default.log_requests),
            log_responses=read(ENV.LOG_RESPONSES, _bool, default.log_responses),
        )

    def with_changes(self, **changes: Any) -> Self:
        return replace(self, **changes)


def get_aws_mcp_config(environ: Mapping[str, str] | None = None) -> ClientSettings:
    """The client's settings from the ``AWS_MCP_*`` environment variables (:class:`ENV`), defaults for
    the unset ones: ``config.server_url``, ``config.timeout``, ``config.retry``, ``config.breaker``, ..."""
    return ClientSettings.from_env(environ)


class TransportType(StrEnum):
    STDIO = "stdio"
    """A local server, launched as a subprocess that speaks JSON-RPC on stdin/stdout."""
    SSE = "sse"
    """The HTTP+SSE transport (protocol 2024-11-05): a GET event stream, answers POSTed back."""
    STREAMABLE_HTTP = "streamable_http"
    """Streamable HTTP, today's HTTP transport (our server's)."""


class AuthKind(StrEnum):
    BEARER = "bearer"
    API_KEY = "api_key"
    SIGV4 = "sigv4"


@dataclass(frozen=True)
class AuthConfig:
    """How HTTP requests prove who sends them: a bearer token, an API key header, or SigV4."""

    kind: AuthKind
    token: str | None = None
    """The bearer token, or the API key."""
    header: str = "x-api-key"
    """The API key's header."""
    region: str | None = None
    """SigV4: the endpoint's region (else the AWS default region)."""
    service: str = "execute-api"
    """SigV4: the service to sign for; API Gateway is ``execute-api``."""

    def __post_init__(self) -> None:
        if self.kind in (AuthKind.BEARER, AuthKind.API_KEY) and not self.token:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID, f"{self.kind.value} authentication needs a token"
            )


@dataclass(frozen=True, kw_only=True)
class MCPServerConfig:
    """Where one MCP server is and how to reach it.

    As documented, a remote server may be given the ``command`` way: the URL in ``command`` and its
    HTTP headers in ``env`` (``MCPServerConfig(command="http://host/mcp", env={"Authorization": ...},
    transport=TransportType.SSE)``); it is read as ``url`` and ``headers``. For a stdio server ``env``
    is the process's environment, over a minimal inherited set (PATH, HOME, ...).

    ``transport`` may be left out: a URL in ``url`` means Streamable HTTP, a URL in ``command`` the
    documented SSE, anything else in ``command`` stdio. ``name`` may be left out too: it is then made
    from the URL's host or the command's package.
    """

    command: str | None = None
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    transport: TransportType = None  # type: ignore[assignment]  # None: inferred in __post_init__
    name: str = ""
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: AuthConfig | None = None
    cwd: str | None = None
    enabled: bool = True
    mode: str = "auto"
    """Protocol negotiation, as the SDK's ``Client(mode=...)``: ``auto`` probes 2026-07-28 and falls back
    to the ``initialize`` handshake; ``legacy`` forces the handshake."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the documented spellings are normalised once, here
        set_(self, "args", tuple(self.args))
        set_(self, "env", dict(self.env))
        set_(self, "headers", dict(self.headers))
        command_is_url = bool(self.command) and _is_url(self.command or "")
        transport: TransportType | None = self.transport
        if transport is None:
            transport = (
                TransportType.STREAMABLE_HTTP
                if self.url
                else TransportType.SSE
                if command_is_url
                else TransportType.STDIO
            )
        set_(self, "transport", TransportType(transport))
        if transport is not TransportType.STDIO and self.url is None and command_is_url:
            set_(self, "url", self.command)
            set_(self, "command", None)
            set_(self, "headers", {**self.env, **self.headers})
            set_(self, "env", {})
        if not self.name:
            set_(self, "name", _name_for(self))
        if transport is TransportType.STDIO:
            if not self.command:
                raise _invalid(self.name, "command", "a stdio server needs a command")
        elif not self.url:
            raise _invalid(
                self.name, "url", f"an {transport.value} server needs an http(s) URL (in url, or in command)"
            )
        if self.mode not in ("auto", "legacy"):
            raise _invalid(self.name, "mode", f"expected auto or legacy, got {self.mode!r}")

    def check_url(self) -> None:
        """Refuse a URL that is not http(s). Checked on connecting, not on making the config: a
        client may be made with a placeholder (``AWSMCPClient(server_url="...")``) and configured later."""
        if self.transport is not TransportType.STDIO and not _is_url(self.url or ""):
            raise _invalid(self.name, "url", f"{self.url!r} is not an http(s) URL")

    @property
    def target(self) -> str:
        """The URL, or the command line: what a person would recognise the server by."""
        if self.transport is TransportType.STDIO:
            return " ".join([self.command or "", *self.args])
        return self.url or ""


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _name_for(config: MCPServerConfig) -> str:
    """``server-filesystem`` for ``npx -y @modelcontextprotocol/server-filesystem /data``; a URL's host."""
    if config.url:
        from urllib.parse import urlsplit

        return urlsplit(config.url).netloc or config.url
    words = [config.command or "", *config.args]
    package = next((w for w in words[1:] if w and not w.startswith("-")), words[0])
    return package.rstrip("/").rsplit("/", 1)[-1] or "server"


def _invalid(server: str, field_name: str, why: str) -> InfrastructureException:
    return InfrastructureException(
        ErrorCodes.CONFIGURATION_INVALID, f"server {server!r}, field {field_name!r}: {why}", server=server
    )


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise InfrastructureException(
            ErrorCodes.CONFIGURATION_INVALID, f"{name} must be {expected}, got {value!r}"
        )


T = TypeVar("T")


class _Reader:
    """Reads one variable at a time, naming it when its value is bad."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __call__(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as err:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID, f"{name}={raw!r}: {err}"
            ) from None

    def policy(self, cls: Callable[..., T], **fields: tuple[str, Callable[[str], Any], Any]) -> T:
        values = {key: self(name, parse, default) for key, (name, parse, default) in fields.items()}
        try:
            return cls(**values)
        except InfrastructureException as err:
            # The policy names its field; say which variables set it.
            names = ", ".join(name for name, _, _ in fields.values() if name in self._env)
            raise InfrastructureException(err.code, f"{err.message} (from {names or 'defaults'})") from None


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a number > 0")
    return value


def _positive_int(raw: str) -> int:
    value = _non_negative_int(raw)
    if value < 1:
        raise ValueError("expected a whole number >= 1")
    return value


def _non_negative_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("expected a whole number >= 0")
    return value


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")
