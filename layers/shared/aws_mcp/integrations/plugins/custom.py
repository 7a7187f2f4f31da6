"""CUSTOM: the seed's example type, as written there. The base class does the work: its generic
health check (``health_check``'s request), events POSTed as JSON to an http(s) ``endpoint``, and
inbound events signed with ``auth.signing_secret``. A deployment replaces it with its own class
through ``registry.register_plugin_type(IntegrationType.CUSTOM, ...)``."""

from __future__ import annotations

from aws_mcp.integrations.integration import Integration

__all__ = ["CustomIntegration"]


class CustomIntegration(Integration):
    async def initialize(self) -> bool:
        return await super().initialize()

    async def health_check(self) -> bool:
        return await super().health_check()
