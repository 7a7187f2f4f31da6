"""The base class of every integration type, as the seed's "Adding a New Integration Type" uses it.

::

    from .integration import Integration, IntegrationType

    class CustomIntegration(Integration):
        async def initialize(self) -> bool:
            return await super().initialize()

        async def health_check(self) -> bool:
            return await super().health_check()

A plugin is built for one integration (its configuration, secrets included, and a
:class:`PluginContext` giving it AWS clients and an HTTP pool); ``health_check`` answers whether
it is reachable and leaves the details in ``last_check``; ``send`` delivers one of the server's
events (outbound types); ``receive`` accepts an inbound event (types that take them), verified,
and hands it to ``process_event``. As the seed's event-driven integrations do, a type may also
act when an integration starts or stops taking events (``start_listening``, ``stop_listening``:
the registry calls them as one is created, enabled, set inactive or deleted). And, as the seed's
custom authentication providers do, a class registered in ``registry.auth_providers`` for an
auth type (``registry.auth_providers[AuthType.CUSTOM] = CustomAuthProvider``) is built with the
integration's ``AuthConfig`` and its ``authenticate(request)`` sees every request first (an
:class:`OutboundRequest`, whose headers and URL it may change).

The base class's own ``health_check`` is the seed's generic one: the request ``health_check``
describes (method, endpoint, body, headers, expected status), within its timeout. A type whose
``health_check.endpoint`` is unset checks its own counterpart instead (plugins/).

HTTP goes through urllib3 (the runtime's, via botocore: no dependency of our own), in a worker
thread so the event loop is never blocked.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import urllib3

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.endpoints import scrub
from aws_mcp.integrations.model import AuthConfig, AuthType, IntegrationConfig, IntegrationType

__all__ = [
    "CERTIFICATE_NEEDS",
    "AuthConfig",
    "AuthType",
    "CheckResult",
    "HttpAnswer",
    "Integration",
    "IntegrationType",
    "OutboundRequest",
    "PluginContext",
    "SendResult",
    "TokenRefusedError",
    "check_url",
    "describe_failure",
]

# Bodies read back from a counterpart are cut to this (a health check reads a status, not a file).
_MAX_BODY: Final = 65_536
# An inbound event's body, at most.
_MAX_INBOUND: Final = 262_144


@dataclass(frozen=True, slots=True)
class CheckResult:
    healthy: bool
    latency_ms: float
    error: str | None = None
    status_code: int | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    delivered: bool
    # A failure worth another attempt (the integration's retry policy says which status codes).
    retryable: bool = False
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]


def _process_credentials() -> Any:
    import botocore.session

    return botocore.session.get_session().get_credentials()


@dataclass
class PluginContext:
    """What a plugin may use: AWS clients by service and region, an HTTP pool, the clock."""

    aws: Callable[[str, str], Any]
    default_region: str
    # The AWS credentials requests are signed with (AWS_SIG_V4): botocore's, of this process.
    credentials: Callable[[], Any] = field(default=_process_credentials)
    http: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(retries=False))
    clock: Callable[[], float] = time.time

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
        pool: urllib3.PoolManager | None = None,
    ) -> HttpAnswer:
        http = pool or self.http

        def call() -> HttpAnswer:
            answer = http.request(
                method,
                url,
                body=body,
                headers=dict(headers or {}),
                timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
                redirect=False,
                preload_content=False,
            )
            try:
                data = answer.read(_MAX_BODY)
            finally:
                answer.release_conn()
            return HttpAnswer(answer.status, data, dict(answer.headers))

        return await asyncio.to_thread(call)


@dataclass(slots=True)
class OutboundRequest:
    """A request to the counterpart as an auth provider's ``authenticate`` sees it, before it is signed."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


