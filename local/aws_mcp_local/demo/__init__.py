"""The embedded demo AWS: a moto server on 127.0.0.1 holding a small, realistic estate.

Not shipped in the Lambda layer. ``aws-mcp serve --demo`` and the end-to-end
tests use it, so every tool has something worth reading. The server answers the Cloud Control
API too, which moto lacks (``demo.cloudcontrol``).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import boto3

from aws_mcp.audit import BY_CALLER_INDEX
from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp.fleet.inventory import BY_TYPE
from aws_mcp_local.demo import estate
from aws_mcp_local.demo.estate import DEMO_IMAGE, DEMO_REGIONS
from aws_mcp_local.demo.estate.accounts import DEMO_ACCOUNTS, member_role
from aws_mcp_local.demo.estate.ec2 import FLEET, instance_ids

if TYPE_CHECKING:
    from aws_mcp_local.demo.cloudcontrol import Emulator

__all__ = [
    "AUDIT_BY_CALLER",
    "CONFIRMATION_SECRET",
    "DEMO_ACCOUNTS",
    "DEMO_IMAGE",
    "DEMO_READ_TIMEOUT",
    "DEMO_REGIONS",
    "FLEET",
    "FLEET_BY_TYPE",
    "FLEET_QUEUE",
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
    "integrations": ("pk", "sk"),
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
        "integrations": f"{prefix}-integrations",
    }


def seed(endpoint_url: str | None, parts: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Create the server's tables, secret and queue, and the estate (every part, or only ``parts``: names of
    :mod:`aws_mcp_local.demo.estate` modules); return the fleet's instance ids by region.

    ``endpoint_url=None`` seeds whatever AWS boto3 reaches: in-process moto in tests.
    """
    clients = _clients(endpoint_url)
    _create_tables(clients("dynamodb"))
    _create_confirmation_secret(clients("secretsmanager"))
    _fleet_queue(endpoint_url)
    return _seed_estate(clients, parts)


def _clients(endpoint_url: str | None) -> Callable[..., Any]:
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

    return clients


def _seed_estate(clients: Callable[..., Any], parts: Iterable[str] | None) -> dict[str, list[str]]:
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


def _set_event() -> threading.Event:
    done = threading.Event()
    done.set()
    return done


# The secret signing confirmations of destructive changes, as the stack's ConfirmationSecret.
CONFIRMATION_SECRET: Final = "aws-mcp-demo-confirmation"  # noqa: S105 (its name)


def _create_confirmation_secret(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name=CONFIRMATION_SECRET, SecretString=secrets.token_urlsafe(32))


@dataclass(frozen=True)
class DemoAws:
    endpoint_url: str
    # The fleet's instance ids by region: filled in once the estate is seeded.
    instance_ids: dict[str, list[str]]
    # The demo's Cloud Control: its delay may be changed, its clock advanced (tests).
    cloudcontrol: Emulator | None = None
    fleet_queue_url: str | None = None
    # Set once the estate is seeded (at once, unless it is seeded in the background).
    seeded: threading.Event = field(default_factory=_set_event)

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
            fleet_table=tables["fleet"],
            fleet_queue_url=self.fleet_queue_url,
            accounts=base.accounts or DEMO_ACCOUNTS,
            integrations_table=tables["integrations"],
            integrations_secret_prefix="aws-mcp-demo/integrations",  # noqa: S106 - a name prefix
            confirmation_secret=CONFIRMATION_SECRET,
            stage="demo",
        )


@contextmanager
def running_demo(
    cloudcontrol_delay: float | None = None, *, seed_in_background: bool = False
) -> Iterator[DemoAws]:
    """Start moto on 127.0.0.1 (a free port), seed it, and stop it on exit.

    Cloud Control requests stay IN_PROGRESS for ``cloudcontrol_delay`` seconds (default:
    ``AWS_MCP_DEMO_CLOUDCONTROL_DELAY``, else ``cloudcontrol.DEFAULT_DELAY``).
    ``seed_in_background``: yield as soon as the server's tables exist, and seed the estate
    (seconds of work) in a thread that sets ``DemoAws.seeded`` when done, so a stdio client's
    handshake is answered at once.
    """
    # Imported here: its adapters import most of moto's backends.
    from aws_mcp_local.demo.cloudcontrol import DemoMotoServer, Emulator, delay_from

    # moto's werkzeug server logs every request; the demo's own output is what matters.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    emulator = Emulator(delay=delay_from() if cloudcontrol_delay is None else cloudcontrol_delay)
    server = DemoMotoServer(emulator, ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto's state is process-wide: start from empty and leave it empty, so a second
        # demo in the same process (tests) does not trip over the first one's tables.
        _reset_moto(endpoint)
        try:
            queue_url = _fleet_queue(endpoint)
            if seed_in_background:
                _create_tables(_clients(endpoint)("dynamodb"))
                _create_confirmation_secret(_clients(endpoint)("secretsmanager"))
                aws = DemoAws(endpoint, {}, emulator, queue_url, seeded=threading.Event())
                work = threading.Thread(
                    target=_seed_in_background, args=(aws,), name="demo-seed", daemon=True
                )
            else:
                aws = DemoAws(endpoint, seed(endpoint), emulator, queue_url)
                # The registry fills in the background (about 2 s): the demo answers meanwhile, and
                # fleet_search finds what each account and region has once its unit is written.
                work = threading.Thread(target=refresh_fleet, args=(endpoint, queue_url), daemon=True)
            work.start()
            try:
                yield aws
            finally:
                work.join()  # not reset under a seed or a refresh still writing
        finally:
            _reset_moto(endpoint)
    finally:
        server.stop()


def _seed_in_background(aws: DemoAws) -> None:
    """Seed the estate, say so, then fill the resource registry from it."""
    try:
        aws.instance_ids.update(_seed_estate(_clients(aws.endpoint_url), None))
    except Exception:  # the tools then say what is missing; the reason is on stderr
        logging.getLogger(__name__).exception("seeding the demo estate failed")
        return
    finally:
        aws.seeded.set()
    refresh_fleet(aws.endpoint_url, aws.fleet_queue_url)


def _reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - our own moto on 127.0.0.1
        pass
