"""The resource registry: an inventory of resources across accounts and regions, in one DynamoDB table.

Layout (the template's FleetTable; TTL on ``expires_at``, set only on resources gone)::

    pk = R#<account>#<region>    sk = <type>#<id>        one resource, as last seen
    pk = SUMMARY                 sk = <account>#<region>  counts by type and state, per refresh
    GSI by-type: type, sk2 = <account>#<region>#<id>      a type's resources, by account and region

(an account-wide resource, an S3 bucket, sits under the pk of the region it was listed from, its
own region in ``region`` and sk2). A refresh is one unit of work per account x region
(:func:`refresh_target`): list the resources there (:mod:`aws_mcp.fleet.collectors`), write each
with this run's id and time, then mark every resource of the types read in full that this run
did not see ``gone`` (kept, with when it went, for ``GONE_DAYS``), and write the
target's summary (with the collectors that failed, and why). Searches (:class:`InventoryStore`)
read only this table: no call reaches a member account. Hand-written: no library keeps an
inventory of AWS resources in DynamoDB (AWS Config's aggregator does, as a paid service per
account and region, with no table of ours).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from aws_mcp.errors import ToolInputError

__all__ = ["BY_TYPE", "FLEET_STORE", "GONE", "InventoryStore", "Resource", "refresh_target"]

FLEET_STORE: Final = "fleet_store"
BY_TYPE: Final = "by-type"
GONE: Final = "gone"
# How long a resource no longer seen stays in the table, marked gone.
GONE_DAYS: Final = 30
_SUMMARY: Final = "SUMMARY"
_SERIALIZER: Final = TypeSerializer()
_DESERIALIZER: Final = TypeDeserializer()


@dataclass(frozen=True, slots=True)
class Resource:
    type: str  # service:kind, e.g. ec2:instance
    id: str
    arn: str
    name: str | None
    state: str
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    # Where it lives, when not in the region it was listed from (an account-wide type's, e.g. S3's).
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Refreshed:
    account: str
    region: str
    seen: int
    gone: int
    written: int


def refresh_target(
    dynamodb: Any,
    table: str,
    resources: list[Resource],
    *,
    account: str,
    region: str,
    run_id: str,
    types: Collection[str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Refreshed:
    """Write one account x region's resources as seen by ``run_id``; mark gone the rest of the
    ``types`` read in full (default: every type); sum them up, with the collectors' ``errors``."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    pk = f"R#{account}#{region}"
    requests = [
        {"PutRequest": {"Item": _item(r, pk, account, region, run_id=run_id, now=now)}} for r in resources
    ]
    written = _batch_write(dynamodb, table, requests)
    gone = 0
    expires = int(time.time()) + GONE_DAYS * 86400
    for item in _query(
        dynamodb,
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ProjectionExpression="pk, sk, run_id, #s",
        ExpressionAttributeNames={"#s": "state"},
    ):
        if item["run_id"]["S"] == run_id or item["state"]["S"] == GONE:
            continue
        if types is not None and item["sk"]["S"].partition("#")[0] not in types:
            continue  # a type not read this time (its collector failed) keeps what it had
        dynamodb.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET #s = :gone, gone_at = :now, was = :was, expires_at = :exp",
            ConditionExpression="run_id <> :run",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":gone": {"S": GONE},
                ":now": {"S": now},
                ":was": item["state"],
                ":exp": {"N": str(expires)},
                ":run": {"S": run_id},
            },
        )
        gone += 1
    counts: dict[str, dict[str, int]] = {}
    for r in resources:
        by_state = counts.setdefault(r.type, {})
        by_state[r.state] = by_state.get(r.state, 0) + 1
    dynamodb.put_item(
        TableName=table,
        Item=_serialized(
            {
                "pk": _SUMMARY,
                "sk": f"{account}#{region}",
                "account": account,
                "region": region,
                "counts": counts,
                "gone": gone,
                "errors": dict(errors or {}),
                "refreshed_at": now,
                "run_id": run_id,
            }
        ),
    )
    return Refreshed(account, region, len(resources), gone, written)


def _item(r: Resource, pk: str, account: str, region: str, *, run_id: str, now: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pk": pk,
        "sk": f"{r.type}#{r.id}",
        "type": r.type,
        "sk2": f"{account}#{r.region or region}#{r.id}",
        "id": r.id,
        "arn": r.arn,
        "account": account,
        "region": r.region or region,
        "state": r.state,
        "tags": r.tags,
        "attributes": r.attributes,
        "last_seen": now,
        "run_id": run_id,
        # Lower case, for name searches that ignore case.
        "name_lc": (r.name or "").lower(),
    }
    if r.name:
        data["name"] = r.name
    return _serialized(data)


def _serialized(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(v) for k, v in data.items() if v != {} or k in ("counts", "errors")}


def _batch_write(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> int:
    written = 0
    for start in range(0, len(requests), 25):
        batch = requests[start : start + 25]
        for attempt in range(8):
            unprocessed = dynamodb.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {})
            left = unprocessed.get(table, [])
            written += len(batch) - len(left)
            if not left:
                break
            batch = left
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"{len(batch)} resources could not be written to {table}")
    return written


