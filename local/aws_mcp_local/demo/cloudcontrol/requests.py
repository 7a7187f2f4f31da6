"""Resource operation requests and their lives: IN_PROGRESS, then SUCCESS or FAILED.

A request's handler acts when the request is made (so the resource is in moto's backends at
once, for the native APIs too), and the request reports IN_PROGRESS until its due time, the
emulator's delay later; then its outcome. Cancelling an IN_PROGRESS request makes it
CANCEL_COMPLETE without undoing what the handler did, as Cloud Control's documentation warns.

The requests live in a moto backend (one per account and region), so moto's reset clears them
with everything else.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend

__all__ = ["Outcome", "RequestStore", "ResourceRequest", "stores"]

# What an unfinished request says, and the statuses that end one.
IN_PROGRESS = "IN_PROGRESS"
FINISHED = frozenset({"SUCCESS", "FAILED", "CANCEL_COMPLETE"})


@dataclass(frozen=True)
class Outcome:
    """How a request ends: SUCCESS (with the resource's model, if it still exists) or FAILED."""

    status: str
    error_code: str | None = None
    message: str | None = None
    model: dict[str, Any] | None = None


@dataclass
class ResourceRequest:
    token: str
    operation: str  # CREATE, UPDATE or DELETE
    type_name: str
    identifier: str | None
    desired: dict[str, Any] | None
    started: float
    due: float
    outcome: Outcome
    client_token: str | None
    fingerprint: str
    cancelled: float | None = None

    def status(self, now: float) -> str:
        if self.cancelled is not None:
            return "CANCEL_COMPLETE"
        return IN_PROGRESS if now < self.due else self.outcome.status

    def in_progress(self, now: float) -> bool:
        return self.status(now) == IN_PROGRESS

    def event(self, now: float) -> dict[str, Any]:
        """The request's ``ProgressEvent`` as of ``now``."""
        return self._event(self.status(now), now)

    def first_event(self) -> dict[str, Any]:
        """The answer to the request itself: it has only started, whatever its outcome will be."""
        return self._event(IN_PROGRESS, self.started)

    def _event(self, status: str, now: float) -> dict[str, Any]:
        at = self.started if status == IN_PROGRESS else self.cancelled or self.due
        event: dict[str, Any] = {
            "TypeName": self.type_name,
            "RequestToken": self.token,
            "Operation": self.operation,
            "OperationStatus": status,
            "EventTime": datetime.fromtimestamp(at, UTC),
        }
        if self.identifier is not None:
            event["Identifier"] = self.identifier
        model = self.outcome.model if status == "SUCCESS" else self.desired if status == IN_PROGRESS else None
        if model is not None:
            event["ResourceModel"] = json.dumps(model, separators=(",", ":"), default=str)
        if status == "FAILED":
            event["ErrorCode"] = self.outcome.error_code
            event["StatusMessage"] = self.outcome.message
        if status == IN_PROGRESS:
            event["RetryAfter"] = datetime.fromtimestamp(min(self.due, now + 1.0), UTC)
        return event


class RequestStore(BaseBackend):
    """One account and region's requests, oldest first."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.lock = threading.RLock()
        self.requests: dict[str, ResourceRequest] = {}
        self.by_client_token: dict[str, str] = {}

    def add(self, request: ResourceRequest) -> None:
        self.requests[request.token] = request
        if request.client_token:
            self.by_client_token[request.client_token] = request.token

    def busy(self, type_name: str, identifier: str, now: float) -> ResourceRequest | None:
        """The request still working on this resource, if any."""
        return next(
            (
                r
                for r in self.requests.values()
                if r.type_name == type_name and r.identifier == identifier and r.in_progress(now)
            ),
            None,
        )


def new_token() -> str:
    return str(uuid.uuid4())


stores: BackendDict[RequestStore] = BackendDict(RequestStore, "cloudcontrol")
"""Every account and region's requests; moto's reset clears them."""
