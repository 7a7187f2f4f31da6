"""``MCPClientFactory``: a configured client per server, the transport chosen by the server's config."""

from __future__ import annotations

import logging

import anyio

from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import ClientSettings, ServerConfig
from aws_mcp_client.retry import Sleep
from aws_mcp_client.transports import transport_for

__all__ = ["MCPClientFactory", "configure_logging"]


class MCPClientFactory:
    def __init__(self, settings: ClientSettings | None = None, *, sleep: Sleep = anyio.sleep) -> None:
        self.settings = settings or ClientSettings()
        self._sleep = sleep  # how retries wait: injectable, so tests check backoff on a fake clock
        configure_logging(self.settings)

    def create_client(self, config: ServerConfig) -> MCPClient:
        return MCPClient(
            config, self.settings, transport=transport_for(config, self.settings), sleep=self._sleep
        )


def configure_logging(settings: ClientSettings) -> None:
    """``AWS_MCP_DEBUG_LOGGING`` turns on debug logs; request and response logs are emitted at INFO."""
    logger = logging.getLogger("aws_mcp_client")
    if settings.debug_logging:
        logger.setLevel(logging.DEBUG)
    elif settings.log_requests or settings.log_responses:
        logger.setLevel(logging.INFO)
    if (settings.debug_logging or settings.log_requests or settings.log_responses) and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
