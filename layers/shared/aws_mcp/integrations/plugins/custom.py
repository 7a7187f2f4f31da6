"""CUSTOM: the seed's example type, as written there: the base class's initialization and its
generic health check (``health_check``'s request); events are POSTed as JSON to an http(s)
``endpoint`` when one is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_mcp.integrations.integration import Integration, SendResult
from aws_mcp.integrations.plugins.http import RestApiIntegration

__all__ = ["CustomIntegration"]


class CustomIntegration(Integration):
    sends = True
    receives = False

    async def initialize(self) -> bool:
        return await super().initialize()

    async def health_check(self) -> bool:
        return await super().health_check()

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        if not (self.config.endpoint or "").startswith(("http://", "https://")):
            return SendResult(False, error="A CUSTOM integration sends only to an http(s) endpoint")
        return await RestApiIntegration(self.config, self.context).send(event)
