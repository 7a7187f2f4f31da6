"""Running one integration's health check for the MCP tool ``integrations_test``.

On Lambda the MCP function invokes the health function (``RemoteChecks``), which holds the
integrations' secrets and reaches their counterparts: the MCP function's role gets neither.
Locally (``aws-mcp serve``) the check runs in process (``LocalChecks``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from aws_mcp.errors import IntegrationError, ToolError

__all__ = ["INTEGRATION_CHECKS", "INTEGRATION_STORE", "Checks", "LocalChecks", "RemoteChecks"]

# The names the registry injects these by (a tool's parameter names).
INTEGRATION_STORE = "integration_store"
INTEGRATION_CHECKS = "integration_checks"


class Checks(Protocol):
    def run(self, integration_id: str, trigger: str) -> dict[str, Any]: ...


class LocalChecks:
    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def run(self, integration_id: str, trigger: str) -> dict[str, Any]:
        # Its own event loop in a worker thread: the caller may be inside one (the HTTP app's).
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            try:
                outcome = pool.submit(
                    asyncio.run, self._registry.check(integration_id, trigger=trigger)
                ).result()
            except IntegrationError as err:
                raise ToolError(err.detail) from None
        answer: dict[str, Any] = outcome.answer()
        return answer


class RemoteChecks:
    def __init__(self, lambda_client: Callable[[], Any], function: str) -> None:
        self._client = lambda_client
        self._function = function

    def run(self, integration_id: str, trigger: str) -> dict[str, Any]:
        answer = self._client().invoke(
            FunctionName=self._function,
            Payload=orjson.dumps({"integration_id": integration_id, "trigger": trigger}),
        )
        payload = orjson.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise ToolError(f"The health check function failed: {str(payload.get('errorMessage', ''))[:300]}")
        if "error" in payload:
            raise ToolError(str(payload["error"].get("detail", "the check failed")))
        return dict(payload)
