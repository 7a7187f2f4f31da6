"""IAM tools against moto's IAM, through the registry as an agent would call them.

moto lacks SimulatePrincipalPolicy: ``iam_simulate`` is tested against the demo's own simulation
(``aws_mcp_local.demo.simulation``) for the happy path, and with botocore's Stubber for what only
real IAM answers (organisation and boundary denials, missing context, pages). The credential
report's generation in progress is stubbed too: moto's is ready at once.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services import iam as iam_tools
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.iam import ACCOUNT, OLD_KEY_DAYS, policy_arn
from tests.unit.tools.services.calling import call, refused, walk
from tests.unit.tools.test_paging import valid_output

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orders-api-exec"
ORDERS_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("iam",))


def iam() -> Any:
    return boto3.client("iam", region_name="us-east-1")


def budgeted(settings: Settings, clients: ClientFactory, chars: int) -> ToolRegistry:
    return build_server(settings.with_changes(max_result_chars=chars), clients).registry


class TestListRoles:
    def test_says_who_can_assume_each_role_conditions_included(self, registry: ToolRegistry) -> None:
        roles = {r["name"]: r for r in walk(registry, "iam_list_roles", "roles")}
        assert roles["orders-api-exec"]["assumable_by"] == ["lambda.amazonaws.com"]
        assert roles["demo-admin"]["assumable_by"] == [
            "* (if aws:MultiFactorAuthPresent)",
            f"arn:aws:iam::{ACCOUNT}:root",
        ]
        assert roles["demo-admin"]["description"] == "Break-glass administrator"

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        for n in range(12):
            iam().create_role(RoleName=f"paged-{n:02}", AssumeRolePolicyDocument=TRUST)
        names = [r["name"] for r in walk(registry, "iam_list_roles", "roles", max_results=5)]
        assert len(names) == len(set(names))
        assert {f"paged-{n:02}" for n in range(12)} <= set(names)

    def test_a_page_over_the_budget_is_cut_at_a_role_and_continues(
        self, settings: Settings, clients: ClientFactory, registry: ToolRegistry
    ) -> None:
        for n in range(20):
            iam().create_role(RoleName=f"wordy-{n:02}", AssumeRolePolicyDocument=TRUST, Description="w" * 900)
        everyone = {r["name"] for r in walk(registry, "iam_list_roles", "roles", max_results=100)}
        small = budgeted(settings, clients, 2000)
        first = small.call("iam_list_roles", {"max_results": 100}, CallContext())
        assert first.structured is not None and len(first.text) <= 2000
        assert "Cut to" in first.structured["truncated"]
        names = [r["name"] for r in walk(small, "iam_list_roles", "roles", max_results=100)]
        assert len(names) == len(set(names)) and set(names) == everyone

    def test_roles_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "iam_list_roles", fields=["assumable_by"], max_results=100)
        assert all(set(r) == {"name", "assumable_by"} for r in result["roles"])
        valid_output(registry, "iam_list_roles", result)

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("iam", "us-east-1")) as stubber:
            stubber.add_client_error("list_roles", "AccessDenied", http_status_code=403)
            text = refused(registry, "iam_list_roles")
        assert "AccessDenied" in text and "a retry will not help" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("iam", "us-east-1")) as stubber:
            stubber.add_client_error("list_roles", "Throttling", http_status_code=400)
            assert "transient" in refused(registry, "iam_list_roles")


class TestGetRole:
    def test_shows_trust_and_policy_names_but_no_documents_unless_asked(self, registry: ToolRegistry) -> None:
        role = call(registry, "iam_get_role", role_name="orders-api-exec")["role"]
        assert role["arn"] == ROLE_ARN and role["assumable_by"] == ["lambda.amazonaws.com"]
        assert role["trust_policy"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert role["attached_policies"] == [policy_arn("lambda-logs")]
        assert role["inline_policies"] == ["orders-table"] and "inline_documents" not in role

    def test_shows_inline_documents_when_asked(self, registry: ToolRegistry) -> None:
        role = call(registry, "iam_get_role", role_name="orders-api-exec", inline_documents=True)["role"]
        (statement,) = role["inline_documents"]["orders-table"]["Statement"]
        assert statement["Resource"] == ORDERS_TABLE and "omitted" not in role

    def test_inline_documents_past_the_bound_are_named_not_shown(self, registry: ToolRegistry) -> None:
        iam().create_role(RoleName="many-inline", AssumeRolePolicyDocument=TRUST)
        for n in range(6):
            statement = {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{'b' * 2000}{n}/*",
            }
            document = {"Version": "2012-10-17", "Statement": [statement]}
            iam().put_role_policy(
                RoleName="many-inline", PolicyName=f"p{n}", PolicyDocument=json.dumps(document)
            )
        outcome = registry.call(
            "iam_get_role", {"role_name": "many-inline", "inline_documents": True}, CallContext()
        )
        assert not outcome.is_error and outcome.structured is not None
        role = outcome.structured["role"]
        assert len(role["inline_policies"]) == 6 and len(role["inline_documents"]) == 3
        assert role["omitted"].endswith("p3, p4, p5.")
        assert len(outcome.text) < iam_tools.INLINE_SHOWN_CHARS + 2000

    def test_an_unknown_role_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "iam_get_role", role_name="no-such-role")
        assert "NoSuchEntity" in text and "no-such-role" in text


class TestListUsers:
    def test_shows_an_old_key_without_mfa_and_a_user_with_mfa(self, registry: ToolRegistry) -> None:
        users = {u["name"]: u for u in walk(registry, "iam_list_users", "users")}
        deployer, alice = users["ci-deployer"], users["alice"]
        assert deployer["mfa"] is False and alice["mfa"] is True
        (key,) = deployer["access_keys"]
        assert key["active"] is True and key["age_days"] == OLD_KEY_DAYS and key.get("last_used")
        assert alice["access_keys"] == [] and "password_last_used" not in alice  # never signed in

    def test_no_access_key_id_or_secret_comes_back(self, registry: ToolRegistry) -> None:
        made = iam().create_user(UserName="keyholder") and iam().create_access_key(UserName="keyholder")
        outcome = registry.call("iam_list_users", {"max_results": 1000}, CallContext())
        assert made["AccessKey"]["AccessKeyId"] not in outcome.text
        assert made["AccessKey"]["SecretAccessKey"] not in outcome.text
        assert "keyholder" in outcome.text

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        for n in range(11):
            iam().create_user(UserName=f"user-{n:02}")
        names = [u["name"] for u in walk(registry, "iam_list_users", "users", max_results=5)]
        assert len(names) == len(set(names)) and {f"user-{n:02}" for n in range(11)} <= set(names)

    def test_a_page_over_the_budget_is_cut_at_a_user_and_continues(
        self, settings: Settings, clients: ClientFactory, registry: ToolRegistry
    ) -> None:
        for n in range(15):
            iam().create_user(UserName=f"long-{n:02}-" + "x" * 50)
        everyone = [u["name"] for u in walk(registry, "iam_list_users", "users", max_results=1000)]
        small = budgeted(settings, clients, 1000)
        first = small.call("iam_list_users", {"max_results": 1000}, CallContext())
        assert first.structured is not None and "Cut to" in first.structured["truncated"]
        assert [u["name"] for u in walk(small, "iam_list_users", "users", max_results=1000)] == everyone

    def test_a_report_being_generated_is_waited_for(
        self, registry: ToolRegistry, clients: ClientFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        slept: list[float] = []
        monkeypatch.setattr(time, "sleep", slept.append)
        content = b"user,arn,user_creation_time,mfa_active\nbob,arn:aws:iam::123456789012:user/bob,N/A,true\n"
        with Stubber(clients.client("iam", "us-east-1")) as stubber:
            stubber.add_response("generate_credential_report", {"State": "STARTED"})
            stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=404)
            stubber.add_response("get_credential_report", {"Content": content, "ReportFormat": "text/csv"})
            result = call(registry, "iam_list_users")
        assert result["users"] == [{"name": "bob", "mfa": True, "access_keys": []}] and slept == [0.5]

    def test_a_report_still_not_ready_says_to_call_again(
        self, registry: ToolRegistry, clients: ClientFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(time, "sleep", lambda _: None)
        with Stubber(clients.client("iam", "us-east-1")) as stubber:
            stubber.add_response("generate_credential_report", {"State": "INPROGRESS"})
            for _ in range(len(iam_tools.REPORT_WAITS_S) + 1):
                stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=404)
            assert "call again in a few seconds" in refused(registry, "iam_list_users")


def test_the_account_summary_says_whether_root_is_protected(registry: ToolRegistry) -> None:
    result = call(registry, "iam_account_summary")
    assert result["root_mfa"] is False and result["root_access_keys"] is False
    assert result["counts"]["Roles"] >= 2 and result["counts"]["MFADevicesInUse"] == 1
    assert not any(name.startswith("Account") for name in result["counts"])


class TestSimulate:
    def test_the_demo_allows_what_a_role_policy_grants_and_nothing_else(self, registry: ToolRegistry) -> None:
        result = call(
            registry,
            "iam_simulate",
            principal_arn=ROLE_ARN,
            actions=["dynamodb:PutItem", "dynamodb:DeleteTable"],
            resources=[ORDERS_TABLE],
        )
        assert result["results"] == [
            {
                "action": "dynamodb:PutItem",
                "resource": ORDERS_TABLE,
                "decision": "allowed",
                "decided_by": ["orders-table (IAM Policy)"],
            },
            {"action": "dynamodb:DeleteTable", "resource": ORDERS_TABLE, "decision": "implicitDeny"},
        ]

    def test_reads_denials_by_organisations_and_boundaries_and_follows_pages(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        request = {
            "PolicySourceArn": ROLE_ARN,
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": ["*"],
        }
        first = {
            "EvalActionName": "s3:GetObject",
            "EvalResourceName": "*",
            "EvalDecision": "implicitDeny",
            "OrganizationsDecisionDetail": {"AllowedByOrganizations": False},
            "MissingContextValues": ["aws:SourceIp"],
        }
        second = {
            "EvalActionName": "s3:PutObject",
            "EvalResourceName": "*",
            "EvalDecision": "explicitDeny",
            "PermissionsBoundaryDecisionDetail": {"AllowedByPermissionsBoundary": False},
            "MatchedStatements": [{"SourcePolicyId": "boundary", "SourcePolicyType": "IAM Policy"}],
        }
        with Stubber(clients.client("iam", "us-east-1")) as stubber:
            stubber.add_response(
                "simulate_principal_policy",
                {"EvaluationResults": [first], "IsTruncated": True, "Marker": "m"},
                request,
            )
            stubber.add_response(
                "simulate_principal_policy", {"EvaluationResults": [second]}, {**request, "Marker": "m"}
            )
            result = call(
                registry, "iam_simulate", principal_arn=ROLE_ARN, actions=["s3:GetObject", "s3:PutObject"]
            )
        assert result["results"] == [
            {
                "action": "s3:GetObject",
                "resource": "*",
                "decision": "implicitDeny",
                "blocked_by": "an Organizations SCP",
                "missing_context": ["aws:SourceIp"],
            },
            {
                "action": "s3:PutObject",
                "resource": "*",
                "decision": "explicitDeny",
                "decided_by": ["boundary (IAM Policy)"],
                "blocked_by": "the permissions boundary",
            },
        ]

    def test_an_unknown_principal_is_a_tool_error(self, registry: ToolRegistry) -> None:
        arn = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
        assert "NoSuchEntity" in refused(
            registry, "iam_simulate", principal_arn=arn, actions=["s3:GetObject"]
        )

    @pytest.mark.parametrize(
        "arguments",
        [
            {"actions": []},
            {"actions": [f"s3:Action{n}" for n in range(11)]},
            {"actions": ["s3:GetObject"], "resources": ["a", "b", "c", "d"]},
        ],
    )
    def test_the_pairs_asked_for_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "iam_simulate", principal_arn=ROLE_ARN, **arguments)


class TestCreateRole:
    def test_creates_a_role_that_says_who_may_assume_it(self, registry: ToolRegistry) -> None:
        result = call(
            registry, "iam_create_role", role_name="made-here", trust_policy=TRUST, description="A test"
        )
        assert result["assumable_by"] == ["ecs-tasks.amazonaws.com"] and "Warning" not in result["message"]
        assert iam().get_role(RoleName="made-here")["Role"]["Description"] == "A test"
        assert iam().list_attached_role_policies(RoleName="made-here")["AttachedPolicies"] == []

    def test_a_trust_open_to_anyone_is_created_with_a_warning(self, registry: ToolRegistry) -> None:
        anyone = json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
        )
        result = call(registry, "iam_create_role", role_name="open-to-all", trust_policy=anyone)
        assert result["assumable_by"] == ["*"] and "any AWS principal" in result["message"]

    @pytest.mark.parametrize("trust", ["not json", "[]", '{"Version": "2012-10-17"}'])
    def test_a_trust_policy_that_is_not_one_is_refused_before_aws(
        self, registry: ToolRegistry, trust: str
    ) -> None:
        assert "Invalid arguments" in refused(
            registry, "iam_create_role", role_name="never", trust_policy=trust
        )

    def test_an_existing_name_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(registry, "iam_create_role", role_name="demo-admin", trust_policy=TRUST)
        assert "EntityAlreadyExists" in text

    def test_a_repeat_with_its_key_replays_and_creates_once(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(
            settings.with_changes(idempotency_table=table_names()["idempotency"]), clients
        ).registry
        first, again = (
            call(registry, "iam_create_role", role_name="once", trust_policy=TRUST, idempotency_key="role-1")
            for _ in range(2)
        )
        assert "replayed" not in first and again["replayed"]["idempotency_key"] == "role-1"
        assert again["arn"] == first["arn"]


class TestRolePolicies:
    def test_attach_then_detach_says_what_is_attached_after_each(self, registry: ToolRegistry) -> None:
        iam().create_role(RoleName="swapper", AssumeRolePolicyDocument=TRUST)
        arn = policy_arn("read-everything")
        attached = call(registry, "iam_attach_role_policy", role_name="swapper", policy_arn=arn)
        assert attached["attached_policies"] == [arn] and attached["message"] == "Policy attached."
        # Attaching again changes nothing and is no error: the tool is idempotent.
        assert call(registry, "iam_attach_role_policy", role_name="swapper", policy_arn=arn)[
            "attached_policies"
        ] == [arn]
        detached = call(registry, "iam_detach_role_policy", role_name="swapper", policy_arn=arn)
        assert detached["attached_policies"] == [] and detached["message"] == "Policy detached."
        assert iam().list_attached_role_policies(RoleName="swapper")["AttachedPolicies"] == []

    def test_detaching_a_policy_not_attached_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(
            registry,
            "iam_detach_role_policy",
            role_name="orders-api-exec",
            policy_arn=policy_arn("full-access"),
        )
        assert "NoSuchEntity" in text

    def test_attaching_an_unknown_policy_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(
            registry, "iam_attach_role_policy", role_name="orders-api-exec", policy_arn=policy_arn("nope")
        )
        assert "NoSuchEntity" in text

    def test_a_detach_repeated_with_its_key_replays_instead_of_failing(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(
            settings.with_changes(idempotency_table=table_names()["idempotency"]), clients
        ).registry
        iam().create_role(RoleName="replayed", AssumeRolePolicyDocument=TRUST)
        iam().attach_role_policy(RoleName="replayed", PolicyArn=policy_arn("lambda-logs"))
        arguments = {
            "role_name": "replayed",
            "policy_arn": policy_arn("lambda-logs"),
            "idempotency_key": "detach-1",
        }
        first, again = (call(registry, "iam_detach_role_policy", **arguments) for _ in range(2))
        assert "replayed" not in first and again["replayed"]["idempotency_key"] == "detach-1"

    def test_detaching_is_destructive_attaching_is_not(self, registry: ToolRegistry) -> None:
        detach, attach = (
            registry.catalog.get(name) for name in ("iam_detach_role_policy", "iam_attach_role_policy")
        )
        assert detach is not None and detach.destructive
        assert attach is not None and not attach.destructive and attach.idempotent


@pytest.mark.parametrize("tool", ["iam_create_role", "iam_attach_role_policy", "iam_detach_role_policy"])
def test_changes_are_refused_in_read_only_mode(
    settings: Settings, clients: ClientFactory, estate: None, tool: str
) -> None:
    registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
    arguments = {"role_name": "demo-admin", "policy_arn": policy_arn("full-access"), "trust_policy": TRUST}
    if tool != "iam_create_role":
        del arguments["trust_policy"]
    else:
        del arguments["policy_arn"]
    with pytest.raises(ProtocolError) as raised:
        registry.call(tool, arguments, CallContext())
    assert "ReadOnly" in raised.value.message
    attached = iam().list_attached_role_policies(RoleName="demo-admin")["AttachedPolicies"]
    assert policy_arn("full-access") in [p["PolicyArn"] for p in attached]
