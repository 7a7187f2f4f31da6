"""Settings: read from the environment once, frozen, passed down.

Nothing else in the package reads ``os.environ``. The variable names live
here as constants so the template, the tests and the CLI agree on them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Final

from aws_mcp.accounts import Accounts
from aws_mcp.errors import ConfigurationError

__all__ = ["ENV", "AccessMode", "Settings"]


class AccessMode(StrEnum):
    READ_ONLY = "ReadOnly"
    READ_WRITE = "ReadWrite"


class ENV:
    """Environment variable names (the template sets them on the function)."""

    ACCESS_MODE: Final = "AWS_MCP_ACCESS_MODE"
    ALLOWED_ORIGINS: Final = "AWS_MCP_ALLOWED_ORIGINS"
    ALLOWED_HOSTS: Final = "AWS_MCP_ALLOWED_HOSTS"
    MAX_BODY_BYTES: Final = "AWS_MCP_MAX_BODY_BYTES"
    DEFAULT_REGION: Final = "AWS_MCP_DEFAULT_REGION"
    TOOLS_PAGE_SIZE: Final = "AWS_MCP_TOOLS_PAGE_SIZE"
    TOOLS_TTL_MS: Final = "AWS_MCP_TOOLS_TTL_MS"
    MAX_RESULT_CHARS: Final = "AWS_MCP_MAX_RESULT_CHARS"
    TOOLSETS: Final = "AWS_MCP_TOOLSETS"
    AWS_CONNECT_TIMEOUT: Final = "AWS_MCP_AWS_CONNECT_TIMEOUT"
    AWS_READ_TIMEOUT: Final = "AWS_MCP_AWS_READ_TIMEOUT"
    AWS_MAX_ATTEMPTS: Final = "AWS_MCP_AWS_MAX_ATTEMPTS"
    BREAKER_TABLE: Final = "AWS_MCP_BREAKER_TABLE"
    IDEMPOTENCY_TABLE: Final = "AWS_MCP_IDEMPOTENCY_TABLE"
    AUDIT_TABLE: Final = "AWS_MCP_AUDIT_TABLE"
    COST_CACHE_TABLE: Final = "AWS_MCP_COST_CACHE_TABLE"
    AUDIT_RETENTION_DAYS: Final = "AWS_MCP_AUDIT_RETENTION_DAYS"
    AUDIT_TABLE_WRITES: Final = "AWS_MCP_AUDIT_TABLE_WRITES"
    STAGE: Final = "AWS_MCP_STAGE"
    BREAKER_FAILURE_THRESHOLD: Final = "AWS_MCP_BREAKER_FAILURE_THRESHOLD"
    BREAKER_RECOVERY_TIMEOUT: Final = "AWS_MCP_BREAKER_RECOVERY_TIMEOUT"
    BREAKER_SUCCESS_THRESHOLD: Final = "AWS_MCP_BREAKER_SUCCESS_THRESHOLD"
    IDEMPOTENCY_EXPIRY_SECONDS: Final = "AWS_MCP_IDEMPOTENCY_EXPIRY_SECONDS"
    RETRY_WINDOW_SECONDS: Final = "AWS_MCP_RETRY_WINDOW_SECONDS"
    DEADLINE_MARGIN_MS: Final = "AWS_MCP_DEADLINE_MARGIN_MS"
    QUERY_WAIT_SECONDS: Final = "AWS_MCP_QUERY_WAIT_SECONDS"
    # Fleet: the account registry (JSON text or a file; on Lambda the SSM parameter's name).
    ACCOUNTS: Final = "AWS_MCP_ACCOUNTS"
    ACCOUNTS_PARAMETER: Final = "AWS_MCP_ACCOUNTS_PARAMETER"
    # The CLI executor's deny list: globs on service:Operation ("default" stands for the built-in list).
    CLI_DENY: Final = "AWS_MCP_CLI_DENY"
    # The resource registry's table and its refresh queue (template: FleetTable, FleetRefreshQueue).
    FLEET_TABLE: Final = "AWS_MCP_FLEET_TABLE"
    FLEET_QUEUE_URL: Final = "AWS_MCP_FLEET_QUEUE_URL"
    # Integrations (aws_mcp.integrations): their table, their secrets' name prefix, and the
    # function that runs a health check now (the MCP tool integrations_test invokes it).
    INTEGRATIONS_TABLE: Final = "AWS_MCP_INTEGRATIONS_TABLE"
    INTEGRATIONS_SECRET_PREFIX: Final = "AWS_MCP_INTEGRATIONS_SECRET_PREFIX"  # noqa: S105 - a name
    INTEGRATIONS_HEALTH_FUNCTION: Final = "AWS_MCP_INTEGRATIONS_HEALTH_FUNCTION"
    INTEGRATIONS_API_RATE_LIMIT: Final = "AWS_MCP_INTEGRATIONS_API_RATE_LIMIT"
    INTEGRATIONS_DEAD_LETTER_QUEUE: Final = "AWS_MCP_INTEGRATIONS_DEAD_LETTER_QUEUE"
    # Modules that register integration types and auth providers: "module" or "module:function".
    INTEGRATION_PLUGINS: Final = "AWS_MCP_INTEGRATION_PLUGINS"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
    # Who may do what (aws_mcp/auth).
    LOCAL_ROLE: Final = "AWS_MCP_LOCAL_ROLE"
    ROLES_PARAMETER: Final = "AWS_MCP_ROLES_PARAMETER"
    ROLES_FILE: Final = "AWS_MCP_ROLES_FILE"
    CONFIRMATION_SECRET: Final = "AWS_MCP_CONFIRMATION_SECRET"  # noqa: S105 (its name, not its value)
    CONFIRM_TOOLS: Final = "AWS_MCP_CONFIRM_TOOLS"
    AUTH_MODE: Final = "AWS_MCP_AUTH_MODE"
    OAUTH_ISSUER: Final = "AWS_MCP_OAUTH_ISSUER"
    OAUTH_AUDIENCE: Final = "AWS_MCP_OAUTH_AUDIENCE"
    OAUTH_JWKS_URL: Final = "AWS_MCP_OAUTH_JWKS_URL"
    RESOURCE_URL: Final = "AWS_MCP_RESOURCE_URL"
    # Set by the Lambda runtime itself.
    LAMBDA_FUNCTION_NAME: Final = "AWS_LAMBDA_FUNCTION_NAME"
    AWS_REGION: Final = "AWS_REGION"
    AWS_DEFAULT_REGION: Final = "AWS_DEFAULT_REGION"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server is configured with. Build it with :meth:`from_env` or directly."""

    access_mode: AccessMode = AccessMode.READ_ONLY
    # Exact origins, or shell-style patterns such as ``http://localhost:*``.
    # A request without an Origin header (every non-browser client) is always allowed.
    allowed_origins: tuple[str, ...] = ()
    # Local serving only: Host values served besides this machine's own names (``name`` for
    # any port, ``name:port``, ``*`` for any). On Lambda, API Gateway sets Host.
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    default_region: str = "us-east-1"
    # Where the server's own tables (breaker, idempotency, audit) are: the stack's region, the
    # one the function runs in, whatever default region the tools are given.
    tables_region: str = "us-east-1"
    tools_page_size: int = 200
    tools_ttl_ms: int = 300_000
    # A tool result's JSON text stays within this many characters (about 4,000 tokens): lists
    # are cut at an item boundary with a cursor to continue. An agent's context is the budget.
    max_result_chars: int = 16_000
    # The toolsets served (service groups such as "compute" or "storage"); None: every one.
    # The "core" tools (identity, audit trail) are always served.
    toolsets: frozenset[str] | None = None
    # Fit inside the function timeout (25 s) with room for the response:
    # attempts x (connect + read) stays well under it.
    aws_connect_timeout: float = 2.0
    aws_read_timeout: float = 5.0
    aws_max_attempts: int = 3
    breaker_table: str | None = None
    idempotency_table: str | None = None
    audit_table: str | None = None
    # Cost Explorer answers, kept because each request is billed (None: every call asks again).
    cost_cache_table: str | None = None
    audit_retention_days: int = 90
    # "all": every record is written to the table by the call itself (local serving).
    # "mutations": only mutating calls write synchronously; a log subscription copies the rest.
    audit_table_writes: str = "all"
    stage: str = "local"
    # Circuit breaker per AWS service and region (Powertools, state in the breaker table).
    breaker_failure_threshold: int = 5
    breaker_recovery_timeout: int = 30
    breaker_success_threshold: int = 2
    # How long a mutating call's result is replayed for the same idempotency key.
    idempotency_expiry_seconds: int = 3600
    # Without a key, identical mutating calls are one change only this close together (a
    # client's retry); later, the same arguments are a new intent and act again.
    retry_window_seconds: int = 10
    # Time kept back from the Lambda deadline for the response and the audit write.
    deadline_margin_ms: int = 1500
    # The longest a call waits for a Logs Insights query before answering with its id (on
    # Lambda also bounded by the invocation's deadline; see resilience/waiting.py).
    query_wait_seconds: float = 20.0
    metrics_namespace: str = "AwsMcp"
    # Fleet: the accounts a call may name besides the server's own (aws_mcp.accounts), and where
    # on Lambda they are read from at init (an SSM parameter's name).
    accounts: Accounts = field(default_factory=Accounts)
    accounts_parameter: str | None = None
    # The CLI executor refuses these service:Operation globs whatever the access mode (None: its
    # default list, aws_mcp.executor.policy.DEFAULT_DENY).
    cli_deny: tuple[str, ...] | None = None
    # The resource registry (aws_mcp.fleet.inventory): its table (None: fleet_search and
    # fleet_summary say it is not set up) and the queue its refresh fans out on.
    fleet_table: str | None = None
    fleet_queue_url: str | None = None
    # Integrations: None when the deployment has none (their tools then say so).
    integrations_table: str | None = None
    integrations_secret_prefix: str = "aws-mcp/integrations"  # noqa: S105 - a name prefix
    integrations_health_function: str | None = None
    # What registers plugins with every integration registry built (IntegrationRegistry.load_plugins).
    integration_plugins: tuple[str, ...] = ()
    # Requests a minute per caller of the integrations REST API (counted in the integrations table).
    integrations_api_rate_limit: int = 120
    # Where outbound deliveries that still fail go (an SQS queue URL; the delivery function's).
    integrations_dead_letter_queue: str | None = None
    # Who may do what (aws_mcp/auth). The role of the local caller (aws-mcp serve/stdio):
    # viewer, operator or admin (the demo: admin).
    local_role: str = "viewer"
    # The role configuration (JSON): an SSM parameter's name (Lambda), or a file (locally).
    # Neither: the defaults of aws_mcp.auth.roles.
    roles_parameter: str | None = None
    roles_file: str | None = None
    # The Secrets Manager secret whose value signs confirmations of destructive changes (None:
    # off Lambda, a key drawn per process; on Lambda, destructive changes cannot be confirmed).
    confirmation_secret: str | None = None
    # Tools needing confirmation besides the destructive ones: globs over tool names.
    confirm_tools: tuple[str, ...] = ()
    # How callers authenticate (the stack's AuthMode). Only OAUTH changes what the app does: it
    # checks bearer tokens of oauth_issuer meant for oauth_audiences (aud, or Cognito's client_id),
    # signed by a key of oauth_jwks_url (default: the issuer's /.well-known/jwks.json).
    auth_mode: str = "AWS_IAM"
    oauth_issuer: str | None = None
    oauth_audiences: tuple[str, ...] = ()
    oauth_jwks_url: str | None = None
    # The endpoint's public URL for the protected-resource metadata (None: each request's own).
    resource_url: str | None = None
    # On Lambda: settings are the stack's parameters (said so in errors), not the shell's.
    on_lambda: bool = False
    # EMF metrics only where CloudWatch collects them from stdout: on Lambda.
    metrics_enabled: bool = False
    # X-Ray subsegments per tool call only where a daemon receives them: on Lambda
    # (POWERTOOLS_TRACE_DISABLED=true turns them off there).
    tracing_enabled: bool = False
    server_name: str = "aws-mcp"
    server_version: str = field(default="0.1.0")

    @property
    def allows_writes(self) -> bool:
        return self.access_mode is AccessMode.READ_WRITE

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``); raise on bad values."""
        env = os.environ if environ is None else environ
        defaults = cls()
        auth_mode, issuer, audiences = _oauth(env)
        return cls(
            access_mode=_access_mode(env.get(ENV.ACCESS_MODE)),
            allowed_origins=tuple(
                o.strip() for o in env.get(ENV.ALLOWED_ORIGINS, "").split(",") if o.strip()
            ),
            allowed_hosts=tuple(h.strip() for h in env.get(ENV.ALLOWED_HOSTS, "").split(",") if h.strip()),
            max_body_bytes=_int(env, ENV.MAX_BODY_BYTES, defaults.max_body_bytes, minimum=1024),
            default_region=(
                env.get(ENV.DEFAULT_REGION)
                or env.get(ENV.AWS_REGION)
                or env.get(ENV.AWS_DEFAULT_REGION)
                or defaults.default_region
            ),
            tables_region=(
                env.get(ENV.AWS_REGION) or env.get(ENV.AWS_DEFAULT_REGION) or defaults.tables_region
            ),
            tools_page_size=_int(env, ENV.TOOLS_PAGE_SIZE, defaults.tools_page_size, minimum=1),
            tools_ttl_ms=_int(env, ENV.TOOLS_TTL_MS, defaults.tools_ttl_ms, minimum=0),
            max_result_chars=_int(env, ENV.MAX_RESULT_CHARS, defaults.max_result_chars, minimum=1000),
            toolsets=_toolsets(env.get(ENV.TOOLSETS)),
            aws_connect_timeout=_float(env, ENV.AWS_CONNECT_TIMEOUT, defaults.aws_connect_timeout),
            aws_read_timeout=_float(env, ENV.AWS_READ_TIMEOUT, defaults.aws_read_timeout),
            aws_max_attempts=_int(env, ENV.AWS_MAX_ATTEMPTS, defaults.aws_max_attempts, minimum=1),
            breaker_table=env.get(ENV.BREAKER_TABLE) or None,
            idempotency_table=env.get(ENV.IDEMPOTENCY_TABLE) or None,
            audit_table=env.get(ENV.AUDIT_TABLE) or None,
            cost_cache_table=env.get(ENV.COST_CACHE_TABLE) or None,
            audit_retention_days=_int(
                env, ENV.AUDIT_RETENTION_DAYS, defaults.audit_retention_days, minimum=1
            ),
            audit_table_writes=_choice(
                env, ENV.AUDIT_TABLE_WRITES, defaults.audit_table_writes, ("all", "mutations")
            ),
            stage=env.get(ENV.STAGE) or defaults.stage,
            breaker_failure_threshold=_int(
                env, ENV.BREAKER_FAILURE_THRESHOLD, defaults.breaker_failure_threshold, minimum=1
            ),
            breaker_recovery_timeout=_int(
                env, ENV.BREAKER_RECOVERY_TIMEOUT, defaults.breaker_recovery_timeout, minimum=1
            ),
            breaker_success_threshold=_int(
                env, ENV.BREAKER_SUCCESS_THRESHOLD, defaults.breaker_success_threshold, minimum=1
            ),
            idempotency_expiry_seconds=_int(
                env, ENV.IDEMPOTENCY_EXPIRY_SECONDS, defaults.idempotency_expiry_seconds, minimum=1
            ),
            retry_window_seconds=_int(
                env, ENV.RETRY_WINDOW_SECONDS, defaults.retry_window_seconds, minimum=1
            ),
            deadline_margin_ms=_int(env, ENV.DEADLINE_MARGIN_MS, defaults.deadline_margin_ms, minimum=0),
            query_wait_seconds=_float(env, ENV.QUERY_WAIT_SECONDS, defaults.query_wait_seconds),
            metrics_namespace=env.get(ENV.METRICS_NAMESPACE) or defaults.metrics_namespace,
            accounts=_accounts(env.get(ENV.ACCOUNTS)),
            accounts_parameter=env.get(ENV.ACCOUNTS_PARAMETER) or None,
            cli_deny=_globs(env.get(ENV.CLI_DENY)),
            fleet_table=env.get(ENV.FLEET_TABLE) or None,
            fleet_queue_url=env.get(ENV.FLEET_QUEUE_URL) or None,
            integrations_table=env.get(ENV.INTEGRATIONS_TABLE) or None,
            integrations_secret_prefix=(
                env.get(ENV.INTEGRATIONS_SECRET_PREFIX) or defaults.integrations_secret_prefix
            ),
            integrations_health_function=env.get(ENV.INTEGRATIONS_HEALTH_FUNCTION) or None,
            integration_plugins=_plugins(env.get(ENV.INTEGRATION_PLUGINS)),
            integrations_dead_letter_queue=env.get(ENV.INTEGRATIONS_DEAD_LETTER_QUEUE) or None,
            integrations_api_rate_limit=_int(
                env, ENV.INTEGRATIONS_API_RATE_LIMIT, defaults.integrations_api_rate_limit, minimum=1
            ),
            local_role=_choice(env, ENV.LOCAL_ROLE, defaults.local_role, ("viewer", "operator", "admin")),
            roles_parameter=env.get(ENV.ROLES_PARAMETER) or None,
            roles_file=env.get(ENV.ROLES_FILE) or None,
            confirmation_secret=env.get(ENV.CONFIRMATION_SECRET) or None,
            confirm_tools=tuple(g.strip() for g in env.get(ENV.CONFIRM_TOOLS, "").split(",") if g.strip()),
            auth_mode=auth_mode,
            oauth_issuer=issuer,
            oauth_audiences=audiences,
            oauth_jwks_url=env.get(ENV.OAUTH_JWKS_URL) or None,
            resource_url=env.get(ENV.RESOURCE_URL) or None,
            on_lambda=bool(env.get(ENV.LAMBDA_FUNCTION_NAME)),
            metrics_enabled=bool(env.get(ENV.LAMBDA_FUNCTION_NAME)),
            tracing_enabled=bool(env.get(ENV.LAMBDA_FUNCTION_NAME)),
        )


def _oauth(env: Mapping[str, str]) -> tuple[str, str | None, tuple[str, ...]]:
    mode = _choice(env, ENV.AUTH_MODE, "AWS_IAM", ("AWS_IAM", "API_KEY", "NONE", "OAUTH"))
    issuer = (env.get(ENV.OAUTH_ISSUER) or "").rstrip("/") or None
    audiences = tuple(a.strip() for a in env.get(ENV.OAUTH_AUDIENCE, "").split(",") if a.strip())
    if mode == "OAUTH" and not (issuer and audiences):
        raise ConfigurationError(
            f"{ENV.AUTH_MODE}=OAUTH needs {ENV.OAUTH_ISSUER} and {ENV.OAUTH_AUDIENCE} (the token issuer, "
            "and the audience or app client ids its tokens for this server carry)"
        )
    return mode, issuer, audiences


def _access_mode(raw: str | None) -> AccessMode:
    if not raw:
        return AccessMode.READ_ONLY
    try:
        return AccessMode(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in AccessMode)
        raise ConfigurationError(f"{ENV.ACCESS_MODE}={raw!r}: expected one of {allowed}") from None


def _toolsets(raw: str | None) -> frozenset[str] | None:
    """``all`` (or nothing): None; else the names listed, which the catalogue checks."""
    names = frozenset(n.strip().lower() for n in (raw or "").split(",") if n.strip())
    if not names or names == {"all"}:
        return None
    if "all" in names:
        raise ConfigurationError(f"{ENV.TOOLSETS}={raw!r}: 'all' cannot be combined with other toolsets")
    return names


def _globs(raw: str | None) -> tuple[str, ...] | None:
    """A comma list as it is ("default" kept for the executor to expand); none: None."""
    found = tuple(item.strip() for item in (raw or "").split(",") if item.strip())
    return found or None


_PLUGIN: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?$")


def _plugins(raw: str | None) -> tuple[str, ...]:
    """A comma list of ``module`` or ``module:function`` (checked here, loaded by the registry)."""
    found = tuple(item.strip() for item in (raw or "").split(",") if item.strip())
    if wrong := [item for item in found if not _PLUGIN.match(item)]:
        raise ConfigurationError(f"{ENV.INTEGRATION_PLUGINS}: {wrong[0]!r} is not module or module:function")
    return found


def _accounts(raw: str | None) -> Accounts:
    """The registry from JSON text, or from the file ``raw`` names; none: an empty registry."""
    text = (raw or "").strip()
    if not text:
        return Accounts()
    if text.startswith(("[", "{")):
        return Accounts.parse(text, source=ENV.ACCOUNTS)
    try:
        content = Path(text).expanduser().read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigurationError(f"{ENV.ACCOUNTS}={text!r}: cannot read the file ({err.strerror})") from None
    return Accounts.parse(content, source=f"{ENV.ACCOUNTS} file {text}")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name) or default
    if raw not in allowed:
        raise ConfigurationError(f"{name}={raw!r}: expected one of {', '.join(allowed)}")
    return raw


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r}: expected an integer") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise ConfigurationError(f"{name}={raw!r}: must be positive")
    return value
