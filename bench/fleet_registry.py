"""The resource registry at fleet scale: 5 accounts x 4 regions x 500 instances (10,000) in moto, in process.

Seeds the instances (each with its root volume, as EC2 gives one), then runs the refresh (every
collector of :mod:`aws_mcp.fleet.collectors`, so VPCs, subnets and security groups too) as it
runs everywhere (:func:`aws_mcp.fleet.refresh.refresh_locally`: one SQS message per account x
region, drained through the worker's batch handler, each unit assuming its account's role),
and times ``fleet_search`` through the registry. Floors, measured in the same run: the same
refresh's reads alone (every unit's describe calls, nothing written), and one DynamoDB GetItem
on the same table for a search. What was written is read back from the table (Query counts),
not computed.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from typing import Any, Final

from aws_mcp.accounts import Account

ACCOUNTS: Final = 5
REGIONS: Final = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
PER_TARGET: Final = 500
# moto's DynamoDB evaluates a query's filter item by item in Python: fifty searches of 10,000
# resources take about a minute.
SEARCHES: Final = 50
TEAMS: Final = ("payments", "storefront", "data", "platform")


@dataclass(frozen=True)
class FleetFigures:
    instances: int
    refresh_s: float
    reads_floor_s: float
    items_written: int
    instances_read_back: int
    units: int
    failed: int
    search_ms: Any  # report.Summary
    search_floor_ms: Any
    found_per_search: float
    peak_rss_bytes: int
    seed_s: float


def measure(accounts: int = ACCOUNTS, per_target: int = PER_TARGET) -> FleetFigures:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    import boto3
    from moto import mock_aws

    from aws_mcp.accounts import Accounts
    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.config import AccessMode, Settings
    from aws_mcp.context import CallContext
    from aws_mcp.fleet.collectors import collect
    from aws_mcp.fleet.inventory import BY_TYPE
    from aws_mcp.fleet.refresh import REFRESH_CALLER, refresh_locally, units
    from aws_mcp.server import build_server
    from aws_mcp_local.demo import DEMO_IMAGE, seed, table_names
    from bench.report import summarize

    table = table_names()["fleet"]
    registry_accounts = Accounts(
        Account(
            alias=f"acct{n}",
            account_id=f"{100000000000 + n}",
            role_arn=f"arn:aws:iam::{100000000000 + n}:role/AwsMcpMember",
            regions=REGIONS,
        )
        for n in range(1, accounts + 1)
    )
    with mock_aws():
        seed(endpoint_url=None, parts=())
        settings = Settings(access_mode=AccessMode.READ_ONLY, accounts=registry_accounts, fleet_table=table)
        factory = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
        started = time.perf_counter()
        for account in registry_accounts.all():
            for region in REGIONS:
                ec2 = factory.client("ec2", region, account=account, caller=REFRESH_CALLER)
                for team in TEAMS:
                    ec2.run_instances(
                        ImageId=DEMO_IMAGE,
                        MinCount=per_target // len(TEAMS),
                        MaxCount=per_target // len(TEAMS),
                        TagSpecifications=[
                            {
                                "ResourceType": "instance",
                                "Tags": [
                                    {"Key": "team", "Value": team},
                                    {"Key": "Name", "Value": f"{team}-{region}"},
                                ],
                            }
                        ],
                    )
        seed_s = time.perf_counter() - started
        work = units(registry_accounts, "us-east-1")

        started = time.perf_counter()
        for unit in work:
            member = registry_accounts.resolve(unit["account"])
            place = unit["region"]

            def client(service: str, member: Account = member, place: str = place) -> Any:
                return factory.client(service, place, account=member, caller=REFRESH_CALLER)

            collect(client, member.account_id or "", place)
        reads_floor_s = time.perf_counter() - started

        sqs = factory.client("sqs", "us-east-1", state=True)
        queue = sqs.create_queue(QueueName="bench-fleet-refresh")["QueueUrl"]
        dynamodb = factory.client("dynamodb", "us-east-1", state=True)
        started = time.perf_counter()
        done = refresh_locally(registry_accounts, "us-east-1", factory.client, dynamodb, sqs, queue, table)
        refresh_s = time.perf_counter() - started
        # Read back from the table: each unit's items counted by a Query of its partition.
        written = sum(
            page["Count"]
            for unit in work
            for page in dynamodb.get_paginator("query").paginate(
                TableName=table,
                Select="COUNT",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"R#{unit['account']}#{unit['region']}"}},
            )
        )
        instances_back = sum(
            page["Count"]
            for page in dynamodb.get_paginator("query").paginate(
                TableName=table,
                IndexName=BY_TYPE,
                Select="COUNT",
                KeyConditionExpression="#t = :t",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={":t": {"S": "ec2:instance"}},
            )
        )

        registry = build_server(settings, factory).registry
        context = CallContext(caller="bench")
        queries: list[dict[str, Any]] = []
        for n in range(SEARCHES):
            alias = f"acct{n % accounts + 1}"
            kinds: list[dict[str, Any]] = [
                {"tags": {"team": TEAMS[n % 4]}, "accounts": [alias], "regions": [REGIONS[n % 4]]},
                {"accounts": [alias], "states": ["running"], "max_results": 50},
                {"name": TEAMS[n % 4][:4], "accounts": [alias], "max_results": 20},
                {"tags": {"team": TEAMS[n % 4]}, "max_results": 50},
            ]
            queries.append(kinds[n % 4])
        times, found = [], 0
        for query in queries:
            t = time.perf_counter()
            outcome = registry.call("fleet_search", query, context)
            times.append((time.perf_counter() - t) * 1000)
            assert not outcome.is_error, outcome.text
            found += (outcome.structured or {}).get("count", 0)
        floor_times = []
        for _ in range(SEARCHES):
            t = time.perf_counter()
            dynamodb.get_item(TableName=table, Key={"pk": {"S": "SUMMARY"}, "sk": {"S": "acct1#us-east-1"}})
            floor_times.append((time.perf_counter() - t) * 1000)
    return FleetFigures(
        instances=accounts * len(REGIONS) * (per_target // len(TEAMS)) * len(TEAMS),
        refresh_s=refresh_s,
        reads_floor_s=reads_floor_s,
        items_written=written,
        instances_read_back=instances_back,
        units=done["units"],
        failed=done["failed"],
        search_ms=summarize(times),
        search_floor_ms=summarize(floor_times),
        found_per_search=found / len(queries),
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        seed_s=seed_s,
    )


def tables(f: FleetFigures) -> list[Any]:
    from bench.report import Table, megabytes, ratio

    table = Table(
        f"Resource registry at scale: {ACCOUNTS} accounts x {len(REGIONS)} regions x {PER_TARGET} instances "
        f"({f.instances:,}), moto in process",
        ["figure", "measured", "floor", "x floor"],
    )
    table.add(
        "refresh (queue, worker, writes), s",
        f"{f.refresh_s:.1f}",
        f"{f.reads_floor_s:.1f} (reads alone)",
        ratio(f.refresh_s, f.reads_floor_s),
    )
    table.add(
        "items in the table after the refresh (Query COUNT per unit: every collected type)",
        f"{f.items_written:,}",
        "",
        "",
    )
    table.add(
        "ec2:instance items read back (Query COUNT on the by-type index)",
        f"{f.instances_read_back:,}",
        f"{f.instances:,} launched",
        "",
    )
    table.add("refresh units (accounts x regions), failed", f"{f.units}, {f.failed}", "", "")
    table.add(
        "fleet_search p50, ms",
        f"{f.search_ms.p50:.1f}",
        f"{f.search_floor_ms.p50:.2f} (GetItem)",
        ratio(f.search_ms.p50, f.search_floor_ms.p50),
    )
    table.add(
        "fleet_search p99, ms",
        f"{f.search_ms.p99:.1f}",
        f"{f.search_floor_ms.p99:.2f} (GetItem)",
        ratio(f.search_ms.p99, f.search_floor_ms.p99),
    )
    table.add("resources per search (mean)", f"{f.found_per_search:.1f}", "", "")
    table.add(
        "peak RSS of the process (moto and its 10,000 instances included)",
        megabytes(f.peak_rss_bytes),
        "",
        "",
    )
    table.notes.append(
        f"Seeding the instances took {f.seed_s:.0f} s (not counted). Searches: {SEARCHES}, four kinds "
        "in turn "
        "(tag + account + region; account + state; part of a name + account; tag across every account), "
        "through the registry as an agent calls fleet_search. moto's DynamoDB and EC2 are far slower "
        "than AWS's: the ratios, not the seconds, are the figures to compare."
    )
    return [table]


if __name__ == "__main__":
    import sys

    small = measure(accounts=2, per_target=40) if "--small" in sys.argv else measure()
    for t in tables(small):
        print(t.text())
