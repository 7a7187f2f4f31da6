"""Mutations happen once, however often a client retries them."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3

from aws_mcp.context import CallContext
from aws_mcp.tools.registry import ToolOutcome, ToolRegistry
from aws_mcp_local.demo import table_names
from tests.conftest import SCRATCH_REGION
from tests.unit.resilience.conftest import Build

Launch = Any


def count_starts(registry_clients: Any) -> list[int]:
    calls: list[int] = []
    client = registry_clients.client("ec2", SCRATCH_REGION)
    client.meta.events.register("after-call.ec2.StartInstances", lambda **_: calls.append(1))
    return calls


def start(registry: ToolRegistry, instance_id: str, caller: str = "alice", **extra: Any) -> ToolOutcome:
    arguments = {"instance_ids": [instance_id], "region": SCRATCH_REGION, **extra}
    return registry.call("ec2_start_instances", arguments, CallContext(caller=caller))


def test_three_identical_calls_reach_aws_once_and_answer_alike(build: Build, launch: Launch) -> None:
    registry, clients, _ = build()
    calls = count_starts(clients)
    instance = launch("stopped")
    results = [start(registry, instance) for _ in range(3)]
    assert len(calls) == 1
    assert results[0].structured == results[1].structured == results[2].structured
    assert (
        results[0].structured is not None
        and results[0].structured["changes"][0]["previous_state"] == "stopped"
    )


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
    assert len({json.dumps(r.structured, sort_keys=True) for r in results}) == 1


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
    assert len(calls) == 1 and a.structured == b.structured


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
    assert ids and all(i.startswith("aws-mcp#ec2_start_instances#") for i in ids)


def test_a_failed_mutation_is_not_remembered(build: Build, launch: Launch) -> None:
    registry, _, _ = build()
    missing = start(registry, "i-0123456789abcdef0")
    again = start(registry, "i-0123456789abcdef0")
    assert missing.is_error and again.is_error and "InvalidInstanceID" in again.text