class Integration:
    """One integration's plugin. Subclasses override what their type does differently.

    The base class is a complete generic HTTP integration: it checks with ``health_check``'s
    request, sends an event as a JSON POST to an http(s) ``endpoint`` (signed when
    ``auth.signing_secret`` is set), and accepts inbound JSON events signed with that secret.
    """

    # Whether the type delivers the server's events (send) and takes inbound events (receive).
    sends: bool = True
    receives: bool = True
    method: str = "POST"

    def __init__(self, config: IntegrationConfig, context: PluginContext) -> None:
        self.config = config
        self.context = context
        self.initialized = False
        self.last_check: CheckResult | None = None
        # OAUTH2: the access token and until when it is used (this plugin's lifetime at most).
        self._token: tuple[str, float] | None = None
        # CERTIFICATE: a pool of its own, presenting the client certificate.
        self._tls_pool: urllib3.PoolManager | None = None
        # The registry's auth provider for this auth type, if one is registered (built with it).
        self.auth_provider: Any = None

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        """Refuse (InvalidIntegrationError) a configuration this type cannot work with."""
        kind = config.type.value
        if config.direction.sends and not cls.sends:
            raise InvalidIntegrationError(f"{kind} integrations cannot send: use direction INBOUND")
        if config.direction.receives and not cls.receives:
            raise InvalidIntegrationError(
                f"{kind} integrations take no inbound events: use direction OUTBOUND"
            )
        if config.direction.receives and config.auth.signing_secret is None:
            raise InvalidIntegrationError(
                f"An inbound {kind} integration needs auth.signing_secret: unsigned events are refused"
            )
        cls.validate_auth(config)
        check_url(config.health_check.endpoint, "health_check.endpoint", required=False)
        cls.validate_endpoint(config)

    @classmethod
    def validate_auth(cls, config: IntegrationConfig) -> None:
        """OAUTH1: a consumer key; CERTIFICATE: the PEM given loads (the secrets' presence is
        checked where stored ones count: the registry)."""
        auth = config.auth
        if auth.type is AuthType.OAUTH1 and not auth.consumer_key:
            raise InvalidIntegrationError(
                "auth type OAUTH1 needs auth.consumer_key and the secret auth.consumer_secret "
                "(and auth.token and auth.token_secret for a user's access token)"
            )
        if auth.type is AuthType.CERTIFICATE and (
            auth.certificate is not None or auth.private_key is not None
        ):
            if auth.certificate is None or auth.private_key is None:
                raise InvalidIntegrationError(CERTIFICATE_NEEDS)
            _client_tls(
                auth.certificate.get_secret_value(), auth.private_key.get_secret_value(), auth.ca_certificate
            )

    @classmethod
    def validate_endpoint(cls, config: IntegrationConfig) -> None:
        check_url(config.endpoint, "endpoint", required=config.direction.sends)

    async def initialize(self) -> bool:
        """Prepare to talk to the counterpart (no network call in the base class)."""
        self.initialized = True
        return True

    async def health_check(self) -> bool:
        """The seed's generic check: ``health_check``'s request, answered with its expected status.

        Without a ``health_check.endpoint`` there is nothing to ask: healthy, and ``last_check``
        says so.
        """
        check = self.config.health_check
        if not check.endpoint:
            self.last_check = CheckResult(True, 0.0, "no health_check.endpoint configured: not checked")
            return True
        started = time.perf_counter()
        try:
            answer = await self.request(
                check.method,
                check.endpoint,
                body=check.body.encode() if check.body is not None else None,
                headers={**await self.auth_headers(), **check.headers},
                timeout=check.timeout_seconds,
            )
        except Exception as err:  # any failure to reach it is an unhealthy answer, said as such
            return self._checked(started, False, self.failure(err))
        if answer.status != check.expected_status_code:
            return self._checked(
                started, False, f"HTTP {answer.status}, expected {check.expected_status_code}", answer.status
            )
        return self._checked(started, True, None, answer.status)

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        """POST the event as JSON to ``endpoint``; a status in ``retry_on_status_codes`` or no answer
        at all is worth another attempt."""
        if not (self.config.endpoint or "").startswith(("http://", "https://")):
            return SendResult(
                False, error=f"{self.config.type.value} integrations send only to an http(s) endpoint"
            )
        body = self.body_for(event)
        try:
            authenticated = await self.auth_headers()
        except Exception as err:  # no credentials to send with: worth another attempt unless refused
            return SendResult(
                False, retryable=not isinstance(err, TokenRefusedError), error=self.failure(err)
            )
        headers = {"Content-Type": "application/json", **authenticated, **self.extra_headers(event, body)}
        try:
            answer = await self.request(
                self.method,
                self.config.endpoint or "",
                body=body,
                headers=headers,
                timeout=self.config.timeout_seconds,
            )
        except Exception as err:  # unreachable: worth another attempt
            return SendResult(False, retryable=True, error=self.failure(err))
        return self.judge(answer)

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Accept an inbound JSON event signed with ``auth.signing_secret``: the event as stored."""
        from aws_mcp.integrations.signing import verify

        secret = self.secret("signing_secret")
        if secret is None or not self.receives:
            raise InvalidIntegrationError(
                f"This {self.config.type.value} integration takes no inbound events"
            )
        verify(secret, body, headers, self.context.clock())
        if len(body) > _MAX_INBOUND:
            raise InvalidIntegrationError(f"An inbound event is at most {_MAX_INBOUND} bytes")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidIntegrationError("An inbound event's body must be JSON") from None
        kept = await self.process_event(payload)
        return {"payload": payload} if kept is None else kept

    async def process_event(self, event: Any) -> dict[str, Any] | None:
        """An inbound event, its signature checked: what the integration's history keeps of it
        (None: the event as sent). A type that acts on events does so here."""
        return None

    async def start_listening(self) -> None:
        """The integration starts taking inbound events (created, or enabled again): a type that must
        subscribe at its counterpart does so here."""

    async def stop_listening(self) -> None:
        """The integration stops taking inbound events (disabled, inactive, deprecated, deleted)."""

    def body_for(self, event: Mapping[str, Any]) -> bytes:
        return orjson.dumps(event)

    def extra_headers(self, event: Mapping[str, Any], body: bytes) -> dict[str, str]:
        """Event type and id, and the HMAC-SHA256 signature when ``auth.signing_secret`` is set."""
        from aws_mcp.integrations.signing import signature_headers

        headers = {
            "X-Aws-Mcp-Event": str(event.get("type", "")),
            "X-Aws-Mcp-Delivery": str(event.get("id", "")),
        }
        secret = self.secret("signing_secret")
        if secret:
            headers |= signature_headers(secret, int(self.context.clock()), body)
        return headers

    def judge(self, answer: HttpAnswer) -> SendResult:
        if 200 <= answer.status < 300:
            return SendResult(True, status_code=answer.status)
        return SendResult(
            False,
            retryable=answer.status in self.config.retry.retry_on_status_codes,
            status_code=answer.status,
            error=f"HTTP {answer.status}",
        )

    # -- for subclasses ------------------------------------------------------------------------

    def _checked(self, started: float, healthy: bool, error: str | None, status: int | None = None) -> bool:
        latency = round((time.perf_counter() - started) * 1000, 1)
        self.last_check = CheckResult(healthy, latency, error, status)
        return healthy

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
    ) -> HttpAnswer:
        """An HTTP request to the counterpart: through the registered auth provider, if any, then
        signed (AWS_SIG_V4, OAUTH1), with the client certificate (CERTIFICATE)."""
        outgoing = OutboundRequest(method, url, dict(headers or {}), body)
        if self.auth_provider is not None:
            said = self.auth_provider.authenticate(outgoing)
            if inspect.isawaitable(said):
                await said
        signed = self.signed(outgoing.method, outgoing.url, outgoing.body or b"", outgoing.headers)
        return await self.context.request(
            outgoing.method,
            outgoing.url,
            body=outgoing.body,
            headers=signed,
            timeout=timeout,
            pool=self._pool(),
        )

    def _pool(self) -> urllib3.PoolManager | None:
        auth = self.config.auth
        if auth.type is not AuthType.CERTIFICATE:
            return None
        if self._tls_pool is None:
            certificate, key = self.secret("certificate"), self.secret("private_key")
            if certificate is None or key is None:
                raise InvalidIntegrationError(CERTIFICATE_NEEDS)
            context = _client_tls(certificate, key, auth.ca_certificate)
            self._tls_pool = urllib3.PoolManager(retries=False, ssl_context=context)
        return self._tls_pool

    def failure(self, err: BaseException) -> str:
        """:func:`describe_failure`, a secret endpoint masked (urllib3 names the URL it failed on)."""
        said = describe_failure(err)
        return scrub(said, self.config.endpoint) if self.config.secret_endpoint else said

    def secret(self, name: str) -> str | None:
        value = getattr(self.config.auth, name)
        return value.get_secret_value() if value is not None else None

    async def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request to the counterpart, per ``auth.type``."""
        auth = self.config.auth
        if auth.type is AuthType.API_KEY:
            return {auth.header_name: self.secret("api_key") or ""}
        if auth.type is AuthType.BASIC:
            pair = f"{auth.username or ''}:{self.secret('password') or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if auth.type is AuthType.BEARER_TOKEN:
            return {"Authorization": f"Bearer {self.secret('token') or ''}"}
        if auth.type is AuthType.OAUTH2:
            return {"Authorization": f"Bearer {await self._oauth2_token()}"}
        if auth.type is AuthType.CUSTOM:
            return {name: value.get_secret_value() for name, value in auth.custom_headers.items()}
        return {}

    def signed(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` plus the request's signature: SigV4 (AWS_SIG_V4, the function's own
        credentials) or OAuth 1.0a (OAUTH1, HMAC-SHA1 in the Authorization header)."""
        auth = self.config.auth
        if auth.type is AuthType.OAUTH1:
            return self._signed_oauth1(method, url, headers)
        if auth.type is not AuthType.AWS_SIG_V4:
            return headers
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = self.context.credentials()
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(
            credentials, auth.service or "execute-api", auth.region or self.context.default_region
        ).add_auth(request)
        return dict(request.headers.items())

    def _signed_oauth1(self, method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        """RFC 5849 with oauthlib (loaded only here): consumer key and secret, and the access
        token and its secret when given. A JSON body is not part of the signature (only form
        bodies are, by the RFC)."""
        from oauthlib.oauth1 import Client

        auth = self.config.auth
        client = Client(
            auth.consumer_key or "",
            client_secret=self.secret("consumer_secret"),
            resource_owner_key=self.secret("token"),
            resource_owner_secret=self.secret("token_secret"),
            timestamp=str(int(self.context.clock())),
        )
        _, signed, _ = client.sign(url, http_method=method)
        return headers | {"Authorization": signed["Authorization"]}

    async def _oauth2_token(self) -> str:
        """A client-credentials token from ``auth.token_url`` (RFC 6749 §4.4), kept by this plugin
        until shortly before its ``expires_in``."""
        now = self.context.clock()
        if self._token is not None and now < self._token[1]:
            return self._token[0]
        auth = self.config.auth
        if not auth.token_url:
            raise InvalidIntegrationError("OAUTH2 needs auth.token_url")
        form = {"grant_type": "client_credentials"}
        if auth.scopes:
            form["scope"] = " ".join(auth.scopes)
        from urllib.parse import urlencode

        pair = f"{auth.client_id or ''}:{self.secret('client_secret') or ''}".encode()
        answer = await self.request(
            "POST",
            auth.token_url,
            body=urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + base64.b64encode(pair).decode(),
            },
            timeout=self.config.timeout_seconds,
        )
        if 400 <= answer.status < 500:
            raise TokenRefusedError(f"the token endpoint answered HTTP {answer.status}")
        if answer.status != 200:
            raise ConnectionError(f"the token endpoint answered HTTP {answer.status}")
        try:
            granted = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            granted = None
        token = granted.get("access_token") if isinstance(granted, dict) else None
        if not isinstance(token, str):
            raise ConnectionError("the token endpoint's answer has no access_token")
        lifetime = granted.get("expires_in") if isinstance(granted, dict) else None
        if isinstance(lifetime, int) and lifetime > 60:
            self._token = (token, now + lifetime - 30)
        return token


CERTIFICATE_NEEDS: Final = (
    "auth type CERTIFICATE needs auth.certificate (PEM, the chain after it) and auth.private_key "
    "(PEM, the key it certifies); auth.ca_certificate, when set, is PEM too"
)


def _client_tls(certificate: str, private_key: str, ca_certificate: str | None) -> Any:
    """The client TLS context, or InvalidIntegrationError saying what is wrong (never the PEM)."""
    import ssl

    from aws_mcp.integrations.tls import client_context

    try:
        return client_context(certificate, private_key, ca_certificate)
    except (ssl.SSLError, ValueError, OSError) as err:
        reason = getattr(err, "reason", None) or type(err).__name__
        raise InvalidIntegrationError(f"{CERTIFICATE_NEEDS} ({reason})") from None


class TokenRefusedError(ConnectionError):
    """The token endpoint refused the client's credentials (4xx): another attempt will not help."""


def check_url(url: str | None, name: str, *, required: bool) -> None:
    if url is None:
        if required:
            raise InvalidIntegrationError(f"{name} is required: an http:// or https:// URL")
        return
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Not the URL itself: it may be a credential (a webhook's token in its path).
        raise InvalidIntegrationError(
            f"{name} must be an http:// or https:// URL with a host (this one's scheme: {parts.scheme!r})"
        )


def describe_failure(err: BaseException) -> str:
    """A failure to reach a counterpart, in a line (no secrets: our requests' headers are not in it)."""
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"[:300]
