"""aws_whoami tells the agent which account and region it acts in."""

from __future__ import annotations

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server


def test_whoami_reports_the_account_principal_and_region(settings: Settings, clients: ClientFactory) -> None:
    registry = build_server(settings, clients).registry
    outcome = registry.call("aws_whoami", {}, CallContext())
    assert outcome.structured == {
        "account": "123456789012",
        "arn": "arn:aws:sts::123456789012:user/moto",
        "user_id": outcome.structured["user_id"] if outcome.structured else None,
        "region": "us-east-1",
    }


def test_whoami_answers_for_the_region_asked(settings: Settings, clients: ClientFactory) -> None:
    outcome = build_server(settings, clients).registry.call(
        "aws_whoami", {"region": "eu-west-1"}, CallContext()
    )
    assert outcome.structured is not None and outcome.structured["region"] == "eu-west-1"
