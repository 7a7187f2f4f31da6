"""The embedded demo AWS: a moto server on 127.0.0.1 holding a small, realistic estate.

Not shipped in the Lambda layer. ``aws-mcp serve --demo`` and the end-to-end
tests use it, so every tool has something worth reading.
"""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from aws_mcp.audit import BY_CALLER_INDEX
from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp.fleet.inventory import BY_TYPE
from aws_mcp_local.demo import estate
from aws_mcp_local.demo.estate import DEMO_IMAGE, DEMO_REGIONS
from aws_mcp_local.demo.estate.accounts import DEMO_ACCOUNTS, member_role
from aws_mcp_local.demo.estate.ec2 import FLEET, instance_ids

__all__ = [
    "AUDIT_BY_CALLER",
    "DEMO_ACCOUNTS",
    "DEMO_IMAGE",
    "DEMO_READ_TIMEOUT",
    "DEMO_REGIONS",
    "FLEET",
    "FLEET_BY_TYPE",
    "TABLE_KEYS",
    "DemoAws",
    "refresh_fleet",
    "running_demo",
    "seed",
    "table_names",
]

# Key attributes of the server's tables, as template.yaml declares them: Powertools'
# breaker and idempotency persistence default to an "id" partition key.
TABLE_KEYS = {
    "breaker": ("id",),
    "idempotency": ("id",),
    "audit": ("pk", "sk"),
    "cost_cache": ("id",),
    "fleet": ("pk", "sk"),
}
# The resource registry's by-type index: a type's resources by account, region and id.
FLEET_BY_TYPE = ("type", "sk2")
# The audit table's by-caller index: calls of one principal in time order.
AUDIT_BY_CALLER = ("caller_pk", "sk")
DEMO_KEY = "demo"
# moto answers a list of a thousand instances in tens of seconds, not the 5 s real AWS is given.
DEMO_READ_TIMEOUT = 60.0


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=DEMO_KEY, aws_secret_access_key=DEMO_KEY, region_name=DEMO_REGIONS[0]
    )


def table_names(prefix: str = "aws-mcp-demo") -> dict[str, str]:
    return {
        "breaker": f"{prefix}-breaker",
        "idempotency": f"{prefix}-idempotency",
        "audit": f"{prefix}-audit",
        "cost_cache": f"{prefix}-cost-cache",
        "fleet": f"{prefix}-fleet",
    }


