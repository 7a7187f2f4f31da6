"""Answers kept in DynamoDB for a while, for AWS APIs billed per request (Cost Explorer).

An answer is keyed by the normalized request (the exact API request a tool would make, its
defaults resolved), so two calls asking the same question share one paid request. Each item
carries its own expiry, ``expires_at`` (epoch seconds, the table's TTL attribute); DynamoDB
deletes expired items only within a day or two, so a read checks the expiry itself.

The cache never fails a call: a table that cannot be read or written is a cache miss, logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from aws_mcp.jsontext import dumps_text

__all__ = ["COST_CACHE", "AnswerCache", "Cached"]

# The name under which the registry injects the cost cache: a tool takes it as a parameter so named.
COST_CACHE: Final = "cost_cache"

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Cached:
    answer: dict[str, Any]
    fetched_at: str  # ISO 8601, when AWS answered


class AnswerCache:
    """GetItem and PutItem on one table whose partition key is ``id`` (a string)."""

    def __init__(self, dynamodb: Callable[[], Any], table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def get(self, request: Mapping[str, Any]) -> Cached | None:
        try:
            item = (
                self._dynamodb()
                .get_item(TableName=self._table, Key={"id": {"S": key_of(request)}}, ConsistentRead=False)
                .get("Item")
            )
        except (BotoCoreError, ClientError) as err:
            _log.warning("cache read failed, asking AWS: %s", err)
            return None
        if not item or int(item["expires_at"]["N"]) <= time.time():
            return None
        return Cached(answer=json.loads(item["answer"]["S"]), fetched_at=item["fetched_at"]["S"])

    def put(self, request: Mapping[str, Any], cached: Cached, *, ttl_seconds: int) -> None:
        item = {
            "id": {"S": key_of(request)},
            "answer": {"S": dumps_text(cached.answer)},
            "fetched_at": {"S": cached.fetched_at},
            "expires_at": {"N": str(int(time.time()) + ttl_seconds)},
        }
        try:
            self._dynamodb().put_item(TableName=self._table, Item=item)
        except (BotoCoreError, ClientError) as err:
            _log.warning("cache write failed, the answer is not kept: %s", err)


def key_of(request: Mapping[str, Any]) -> str:
    """The request's key: a digest of its canonical JSON (keys sorted), so equal requests meet."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
