"""The demo's CloudWatch Logs, in us-east-1: the checkout function's log group (two streams over
the last hour, three ERROR lines among them, kept 14 days), the thumbnailer's (kept 30 days) and
the storefront's ECS tasks' (kept forever)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["CHECKOUT", "ERRORS", "seed"]

CHECKOUT: Final = "/aws/lambda/checkout"
# Minutes ago of each ERROR line of the checkout group.
ERRORS: Final = (3, 17, 41)
_GROUPS: Final = ((CHECKOUT, 14), ("/aws/lambda/thumbnailer", 30), ("/ecs/storefront-web", None))


def _checkout_lines(stream: int) -> list[tuple[int, str]]:
    """(minutes ago, message) of one of the checkout function's streams, oldest first."""
    lines = []
    for minutes_ago in range(55 - stream, 0, -2):
        if minutes_ago in ERRORS:
            lines.append(
                (minutes_ago, f"ERROR PaymentDeclined: card issuer timed out (order {1000 + minutes_ago})")
            )
        else:
            lines.append((minutes_ago, f"INFO order {1000 + minutes_ago} placed in 212 ms"))
    return lines


def seed(clients: DemoClients) -> None:
    logs = clients("logs")
    now = datetime.now(UTC).replace(microsecond=0)
    for name, retention in _GROUPS:
        logs.create_log_group(logGroupName=name)
        if retention:
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    streams = {
        CHECKOUT: {f"2026/11/28/[$LATEST]{n}": _checkout_lines(n) for n in (0, 1)},
        "/ecs/storefront-web": {"web/web/1": [(m, f"GET /cart 200 {m} ms") for m in range(30, 0, -5)]},
    }
    for group, by_stream in streams.items():
        for stream, lines in by_stream.items():
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[
                    {"timestamp": int((now - timedelta(minutes=m)).timestamp() * 1000), "message": text}
                    for m, text in lines
                ],
            )
