"""The one place boto3 clients are built: adaptive retries, short timeouts, one client per service and region.

Tools receive clients from here and never build their own, so timeouts fit
the Lambda timeout everywhere and tests point every client at moto with a
single injected endpoint. The cache is bounded (least recently used first out): a
client costs about 170 kB, and callers choose the regions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

import boto3
from botocore.config import Config

from aws_mcp.aws.loader import fast_session
from aws_mcp.aws.request_ids import record_request_id
from aws_mcp.config import Settings

__all__ = ["MAX_CLIENTS", "ClientFactory"]

# Every region of the aws partition for two services, with room to spare.
MAX_CLIENTS: Final = 96


class ClientFactory:
    def __init__(
        self,
        settings: Settings,
        session: boto3.Session | None = None,
        endpoint_url: str | None = None,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._session = session or fast_session()
        self._endpoint_url = endpoint_url
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": settings.aws_max_attempts},
            connect_timeout=settings.aws_connect_timeout,
            read_timeout=settings.aws_read_timeout,
            user_agent_extra="aws-mcp/" + settings.server_version,
        )
        # The server's own state tables (breaker, idempotency, audit) must fail fast: a slow
        # table must not hold a tool call hostage. Two attempts, sub-second connect.
        self._state_config = Config(
            retries={"mode": "standard", "total_max_attempts": 2},
            connect_timeout=1.0,
            read_timeout=2.0,
            user_agent_extra="aws-mcp/" + settings.server_version,
        )
        self._clients: OrderedDict[tuple[str, str, bool], Any] = OrderedDict()
        self._max_clients = max_clients
        # boto3 sessions are not thread-safe; clients are. Build under a lock, use freely.
        self._lock = threading.Lock()

    def client(self, service: str, region: str, *, state: bool = False) -> Any:
        """A client for ``service`` in ``region``; ``state=True`` for the server's own tables.

        Only tools' clients report their AWS request ids to the audit record: the server's own
        table calls (breaker, idempotency, audit) are not the tool's doing.
        """
        key = (service, region, state)
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                self._clients.move_to_end(key)
                return found
            found = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                config=self._state_config if state else self._config,
                endpoint_url=self._endpoint_url,
            )
            if not state:
                found.meta.events.register("after-call", record_request_id)
            self._clients[key] = found
            if len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)
            return found
