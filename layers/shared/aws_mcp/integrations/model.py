"""The integration model: the seed's ``IntegrationConfig`` and its parts, validated at the edge.

The names and defaults are the seed's (README "Integration Framework"). Where it is silent:

* ``endpoint`` says where an integration is (a URL, an EventBridge bus, an SQS queue URL, an
  ``s3://bucket/prefix``); each plugin type checks it (``plugins``).
* ``subscription`` says which of the server's events an outbound integration receives.
* Secrets (``AuthConfig``'s ``api_key``, ``password``, ``token``, ``client_secret``,
  ``consumer_secret``, ``token_secret``, ``certificate``, ``private_key``, ``signing_secret``)
  are write-only: accepted here, kept in Secrets Manager (``secrets``), never in the table and
  never in an answer: :class:`AuthView` shows which are set, not what they are.

Every string and list is bounded, so no input can make a record DynamoDB refuses (400 kB).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "CUSTOM_HEADERS",
    "HEADER_PREFIX",
    "SECRET_FIELDS",
    "AuthConfig",
    "AuthType",
    "AuthView",
    "Direction",
    "EventType",
    "HealthCheckConfig",
    "HealthState",
    "IntegrationConfig",
    "IntegrationRecord",
    "IntegrationStatus",
    "IntegrationType",
    "IntegrationUpdate",
    "RetryConfig",
    "Subscription",
    "Transition",
]

Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]
Text = Annotated[str, Field(max_length=1024)]
Short = Annotated[str, Field(min_length=1, max_length=256)]


class IntegrationType(StrEnum):
    WEBHOOK = "WEBHOOK"
    REST_API = "REST_API"
    GRAPHQL = "GRAPHQL"
    GRPC = "GRPC"
    EVENT_BUS = "EVENT_BUS"
    MESSAGE_QUEUE = "MESSAGE_QUEUE"
    DATABASE = "DATABASE"
    FILE = "FILE"
    CUSTOM = "CUSTOM"


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    BIDIRECTIONAL = "BIDIRECTIONAL"

    @property
    def sends(self) -> bool:
        return self is not Direction.INBOUND

    @property
    def receives(self) -> bool:
        return self is not Direction.OUTBOUND


class AuthType(StrEnum):
    NONE = "NONE"
    API_KEY = "API_KEY"
    BASIC = "BASIC"
    BEARER_TOKEN = "BEARER_TOKEN"  # noqa: S105 - a name, not a password
    OAUTH2 = "OAUTH2"
    OAUTH1 = "OAUTH1"
    AWS_SIG_V4 = "AWS_SIG_V4"
    CERTIFICATE = "CERTIFICATE"
    CUSTOM = "CUSTOM"


class IntegrationStatus(StrEnum):
    CONFIGURING = "CONFIGURING"
    TESTING = "TESTING"
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"
    INACTIVE = "INACTIVE"
    DEPRECATED = "DEPRECATED"


class EventType(StrEnum):
    """The server's events an outbound integration may subscribe to (``delivery``)."""

    # A mutating tool call ended (its outcome: success, tool_error, timeout, outcome_unknown, ...).
    TOOL_CALL = "tool_call"
    # A call the server refused (access mode, permissions).
    DENIED = "denied"
    # A call refused because its AWS service's circuit breaker was open.
    BREAKER_OPEN = "breaker_open"
    # An AWS service's circuit breaker opened (it kept failing), or closed again (it recovered).
    BREAKER_OPENED = "breaker_opened"
    BREAKER_CLOSED = "breaker_closed"


