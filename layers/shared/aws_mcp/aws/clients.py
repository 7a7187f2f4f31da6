"""The one place boto3 clients are built: adaptive retries, short timeouts, one client per service,
region and account.

Tools receive clients from here and never build their own, so timeouts fit
the Lambda timeout everywhere and tests point every client at moto with a
single injected endpoint. The cache is bounded (least recently used first out): a
client costs about 170 kB, and callers choose the regions. A registered account's clients
sign with its role's credentials, assumed for the caller (:mod:`aws_mcp.aws.assumed`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

import boto3
from botocore.config import Config

from aws_mcp.accounts import HOME, Account
from aws_mcp.aws.assumed import AssumedRoles
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
        assumed: AssumedRoles | None = None,
    ) -> None:
        """``assumed``: how other accounts' sessions are made (default: from this session's STS)."""
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
        self._clients: OrderedDict[tuple[str, str, bool, str, str], Any] = OrderedDict()
        self._max_clients = max_clients
        # boto3 sessions are not thread-safe; clients are. Build under a lock, use freely.
        self._lock = threading.Lock()
        # Roles are assumed through the STS endpoint of the server's own region.
        self._assumed = assumed or AssumedRoles(
            self._session, lambda: self.client("sts", settings.tables_region, state=True)
        )

    def client(
        self,
        service: str,
        region: str,
        *,
        state: bool = False,
        account: Account = HOME,
        caller: str = "local",
    ) -> Any:
        """A client for ``service`` in ``region``; ``state=True`` for the server's own tables.

        In a registered ``account`` with a role, the client acts as that role, assumed for
        ``caller`` (one session per account and caller: the target's CloudTrail names who asked).

        Only tools' clients report their AWS request ids to the audit record: the server's own
        table calls (breaker, idempotency, audit) are not the tool's doing.
        """
        assumed = account.assumed and not state
        key = (service, region, state, account.alias if assumed else "", caller if assumed else "")
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                self._clients.move_to_end(key)
                return found
        # Assuming the role is an STS call (itself a client from here): outside the lock.
        session = self._assumed.session(account, caller) if assumed else self._session
        with self._lock:
            found = session.client(
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
