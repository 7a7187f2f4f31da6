"""HTTP integration types: WEBHOOK (signed POSTs out, signed events in), REST_API, GRAPHQL."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.integration import HttpAnswer, Integration, SendResult
from aws_mcp.integrations.model import IntegrationConfig

__all__ = ["GraphQLIntegration", "RestApiIntegration", "WebhookIntegration"]

_JSON = {"Content-Type": "application/json"}


class _HttpIntegration(Integration):
    """Sends an event as a JSON request to ``endpoint``; checks ``health_check.endpoint`` or,
    without one, that ``endpoint`` answers at all (any status below 500)."""

    receives = False

    async def health_check(self) -> bool:
        if self.config.health_check.endpoint or not self.config.endpoint:
            return await super().health_check()
        started = time.perf_counter()
        try:
            answer = await self._probe()
        except Exception as err:
            return self._checked(started, False, self.failure(err))
        healthy, error = self._judge_probe(answer)
        return self._checked(started, healthy, error, answer.status)

    async def _probe(self) -> HttpAnswer:
        assert self.config.endpoint
        return await self.request(
            "HEAD",
            self.config.endpoint,
            headers=await self.auth_headers(),
            timeout=self.config.health_check.timeout_seconds,
        )

    def _judge_probe(self, answer: HttpAnswer) -> tuple[bool, str | None]:
        if answer.status >= 500:
            return False, f"HTTP {answer.status}"
        return True, None


class WebhookIntegration(_HttpIntegration):
    """POSTs each event, signed (HMAC-SHA256) when ``auth.signing_secret`` is set; takes inbound
    events at ``POST /api/v1/integrations/{id}/events``, which must be signed with it."""

    receives = True


class RestApiIntegration(_HttpIntegration):
    """Sends each event with ``metadata.send_method`` (default POST) to ``endpoint``."""

    def __init__(self, config: IntegrationConfig, context: Any) -> None:
        super().__init__(config, context)
        self.method = str(config.metadata.get("send_method", "POST")).upper()

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        if str(config.metadata.get("send_method", "POST")).upper() not in ("POST", "PUT", "PATCH"):
            raise InvalidIntegrationError("metadata.send_method must be POST, PUT or PATCH")


class GraphQLIntegration(_HttpIntegration):
    """Sends each event as the variable ``event`` of ``metadata.mutation``; checks that the endpoint
    answers the query ``{ __typename }`` without errors."""

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        super().validate(config)
        mutation = config.metadata.get("mutation")
        if config.direction.sends and not (isinstance(mutation, str) and "$event" in mutation):
            raise InvalidIntegrationError(
                "A GraphQL integration that sends needs metadata.mutation, a document taking $event, e.g. "
                "'mutation($event: AWSJSON!) { notify(event: $event) }'"
            )

    def body_for(self, event: Mapping[str, Any]) -> bytes:
        return orjson.dumps(
            {"query": self.config.metadata.get("mutation"), "variables": {"event": dict(event)}}
        )

    async def _probe(self) -> HttpAnswer:
        assert self.config.endpoint
        return await self.request(
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