# Secret fields of AuthConfig, in the order they are listed in answers.
SECRET_FIELDS: Final = (
    "api_key",
    "password",
    "token",
    "client_secret",
    "consumer_secret",
    "token_secret",
    "certificate",
    "private_key",
    "signing_secret",
)
_Secret = Annotated[SecretStr, Field(min_length=1, max_length=16_384)]
_HeaderName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[!-9;-~]+$")]
# A custom header's value in the integration's secret: ``header:<name>``.
HEADER_PREFIX: Final = "header:"
# In clear_secrets: every custom header.
CUSTOM_HEADERS: Final = "custom_headers"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class AuthConfig(_Model):
    """How the server authenticates to the integration (and, with ``signing_secret``, how
    webhooks are signed and inbound events checked)."""

    type: AuthType = AuthType.NONE
    # API_KEY: the header that carries the key.
    header_name: str = Field(default="X-API-Key", min_length=1, max_length=128, pattern=r"^[!-~]+$")
    username: str | None = Field(default=None, max_length=256)
    client_id: str | None = Field(default=None, max_length=256)
    consumer_key: str | None = Field(default=None, max_length=256)
    token_url: str | None = Field(default=None, max_length=2048)
    scopes: list[Short] = Field(default_factory=list, max_length=32)
    # AWS_SIG_V4: the service and region requests are signed for.
    service: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=32)
    api_key: _Secret | None = None
    password: _Secret | None = None
    token: _Secret | None = None
    client_secret: _Secret | None = None
    consumer_secret: _Secret | None = None
    token_secret: _Secret | None = None
    certificate: _Secret | None = None
    private_key: _Secret | None = None
    signing_secret: _Secret | None = None
    # CERTIFICATE (and grpcs://): the CA, PEM, the counterpart's certificate is checked against
    # when the system's do not vouch for it. Not a secret.
    ca_certificate: str | None = Field(default=None, max_length=16_384)
    # CUSTOM: headers sent with every request, each value a secret (answers name the headers only).
    custom_headers: dict[_HeaderName, _Secret] = Field(default_factory=dict, max_length=16)

    @field_validator("custom_headers", mode="before")
    @classmethod
    def _names_as_answered(cls, value: Any) -> Any:
        # The list of names an answer shows, sent back: no new values (the stored ones stay).
        return {} if isinstance(value, list) else value

    def secrets(self) -> dict[str, str]:
        """The secrets given, by field name (what goes to Secrets Manager); a custom header's
        under ``header:<name>``."""
        found = {
            name: value.get_secret_value()
            for name in SECRET_FIELDS
            if (value := getattr(self, name)) is not None
        }
        found |= {f"{HEADER_PREFIX}{h}": v.get_secret_value() for h, v in self.custom_headers.items()}
        return found

    def view(self, secrets_set: list[str]) -> AuthView:
        return AuthView(
            **self.model_dump(exclude={*SECRET_FIELDS, "custom_headers"}),
            secrets_set=[n for n in SECRET_FIELDS if n in secrets_set],
            custom_headers=sorted(self.custom_headers),
        )


