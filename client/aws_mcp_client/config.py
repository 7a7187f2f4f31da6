"""Client settings, read once from the environment into frozen dataclasses and passed down.

Nothing below reads ``os.environ`` except :meth:`ClientSettings.from_env`; everything else takes
its settings as an argument, so tests build them directly. A bad value is refused with the name of
the variable that held it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self, TypeVar

from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = [
    "DEFAULT_SERVER_URL",
    "ENV",
    "AuthConfig",
    "AuthKind",
    "BreakerPolicy",
    "ClientSettings",
    "RetryPolicy",
    "ServerConfig",
    "TransportKind",
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
class RetryPolicy:
    """Exponential backoff: ``base_delay * exponential_base**n``, capped at ``max_delay``, plus jitter.

    ``max_retries`` counts retries, not attempts: 3 means up to 4 attempts. Jitter adds up to one
    ``base_delay`` at random, so many clients do not retry in step.
    """

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    exponential_base: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        _check(self.max_retries >= 0, "max_retries", self.max_retries, "a whole number >= 0")
        _check(self.base_delay > 0, "base_delay", self.base_delay, "a number > 0")
        _check(self.max_delay >= self.base_delay, "max_delay", self.max_delay, "a number >= base_delay")
        _check(self.exponential_base >= 1, "exponential_base", self.exponential_base, "a number >= 1")


@dataclass(frozen=True)
class BreakerPolicy:
    """Open after ``failure_threshold`` failures in a row; probe after ``recovery_timeout`` seconds;
    close after ``success_threshold`` probe successes."""

    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    success_threshold: int = 2

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
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
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
        return cls(
            server_url=read(ENV.SERVER_URL, str, DEFAULT_SERVER_URL),
            timeout=read(ENV.TIMEOUT, _positive_float, 30.0),
            pool_size=read(ENV.POOL_SIZE, _positive_int, 10),
            retry=read.policy(
                RetryPolicy,
                max_retries=(ENV.MAX_RETRIES, _non_negative_int, 3),
                base_delay=(ENV.BASE_DELAY, _positive_float, 1.0),
                max_delay=(ENV.MAX_DELAY, _positive_float, 30.0),
                exponential_base=(ENV.EXPONENTIAL_BASE, _positive_float, 2.0),
                jitter=(ENV.ENABLE_JITTER, _bool, True),
            ),
            retry_connect=read(ENV.RETRY_CONNECT, _bool, False),
            breaker=read.policy(
                BreakerPolicy,
                failure_threshold=(ENV.CB_FAILURE_THRESHOLD, _positive_int, 5),
                recovery_timeout=(ENV.CB_RECOVERY_TIMEOUT, _positive_float, 30.0),
                success_threshold=(ENV.CB_SUCCESS_THRESHOLD, _positive_int, 2),
            ),
            debug_logging=read(ENV.DEBUG_LOGGING, _bool, False),
            log_requests=read(ENV.LOG_REQUESTS, _bool, False),
            log_responses=read(ENV.LOG_RESPONSES, _bool, False),
        )

    def with_changes(self, **changes: Any) -> Self:
        return replace(self, **changes)


class TransportKind(StrEnum):
    STREAMABLE_HTTP = "streamable_http"
    SSE = "sse"
    """The deprecated HTTP+SSE transport (protocol 2024-11-05), for old servers."""
    STDIO = "stdio"


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


@dataclass(frozen=True)
class ServerConfig:
    """Where one MCP server is and how to reach it."""

    name: str
    transport: TransportKind = TransportKind.STREAMABLE_HTTP
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: AuthConfig | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    """stdio: variables for the server process, over a minimal inherited set (PATH, HOME, ...)."""
    cwd: str | None = None
    enabled: bool = True
    mode: str = "auto"
    """Protocol negotiation, as the SDK's ``Client(mode=...)``: ``auto`` probes 2026-07-28 and falls back
    to the ``initialize`` handshake; ``legacy`` forces the handshake."""

    def __post_init__(self) -> None:
        if self.transport is TransportKind.STDIO:
            if not self.command:
                raise _invalid(self.name, "command", "a stdio server needs a command")
        elif not self.url or not self.url.startswith(("http://", "https://")):
            raise _invalid(self.name, "url", f"an {self.transport.value} server needs an http(s) URL")
        if self.mode not in ("auto", "legacy"):
            raise _invalid(self.name, "mode", f"expected auto or legacy, got {self.mode!r}")

    @property
    def target(self) -> str:
        """The URL, or the command line: what a person would recognise the server by."""
        if self.transport is TransportKind.STDIO:
            return " ".join([self.command or "", *self.args])
        return self.url or ""


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
