"""HTTP integration types: WEBHOOK (signed POSTs out, signed events in), REST_API, GRAPHQL."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from aws_mcp.errors import InvalidIntegration
from aws_mcp.integrations.integration import (
    HttpAnswer,
    Integration,
    SendResult,
    check_url,
    describe_failure,
)
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.signing import signature_headers, verify

__all__ = ["GraphQLIntegration", "RestApiIntegration", "WebhookIntegration"]

_JSON = {"Content-Type": "application/json"}
_MAX_INBOUND = 262_144


class _HttpIntegration(Integration):
    """Sends an event as a JSON request to ``endpoint``; checks ``health_check.endpoint`` or,
    without one, that ``endpoint`` answers at all (any status below 500)."""

    sends = True
    method = "POST"

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        check_url(config.endpoint, "endpoint", required=config.direction.sends)

    async def health_check(self) -> bool:
        if self.config.health_check.endpoint or not self.config.endpoint:
            return await super().health_check()
        started = time.perf_counter()
        try:
            answer = await self._probe()
        except Exception as err:
            return self._checked(started, False, describe_failure(err))
        healthy, error = self._judge_probe(answer)
        return self._checked(started, healthy, error, answer.status)

    async def _probe(self) -> HttpAnswer:
        assert self.config.endpoint
        return await self.context.request(
            "HEAD",
            self.config.endpoint,
            headers=await self.auth_headers(),
            timeout=self.config.health_check.timeout_seconds,
        )

    def _judge_probe(self, answer: HttpAnswer) -> tuple[bool, str | None]:
        if answer.status >= 500:
            return False, f"HTTP {answer.status}"
        return True, None

    def body_for(self, event: Mapping[str, Any]) -> bytes:
        return orjson.dumps(event)

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        assert self.config.endpoint
        body = self.body_for(event)
        headers = {**_JSON, **await self.auth_headers(), **self.extra_headers(event, body)}
        headers = self.signed_for_aws(self.method, self.config.endpoint, body, headers)
        try:
            answer = await self.context.request(
                self.method,
                self.config.endpoint,
                body=body,
                headers=headers,
                timeout=self.config.timeout_seconds,
            )
        except Exception as err:  # unreachable: worth another attempt
            return SendResult(False, retryable=True, error=describe_failure(err))
        return self.judge(answer)

    def extra_headers(self, event: Mapping[str, Any], body: bytes) -> dict[str, str]:
        return {}

    def judge(self, answer: HttpAnswer) -> SendResult:
        if 200 <= answer.status < 300:
            return SendResult(True, status_code=answer.status)
        return SendResult(
            False,
            retryable=answer.status in self.config.retry.retry_on_status_codes,
            status_code=answer.status,
            error=f"HTTP {answer.status}",
        )


class WebhookIntegration(_HttpIntegration):
    """POSTs each event, signed (HMAC-SHA256) when ``auth.signing_secret`` is set; takes inbound
    events at ``POST /api/v1/integrations/{id}/events``, which must be signed with it."""

    receives = True

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        if config.direction.receives and config.auth.signing_secret is None:
            raise InvalidIntegration(
                "An inbound webhook needs auth.signing_secret: unsigned events are refused"
            )

    def extra_headers(self, event: Mapping[str, Any], body: bytes) -> dict[str, str]:
        headers = {
            "X-Aws-Mcp-Event": str(event.get("type", "")),
            "X-Aws-Mcp-Delivery": str(event.get("id", "")),
        }
        secret = self.secret("signing_secret")
        if secret:
            headers |= signature_headers(secret, int(self.context.clock()), body)
        return headers

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        secret = self.secret("signing_secret")
        if secret is None:  # validate() refuses this for inbound webhooks; an outbound one takes none
            raise InvalidIntegration("This webhook takes no inbound events (direction OUTBOUND)")
        verify(secret, body, headers, self.context.clock())
        if len(body) > _MAX_INBOUND:
            raise InvalidIntegration(f"An inbound event is at most {_MAX_INBOUND} bytes")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidIntegration("An inbound event's body must be JSON") from None
        return {"payload": payload}


class RestApiIntegration(_HttpIntegration):
    """Sends each event with ``metadata.send_method`` (default POST) to ``endpoint``."""

    def __init__(self, config: IntegrationConfig, context: Any) -> None:
        super().__init__(config, context)
        self.method = str(config.metadata.get("send_method", "POST")).upper()

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        if str(config.metadata.get("send_method", "POST")).upper() not in ("POST", "PUT", "PATCH"):
            raise InvalidIntegration("metadata.send_method must be POST, PUT or PATCH")


class GraphQLIntegration(_HttpIntegration):
    """Sends each event as the variable ``event`` of ``metadata.mutation``; checks that the endpoint
    answers the query ``{ __typename }`` without errors."""

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        mutation = config.metadata.get("mutation")
        if config.direction.sends and not (isinstance(mutation, str) and "$event" in mutation):
            raise InvalidIntegration(
                "A GraphQL integration that sends needs metadata.mutation, a document taking $event, e.g. "
                "'mutation($event: AWSJSON!) { notify(event: $event) }'"
            )

    def body_for(self, event: Mapping[str, Any]) -> bytes:
        return orjson.dumps(
            {"query": self.config.metadata.get("mutation"), "variables": {"event": dict(event)}}
        )

    async def _probe(self) -> HttpAnswer:
        assert self.config.endpoint
        return await self.context.request(
            "POST",
            self.config.endpoint,
            body=b'{"query":"{ __typename }"}',
            headers={**_JSON, **await self.auth_headers()},
            timeout=self.config.health_check.timeout_seconds,
        )

    def _judge_probe(self, answer: HttpAnswer) -> tuple[bool, str | None]:
        if answer.status != 200:
            return False, f"HTTP {answer.status}"
        return _graphql_errors(answer.body)

    def judge(self, answer: HttpAnswer) -> SendResult:
        result = super().judge(answer)
        if not result.delivered:
            return result
        ok, error = _graphql_errors(answer.body)
        return result if ok else SendResult(False, status_code=answer.status, error=error)


def _graphql_errors(body: bytes) -> tuple[bool, str | None]:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False, "the answer is not JSON"
    if not isinstance(answer, dict) or "data" not in answer:
        return False, "the answer has no data"
    errors = answer.get("errors")
    if errors:
        first = (
            errors[0].get("message") if isinstance(errors, list) and isinstance(errors[0], dict) else errors
        )
        return False, f"GraphQL error: {str(first)[:200]}"
    return True, None
