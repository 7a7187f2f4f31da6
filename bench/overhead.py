"""What our call path costs per tool call, in process: DynamoDB round trips and microseconds.

Wired as on Lambda (breaker, idempotency and audit tables; read-only audit records left to
the log subscription; EMF metrics on), against in-process moto for the state tables. The
microsecond comparison gives the tool function, the registry and the dispatcher the same
canned AWS client, so AWS latency cancels out and what remains is ours: the floor here is
the tool function alone, its result dumped to JSON-ready data.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3
from aws_lambda_powertools import Logger
from moto import mock_aws

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.protocol import Dispatcher
from aws_mcp.server import build_server
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services import ec2
from aws_mcp_local.demo import seed, table_names
from bench.emulated import event_payload
from bench.report import Summary, Table, ratio, summarize

CALLS = 2000
WARM_UP = 200
ROUND_TRIP_CALLS = 50
# The resilience issue's targets.
READ_ROUND_TRIPS_TARGET = 0
WRITE_ROUND_TRIPS_TARGET = 4


class CannedEc2:
    """Answers DescribeInstances from memory: the AWS call itself costs (almost) nothing."""

    class meta:  # noqa: N801 - mirrors botocore's client.meta
        region_name = "us-east-1"

    def __init__(self) -> None:
        launched = datetime(2026, 1, 1, tzinfo=UTC)
        self._answer = {
            "Reservations": [
                {
                    "Instances": [
                        {
                            "InstanceId": f"i-0123456789abcde{n:02x}",
                            "InstanceType": "t3.micro",
                            "State": {"Name": "running"},
                            "Placement": {"AvailabilityZone": "us-east-1a"},
                            "LaunchTime": launched,
                            "Tags": [{"Key": "Name", "Value": f"web-{n}"}, {"Key": "env", "Value": "prod"}],
                        }
                        for n in range(10)
                    ]
                }
            ]
        }

    def describe_instances(self, **_: Any) -> dict[str, Any]:
        return self._answer


class CannedFactory(ClientFactory):
    """The canned EC2 client for tools; real (moto) clients for the server's state tables."""

    def __init__(self, settings: Settings, canned: CannedEc2) -> None:
        super().__init__(settings, session=boto3.Session(region_name="us-east-1"))
        self._canned = canned

    def client(self, service: str, region: str, *, state: bool = False, **where: Any) -> Any:
        return (
            self._canned
            if service == "ec2" and not state
            else super().client(service, region, state=state, **where)
        )


def lambda_like_settings() -> Settings:
    tables = table_names()
    return Settings(
        access_mode=AccessMode.READ_WRITE,
        breaker_table=tables["breaker"],
        idempotency_table=tables["idempotency"],
        audit_table=tables["audit"],
        audit_table_writes="mutations",
        # The mutating calls it counts need the operator's role (the local default is viewer).
        local_role="operator",
    )


def registry_for(settings: Settings, clients: ClientFactory) -> ToolRegistry:
    logger = Logger(service="bench", logger_handler=logging.StreamHandler(io.StringIO()))
    telemetry = Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=io.StringIO())
    return build_server(settings, clients, logger=logger, telemetry=telemetry).registry