class AuthView(BaseModel):
    """``AuthConfig`` as answered and stored: the secrets' names only."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    type: AuthType = AuthType.NONE
    header_name: str = "X-API-Key"
    username: str | None = None
    client_id: str | None = None
    consumer_key: str | None = None
    token_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    service: str | None = None
    region: str | None = None
    ca_certificate: str | None = None
    secrets_set: list[str] = Field(
        default_factory=list, description="Which secrets are stored; never their values."
    )
    custom_headers: list[str] = Field(
        default_factory=list, description="CUSTOM: the headers sent, whose values are stored secrets."
    )


class HealthCheckConfig(_Model):
    enabled: bool = True
    interval_seconds: int = Field(default=300, ge=60, le=86_400)
    timeout_seconds: int = Field(default=30, ge=1, le=60)
    failure_threshold: int = Field(default=3, ge=1, le=100)
    success_threshold: int = Field(default=1, ge=1, le=100)
    endpoint: str | None = Field(default=None, max_length=2048)
    method: str = Field(default="GET", pattern=r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$")
    expected_status_code: int = Field(default=200, ge=100, le=599)
    body: str | None = Field(default=None, max_length=16_384)
    headers: dict[Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[!-9;-~]+$")], Text] = Field(
        default_factory=dict, max_length=32
    )


class RetryConfig(_Model):
    enabled: bool = True
    max_attempts: int = Field(default=3, ge=1, le=10)
    initial_backoff_seconds: float = Field(default=1.0, ge=0, le=60)
    max_backoff_seconds: float = Field(default=60.0, ge=0, le=600)
    backoff_multiplier: float = Field(default=2.0, ge=1, le=10)
    retry_on_status_codes: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [429, 500, 502, 503, 504], max_length=32
    )

    def backoff(self, attempt: int) -> float:
        """The longest wait before attempt ``attempt + 1`` (attempt counts from 1); the caller
        draws the actual wait at random below it (full jitter)."""
        return min(
            self.max_backoff_seconds, self.initial_backoff_seconds * self.backoff_multiplier ** (attempt - 1)
        )


class Subscription(_Model):
    """Which of the server's events an outbound integration receives; an empty list means all."""

    event_types: list[EventType] = Field(default_factory=lambda: list(EventType), max_length=8)
    tools: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=64
    )
    accounts: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = Field(default_factory=list, max_length=64)

    def wants(self, event_type: str, tool: str | None, account: str | None) -> bool:
        return (
            event_type in self.event_types
            and (not self.tools or tool in self.tools)
            and (not self.accounts or account in self.accounts)
        )


_Tags = dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]]


class IntegrationConfig(_Model):
    """The seed's configuration model (plus ``endpoint`` and ``subscription``)."""

    name: Name
    description: Text = ""
    type: IntegrationType
    direction: Direction
    version: str = Field(default="1.0.0", min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.+-]+$")
    endpoint: str | None = Field(default=None, max_length=2048)
    # The endpoint is itself a credential (kept in Secrets Manager, answered masked): set for any
    # URL; chat webhooks, URLs with a query or user:password@ are so without it (``endpoints``).
    endpoint_secret: bool = False
    auth: AuthConfig = Field(default_factory=AuthConfig)
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeout_seconds: int = Field(default=30, ge=1, le=60)
    rate_limit_per_minute: int = Field(default=60, ge=1, le=6000)
    subscription: Subscription = Field(default_factory=Subscription)
    tags: _Tags = Field(default_factory=dict, max_length=50)
    metadata: dict[Annotated[str, Field(min_length=1, max_length=128)], Any] = Field(
        default_factory=dict, max_length=50
    )
    enabled: bool = True

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        from aws_mcp.jsontext import dumps

        if len(dumps(value)) > 16_384:
            raise ValueError("metadata must be at most 16 kB of JSON")
        return value

    @property
    def secret_endpoint(self) -> bool:
        from aws_mcp.integrations.endpoints import is_secret

        return is_secret(self.endpoint, marked=self.endpoint_secret)

    def secrets(self) -> dict[str, str]:
        """What goes to Secrets Manager: ``auth``'s secrets, and the endpoint when it is one."""
        from aws_mcp.integrations.endpoints import ENDPOINT_KEY

        found = self.auth.secrets()
        if self.secret_endpoint and self.endpoint:
            found[ENDPOINT_KEY] = self.endpoint
        return found


class IntegrationUpdate(IntegrationConfig):
    """A PUT: the whole configuration again, the revision it replaces, optionally a status.

    A secret left out keeps its stored value; ``clear_secrets`` names the ones to remove.
    """

    revision: int = Field(
        ge=1, description="The revision this update replaces (409 if another write came first)."
    )
    status: IntegrationStatus | None = Field(
        default=None, description="A move by hand: INACTIVE, TESTING, DEPRECATED."
    )
    status_reason: Text | None = None
    clear_secrets: list[str] = Field(default_factory=list, max_length=len(SECRET_FIELDS) + 1)

    @model_validator(mode="after")
    def _known_secrets(self) -> IntegrationUpdate:
        known = [*SECRET_FIELDS, CUSTOM_HEADERS]
        unknown = sorted(set(self.clear_secrets) - set(known))
        if unknown:
            raise ValueError(f"clear_secrets: unknown secret names {unknown}; known: {known}")
        return self

    def config(self) -> IntegrationConfig:
        return IntegrationConfig.model_validate(
            self.model_dump(exclude={"revision", "status", "status_reason", "clear_secrets"})
            | {"auth": self.auth}
        )


