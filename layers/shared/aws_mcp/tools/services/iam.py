"""IAM: roles and who can assume them, users' credentials, the account summary, policy simulation;
creating a role and attaching or detaching its managed policies.

IAM is global. The tools take ``region`` as every tool does, and it chooses only the partition
(aws, aws-cn, aws-us-gov): every region of a partition reaches the same IAM.

No secret is ever returned: users come from the credential report, which holds no access key
ids, let alone secrets, so none are shown (an id is half a credential and names who owns it).
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator

from aws_mcp.errors import ToolError
from aws_mcp.jsontext import dumps_text
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

__all__ = ["TOOLS", "TOOLSET"]

# No patterns: IAM refuses a bad name or ARN in words as clear, and patterns cost every list's tokens.
RoleName = Annotated[str, Field(max_length=64, description="Role name.")]
PolicyArn = Annotated[str, Field(max_length=2048, description="Managed policy ARN.")]
# A role's inline policies hold at most 10,240 characters together (AWS's quota); shown up to this.
INLINE_SHOWN_CHARS: Final = 8_000
# How long a call waits for a credential report being generated (IAM takes seconds).
REPORT_WAITS_S: Final = (0.5, 1.0, 2.0)
_DECIDING_SHOWN = 3
_DEMO_ACCOUNT = "123456789012"
_LAMBDA_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


# -- roles ------------------------------------------------------------------------------------


class Role(Item):
    item_key = "name"

    name: str
    assumable_by: list[str] | None = Field(
        default=None, description="Trusted principals; '*' is anyone, '(if ...)' conditional."
    )
    created: str | None = None
    description: str | None = None


class ListRolesInput(RegionalInput):
    fields: Fields[Role] = None
    max_results: int = page_size(most=1000)
    cursor: Cursor = None


class ListRolesOutput(Paged):
    items_field = "roles"

    roles: list[Role]


@tool(
    name="iam_list_roles",
    title="List IAM roles",
    iam_actions=("iam:ListRoles",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            # The demo's roles come from more than one part of it: no count here.
            {"fields": ["assumable_by"], "max_results": 100},
            {"next_cursor": None, "truncated": None},
        ),
    ),
)
def list_roles(iam: IAMClient, args: ListRolesInput) -> ListRolesOutput:
    """List IAM roles, each with who can assume it (from its trust policy)."""
    pages = TokenPages.resume(args.cursor, {"partition": iam.meta.partition}, args.max_results)
    response = pages.fetch(iam.list_roles, paged_by="Marker", MaxItems=pages.size)
    found, next_cursor = pages.window(response.get("Roles", []), response.get("Marker"))
    roles = [
        Role(
            name=r["RoleName"],
            assumable_by=_trusted(r.get("AssumeRolePolicyDocument")),
            created=_iso(r.get("CreateDate")),
            description=r.get("Description") or None,
        )
        for r in found
    ]
    page = ListRolesOutput(count=len(roles), roles=roles, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


class GetRoleInput(RegionalInput):
    role_name: RoleName
    inline_documents: bool = Field(default=False, description="Include inline policy documents.")


class RoleDetail(BaseModel):
    name: str
    arn: str
    description: str | None = None
    created: str | None = None
    last_used: str | None = None
    max_session_s: int | None = None
    assumable_by: list[str]
    trust_policy: Any = None
    permissions_boundary: str | None = None
    attached_policies: list[str] = Field(description="ARNs.")
    inline_policies: list[str]
    inline_documents: dict[str, Any] | None = None
    omitted: str | None = None


class GetRoleOutput(BaseModel):
    role: RoleDetail


@tool(
    name="iam_get_role",
    title="Show an IAM role",
    iam_actions=("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"role_name": "orders-api-exec", "inline_documents": True},
            {
                "role": {
                    "name": "orders-api-exec",
                    "assumable_by": ["lambda.amazonaws.com"],
                    "attached_policies": [f"arn:aws:iam::{_DEMO_ACCOUNT}:policy/lambda-logs"],
                    "inline_policies": ["orders-table"],
                }
            },
        ),
        Example({"role_name": "no-such-role"}, None, error_contains=("NoSuchEntity", "no-such-role")),
    ),
)
def get_role(iam: IAMClient, args: GetRoleInput) -> GetRoleOutput:
    """Show one IAM role: trust policy, attached and inline policy names, last use; inline policy
    documents on request (8,000 characters at most)."""
    role = iam.get_role(RoleName=args.role_name)["Role"]
    attached = [
        p["PolicyArn"] for p in _all(iam.list_attached_role_policies, "AttachedPolicies", args.role_name)
    ]
    inline = list(_all(iam.list_role_policies, "PolicyNames", args.role_name))
    documents: dict[str, Any] | None = None
    omitted = None
    if args.inline_documents:
        documents, left_out, used = {}, [], 0
        for name in inline:
            document = iam.get_role_policy(RoleName=args.role_name, PolicyName=name)["PolicyDocument"]
            size = len(dumps_text(document))
            if used + size > INLINE_SHOWN_CHARS:
                left_out.append(name)
                continue
            documents[name], used = document, used + size
        if left_out:
            omitted = f"Documents past {INLINE_SHOWN_CHARS} characters left out: {', '.join(left_out)}."
    trust = role.get("AssumeRolePolicyDocument")
    detail = RoleDetail(
        name=role["RoleName"],
        arn=role["Arn"],
        description=role.get("Description") or None,
        created=_iso(role.get("CreateDate")),
        last_used=_iso(role.get("RoleLastUsed", {}).get("LastUsedDate")),
        max_session_s=role.get("MaxSessionDuration"),
        assumable_by=_trusted(trust),
        trust_policy=trust,
        permissions_boundary=role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        attached_policies=attached,
        inline_policies=inline,
        inline_documents=documents,
        omitted=omitted,
    )
    return GetRoleOutput(role=detail)


# -- users ------------------------------------------------------------------------------------


class AccessKey(BaseModel):
    active: bool
    age_days: int | None = None
    last_used: str | None = None
    last_used_service: str | None = None


class User(Item):
    item_key = "name"

    name: str = Field(description="<root_account> is the account's root user.")
    created: str | None = None
    mfa: bool | None = None
    password_last_used: str | None = None
    access_keys: list[AccessKey] | None = None


class ListUsersInput(RegionalInput):
    fields: Fields[User] = None
    max_results: int = page_size(most=1000)
    cursor: Cursor = None


class ListUsersOutput(Paged):
    items_field = "users"

    report_at: str | None = None
    users: list[User]


@tool(
    name="iam_list_users",
    title="List IAM users",
    iam_actions=("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"fields": ["mfa"], "max_results": 100},
            # moto's report has no <root_account> row, which AWS's starts with.
            {"users": [{"name": "ci-deployer", "mfa": False}, {"name": "alice", "mfa": True}]},
        ),
    ),
)
def list_users(iam: IAMClient, args: ListUsersInput) -> ListUsersOutput:
    """List IAM users and the root user with MFA, password last use, and access keys' age and last
    use. From the credential report: up to 4 hours old."""
    pages = TokenPages.resume(args.cursor, {"partition": iam.meta.partition}, args.max_results)
    report = _credential_report(iam)
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    shown, next_cursor = pages.window(rows, None)
    now = datetime.now(UTC)
    users = [_user(row, now) for row in shown]
    page = ListUsersOutput(
        count=len(users), users=users, report_at=_iso(report.get("GeneratedTime")), next_cursor=next_cursor
    )
    return page.resume_with(pages.cursor_at)


# -- the account ------------------------------------------------------------------------------


class AccountSummaryOutput(BaseModel):
    root_mfa: bool
    root_access_keys: bool
    counts: dict[str, int]


@tool(
    name="iam_account_summary",
    title="Summarise the account's IAM",
    iam_actions=("iam:GetAccountSummary",),
    read_only=True,
    idempotent=True,
    examples=(Example({}, {"root_access_keys": False}),),
)
def account_summary(iam: IAMClient, args: RegionalInput) -> AccountSummaryOutput:
    """The account's IAM at a glance: whether the root user has MFA or access keys; how many users,
    roles, groups, policies, MFA devices, and their quotas."""
    summary = iam.get_account_summary()["SummaryMap"]
    return AccountSummaryOutput(
        root_mfa=bool(summary.get("AccountMFAEnabled")),
        root_access_keys=bool(summary.get("AccountAccessKeysPresent")),
        counts={k: v for k, v in sorted(summary.items()) if not k.startswith("Account")},
    )


# -- simulation -------------------------------------------------------------------------------


class SimulateInput(RegionalInput):
    principal_arn: str = Field(max_length=2048, description="User, role or group ARN.")
    actions: list[Annotated[str, Field(max_length=128)]] = Field(
        min_length=1, max_length=10, description="e.g. s3:GetObject."
    )
    resources: list[Annotated[str, Field(max_length=2048)]] = Field(
        default=["*"], min_length=1, max_length=3, description="Resource ARNs."
    )


class Decision(BaseModel):
    action: str
    resource: str
    decision: str = Field(description="allowed, explicitDeny or implicitDeny.")
    decided_by: list[str] | None = None
    blocked_by: str | None = None
    missing_context: list[str] | None = None


class SimulateOutput(BaseModel):
    principal_arn: str
    results: list[Decision]


@tool(
    name="iam_simulate",
    title="Can a principal do this?",
    iam_actions=("iam:SimulatePrincipalPolicy",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {
                "principal_arn": f"arn:aws:iam::{_DEMO_ACCOUNT}:role/orders-api-exec",
                "actions": ["dynamodb:PutItem", "dynamodb:DeleteTable"],
                "resources": [f"arn:aws:dynamodb:us-east-1:{_DEMO_ACCOUNT}:table/orders"],
            },
            {
                "results": [
                    {
                        "action": "dynamodb:PutItem",
                        "decision": "allowed",
                        "decided_by": ["orders-table (IAM Policy)"],
                    },
                    {"action": "dynamodb:DeleteTable", "decision": "implicitDeny"},
                ]
            },
        ),
    ),
)
def simulate(iam: IAMClient, args: SimulateInput) -> SimulateOutput:
    """Whether a user, role or group may do each action on each resource, with the deciding
    statements. Weighs its identity policies, not resource policies."""
    request: dict[str, Any] = {
        "PolicySourceArn": args.principal_arn,
        "ActionNames": args.actions,
        "ResourceArns": args.resources,
    }
    results: list[Decision] = []
    while True:  # at most 30 pairs: one page, in practice
        response = iam.simulate_principal_policy(**request)
        results += [_decision(r) for r in response.get("EvaluationResults", [])]
        if not response.get("IsTruncated") or not response.get("Marker"):
            break
        request["Marker"] = response["Marker"]
    return SimulateOutput(principal_arn=args.principal_arn, results=results)


# -- changes ----------------------------------------------------------------------------------


class CreateRoleInput(MutatingInput):
    role_name: RoleName
    trust_policy: str = Field(max_length=4096, description="Trust policy JSON.")
    description: str | None = Field(default=None, max_length=1000, description="What the role is for.")

    @field_validator("trust_policy")
    @classmethod
    def _a_policy(cls, value: str) -> str:
        try:
            document = json.loads(value)
        except ValueError:
            raise ValueError("trust_policy is not JSON") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ValueError("trust_policy must be a policy document with a Statement")
        return value


class CreateRoleOutput(MutatingOutput):
    role_name: str
    arn: str
    assumable_by: list[str]
    message: str


class RolePoliciesOutput(MutatingOutput):
    role_name: str
    attached_policies: list[str]
    message: str


@tool(
    name="iam_create_role",
    title="Create an IAM role",
    iam_actions=("iam:CreateRole",),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example(
            {"role_name": "demo-admin", "trust_policy": _LAMBDA_TRUST},
            None,
            error_contains=("EntityAlreadyExists", "demo-admin"),
        ),
        Example(
            {
                "role_name": "demo-new-role",
                "trust_policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                '"Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
            },
            {"role_name": "demo-new-role", "assumable_by": ["ecs-tasks.amazonaws.com"]},
        ),
    ),
)
def create_role(iam: IAMClient, args: CreateRoleInput) -> CreateRoleOutput:
    """Create an IAM role with a trust policy and no permissions: attach policies with
    iam_attach_role_policy."""
    request: dict[str, Any] = {"RoleName": args.role_name, "AssumeRolePolicyDocument": args.trust_policy}
    if args.description:
        request["Description"] = args.description
    role = iam.create_role(**request)["Role"]
    trusted = _trusted(json.loads(args.trust_policy))
    message = "Role created."
    if any(t.startswith("*") for t in trusted):
        message += " Warning: its trust policy lets any AWS principal assume it."
    return CreateRoleOutput(
        role_name=role["RoleName"], arn=role["Arn"], assumable_by=trusted, message=message
    )


class RolePolicyInput(MutatingInput):
    role_name: RoleName
    policy_arn: PolicyArn


@tool(
    name="iam_attach_role_policy",
    title="Attach a role policy",
    iam_actions=("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            # Not to orders-api-exec: iam_get_role's example reads its policies.
            {"role_name": "demo-admin", "policy_arn": f"arn:aws:iam::{_DEMO_ACCOUNT}:policy/lambda-logs"},
            {"role_name": "demo-admin", "message": "Policy attached."},
        ),
    ),
)
def attach_role_policy(iam: IAMClient, args: RolePolicyInput) -> RolePoliciesOutput:
    """Attach a managed policy to an IAM role, granting what it allows."""
    iam.attach_role_policy(RoleName=args.role_name, PolicyArn=args.policy_arn)
    return _policies_now(iam, args.role_name, "Policy attached.")


@tool(
    name="iam_detach_role_policy",
    title="Detach a role policy",
    iam_actions=("iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"),
    read_only=False,
    destructive=True,
    idempotent=False,
    examples=(
        Example(
            {
                "role_name": "orders-api-exec",
                "policy_arn": f"arn:aws:iam::{_DEMO_ACCOUNT}:policy/full-access",
            },
            None,
            error_contains=("NoSuchEntity", "full-access"),
        ),
        Example(
            {"role_name": "demo-admin", "policy_arn": f"arn:aws:iam::{_DEMO_ACCOUNT}:policy/read-everything"},
            {"role_name": "demo-admin", "message": "Policy detached."},
        ),
    ),
)
def detach_role_policy(iam: IAMClient, args: RolePolicyInput) -> RolePoliciesOutput:
    """Detach a managed policy from an IAM role: what only it allowed is denied from now."""
    iam.detach_role_policy(RoleName=args.role_name, PolicyArn=args.policy_arn)
    return _policies_now(iam, args.role_name, "Policy detached.")


TOOLSET = "security"
TOOLS = (
    list_roles,
    get_role,
    list_users,
    account_summary,
    simulate,
    create_role,
    attach_role_policy,
    detach_role_policy,
)


# -- shaping ----------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusted(document: Any) -> list[str]:
    """Who a trust policy lets assume the role: services, accounts, roles, identity providers, or
    '*'; each with ' (if ...)' naming the condition keys it must meet."""
    if isinstance(document, str):  # as IAM sends it, URL-decoded but not parsed, outside boto3
        document = json.loads(document)
    trusted: list[str] = []
    for statement in _listed((document or {}).get("Statement", [])):
        actions = [str(a) for a in _listed(statement.get("Action", []))]
        if statement.get("Effect") != "Allow" or not any(
            a.startswith(("sts:Assume", "sts:*", "*")) for a in actions
        ):
            continue
        principal = statement.get("Principal", {})
        names = (
            ["*"] if principal == "*" else [str(p) for values in principal.values() for p in _listed(values)]
        )
        keys = sorted({key for test in (statement.get("Condition") or {}).values() for key in test})
        trusted += [f"{name} (if {', '.join(keys)})" if keys else name for name in names]
    return sorted(set(trusted))


def _all(call: Any, field: str, role_name: str) -> list[Any]:
    """Every item of a role's list (attached or inline policies: tens, at most, by IAM's quotas)."""
    items: list[Any] = []
    request: dict[str, Any] = {"RoleName": role_name}
    while True:
        response = call(**request)
        items += response.get(field, [])
        if not response.get("IsTruncated") or not response.get("Marker"):
            return items
        request["Marker"] = response["Marker"]


def _policies_now(iam: IAMClient, role_name: str, message: str) -> RolePoliciesOutput:
    attached = [p["PolicyArn"] for p in _all(iam.list_attached_role_policies, "AttachedPolicies", role_name)]
    return RolePoliciesOutput(role_name=role_name, attached_policies=attached, message=message)


def _credential_report(iam: IAMClient) -> Any:
    """The credential report, asked for afresh (IAM answers the last one if under 4 hours old)."""
    ready = iam.generate_credential_report().get("State") == "COMPLETE"
    for wait in (*(() if ready else REPORT_WAITS_S), None):
        try:
            return iam.get_credential_report()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("ReportInProgress", "ReportNotPresent"):
                raise
            if wait is None:
                raise ToolError(
                    "IAM is still generating the credential report; call again in a few seconds."
                ) from None
            time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _when(value: str | None) -> datetime | None:
    """A credential report's date, or None for its N/A, no_information and not_supported."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _user(row: dict[str, str], now: datetime) -> User:
    keys = []
    for n in (1, 2):
        rotated = _when(row.get(f"access_key_{n}_last_rotated"))
        if rotated is None:  # no such key
            continue
        used = _when(row.get(f"access_key_{n}_last_used_date"))
        service = row.get(f"access_key_{n}_last_used_service")
        keys.append(
            AccessKey(
                active=row.get(f"access_key_{n}_active") == "true",
                age_days=(now - rotated).days,
                last_used=used.isoformat() if used else None,
                last_used_service=service if used and service not in (None, "N/A", "not_supported") else None,
            )
        )
    password_used = _when(row.get("password_last_used"))
    created = _when(row.get("user_creation_time"))
    return User(
        name=row.get("user", ""),
        created=created.isoformat() if created else None,
        mfa=row.get("mfa_active") == "true",
        password_last_used=password_used.isoformat() if password_used else None,
        access_keys=keys,
    )


def _decision(result: Any) -> Decision:
    decided = [
        f"{s.get('SourcePolicyId', '?')} ({s.get('SourcePolicyType', 'policy')})"
        for s in result.get("MatchedStatements", [])[:_DECIDING_SHOWN]
    ]
    blocked = None
    if result.get("OrganizationsDecisionDetail", {}).get("AllowedByOrganizations") is False:
        blocked = "an Organizations SCP"
    elif result.get("PermissionsBoundaryDecisionDetail", {}).get("AllowedByPermissionsBoundary") is False:
        blocked = "the permissions boundary"
    return Decision(
        action=result.get("EvalActionName", ""),
        resource=result.get("EvalResourceName", "*"),
        decision=result.get("EvalDecision", ""),
        decided_by=decided or None,
        blocked_by=blocked,
        missing_context=result.get("MissingContextValues", [])[:5] or None,
    )
