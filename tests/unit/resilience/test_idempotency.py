"""Mutations happen once, however often a client retries them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import boto3
from botocore.exceptions import ReadTimeoutError

from aws_mcp.context import CallContext
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import table_names
from tests.conftest import SCRATCH_REGION
from tests.unit.resilience.conftest import Build
from tests.unit.tools.services.calling import PLAN_TOKEN, confirmed

Launch = Any


def count_starts(registry_clients: Any) -> list[int]:
    calls: list[int] = []
    client = registry_clients.client("ec2", SCRATCH_REGION)
    client.meta.events.register("after-call.ec2.StartInstances", lambda **_: calls.append(1))
    return calls


def start(registry: ToolRegistry, instance_id: str, caller: str = "alice", **extra: Any) -> ToolOutcome:
    arguments = {"instance_ids": [instance_id], "region": SCRATCH_REGION, **extra}
    return registry.call("ec2_start_instances", arguments, CallContext(caller=caller))


def without_replay(outcome: ToolOutcome) -> dict[str, Any]:
    assert outcome.structured is not None
    return {k: v for k, v in outcome.structured.items() if k != "replayed"}


def test_three_identical_calls_within_the_retry_window_reach_aws_once(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    calls = count_starts(clients)
    instance = launch("stopped")
    results = [start(registry, instance) for _ in range(3)]
    assert len(calls) == 1
    assert without_replay(results[0]) == without_replay(results[1]) == without_replay(results[2])
    assert without_replay(results[0])["changes"][0]["previous_state"] == "stopped"


def test_a_replay_says_so_first_where_an_agent_reads_it(build: Build, launch: Launch) -> None:
    registry, _, _ = build()
    instance = launch("stopped")
    first, again = start(registry, instance), start(registry, instance)
    assert first.structured is not None and "replayed" not in first.structured
    assert again.structured is not None
    replayed = again.structured["replayed"]
    assert replayed["original_call_at"].endswith("Z") and replayed["idempotency_key"] is None
    assert "Nothing was done now" in replayed["note"] and "after 10 s" in replayed["note"]
    assert again.text.startswith('{"replayed":{')


def test_without_a_key_the_same_change_after_the_retry_window_is_a_new_intent(
    build: Build, launch: Launch
) -> None:
    registry, clients, _ = build(retry_window_seconds=1)
    calls: list[str] = []
    ec2 = clients.client("ec2", SCRATCH_REGION)
    ec2.meta.events.register("after-call.ec2.StopInstances", lambda **_: calls.append("stop"))
    ec2.meta.events.register("after-call.ec2.StartInstances", lambda **_: calls.append("start"))
    instance = launch("running")
    arguments = {"instance_ids": [instance], "region": SCRATCH_REGION}
    stop = confirmed(registry, "ec2_stop_instances", arguments)
    time.sleep(2.1)  # past the window (Powertools keeps expiry to the whole second)
    registry.call("ec2_start_instances", arguments, CallContext())
    time.sleep(2.1)
    again = confirmed(registry, "ec2_stop_instances", arguments)
    assert calls == ["stop", "start", "stop"]
    assert stop.structured is not None and again.structured is not None
    assert "replayed" not in again.structured
    assert again.structured["changes"][0]["previous_state"] in {"pending", "running"}


def test_a_key_replays_for_the_whole_expiry_and_says_how_to_change_again(
    build: Build, launch: Launch
) -> None:
    registry, clients, _ = build(retry_window_seconds=1)
    calls = count_starts(clients)
    instance = launch("stopped")
    start(registry, instance, idempotency_key="change-7")
    time.sleep(2.1)
    again = start(registry, instance, idempotency_key="change-7")
    assert len(calls) == 1 and again.structured is not None
    assert again.structured["replayed"]["idempotency_key"] == "change-7"
    assert "new idempotency_key" in again.structured["replayed"]["note"]


def test_concurrent_identical_calls_reach_aws_once_and_answer_alike(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    calls = count_starts(clients)
    instance = launch("stopped")
    barrier = threading.Barrier(8)
    results: list[ToolOutcome] = []

    def race() -> None:
        barrier.wait()
        results.append(start(registry, instance))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(not r.is_error for r in results), [r.text for r in results if r.is_error]
    assert len({json.dumps(without_replay(r), sort_keys=True) for r in results}) == 1
    assert sum("replayed" not in (r.structured or {}) for r in results) == 1


def test_the_same_key_with_different_arguments_is_refused(build: Build, launch: Launch) -> None:
    registry, _, _ = build()
    first, second = launch("stopped"), launch("stopped")
    assert not start(registry, first, idempotency_key="change-42").is_error
    refused = start(registry, second, idempotency_key="change-42")
    assert refused.is_error and "change-42" in refused.text and "different arguments" in refused.text


def test_the_same_key_replays_even_across_other_calls(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    calls = count_starts(clients)
    instance = launch("stopped")
    a = start(registry, instance, idempotency_key="k-1")
    b = start(registry, instance, idempotency_key="k-1")
    assert len(calls) == 1 and without_replay(a) == without_replay(b)


def test_different_callers_do_not_share_results(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    calls = count_starts(clients)
    instance = launch("stopped")
    start(registry, instance, caller="alice")
    start(registry, instance, caller="bob")
    assert len(calls) == 2


def test_a_duplicate_of_a_slow_call_still_running_is_told_so(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    registry_slow = clients.client("ec2", SCRATCH_REGION)
    gate = threading.Event()

    def hold(**_: Any) -> None:
        gate.wait(10)

    registry_slow.meta.events.register("before-call.ec2.StartInstances", hold)
    instance = launch("stopped")
    first: list[ToolOutcome] = []
    runner = threading.Thread(target=lambda: first.append(start(registry, instance)))
    runner.start()
    time.sleep(0.3)
    # Shorten the duplicate's wait so the test does not sit out the default 5 s.
    registry._resilience.idempotency._wait_seconds = 0.2  # type: ignore[union-attr]
    duplicate = start(registry, instance)
    gate.set()
    runner.join()
    assert duplicate.is_error and "already in progress" in duplicate.text
    assert not first[0].is_error


def test_keys_name_the_tool_not_the_module(build: Build, launch: Launch) -> None:
    registry, _, _ = build()
    start(registry, launch("stopped"), caller="key-check")
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table_names()["idempotency"])[
        "Items"
    ]
    ids = [i["id"]["S"] for i in items]
    assert ids and all(
        i.startswith(("aws-mcp#ec2_start_instances#", "aws-mcp#ec2_stop_instances#")) for i in ids
    )


def test_a_failed_mutation_is_not_remembered(build: Build, launch: Launch) -> None:
    registry, _, _ = build()
    missing = start(registry, "i-0123456789abcdef0")
    again = start(registry, "i-0123456789abcdef0")
    assert missing.is_error and again.is_error and "InvalidInstanceID" in again.text


def lose_the_answer(clients: Any, sent: list[str]) -> None:
    """StopInstances in the scratch region goes out and its answer never comes back in time."""

    def send(request: Any, **_: Any) -> None:
        sent.append(request.url)
        time.sleep(0.1)
        raise ReadTimeoutError(endpoint_url=request.url)

    clients.client("ec2", SCRATCH_REGION).meta.events.register_first("before-send.ec2.StopInstances", send)


def one_table_request_at_a_time(clients: Any) -> None:
    """moto checks a conditional write and then makes it, with no lock between (DynamoDB does both
    at once): racing threads could both pass. The state tables' requests go one at a time here."""
    lock = threading.Lock()

    def take(**_: Any) -> None:  # a before-call handler's answer would stand in for AWS's: none
        lock.acquire()

    def give(**_: Any) -> None:
        lock.release()

    events = clients.client("dynamodb", "us-east-1", state=True).meta.events
    events.register("before-call.dynamodb", take)
    for event in ("after-call.dynamodb", "after-call-error.dynamodb"):
        events.register(event, give)