def count_dynamodb(clients: ClientFactory) -> list[str]:
    calls: list[str] = []
    state = clients.client("dynamodb", "us-east-1", state=True)
    state.meta.events.register("after-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def round_trips() -> tuple[float, float, list[str]]:
    settings = lambda_like_settings()
    clients = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
    registry = registry_for(settings, clients)
    fleet = seed(endpoint_url=None)
    calls = count_dynamodb(clients)
    context = CallContext(caller="bench")
    registry.call("ec2_list_instances", {}, context)  # warm: the breaker state is read once
    calls.clear()
    for _ in range(ROUND_TRIP_CALLS):
        registry.call("ec2_list_instances", {}, context)
    reads = len(calls) / ROUND_TRIP_CALLS
    calls.clear()
    stopped = fleet["us-east-1"][5]
    for _ in range(ROUND_TRIP_CALLS):
        arguments = {"instance_ids": [stopped], "dry_run": True, "idempotency_key": uuid.uuid4().hex}
        outcome = registry.call("ec2_start_instances", arguments, context)
        assert not outcome.is_error, outcome.text
    writes = len(calls) / ROUND_TRIP_CALLS
    kinds = sorted(set(calls))
    return reads, writes, kinds


@dataclass(frozen=True)
class Overhead:
    read_round_trips: float
    write_round_trips: float
    operations: list[str]
    # Path name -> microseconds per call, the tool function alone first.
    paths_us: dict[str, Summary]


def _timed_us(run: Callable[[], object]) -> Summary:
    samples = []
    for _ in range(CALLS):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return summarize(samples)


def call_paths() -> dict[str, Summary]:
    """ec2_list_instances three ways, all on the same canned client."""
    settings = lambda_like_settings()
    canned = CannedEc2()
    registry = registry_for(settings, CannedFactory(settings, canned))
    dispatcher = Dispatcher(settings, registry)
    context = CallContext(caller="bench")
    # The request the emulator benchmarks send, as API Gateway hands it over.
    event = json.loads(event_payload("tools/call ec2_list_instances"))
    raw, headers = event["body"], {k.lower(): [v] for k, v in event["headers"].items()}
    arguments = json.loads(raw)["params"]["arguments"]
    args = ec2.ListInstancesInput(**arguments)

    paths: dict[str, Callable[[], object]] = {
        "tool function alone (floor)": lambda: ec2.list_instances.func(canned, args).model_dump(mode="json"),
        "registry.call": lambda: registry.call("ec2_list_instances", arguments, context),
        "dispatcher, JSON bytes in and out": lambda: json.dumps(
            dispatcher.handle_bytes(raw, headers, context).body
        ),
    }
    for _ in range(WARM_UP):
        for run in paths.values():
            run()
    reply = dispatcher.handle_bytes(raw, headers, context).body or {}
    if "result" not in reply or reply["result"].get("isError"):
        raise RuntimeError(f"the dispatcher did not answer the call: {str(reply)[:500]}")
    return {name: _timed_us(run) for name, run in paths.items()}


def measure() -> Overhead:
    with mock_aws(), redirect_stdout(io.StringIO()):  # EMF lines and moto chatter
        reads, writes, kinds = round_trips()
        paths = call_paths()
    return Overhead(reads, writes, kinds, paths)


def tables(result: Overhead) -> list[Table]:
    trips = Table(
        "DynamoDB round trips per tool call (in process, state tables on moto, wired as on Lambda)",
        ["call", "round trips", "target"],
    )
    trips.add(
        "read-only (ec2_list_instances), warm, breaker closed",
        f"{result.read_round_trips:.2f}",
        f"{READ_ROUND_TRIPS_TARGET}",
    )
    trips.add(
        "mutating (ec2_start_instances, dry run, fresh idempotency key)",
        f"{result.write_round_trips:.2f}",
        f"<= {WRITE_ROUND_TRIPS_TARGET}",
    )
    trips.notes.append(f"operations seen: {', '.join(result.operations)}")

    paths = Table(
        f"Per-call overhead in process: ec2_list_instances on a canned EC2 client, {CALLS} calls each (us)",
        ["path", "p50", "p99", "p50 - floor", "p50 x floor"],
    )
    floor = next(iter(result.paths_us.values()))
    for name, s in result.paths_us.items():
        paths.add(name, f"{s.p50:.1f}", f"{s.p99:.1f}", f"{s.p50 - floor.p50:+.1f}", ratio(s.p50, floor.p50))
    paths.notes.append(
        "The dispatcher path is what a request costs us between API Gateway's body and the "
        "reply's JSON: envelope and header checks, the registry (authorize, validate, "
        "breaker, audit, metrics), the result shaping and serialization."
    )
    return [trips, paths]


if __name__ == "__main__":
    for table in tables(measure()):
        print(table.text(), end="\n\n")
