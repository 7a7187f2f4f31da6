"""``MCPClientFactory``: the client for a server's transport, as its config names it."""

from __future__ import annotations

import logging

from aws_mcp_client.client import MCPClient, MCPSSEClient, MCPSTDIOClient
from aws_mcp_client.config import ClientSettings, MCPServerConfig, TransportType
from aws_mcp_client.retry import Sleep
from aws_mcp_client.transports import transport_for

__all__ = ["MCPClientFactory", "configure_logging"]

_CLIENTS: dict[TransportType, type[MCPClient]] = {
    TransportType.STDIO: MCPSTDIOClient,
    TransportType.SSE: MCPSSEClient,
    TransportType.STREAMABLE_HTTP: MCPClient,
}


class MCPClientFactory:
    @staticmethod
    def create_client(
        config: MCPServerConfig, settings: ClientSettings | None = None, *, sleep: Sleep | None = None
    ) -> MCPClient:
        """``MCPSTDIOClient`` for stdio, ``MCPSSEClient`` for SSE, ``MCPClient`` for Streamable HTTP.

        ``sleep`` is how retries wait: injectable, so tests check backoff on a fake clock.
        """
        settings = settings or ClientSettings()
        configure_logging(settings)
        return _CLIENTS[config.transport](
            config, settings, transport=transport_for(config, settings), sleep=sleep
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