def test_a_change_that_got_no_answer_is_not_sent_again_with_its_key(build: Build, launch: Launch) -> None:
    registry, clients, _ = build(aws_max_attempts=1)
    one_table_request_at_a_time(clients)
    sent: list[str] = []
    lose_the_answer(clients, sent)
    arguments = {"instance_ids": [launch("running")], "region": SCRATCH_REGION, "idempotency_key": "stop-1"}
    plan = registry.call("ec2_stop_instances", arguments, CallContext())
    token = PLAN_TOKEN.search(plan.text)
    assert token is not None, plan.text
    confirmed_arguments = {**arguments, "confirmation": token[1]}
    barrier = threading.Barrier(8)
    results: list[ToolOutcome] = []

    def race() -> None:
        barrier.wait()
        results.append(registry.call("ec2_stop_instances", confirmed_arguments, CallContext()))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    later = registry.call("ec2_stop_instances", confirmed_arguments, CallContext())
    assert len(sent) == 1
    assert all(r.is_error and "unknown" in r.text for r in [*results, later])
    assert "not sent again" in later.text and "Check the resource's state" in later.text


def test_the_audit_record_lists_only_the_tools_own_aws_calls(build: Build, launch: Launch) -> None:
    from datetime import UTC, datetime, timedelta

    from aws_mcp.audit.query import AuditStore

    registry, _, _ = build()
    caller = f"ids-{uuid.uuid4().hex}"
    instance = launch("stopped")
    start(registry, instance, caller=caller)
    start(registry, instance, caller=caller)
    store = AuditStore(lambda: boto3.client("dynamodb", region_name="us-east-1"), table_names()["audit"])
    now = datetime.now(UTC)
    records = store.query(since=now - timedelta(minutes=5), until=now, caller=caller).records
    by_outcome = {r["outcome"]: r["aws_request_ids"] for r in records}
    assert len(by_outcome["success"]) == 1  # StartInstances; not the breaker, idempotency or audit tables
    assert by_outcome["replay"] == []
