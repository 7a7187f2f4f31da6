"""What the registry's safety nets cost per tool call: DynamoDB round trips and microseconds.

Wired as on Lambda (breaker, idempotency and audit tables; read-only audit records left to
the log subscription; EMF metrics on), against in-process moto for the state tables. The
overhead comparison gives the tool function and the registry the same canned AWS client,
so AWS latency cancels out and what remains is ours.

Run: ``make bench`` (or ``.venv/bin/python bench/registry_overhead.py``).
"""

from __future__ import annotations

import io
import logging
import os
import statistics
import time
import uuid
from contextlib import redirect_stdout
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
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools import build_registry, ec2
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed, table_names

CALLS = 2000
ROUND_TRIP_CALLS = 50


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

    def client(self, service: str, region: str, *, state: bool = False) -> Any:
        return (
            self._canned if service == "ec2" and not state else super().client(service, region, state=state)
        )


def lambda_like_settings() -> Settings:
    tables = table_names()
    return Settings(
        access_mode=AccessMode.READ_WRITE,
        breaker_table=tables["breaker"],
        idempotency_table=tables["idempotency"],
        audit_table=tables["audit"],
        audit_table_writes="mutations",
    )


def registry_for(settings: Settings, clients: ClientFactory) -> ToolRegistry:
    logger = Logger(service="bench", logger_handler=logging.StreamHandler(io.StringIO()))
    telemetry = Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=io.StringIO())
    return build_registry(settings, clients, logger=logger, telemetry=telemetry)


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


def p50_us(run: Any) -> tuple[float, float]:
    samples = []
    for _ in range(CALLS):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def overhead() -> tuple[tuple[float, float], tuple[float, float]]:
    settings = lambda_like_settings()
    canned = CannedEc2()
    registry = registry_for(settings, CannedFactory(settings, canned))
    context = CallContext(caller="bench")
    args = ec2.ListInstancesInput()
    for _ in range(200):  # warm both paths
        ec2.list_instances.func(canned, args)
        registry.call("ec2_list_instances", {}, context)
    direct = p50_us(lambda: ec2.list_instances.func(canned, args).model_dump(mode="json"))
    through = p50_us(lambda: registry.call("ec2_list_instances", {}, context))
    return direct, through


def main() -> None:
    with mock_aws(), redirect_stdout(io.StringIO()):  # EMF lines and moto chatter
        reads, writes, kinds = round_trips()
        direct, through = overhead()
    print("registry safety nets, per tool call (in-process, state tables on moto)")
    print(f"  DynamoDB round trips, read-only call, warm, breaker closed: {reads:.2f}   (target 0)")
    print(f"  DynamoDB round trips, mutating call:                        {writes:.2f}   (target <= 4)")
    print(f"    operations seen: {', '.join(kinds)}")
    print(f"  ec2_list_instances p50 / p99, tool function alone: {direct[0]:8.1f} / {direct[1]:8.1f} us")
    print(f"  ec2_list_instances p50 / p99, through registry:    {through[0]:8.1f} / {through[1]:8.1f} us")
    added = through[0] - direct[0]
    print(
        f"  added by the registry (p50): {added:.1f} us = {through[0] / direct[0]:.2f}x the tool alone"
        f"   (target < 1000 us)"
    )


if __name__ == "__main__":
    main()
