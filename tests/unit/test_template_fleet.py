"""The template's fleet choices: the member roles named are the only ones the server may assume,
the account registry's parameter the only one it reads; the member role template trusts only the server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from aws_mcp.config import ENV
from tests.unit.test_template import actions, evaluate, function, policy_statements

REPO = Path(__file__).resolve().parents[2]
MEMBER_TEMPLATE = REPO / "fleet" / "member-role.yaml"
ROLES = "arn:aws:iam::*:role/AwsMcpMember,arn:aws:iam::111111111111:role/Other"


def load(path: Path) -> dict[str, Any]:
    loaded, problems = decode(str(path))
    assert not problems, [str(p) for p in problems]
    plain: dict[str, Any] = json.loads(json.dumps(loaded))
    return plain


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load(REPO / "template.yaml")


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    return load(MEMBER_TEMPLATE)


def granted(template: dict[str, Any], parameters: dict[str, str]) -> list[dict[str, Any]]:
    """The statements the role has with ``parameters``: those of policies whose condition holds."""
    return [
        s
        for under, s in policy_statements(template, parameters)
        if under is None or evaluate(template, {"Condition": under}, parameters)
    ]


def fleet_statements(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in granted(template, parameters) if s["Sid"].startswith("Fleet")}


def test_by_default_the_server_may_assume_no_role_and_read_no_registry(template: dict[str, Any]) -> None:
    assert fleet_statements(template, {}) == {}
    every = {a for s in granted(template, {}) for a in actions(s)}
    assert not {a for a in every if a.startswith(("sts:Assume", "sts:SetSource", "ssm:"))}


def test_the_server_may_assume_exactly_the_roles_named_and_set_their_source_identity(
    template: dict[str, Any],
) -> None:
    statement = fleet_statements(template, {"FleetRoleArns": ROLES})["FleetAssumeMemberRoles"]
    assert actions(statement) == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    assert statement["Resource"] == ROLES.split(",")


def test_the_role_pattern_parameter_takes_role_arns_and_patterns_only(template: dict[str, Any]) -> None:
    pattern = re.compile(template["Parameters"]["FleetRoleArns"]["AllowedPattern"])
    for good in ("", ROLES, "arn:aws:iam::123456789012:role/path/AwsMcp*"):
        assert pattern.fullmatch(good), good
    for bad in (
        "*",
        "arn:aws:iam::*:user/x",
        "arn:aws:iam::*:role/a, arn:aws:iam::*:role/b",
        "arn:aws:s3:::b",
    ):
        assert not pattern.fullmatch(bad), bad


def test_the_registry_parameter_is_the_only_one_read_and_reaches_the_function(
    template: dict[str, Any],
) -> None:
    statement = fleet_statements(template, {"AccountsParameter": "/aws-mcp/accounts"})["FleetAccountRegistry"]
    assert actions(statement) == {"ssm:GetParameter"}
    assert statement["Resource"].endswith(":parameter/aws-mcp/accounts")
    variables = function(template)["Environment"]["Variables"]
    assert variables[ENV.ACCOUNTS_PARAMETER] == {"Ref": "AccountsParameter"}


def trust(member: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    role = member["Resources"]["MemberRole"]["Properties"]
    (statement,) = evaluate(member, role["AssumeRolePolicyDocument"], parameters)["Statement"]
    return dict(statement)


def test_the_member_role_trusts_only_the_server_account_and_requires_a_source_identity(
    member: dict[str, Any],
) -> None:
    statement = trust(member, {"ServerAccountId": "123456789012"})
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert set(statement["Action"]) == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    assert statement["Condition"] == {"StringLike": {"sts:SourceIdentity": "*"}}


def test_the_member_role_can_name_the_servers_role_and_require_an_external_id(member: dict[str, Any]) -> None:
    statement = trust(
        member, {"ServerAccountId": "123456789012", "ServerRoleName": "mcp-fn", "ExternalId": "ext-42"}
    )
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/mcp-fn"}
    assert statement["Condition"]["StringEquals"] == {"sts:ExternalId": "ext-42"}


def test_the_member_role_reads_only_unless_read_write_is_chosen(member: dict[str, Any]) -> None:
    role = member["Resources"]["MemberRole"]["Properties"]

    def policies(level: str) -> list[str]:
        found = evaluate(
            member, role["ManagedPolicyArns"], {"ServerAccountId": "1" * 12, "AccessLevel": level}
        )
        return [p.rsplit("/", 1)[-1] for p in found]

    assert policies("ReadOnly") == ["ReadOnlyAccess"]
    assert policies("ReadWrite") == ["ReadOnlyAccess", "PowerUserAccess"]


def managed(template: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    role = template["Resources"]["McpFunctionRole"]["Properties"]
    return [
        arn.split(":policy/", 1)[1]
        for arn in evaluate(template, role.get("ManagedPolicyArns", []), parameters)
    ]


@pytest.mark.parametrize(
    ("access", "toolsets", "policies"),
    [
        ("None", "all", []),
        ("ViewOnly", "all", ["job-function/ViewOnlyAccess"]),
        ("ReadOnly", "all", ["ReadOnlyAccess"]),
        ("ReadOnly", "fleet", ["ReadOnlyAccess"]),
        ("ReadOnly", "compute", []),
    ],
)
def test_the_cli_executor_gets_only_the_access_chosen_and_only_when_served(
    template: dict[str, Any], access: str, toolsets: str, policies: list[str]
) -> None:
    assert template["Parameters"]["CliExecutorAccess"]["Default"] == "None"
    assert managed(template, {"CliExecutorAccess": access, "Toolsets": toolsets}) == policies


def test_the_worker_may_read_exactly_what_the_registrys_collectors_read(template: dict[str, Any]) -> None:
    from aws_mcp.fleet.collectors import REFRESH_ACTIONS

    worker = template["Resources"]["FleetWorkerFunction"]["Properties"]["Policies"]
    reads = [
        s
        for policy in worker
        if "Statement" in policy
        for s in policy["Statement"]
        if s.get("Sid") == "FleetRegistryReads"
    ]
    assert len(reads) == 1 and set(reads[0]["Action"]) == set(REFRESH_ACTIONS)


def test_the_member_roles_read_only_access_covers_every_registry_read() -> None:
    """AWS's ReadOnlyAccess, as moto ships it, grants each action a refresh makes in a member account."""
    from fnmatch import fnmatchcase

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    from aws_mcp.fleet.collectors import REFRESH_ACTIONS

    document = json.loads(aws_managed_policies_data)["ReadOnlyAccess"]["Document"]
    allowed = [
        pattern.lower()
        for s in document["Statement"]
        if s["Effect"] == "Allow"
        for pattern in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    missing = [a for a in REFRESH_ACTIONS if not any(fnmatchcase(a.lower(), p) for p in allowed)]
    assert missing == []