def _query(dynamodb: Any, **request: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = dynamodb.query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


@dataclass(frozen=True, slots=True)
class Found:
    resources: list[dict[str, Any]]
    next_cursor: str | None
    scanned: int
    # Per resource, the cursor that continues after it (a page cut to the result budget resumes there).
    cursors: list[str] = field(default_factory=list)


class InventoryStore:
    """Searches and counts over the inventory table (the MCP function may only Query it)."""

    def __init__(self, dynamodb: Callable[[], Any], table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def search(
        self,
        *,
        type: str,
        accounts: list[str] | None = None,
        regions: list[str] | None = None,
        states: list[str] | None = None,
        tags: dict[str, str] | None = None,
        name: str | None = None,
        include_gone: bool = False,
        max_results: int = 50,
        cursor: str | None = None,
    ) -> Found:
        """Resources of ``type`` matching every filter, by account, region and id; ``cursor`` resumes."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_TYPE,
            "KeyConditionExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": {":t": {"S": type}},
        }
        if accounts and len(accounts) == 1:
            prefix = f"{accounts[0]}#" + (f"{regions[0]}#" if regions and len(regions) == 1 else "")
            request["KeyConditionExpression"] += " AND begins_with(sk2, :p)"
            request["ExpressionAttributeValues"][":p"] = {"S": prefix}
        conditions = self._filters(request, accounts, regions, states, tags, name, include_gone)
        if conditions:
            request["FilterExpression"] = " AND ".join(conditions)
        if cursor:
            request["ExclusiveStartKey"] = _cursor_key(cursor)
        found: list[dict[str, Any]] = []
        cursors: list[str] = []
        scanned = 0
        client = self._dynamodb()
        while True:
            request["Limit"] = max(max_results - len(found), 1) * 4
            page = client.query(**request)
            scanned += page.get("ScannedCount", 0)
            for item in page.get("Items", []):
                found.append(_shown(_plain(item)))
                cursors.append(_cursor_text({k: item[k] for k in ("pk", "sk", "type", "sk2")}))
                if len(found) == max_results:
                    return Found(found, cursors[-1], scanned, cursors)
            if "LastEvaluatedKey" not in page:
                return Found(found, None, scanned, cursors)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @staticmethod
    def _filters(  # noqa: PLR0917 - one call site, each filter in the search's own order
        request: dict[str, Any],
        accounts: list[str] | None,
        regions: list[str] | None,
        states: list[str] | None,
        tags: dict[str, str] | None,
        name: str | None,
        include_gone: bool,
    ) -> list[str]:
        names, values = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
        conditions = []

        def among(attribute: str, chosen: list[str], label: str) -> None:
            names[f"#{label}"] = attribute
            keys = []
            for n, value in enumerate(chosen):
                values[f":{label}{n}"] = {"S": value}
                keys.append(f":{label}{n}")
            conditions.append(f"#{label} IN ({', '.join(keys)})")

        if accounts and len(accounts) > 1:
            among("account", accounts, "acc")
        if regions and not (accounts and len(accounts) == 1 and len(regions) == 1):
            among("region", regions, "reg")
        if states:
            among("state", states, "st")
        elif not include_gone:
            names["#st"] = "state"
            values[":gone"] = {"S": GONE}
            conditions.append("#st <> :gone")
        for n, (key, value) in enumerate((tags or {}).items()):
            names[f"#tag{n}"] = key
            values[f":tag{n}"] = {"S": value}
            names["#tags"] = "tags"
            conditions.append(f"#tags.#tag{n} = :tag{n}")
        if name:
            values[":name"] = {"S": name.lower()}
            conditions.append("contains(name_lc, :name)")
        return conditions

    def failures(self, type: str, *, tags_apart: bool = False) -> list[dict[str, str]]:
        """The account x regions whose last refresh could not read ``type`` (or, ``tags_apart``:
        the Tagging API its tags come from), and why."""
        return [
            {"account": row["account"], "region": row["region"], "error": reason}
            for row in self.summary()
            for kind, reason in (row.get("errors") or {}).items()
            if kind == type or (tags_apart and kind == "tags")
        ]

    def summary(self) -> list[dict[str, Any]]:
        """Each account x region's counts by type and state, from its last refresh."""
        return [
            _plain(item)
            for item in _query(
                self._dynamodb(),
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": _SUMMARY}},
            )
        ]


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    hidden = {"pk", "sk", "sk2", "run_id", "name_lc", "expires_at"}
    return {k: v for k, v in item.items() if k not in hidden}


def _cursor_text(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def _cursor_key(text: str) -> dict[str, Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(text.encode()))
    except Exception:
        key = None
    if not isinstance(key, dict) or set(key) != {"pk", "sk", "type", "sk2"}:
        raise ToolInputError("cursor is not one fleet_search gave; search again without it.")
    return key
