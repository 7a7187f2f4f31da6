"""Refreshing the resource registry: one SQS message per account x region, a worker per batch.

Why SQS and a worker function rather than Step Functions' distributed map: a refresh is a flat
list of independent units (accounts x regions: tens to a few hundred), each a few paginated
reads and a batch of writes, with nothing to join afterwards (each unit writes its own summary).
SQS gives that with per-unit retries (a unit that fails returns to the queue, Powertools' batch
processing reporting only the failed messages; after three tries it waits in a dead-letter
queue), bounded concurrency (the worker's reserved concurrency), no state machine to keep in
step with the code, no per-transition charge, and a local run on the same code against the
embedded AWS (moto's SQS), which moto's Step Functions could not execute.

:func:`enqueue` is the schedule's half; :func:`worker` builds the batch handler;
:func:`refresh_locally` runs both against whatever AWS the clients reach (the demo's), and a
:class:`Refresher` does either for the targets ``fleet_refresh`` names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Final

import orjson

from aws_mcp.accounts import HOME, Accounts
from aws_mcp.fleet.collectors import collect
from aws_mcp.fleet.fanout import FleetScope, Target
from aws_mcp.fleet.inventory import Refreshed, refresh_target

__all__ = [
    "FLEET_REFRESHER",
    "REFRESH_CALLER",
    "Refresher",
    "drain",
    "enqueue",
    "refresh_locally",
    "units",
    "worker",
]

# The name tools take the refresher by (built in aws_mcp.server).
FLEET_REFRESHER: Final = "fleet_refresher"

# Who member accounts' CloudTrail shows for a refresh (the assumed role's SourceIdentity).
REFRESH_CALLER: Final = "aws-mcp-refresh"


def units(accounts: Accounts, default_region: str) -> list[dict[str, Any]]:
    """Every account x region to refresh: each registered account in its own regions (else the
    server's default region); without a registry, the server's own account. Each account's first
    unit (``first``) also collects its account-wide types."""
    targets = FleetScope(accounts, default_region).targets(None, None)
    work: list[dict[str, Any]] = []
    for t in targets:
        first = not any(w["account"] == t.account.alias for w in work)
        work.append({"account": t.account.alias, "region": t.region, **({"first": True} if first else {})})
    return work


def enqueue(sqs: Any, queue_url: str, work: list[dict[str, Any]], run_id: str | None = None) -> str:
    """Send one message per unit (in batches of ten); the run's id."""
    run_id = run_id or uuid.uuid4().hex
    for start in range(0, len(work), 10):
        entries = [
            {"Id": str(n), "MessageBody": orjson.dumps({**unit, "run_id": run_id}).decode()}
            for n, unit in enumerate(work[start : start + 10])
        ]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(f"{len(failed)} refresh units could not be queued: {failed[0].get('Message')}")
    return run_id


def refresh_unit(
    body: dict[str, Any],
    accounts: Accounts,
    clients: Callable[..., Any],
    dynamodb: Any,
    table: str,
) -> Refreshed:
    """One message's account x region: collected through its role, written to the table."""
    account = accounts.resolve(body["account"]) if body["account"] != HOME.alias else HOME
    region = body["region"]

    def client(service: str) -> Any:
        return clients(service, region, account=account, caller=REFRESH_CALLER)

    label = account.account_id or client("sts").get_caller_identity()["Account"]
    collected = collect(client, label, region, first_region=bool(body.get("first")))
    return refresh_target(
        dynamodb,
        table,
        collected.resources,
        account=account.alias,
        region=region,
        run_id=body["run_id"],
        types=collected.types,
        errors=collected.errors,
    )


def worker(
    accounts: Accounts, clients: Callable[..., Any], dynamodb: Any, table: str
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The SQS batch handler: each message a unit; failed ones reported, so only they come back."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        refresh_unit(orjson.loads(record.body), accounts, clients, dynamodb, table)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(answer)

    return handler


def refresh_locally(  # noqa: PLR0917 - the worker's parts, as the Lambda functions get them
    accounts: Accounts,
    default_region: str,
    clients: Callable[..., Any],
    dynamodb: Any,
    sqs: Any,
    queue_url: str,
    table: str,
) -> dict[str, Any]:
    """The same refresh, off Lambda: queue the units, then drain the queue through the worker's
    handler; how it went."""
    run_id = enqueue(sqs, queue_url, units(accounts, default_region))
    return {"run_id": run_id, **drain(sqs, queue_url, worker(accounts, clients, dynamodb, table))}


def drain(
    sqs: Any, queue_url: str, handle: Callable[[dict[str, Any], Any], dict[str, Any]]
) -> dict[str, int]:
    """Every message on the queue through ``handle`` (SQS-shaped events, as Lambda would deliver
    them), the failed ones left for their retry; how many units were done and failed."""
    done = failed = 0
    for _ in range(1000):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            break
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        refused = {f["itemIdentifier"] for f in handle(event, None)["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] in refused:
                failed += 1
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
                done += 1
    return {"units": done, "failed": failed}


class Refresher:
    """A refresh of chosen targets now (``fleet_refresh``): their units queued as the schedule
    queues every one. ``drain``: off Lambda, where no worker function reads the queue, the queue
    is then worked through in the call (:func:`drain`), so the registry is fresh when it answers."""

    def __init__(
        self, sqs: Callable[[], Any], queue_url: str, drain: Callable[[], dict[str, int]] | None = None
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._drain = drain

    def start(self, targets: list[Target]) -> dict[str, Any]:
        """Queue a unit per target; the run's id, and what the drain did, if any."""
        work = [{"account": t.account.alias, "region": t.region} for t in targets]
        answer: dict[str, Any] = {"run_id": enqueue(self._sqs(), self._queue_url, work), "queued": len(work)}
        if self._drain is not None:
            answer |= self._drain()
        return answer