class Transition(BaseModel):
    model_config = ConfigDict(defer_build=True)

    at: datetime
    from_status: IntegrationStatus | None
    to_status: IntegrationStatus
    cause: str


class HealthState(BaseModel):
    """The integration's health as the checks have seen it."""

    model_config = ConfigDict(defer_build=True)

    healthy: bool | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    # Since when the current run of failures goes on (None while healthy).
    failing_since: datetime | None = None
    last_error: str | None = None
    last_latency_ms: float | None = None
    next_check_at: datetime | None = None


class IntegrationRecord(BaseModel):
    """A stored integration: its configuration (secrets as names only), status and health."""

    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    description: str = ""
    type: IntegrationType
    direction: Direction
    version: str = "1.0.0"
    endpoint: str | None = None
    # True: ``endpoint`` is shown masked (scheme and host); the URL is in Secrets Manager.
    endpoint_secret: bool = False
    auth: AuthView = Field(default_factory=AuthView)
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeout_seconds: int = 30
    rate_limit_per_minute: int = 60
    subscription: Subscription = Field(default_factory=Subscription)
    tags: dict[str, str] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    status: IntegrationStatus = IntegrationStatus.CONFIGURING
    revision: int = 1
    health: HealthState = Field(default_factory=HealthState)
    created_at: datetime
    updated_at: datetime
    created_by: str = "local"
    updated_by: str = "local"
    # Secrets Manager: the secret and the version this revision uses (never answered).
    secret_arn: str | None = Field(default=None, exclude=True)
    secret_version: str | None = Field(default=None, exclude=True)

    @classmethod
    def new(
        cls, integration_id: str, config: IntegrationConfig, *, caller: str, now: datetime
    ) -> IntegrationRecord:
        return cls(
            id=integration_id,
            **_config_fields(config),
            created_at=now,
            updated_at=now,
            created_by=caller,
            updated_by=caller,
        )

    def reconfigured(self, config: IntegrationConfig, *, caller: str, now: datetime) -> IntegrationRecord:
        return self.model_copy(
            update={
                **_config_fields(config),
                "updated_at": now,
                "updated_by": caller,
                "revision": self.revision + 1,
            }
        )

    def config_for(self, secrets: dict[str, str]) -> IntegrationConfig:
        """The configuration again, with its secrets (only for the plugin that uses them)."""
        from aws_mcp.integrations.endpoints import ENDPOINT_KEY

        data = self.model_dump(include=set(IntegrationConfig.model_fields))
        auth = {k: v for k, v in data["auth"].items() if k not in ("secrets_set", "custom_headers")}
        named = {k: v for k, v in secrets.items() if k != ENDPOINT_KEY and not k.startswith(HEADER_PREFIX)}
        headers = {
            k.removeprefix(HEADER_PREFIX): v for k, v in secrets.items() if k.startswith(HEADER_PREFIX)
        }
        data["auth"] = {**auth, **named, "custom_headers": headers}
        if self.endpoint_secret:
            data["endpoint"] = secrets.get(ENDPOINT_KEY)
        return IntegrationConfig.model_validate(data)


def _config_fields(config: IntegrationConfig) -> dict[str, Any]:
    from aws_mcp.integrations.endpoints import masked

    values = {name: getattr(config, name) for name in IntegrationConfig.model_fields if name != "auth"}
    values["auth"] = config.auth.view(list(config.auth.secrets()))
    if config.secret_endpoint and config.endpoint:
        values["endpoint"], values["endpoint_secret"] = masked(config.endpoint), True
    return values
