"""The embedded demo AWS: a moto server on 127.0.0.1 holding a small, realistic estate.

Not shipped in the Lambda layer. ``aws-mcp serve --demo`` and the end-to-end
tests use it, so every tool has something worth reading.
"""

from __future__ import annotations

import logging
import os
import secrets
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import boto3
from moto.server import ThreadedMotoServer

from aws_mcp.audit import BY_CALLER_INDEX
from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp_local.demo import estate
from aws_mcp_local.demo.estate import DEMO_IMAGE, DEMO_REGIONS
from aws_mcp_local.demo.estate.ec2 import FLEET, instance_ids

__all__ = [
    "AUDIT_BY_CALLER",
    "CONFIRMATION_SECRET",
    "DEMO_IMAGE",
    "DEMO_READ_TIMEOUT",
    "DEMO_REGIONS",
    "FLEET",
    "TABLE_KEYS",
    "DemoAws",
    "running_demo",
    "seed",
    "table_names",
]

# Key attributes of the server's tables, as template.yaml declares them: Powertools'
# breaker and idempotency persistence default to an "id" partition key.
TABLE_KEYS = {"breaker": ("id",), "idempotency": ("id",), "audit": ("pk", "sk"), "cost_cache": ("id",)}
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
    }


def seed(endpoint_url: str | None, parts: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Create the server's tables and the estate (every part, or only ``parts``: names of
    :mod:`aws_mcp_local.demo.estate` modules); return the fleet's instance ids by region.

    ``endpoint_url=None`` seeds whatever AWS boto3 reaches: in-process moto in tests.
    """
    session = _session()

    def clients(service: str, region: str = DEMO_REGIONS[0]) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

    _create_tables(clients("dynamodb"))
    _create_confirmation_secret(clients("secretsmanager"))
    every = estate.parts()
    for name in every if parts is None else parts:
        every[name].seed(clients)
    seeded_fleet = parts is None or "ec2" in parts
    return instance_ids(clients) if seeded_fleet else {}


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


# The secret signing confirmations of destructive changes, as the stack's ConfirmationSecret.
CONFIRMATION_SECRET: Final = "aws-mcp-demo-confirmation"  # noqa: S105 (its name)


def _create_confirmation_secret(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name=CONFIRMATION_SECRET, SecretString=secrets.token_urlsafe(32))


@dataclass(frozen=True)
class DemoAws:
    endpoint_url: str
    instance_ids: dict[str, list[str]]

    def session(self) -> boto3.Session:
        return _session()

    def settings(self, base: Settings, environ: Mapping[str, str] | None = None) -> Settings:
        """``base`` pointed at the demo AWS.

        The demo's AWS is fake, so it allows writes (every tool can be tried) unless
        ``AWS_MCP_ACCESS_MODE`` is set in ``environ`` (default: the process environment): then
        ``base``'s mode, read from it, stands, to preview a production default. Its read
        timeout fits moto rather than AWS, unless ``AWS_MCP_AWS_READ_TIMEOUT`` is set; its local
        caller is an admin, unless ``AWS_MCP_LOCAL_ROLE`` says otherwise.
        """
        env = os.environ if environ is None else environ
        tables = table_names()
        return base.with_changes(
            access_mode=base.access_mode if env.get(ENV.ACCESS_MODE) else AccessMode.READ_WRITE,
            aws_read_timeout=base.aws_read_timeout if env.get(ENV.AWS_READ_TIMEOUT) else DEMO_READ_TIMEOUT,
            local_role=base.local_role if env.get(ENV.LOCAL_ROLE) else "admin",
            default_region=DEMO_REGIONS[0],
            tables_region=DEMO_REGIONS[0],
            breaker_table=tables["breaker"],
            idempotency_table=tables["idempotency"],
            audit_table=tables["audit"],
            cost_cache_table=tables["cost_cache"],
            confirmation_secret=CONFIRMATION_SECRET,
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
            yield DemoAws(endpoint_url=endpoint, instance_ids=seed(endpoint))
        finally:
            _reset_moto(endpoint)
    finally:
        server.stop()


def _reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - our own moto on 127.0.0.1
        pass
