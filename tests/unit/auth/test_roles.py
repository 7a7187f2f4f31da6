"""Roles: a caller's role from what authenticated it, what each role may call, and a bad
configuration refusing everything."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp.auth.roles import Kind, Policy, Role, Roles, RolesConfig, parse
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext, Via
from aws_mcp.errors import AccessDeniedError, ConfigurationError
from aws_mcp.server import build_roles, build_server

VIEWER_TOOLS = {"ec2_list_instances", "aws_whoami"}


def policy(config: dict[str, Any] | None = None, local: Role = Role.VIEWER) -> Policy:
    return parse(json.dumps(config or {}), local)


def token(*scopes: str, groups: tuple[str, ...] = ()) -> CallContext:
    return CallContext(caller="user-1", via=Via.BEARER, scopes=frozenset(scopes), groups=frozenset(groups))


class TestARolesComesFromWhatAuthenticatedTheCaller:
    def test_token_scopes_give_the_standard_roles_and_the_highest_wins(self) -> None:
        rules = policy()
        assert rules.role_of(token("aws-mcp/read")) is Role.VIEWER
        assert rules.role_of(token("aws-mcp/write")) is Role.OPERATOR
        assert rules.role_of(token("aws-mcp/read", "aws-mcp/admin")) is Role.ADMIN
        assert rules.role_of(token("openid", "email")) is None

    def test_token_groups_map_to_roles(self) -> None:
        rules = policy({"groups": {"ops": "operator"}})
        assert rules.role_of(token(groups=("ops",))) is Role.OPERATOR

    def test_iam_principals_match_by_glob(self) -> None:
        rules = policy({"principals": {"arn:aws:sts::111122223333:assumed-role/Ops/*": "operator"}})
        ops = CallContext(caller="arn:aws:sts::111122223333:assumed-role/Ops/alice", via=Via.IAM)
        other = CallContext(caller="arn:aws:sts::111122223333:assumed-role/Dev/bob", via=Via.IAM)
        assert rules.role_of(ops) is Role.OPERATOR
        assert rules.role_of(other) is None

    def test_api_keys_match_by_id(self) -> None:
        rules = policy({"api_keys": {"k1abc": "viewer"}})
        assert rules.role_of(CallContext(caller="apikey:k1abc", via=Via.API_KEY)) is Role.VIEWER
        assert rules.role_of(CallContext(caller="apikey:zzz", via=Via.API_KEY)) is None

    def test_a_scope_never_gives_an_iam_caller_a_role(self) -> None:
        # What a token says counts only for a token: an IAM caller named like a scope gets nothing.
        rules = policy({"principals": {}})
        assert rules.role_of(CallContext(caller="aws-mcp/admin", via=Via.IAM)) is None

    def test_the_local_caller_has_the_setting_s_role(self) -> None:
        assert policy(local=Role.OPERATOR).role_of(CallContext()) is Role.OPERATOR

    def test_without_a_configuration_iam_and_api_key_callers_are_admins_and_tokens_need_scopes(self) -> None:
        roles = Roles(None, Role.VIEWER)
        rules = roles.policy()
        assert rules.role_of(CallContext(caller="arn:aws:iam::1:user/x", via=Via.IAM)) is Role.ADMIN
        assert rules.role_of(CallContext(caller="apikey:k", via=Via.API_KEY)) is Role.ADMIN
        assert rules.role_of(token()) is None


class TestWhatEachRoleMayCall:
    @pytest.mark.parametrize(
        ("role", "read", "write", "destructive"),
        [
            (Role.VIEWER, True, False, False),
            (Role.OPERATOR, True, True, False),
            (Role.ADMIN, True, True, True),
        ],
    )
    def test_each_role_holds_the_one_before(
        self, role: Role, read: bool, write: bool, destructive: bool
    ) -> None:
        rules = policy()
        assert rules.allows(role, "t", Kind.READ) is read
        assert rules.allows(role, "t", Kind.WRITE) is write
        assert rules.allows(role, "t", Kind.DESTRUCTIVE) is destructive

    def test_globs_narrow_a_role_and_never_widen_it(self) -> None:
        rules = policy(
            {"roles": {"operator": {"deny": ["iam_*"]}, "viewer": {"allow": ["ec2_*", "s3_delete_*"]}}}
        )
        assert not rules.allows(Role.OPERATOR, "iam_create_role", Kind.WRITE)
        assert rules.allows(Role.OPERATOR, "ec2_start_instances", Kind.WRITE)
        assert rules.allows(Role.VIEWER, "ec2_list_instances", Kind.READ)
        assert not rules.allows(Role.VIEWER, "rds_list_instances", Kind.READ)
        assert not rules.allows(Role.VIEWER, "s3_delete_bucket", Kind.DESTRUCTIVE)

    def test_the_least_role_allowed_is_named(self) -> None:
        rules = policy({"roles": {"operator": {"deny": ["iam_*"]}}})
        assert rules.least_allowed("iam_create_role", Kind.WRITE) is Role.ADMIN
        assert rules.least_allowed("ec2_start_instances", Kind.WRITE) is Role.OPERATOR
        denied = policy({"roles": {"admin": {"deny": ["*"]}}})
        assert denied.least_allowed("ec2_terminate_instances", Kind.DESTRUCTIVE) is None

    @given(st.sampled_from(list(Role)), st.sampled_from(list(Kind)), st.text(max_size=30))
    def test_no_role_ever_gets_a_tool_below_its_kind(self, role: Role, kind: Kind, name: str) -> None:
        rules = policy({"roles": {"viewer": {"allow": ["*"]}, "operator": {"allow": ["*"]}}})
        assert rules.allows(role, name, kind) == (role >= kind.least_role)


class TestABadConfigurationFailsClosed:
    @pytest.mark.parametrize(
        "text",
        [
            "{not json",
            '{"roles": {"superuser": {}}}',
            '{"scopes": {"aws-mcp/read": "root"}}',
            '{"principal": {"*": "admin"}}',  # a typo must not be ignored
            '{"roles": {"viewer": {"allow": "ec2_*"}}}',
            "[]",
        ],
    )
    def test_a_malformed_configuration_is_refused_saying_why(self, text: str) -> None:
        with pytest.raises(ConfigurationError, match="role configuration is invalid"):
            parse(text, Role.VIEWER)

    def test_while_it_is_bad_every_call_is_refused_and_no_tool_listed(self) -> None:
        roles = Roles(lambda: '{"roles": {"root": {}}}', Role.ADMIN, where="roles.json")
        with pytest.raises(AccessDeniedError, match=r"Every call is refused: roles.json could not be used"):
            roles.check(CallContext(), "aws_whoami", Kind.READ)
        assert roles.visible(CallContext(), {"aws_whoami": Kind.READ}) == set()

    def test_a_failed_read_is_retried_after_a_pause_then_kept(self) -> None:
        now = [0.0]
        answers: list[Any] = [OSError("throttled"), '{"api_keys": {"*": "viewer"}}']
        reads: list[int] = []

        def source() -> str | None:
            reads.append(1)
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return str(answer)

        roles = Roles(source, Role.VIEWER, clock=lambda: now[0])
        caller = CallContext(caller="apikey:k", via=Via.API_KEY)
        for _ in range(3):
            with pytest.raises(AccessDeniedError, match="OSError: throttled"):
                roles.check(caller, "aws_whoami", Kind.READ)
        assert len(reads) == 1
        now[0] = 31.0
        roles.check(caller, "aws_whoami", Kind.READ)
        roles.check(caller, "aws_whoami", Kind.READ)
        assert len(reads) == 2

    def test_the_configuration_model_forbids_unknown_keys(self) -> None:
        assert RolesConfig.model_config.get("extra") == "forbid"


class TestTheServerAppliesRoles:
    """Through the server as built for serving: tools/list filtered, refusals audited ``denied``."""

    @pytest.fixture
    def audit_log(self) -> io.StringIO:
        return io.StringIO()

    def server(self, settings: Settings, clients: ClientFactory, log: io.StringIO, **changes: Any) -> Any:
        logger = Logger(service=f"roles-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(log))
        return build_server(settings.with_changes(**changes), clients, logger=logger)

    @pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
    def test_tools_list_shows_a_caller_only_what_its_role_may_call(
        self, settings: Settings, clients: ClientFactory, audit_log: io.StringIO, role: str
    ) -> None:
        registry = self.server(settings, clients, audit_log, local_role=role).registry
        kinds = registry.catalog.kinds()
        listed = {d["name"] for d in registry.definitions(context=CallContext())}
        allowed = {
            "viewer": {Kind.READ},
            "operator": {Kind.READ, Kind.WRITE},
            "admin": {Kind.READ, Kind.WRITE, Kind.DESTRUCTIVE},
        }[role]
        assert listed == {name for name, kind in kinds.items() if kind in allowed}
        assert listed >= VIEWER_TOOLS

    @pytest.mark.parametrize(
        ("role", "tool", "arguments", "needed"),
        [
            ("viewer", "ec2_start_instances", {"instance_ids": ["i-0123456789abcdef0"]}, "operator"),
            ("operator", "ec2_terminate_instances", {"instance_ids": ["i-0123456789abcdef0"]}, "admin"),
        ],
    )
    def test_a_call_beyond_the_role_is_refused_naming_the_role_needed_and_audited_denied(
        self,
        settings: Settings,
        clients: ClientFactory,
        audit_log: io.StringIO,
        role: str,
        tool: str,
        arguments: dict[str, Any],
        needed: str,
    ) -> None:
        registry = self.server(settings, clients, audit_log, local_role=role).registry
        outcome = registry.call(tool, arguments, CallContext())
        assert outcome.is_error
        assert f"needs the role {needed}; your role is {role} (caller local)" in outcome.text
        (record,) = [json.loads(line)["audit"] for line in audit_log.getvalue().splitlines()]
        assert (record["tool"], record["outcome"], record["status"]) == (tool, "denied", "complete")

    def test_a_token_without_the_scope_is_told_which_scope_to_ask_for(
        self, settings: Settings, clients: ClientFactory, audit_log: io.StringIO
    ) -> None:
        registry = self.server(settings, clients, audit_log).registry
        outcome = registry.call(
            "ec2_start_instances", {"instance_ids": ["i-0123456789abcdef0"]}, token("aws-mcp/read")
        )
        assert "needs the role operator; your role is viewer" in outcome.text
        assert "aws-mcp/admin or aws-mcp/write" in outcome.text

    def test_a_bad_roles_file_lists_nothing_and_refuses_every_call(
        self, settings: Settings, clients: ClientFactory, audit_log: io.StringIO, tmp_path: Path
    ) -> None:
        bad = tmp_path / "roles.json"
        bad.write_text('{"roles": {"viewer": {"allow": ["*"], "deny": 3}}}')
        registry = self.server(settings, clients, audit_log, roles_file=str(bad), local_role="admin").registry
        assert registry.definitions(context=CallContext()) == []
        outcome = registry.call("aws_whoami", {}, CallContext())
        assert (
            outcome.is_error and "Every call is refused" in outcome.text and "roles.deny" not in outcome.text
        )
        assert "roles.viewer.deny" in outcome.text

    def test_a_missing_roles_file_fails_closed(
        self, settings: Settings, clients: ClientFactory, audit_log: io.StringIO, tmp_path: Path
    ) -> None:
        registry = self.server(settings, clients, audit_log, roles_file=str(tmp_path / "none.json")).registry
        outcome = registry.call("aws_whoami", {}, CallContext())
        assert outcome.is_error and "FileNotFoundError" in outcome.text

    def test_the_ssm_parameter_is_read_once(
        self, settings: Settings, clients: ClientFactory, aws: None
    ) -> None:
        name = f"/mcp-server/roles-{uuid.uuid4().hex}"
        ssm = boto3.client("ssm", region_name=settings.tables_region)
        ssm.put_parameter(
            Name=name, Value='{"principals": {"arn:aws:iam::*:user/ops-*": "operator"}}', Type="String"
        )
        roles = build_roles(settings.with_changes(roles_parameter=name), clients)
        ops = CallContext(caller="arn:aws:iam::111122223333:user/ops-1", via=Via.IAM)
        assert roles.policy().role_of(ops) is Role.OPERATOR
        ssm.put_parameter(Name=name, Value="{broken", Type="String", Overwrite=True)
        assert roles.policy().role_of(ops) is Role.OPERATOR  # cached: read once per process
