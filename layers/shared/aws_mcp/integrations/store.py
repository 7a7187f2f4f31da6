"""Integrations in DynamoDB: every write conditional on the revision it replaces.

Table layout (key ``pk``/``sk``, TTL on ``expires_at``):

* ``pk = INTEGRATION``, ``sk = <id>``: the integration (``doc``: its JSON; ``revision``; ``status``,
  ``itype``, ``tags`` and ``enabled`` as attributes to filter on). Ids sort by creation time, so a
  listing is one Query in creation order; integrations number in the hundreds at most, far below
  what one partition serves.
* ``pk = HISTORY#<id>``, ``sk = <KIND>#<time>#<n>``: health check results, status transitions and
  inbound events, newest last, each expiring after ``history_days``.
* ``pk = RATE#<caller>``: the REST API's per-caller counters (``ratelimit``).

A write names the revision it replaces (``ConditionExpression revision = :r``) and goes in one
transaction with the history items it makes, so a transition is never stored without its record
and two writers never both win: the loser gets :class:`RevisionConflictError` with the current revision.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from botocore.exceptions import ClientError

from aws_mcp.errors import IntegrationNotFoundError, RevisionConflictError
from aws_mcp.integrations.model import IntegrationRecord, Transition

__all__ = ["HistoryKind", "IntegrationStore", "Page", "new_id"]

_PK: Final = "INTEGRATION"
HISTORY_DAYS: Final = 30


class HistoryKind:
    HEALTH: Final = "HEALTH"
    TRANSITION: Final = "TRANSITION"
    EVENT: Final = "EVENT"


def new_id(now: datetime) -> str:
    """A time-ordered id: milliseconds since the epoch, then 48 random bits (hex, 24 characters)."""
    return f"{int(now.timestamp() * 1000):012x}{random.token_hex(6)}"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[IntegrationRecord]
    # The id to continue after, or None on the last page.
    after: str | None


class IntegrationStore:
    def __init__(self, dynamodb: Callable[[], Any], table: str, *, history_days: int = HISTORY_DAYS) -> None:
        self.client = dynamodb
        self.table = table
        self._history_days = history_days

    # -- reads -----------------------------------------------------------------------------

    def get(self, integration_id: str) -> IntegrationRecord:
        # A Query, not GetItem: the MCP tools read with dynamodb:Query only (a GetItem grant would
        # overlap the server's state-table statements, which grant no tool's action).
        items = (
            self.client()
            .query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND sk = :id",
                ExpressionAttributeValues={":pk": {"S": _PK}, ":id": {"S": integration_id}},
                ConsistentRead=True,
            )
            .get("Items", [])
        )
        found = items[0] if items else None
        if found is None:
            raise IntegrationNotFoundError(f"No integration has the id {integration_id!r}", id=integration_id)
        return _from_item(found)

    def page(
        self,
        *,
        limit: int,
        after: str | None = None,
        itype: str | None = None,
        status: str | None = None,
        tag: tuple[str, str] | None = None,
        enabled: bool | None = None,
    ) -> Page:
        """Up to ``limit`` integrations after the id ``after``, in creation order, filtered."""
        filters: list[str] = []
        names = {"#pk": "pk"}
        values: dict[str, dict[str, Any]] = {":pk": {"S": _PK}}
        if itype:
            filters.append("itype = :itype")
            values[":itype"] = {"S": itype}
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = {"S": status}
        if tag:
            filters.append("tags.#tagkey = :tagvalue")
            names["#tagkey"] = tag[0]
            values[":tagvalue"] = {"S": tag[1]}
        if enabled is not None:
            filters.append("enabled = :enabled")
            values[":enabled"] = {"BOOL": enabled}
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        start = {"pk": {"S": _PK}, "sk": {"S": after}} if after else None
        items: list[IntegrationRecord] = []
        while True:
            if start:
                request["ExclusiveStartKey"] = start
            # One more than asked for: whether a next page exists is then known without a query.
            request["Limit"] = max(limit - len(items) + 1, 10)
            answer = self.client().query(**request)
            items.extend(_from_item(i) for i in answer.get("Items", ()))
            start = answer.get("LastEvaluatedKey")
            if len(items) > limit:
                return Page(items[:limit], items[limit - 1].id)
            if not start:
                return Page(items, None)

    def every(self, **filters: Any) -> Iterable[IntegrationRecord]:
        after = None
        while True:
            page = self.page(limit=100, after=after, **filters)
            yield from page.items
            if page.after is None:
                return
            after = page.after

    def history(self, integration_id: str, kind: str, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` history entries of one kind, newest first."""
        answer = self.client().query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :kind)",
            ExpressionAttributeValues={":pk": {"S": f"HISTORY#{integration_id}"}, ":kind": {"S": kind + "#"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [orjson.loads(i["doc"]["S"]) for i in answer.get("Items", ())]

    # -- writes ----------------------------------------------------------------------------

    def create(self, integration: IntegrationRecord) -> None:
        self._write(integration, None, [], [])

    def replace(
        self,
        integration: IntegrationRecord,
        expected_revision: int,
        transitions: Iterable[Transition] = (),
        history: Iterable[tuple[str, dict[str, Any]]] = (),
    ) -> IntegrationRecord:
        """Store ``integration`` as revision ``expected_revision + 1`` with its history entries."""
        stored = integration.model_copy(update={"revision": expected_revision + 1})
        entries = [(HistoryKind.TRANSITION, t.model_dump(mode="json")) for t in transitions]
        self._write(stored, expected_revision, entries, list(history))
        return stored

    def delete(self, integration_id: str, expected_revision: int | None) -> IntegrationRecord:
        """Delete the integration (only at ``expected_revision``, when given); the deleted one."""
        current = self.get(integration_id)
        revision = current.revision if expected_revision is None else expected_revision
        try:
            self.client().delete_item(
                TableName=self.table,
                Key=_key(integration_id),
                ConditionExpression="revision = :r",
                ExpressionAttributeValues={":r": {"N": str(revision)}},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise self._conflict(integration_id, revision) from None
        return current

    def add_history(self, integration_id: str, kind: str, entry: dict[str, Any], now: datetime) -> None:
        self.client().put_item(
            TableName=self.table, Item=self._history_item(integration_id, kind, entry, now)
        )

    def _write(
        self,
        integration: IntegrationRecord,
        expected_revision: int | None,
        transitions: list[tuple[str, dict[str, Any]]],
        history: list[tuple[str, dict[str, Any]]],
    ) -> None:
        put: dict[str, Any] = {"TableName": self.table, "Item": _to_item(integration)}
        if expected_revision is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "revision = :r"
            put["ExpressionAttributeValues"] = {":r": {"N": str(expected_revision)}}
        now = integration.updated_at
        extra = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._history_item(integration.id, kind, entry, now, n),
                }
            }
            for n, (kind, entry) in enumerate(transitions + history)
        ]
        try:
            if extra:
                self.client().transact_write_items(TransactItems=[{"Put": put}, *extra])
            else:
                self.client().put_item(**put)
        except ClientError as err:
            code = err.response["Error"]["Code"]
            reasons = [r.get("Code") for r in err.response.get("CancellationReasons", ())]
            if code == "ConditionalCheckFailedException" or (
                code == "TransactionCanceledException" and "ConditionalCheckFailed" in reasons
            ):
                if expected_revision is None:
                    raise RevisionConflictError(
                        f"An integration with the id {integration.id!r} exists"
                    ) from None
                raise self._conflict(integration.id, expected_revision) from None
            raise

    def _conflict(self, integration_id: str, expected: int) -> RevisionConflictError:
        current = self.get(integration_id)  # IntegrationNotFoundError when it was deleted meanwhile
        return RevisionConflictError(
            f"Integration {integration_id} is at revision {current.revision}, not {expected}: "
            "another write came first. Read it again and repeat the change on the current revision.",
            current_revision=current.revision,
        )

    def _history_item(
        self, integration_id: str, kind: str, entry: dict[str, Any], now: datetime, n: int = 0
    ) -> dict[str, Any]:
        at = now.astimezone(UTC).isoformat(timespec="microseconds")
        expires = int((now + timedelta(days=self._history_days)).timestamp())
        return {
            "pk": {"S": f"HISTORY#{integration_id}"},
            "sk": {"S": f"{kind}#{at}#{n}{random.token_hex(3)}"},
            "doc": {"S": orjson.dumps(entry).decode()},
            "expires_at": {"N": str(expires)},
        }


def _key(integration_id: str) -> dict[str, Any]:
    return {"pk": {"S": _PK}, "sk": {"S": integration_id}}


def _to_item(integration: IntegrationRecord) -> dict[str, Any]:
    doc = integration.model_dump(mode="json") | {
        "secret_arn": integration.secret_arn,
        "secret_version": integration.secret_version,
    }
    return {
        **_key(integration.id),
        "doc": {"S": orjson.dumps(doc).decode()},
        "revision": {"N": str(integration.revision)},
        "status": {"S": integration.status.value},
        "itype": {"S": integration.type.value},
        "enabled": {"BOOL": integration.enabled},
        "tags": {"M": {k: {"S": v} for k, v in integration.tags.items()}},
    }


def _from_item(item: dict[str, Any]) -> IntegrationRecord:
    return IntegrationRecord.model_validate_json(item["doc"]["S"])
