"""Requests per caller per minute, counted in DynamoDB so every Lambda instance sees one count.

A per-instance token bucket would let N instances allow N times the limit, and API Gateway usage
plans count only API keys (not IAM callers). So each request adds one to the caller's counter for
the current minute (``pk = RATE#<caller>``, ``sk = <minute>``) with a conditional update that
fails once the limit is reached: one UpdateItem per request, exact across instances, expiring by
TTL. The same counter, keyed by integration, paces outbound deliveries (``delivery``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from aws_mcp.errors import RateLimitedError

__all__ = ["RateLimiter"]

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(
        self, dynamodb: Callable[[], Any], table: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = dynamodb
        self._table = table
        self._clock = clock

    def seconds_to_next_window(self) -> float:
        return WINDOW_SECONDS - self._clock() % WINDOW_SECONDS

    def try_acquire(self, key: str, limit: int) -> bool:
        """Count one use of ``key`` in this minute; False (nothing counted) when ``limit`` is reached."""
        window = int(self._clock() // WINDOW_SECONDS) * WINDOW_SECONDS
        try:
            self._client().update_item(
                TableName=self._table,
                Key={"pk": {"S": f"RATE#{key}"}, "sk": {"S": str(window)}},
                UpdateExpression="ADD uses :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(uses) OR uses < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(window + 2 * WINDOW_SECONDS)},
                },
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def acquire(self, key: str, limit: int) -> None:
        """Count one use, or raise RateLimitedError saying when the next minute starts."""
        if not self.try_acquire(key, limit):
            wait = int(self.seconds_to_next_window()) + 1
            raise RateLimitedError(
                f"At most {limit} requests a minute; try again in {wait} s", retry_after_seconds=wait
            )