def seed(endpoint_url: str | None, parts: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Create the server's tables and the estate (every part, or only ``parts``: names of
    :mod:`aws_mcp_local.demo.estate` modules); return the fleet's instance ids by region.

    ``endpoint_url=None`` seeds whatever AWS boto3 reaches: in-process moto in tests.
    """
    session = _session()
    members: dict[str, boto3.Session] = {}

    def clients(service: str, region: str = DEMO_REGIONS[0], account: str | None = None) -> Any:
        """A client of the demo AWS; in a member ``account`` (its id), as that account's role."""
        if account is None:
            return session.client(service, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]
        if account not in members:
            sts = session.client("sts", endpoint_url=endpoint_url)
            found = sts.assume_role(RoleArn=member_role(account), RoleSessionName="aws-mcp-demo-seed")
            members[account] = boto3.Session(
                aws_access_key_id=found["Credentials"]["AccessKeyId"],
                aws_secret_access_key=found["Credentials"]["SecretAccessKey"],
                aws_session_token=found["Credentials"]["SessionToken"],
            )
        return members[account].client(service, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

    _create_tables(clients("dynamodb"))
    every = estate.parts()
    for name in every if parts is None else parts:
        every[name].seed(clients)
    seeded_fleet = parts is None or "ec2" in parts
    return instance_ids(clients) if seeded_fleet else {}


FLEET_QUEUE = "aws-mcp-demo-fleet-refresh"


def _fleet_queue(endpoint_url: str | None) -> str:
    sqs = _session().client("sqs", region_name=DEMO_REGIONS[0], endpoint_url=endpoint_url)
    url: str = sqs.create_queue(QueueName=FLEET_QUEUE)["QueueUrl"]
    return url


def refresh_fleet(endpoint_url: str | None, queue_url: str | None = None) -> dict[str, Any]:
    """Fill the demo's resource registry as the deployed refresh does (a queue, the worker's
    batch handler), through the demo's member roles; how it went."""
    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.fleet.refresh import refresh_locally

    settings = Settings(default_region=DEMO_REGIONS[0], accounts=DEMO_ACCOUNTS)
    factory = ClientFactory(settings, session=_session(), endpoint_url=endpoint_url)
    sqs = factory.client("sqs", DEMO_REGIONS[0], state=True)
    return refresh_locally(
        DEMO_ACCOUNTS,
        DEMO_REGIONS[0],
        factory.client,
        factory.client("dynamodb", DEMO_REGIONS[0], state=True),
        sqs,
        queue_url or _fleet_queue(endpoint_url),
        table_names()["fleet"],
    )


def _create_tables(dynamodb: Any) -> None:
    for role, table in table_names().items():
        keys = TABLE_KEYS[role]
        attributes = set(keys)
        request: dict[str, Any] = {
            "TableName": table,
            "KeySchema": [
                {"AttributeName": k, "KeyType": kind}
                for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if role == "fleet":
            attributes.update(FLEET_BY_TYPE)
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": BY_TYPE,
                    "KeySchema": [
                        {"AttributeName": FLEET_BY_TYPE[0], "KeyType": "HASH"},
                        {"AttributeName": FLEET_BY_TYPE[1], "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        if role == "audit":
            attributes.add(AUDIT_BY_CALLER[0])
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": BY_CALLER_INDEX,
                    "KeySchema": [
                        {"AttributeName": AUDIT_BY_CALLER[0], "KeyType": "HASH"},
                        {"AttributeName": AUDIT_BY_CALLER[1], "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        request["AttributeDefinitions"] = [
            {"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)
        ]
        dynamodb.create_table(**request)


@dataclass(frozen=True)
class DemoAws:
    endpoint_url: str
    instance_ids: dict[str, list[str]]
    fleet_queue_url: str | None = None

    def session(self) -> boto3.Session:
        return _session()

    def settings(self, base: Settings, environ: Mapping[str, str] | None = None) -> Settings:
        """``base`` pointed at the demo AWS.

        The demo's AWS is fake, so it allows writes (every tool can be tried) unless
        ``AWS_MCP_ACCESS_MODE`` is set in ``environ`` (default: the process environment): then
        ``base``'s mode, read from it, stands, to preview a production default. Its read
        timeout fits moto rather than AWS, unless ``AWS_MCP_AWS_READ_TIMEOUT`` is set.
        """
        env = os.environ if environ is None else environ
        tables = table_names()
        return base.with_changes(
            access_mode=base.access_mode if env.get(ENV.ACCESS_MODE) else AccessMode.READ_WRITE,
            aws_read_timeout=base.aws_read_timeout if env.get(ENV.AWS_READ_TIMEOUT) else DEMO_READ_TIMEOUT,
            default_region=DEMO_REGIONS[0],
            tables_region=DEMO_REGIONS[0],
            breaker_table=tables["breaker"],
            idempotency_table=tables["idempotency"],
            audit_table=tables["audit"],
            cost_cache_table=tables["cost_cache"],
            fleet_table=tables["fleet"],
            fleet_queue_url=self.fleet_queue_url,
            accounts=base.accounts or DEMO_ACCOUNTS,
            stage="demo",
        )


@contextmanager
def running_demo() -> Iterator[DemoAws]:
    """Start moto on 127.0.0.1 (a free port), seed it, and stop it on exit."""
    # moto's werkzeug server logs every request; the demo's own output is what matters.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto's state is process-wide: start from empty and leave it empty, so a second
        # demo in the same process (tests) does not trip over the first one's tables.
        _reset_moto(endpoint)
        try:
            ids = seed(endpoint)
            # The registry fills in the background (about 2 s): the demo answers meanwhile, and
            # fleet_search finds what each account and region has once its unit is written.
            queue_url = _fleet_queue(endpoint)
            refreshing = threading.Thread(target=refresh_fleet, args=(endpoint, queue_url), daemon=True)
            refreshing.start()
            try:
                yield DemoAws(endpoint_url=endpoint, instance_ids=ids, fleet_queue_url=queue_url)
            finally:
                refreshing.join(timeout=60)
        finally:
            _reset_moto(endpoint)
    finally:
        server.stop()


def _reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - our own moto on 127.0.0.1
        pass
