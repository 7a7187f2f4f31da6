"""Calls in other accounts: the registered role assumed for the caller (session name and
SourceIdentity carry who asked), its credentials reused until shortly before they expire."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger

from aws_mcp.aws.assumed import AssumedRoles, session_name, source_identity
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, seed
from aws_mcp_local.demo.estate.accounts import MEMBER_MACHINES, MEMBERS

ALICE = CallContext(caller="arn:aws:sts::123456789012:assumed-role/Admins/alice@example.com")


@pytest.fixture(scope="module")
def members(aws: None) -> None:
    seed(endpoint_url=None, parts=("ec2", "accounts"))


class StsSpy:
    """The home account's STS client, keeping every AssumeRole request it sends."""

    def __init__(self) -> None:
        self.client: Any = boto3.client("sts", region_name="us-east-1")
        self.assumed: list[dict[str, Any]] = []
        self.client.meta.events.register(
            "provide-client-params.sts.AssumeRole", lambda params, **_: self.assumed.append(dict(params))
        )


@pytest.fixture
def sts(members: None) -> StsSpy:
    return StsSpy()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def registry_with(
    settings: Settings, sts: StsSpy, clock: Clock | None = None
) -> tuple[ToolRegistry, ClientFactory]:
    session = boto3.Session(region_name="us-east-1")
    assumed = AssumedRoles(session, lambda: sts.client, clock=clock)
    clients = ClientFactory(settings, session=session, assumed=assumed)
    return build_server(settings.with_changes(accounts=DEMO_ACCOUNTS), clients).registry, clients


def names(outcome: Any) -> set[str]:
    assert not outcome.is_error, outcome.text
    return {i.get("name") for i in outcome.structured["instances"]}


def test_a_member_accounts_resources_are_read_through_its_role(settings: Settings, sts: StsSpy) -> None:
    registry, _ = registry_with(settings, sts)
    for alias in MEMBERS:
        seen = names(registry.call("ec2_list_instances", {"account": alias, "region": "us-east-1"}, ALICE))
        assert seen == {m.name for m in MEMBER_MACHINES if m.account == alias and m.region == "us-east-1"}
    home = names(registry.call("ec2_list_instances", {"region": "us-east-1"}, ALICE))
    assert "web-prod-1" in home and not home & {m.name for m in MEMBER_MACHINES}


def test_whoami_in_a_member_account_is_its_role_with_the_callers_session(
    settings: Settings, sts: StsSpy
) -> None:
    registry, _ = registry_with(settings, sts)
    outcome = registry.call("aws_whoami", {"account": "sandbox"}, ALICE)
    assert outcome.structured is not None
    assert outcome.structured["account"] == MEMBERS["sandbox"]
    assert outcome.structured["arn"] == (
        f"arn:aws:sts::{MEMBERS['sandbox']}:assumed-role/AwsMcpMember/aws-mcp.alice@example.com"
    )


def test_the_role_is_assumed_with_the_callers_session_name_and_source_identity(
    settings: Settings, sts: StsSpy
) -> None:
    registry, _ = registry_with(settings, sts)
    registry.call("aws_whoami", {"account": "staging"}, ALICE)
    (request,) = sts.assumed
    assert request["RoleArn"] == "arn:aws:iam::222222222222:role/AwsMcpMember"
    assert request["SourceIdentity"] == "alice@example.com"
    assert request["RoleSessionName"] == "aws-mcp.alice@example.com"


def test_the_account_id_names_the_same_account_as_its_alias(settings: Settings, sts: StsSpy) -> None:
    registry, _ = registry_with(settings, sts)
    by_id = registry.call("aws_whoami", {"account": MEMBERS["staging"]}, ALICE)
    assert by_id.structured is not None and by_id.structured["account"] == MEMBERS["staging"]


def test_an_unregistered_account_is_refused_before_any_aws_call(settings: Settings, sts: StsSpy) -> None:
    registry, _ = registry_with(settings, sts)
    refused = registry.call("ec2_list_instances", {"account": "444444444444"}, ALICE)
    assert refused.is_error and "not registered" in refused.text
    assert "prod, staging, sandbox" in refused.text
    assert sts.assumed == []


def test_credentials_are_reused_until_shortly_before_they_expire_then_refreshed(
    settings: Settings, sts: StsSpy
) -> None:
    clock = Clock()
    registry, _ = registry_with(settings, sts, clock)
    for region in ("us-east-1", "eu-west-1", "us-east-1"):
        registry.call("ec2_list_instances", {"account": "staging", "region": region}, ALICE)
    assert len(sts.assumed) == 1  # one role session for every client of the account and caller
    clock.now += timedelta(minutes=40)  # 20 minutes left: still fresh enough
    registry.call("ec2_list_instances", {"account": "staging"}, ALICE)
    assert len(sts.assumed) == 1
    clock.now += timedelta(minutes=10)  # 10 minutes left: botocore assumes the role again
    names(registry.call("ec2_list_instances", {"account": "staging"}, ALICE))
    assert len(sts.assumed) == 2


def test_each_caller_gets_a_session_of_their_own(settings: Settings, sts: StsSpy) -> None:
    registry, _ = registry_with(settings, sts)
    registry.call("aws_whoami", {"account": "staging"}, ALICE)
    registry.call("aws_whoami", {"account": "staging"}, CallContext(caller="apikey:k1"))
    assert [r["SourceIdentity"] for r in sts.assumed] == ["alice@example.com", "apikey-k1"]


def test_the_home_account_never_assumes_a_role(settings: Settings, sts: StsSpy) -> None:
    registry, _ = registry_with(settings, sts)
    registry.call("aws_whoami", {"account": "prod"}, ALICE)
    registry.call("aws_whoami", {}, ALICE)
    assert sts.assumed == []


@pytest.mark.parametrize(
    ("caller", "identity"),
    [
        ("local", "local"),
        ("arn:aws:iam::123456789012:user/bob", "bob"),
        ("apikey:abc def", "apikey-abc-def"),
        ("x", "caller-x"),
        ("a" * 100, "a" * 64),
    ],
)
def test_the_source_identity_is_the_callers_name_as_sts_takes_it(caller: str, identity: str) -> None:
    assert source_identity(caller) == identity
    assert len(session_name(caller)) <= 64


def test_the_audit_record_carries_the_account(settings: Settings, sts: StsSpy) -> None:
    lines = io.StringIO()
    logger = Logger(service=f"audit-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(lines))
    session = boto3.Session(region_name="us-east-1")
    clients = ClientFactory(settings, session=session, assumed=AssumedRoles(session, lambda: sts.client))
    registry = build_server(settings.with_changes(accounts=DEMO_ACCOUNTS), clients, logger=logger).registry
    registry.call("aws_whoami", {"account": "sandbox"}, ALICE)
    registry.call("aws_whoami", {}, ALICE)
    registry.call("aws_whoami", {"account": "elsewhere"}, ALICE)
    records = [json.loads(line)["audit"] for line in lines.getvalue().splitlines() if '"audit"' in line]
    assert [(r.get("account"), r["outcome"]) for r in records] == [
        (MEMBERS["sandbox"], "success"),
        (None, "success"),
        (None, "denied"),
    ]
