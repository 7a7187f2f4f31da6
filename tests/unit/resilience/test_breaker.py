"""Circuit breakers per AWS service and region: unhealthy services are left alone to recover."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from aws_lambda_powertools.utilities.circuit_breaker.base import CircuitBreakerHandler
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from aws_mcp.context import CallContext
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry
from tests.unit.resilience.conftest import Build

CALL = CallContext(caller="breaker-test")


class FakeClock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_900_000_000
        monkeypatch.setattr(CircuitBreakerHandler, "_now", staticmethod(lambda: self.now))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch)


def list_in(registry: ToolRegistry, region: str) -> ToolOutcome:
    return registry.call("ec2_list_instances", {"region": region}, CALL)


def fail_next(stubber: Stubber, times: int, code: str = "RequestLimitExceeded", status: int = 503) -> None:
    for _ in range(times):
        stubber.add_client_error("describe_instances", code, http_status_code=status)


def test_only_unhealthy_answers_count_and_the_threshold_opens_the_circuit(build: Build) -> None:
    registry, clients, telemetry = build()
    region = "ap-south-1"
    with Stubber(clients.client("ec2", region)) as stubber:
        # Answers from a healthy service do not count, however many.
        for _ in range(4):
            stubber.add_client_error("describe_instances", "UnauthorizedOperation", http_status_code=403)
        for _ in range(4):
            assert "denied" in list_in(registry, region).text
        fail_next(stubber, 3)
        for _ in range(3):
            assert "transient" in list_in(registry, region).text
        # Open: no AWS call (the stubber has nothing queued and would fail loudly).
        blocked = list_in(registry, region)
        stubber.assert_no_pending_responses()
    assert blocked.is_error
    assert "ec2" in blocked.text and region in blocked.text and "No call was made" in blocked.text
    assert telemetry.total("BreakerTransitions", aws_service="ec2", to_state="OPEN") == 1
    assert telemetry.total("BreakerOpened") == 1


def test_open_then_half_open_after_the_timeout_then_closed_on_success(build: Build, clock: FakeClock) -> None:
    registry, clients, telemetry = build()
    region = "sa-east-1"
    with Stubber(clients.client("ec2", region)) as stubber:
        fail_next(stubber, 3)
        for _ in range(3):
            list_in(registry, region)
        clock.now += 10
        assert "paused" in list_in(registry, region).text  # still open, nothing called
        clock.now += 25  # past the 30 s recovery timeout
        for _ in range(2):  # success_threshold probes
            stubber.add_response("describe_instances", {"Reservations": []})
            assert not list_in(registry, region).is_error
        stubber.add_response("describe_instances", {"Reservations": []})
        assert not list_in(registry, region).is_error  # closed: calls flow again
    states = [d["to_state"] for d, c in telemetry.emitted if "BreakerTransitions" in c]
    assert states == ["OPEN", "HALF_OPEN", "CLOSED"]


def test_a_failed_probe_reopens(build: Build, clock: FakeClock) -> None:
    registry, clients, telemetry = build()
    region = "ca-central-1"
    with Stubber(clients.client("ec2", region)) as stubber:
        fail_next(stubber, 4)
        for _ in range(3):
            list_in(registry, region)
        clock.now += 31
        assert "transient" in list_in(registry, region).text  # the probe, failing
        assert "paused" in list_in(registry, region).text
    states = [d["to_state"] for d, c in telemetry.emitted if "BreakerTransitions" in c]
    assert states == ["OPEN", "HALF_OPEN", "OPEN"]


def test_state_is_shared_between_app_instances_on_one_table(build: Build) -> None:
    first, first_clients, _ = build()
    second, second_clients, _ = build()
    region = "eu-north-1"
    with Stubber(first_clients.client("ec2", region)) as stubber:
        fail_next(stubber, 3)
        for _ in range(3):
            list_in(first, region)
    with Stubber(second_clients.client("ec2", region)) as untouched:
        blocked = list_in(second, region)
        untouched.assert_no_pending_responses()
    assert "paused" in blocked.text


def test_concurrent_failures_make_exactly_one_open_transition(build: Build) -> None:
    registry, clients, telemetry = build()
    region = "ap-northeast-2"
    client = clients.client("ec2", region)

    def throttled(**_: Any) -> Any:
        raise _throttle()

    client.meta.events.register("before-call.ec2.DescribeInstances", throttled)
    barrier = threading.Barrier(16)
    results: list[ToolOutcome] = []

    def hammer() -> None:
        barrier.wait()
        for _ in range(3):
            results.append(list_in(registry, region))

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 48 and all(r.is_error for r in results)
    assert telemetry.total("BreakerTransitions", to_state="OPEN") == 1
    assert any("paused" in r.text for r in results)


def test_an_unreachable_breaker_table_lets_calls_through_and_is_counted(build: Build) -> None:
    registry, _, telemetry = build(breaker_table="no-such-table")
    outcome = list_in(registry, "me-south-1")
    assert not outcome.is_error
    assert telemetry.total("BreakerStoreErrors") >= 1


def _throttle() -> Exception:
    response: Any = {"Error": {"Code": "Throttling", "Message": "slow down"}}
    return ClientError(response, "DescribeInstances")


def test_priming_reads_every_circuit_in_one_round_trip_so_the_first_calls_read_none(build: Build) -> None:
    # The tools' default region is not the tables' region (the stack's).
    registry, clients, _ = build(default_region="eu-central-1", tables_region="us-east-1")
    reads: list[str] = []
    state = clients.client("dynamodb", "us-east-1", state=True)
    for operation in ("GetItem", "BatchGetItem"):
        state.meta.events.register(
            f"before-call.dynamodb.{operation}",
            lambda params, _op=operation, **_: reads.append(f"{_op} {params}"),
        )

    registry.prime()
    services = {registry.catalog.aws_service(name) for name in registry.names} - {None}
    (batch,) = reads  # one BatchGetItem for each tool service's circuit, in the default region
    assert batch.startswith("BatchGetItem") and all(f"{s}:eu-central-1" in batch for s in services)

    reads.clear()
    assert not registry.call("aws_whoami", {}, CALL).is_error
    assert not registry.call("ec2_list_instances", {}, CALL).is_error
    assert reads == []


def test_a_circuit_another_instance_opened_is_known_open_from_priming(build: Build) -> None:
    region = "sa-east-1"
    first, first_clients, _ = build(default_region=region)
    with Stubber(first_clients.client("ec2", region)) as stubber:
        fail_next(stubber, 3)
        for _ in range(3):
            list_in(first, region)
    second, second_clients, _ = build(default_region=region)
    second.prime()
    reads: list[str] = []
    second_clients.client("dynamodb", "us-east-1", state=True).meta.events.register(
        "before-call.dynamodb.GetItem", lambda event_name, **_: reads.append(event_name)
    )
    with Stubber(second_clients.client("ec2", region)) as untouched:
        assert "paused" in list_in(second, region).text
        untouched.assert_no_pending_responses()
    assert reads == []  # known from the batch read, not read again


def test_priming_an_unreachable_breaker_table_fails_open(build: Build) -> None:
    registry, _, telemetry = build(breaker_table="no-such-table")
    registry.prime()
    assert telemetry.total("BreakerStoreErrors") == 1
    assert not registry.call("aws_whoami", {}, CALL).is_error


def test_oversized_input_is_refused_before_aws_and_never_counts_toward_the_breaker(build: Build) -> None:
    registry, clients, telemetry = build()
    region = "ap-northeast-3"
    huge = {"region": region, "tags": {f"key-{n}": "value" for n in range(30_000)}}
    with Stubber(clients.client("ec2", region)) as stubber:
        for _ in range(6):  # twice the failure threshold
            outcome = registry.call("ec2_list_instances", huge, CALL)
            assert outcome.is_error and "Invalid arguments" in outcome.text and "tags" in outcome.text
        stubber.assert_no_pending_responses()  # no AWS call was made
    assert telemetry.total("BreakerOpened") == 0
    assert not list_in(registry, region).is_error


def test_a_failing_member_account_pauses_only_its_own_circuit(build: Build) -> None:
    from aws_mcp_local.demo import DEMO_ACCOUNTS

    registry, clients, _ = build(accounts=DEMO_ACCOUNTS)
    region = "af-south-1"
    staging = DEMO_ACCOUNTS.resolve("staging")
    in_staging = clients.client("ec2", region, account=staging, caller=CALL.caller)
    with Stubber(in_staging) as stubber:
        fail_next(stubber, 3)
        for _ in range(3):
            registry.call("ec2_list_instances", {"region": region, "account": "staging"}, CALL)
        blocked = registry.call("ec2_list_instances", {"region": region, "account": "staging"}, CALL)
        stubber.assert_no_pending_responses()
    assert blocked.is_error and "of account staging" in blocked.text and "No call was made" in blocked.text
    # The same service and region elsewhere still answers: the server's own account, and sandbox.
    assert not list_in(registry, region).is_error
    assert not registry.call("ec2_list_instances", {"region": region, "account": "sandbox"}, CALL).is_error


def test_the_cli_executor_pauses_the_commands_own_service_region_and_account(build: Build) -> None:
    """The executor's tools call any service: each command goes through that service's circuit."""
    from aws_mcp_local.demo import DEMO_ACCOUNTS

    registry, clients, telemetry = build(accounts=DEMO_ACCOUNTS)
    region = "ap-northeast-3"
    staging = DEMO_ACCOUNTS.resolve("staging")
    command = {"command": "sqs list-queues", "region": region, "account": "staging"}
    with Stubber(clients.client("sqs", region, account=staging, caller=CALL.caller)) as stubber:
        for _ in range(3):
            stubber.add_client_error("list_queues", "ServiceUnavailable", http_status_code=503)
        for _ in range(3):
            assert "transient" in registry.call("aws_cli_run", command, CALL).text
        blocked = registry.call("aws_cli_run", command, CALL)
        stubber.assert_no_pending_responses()
    assert blocked.is_error and "sqs" in blocked.text and "of account staging" in blocked.text
    assert "No call was made" in blocked.text
    assert telemetry.total("BreakerTransitions", aws_service="sqs", to_state="OPEN") == 1
    # Another service, and the same one in the server's own account, still answer.
    assert not registry.call("aws_cli_run", {**command, "command": "sns list-topics"}, CALL).is_error
    assert not registry.call("aws_cli_run", {"command": "sqs list-queues", "region": region}, CALL).is_error
