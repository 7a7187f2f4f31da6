"""The demo's IAM: a Lambda execution role with an attached and an inline policy, an admin role
anyone in any account may assume, a user with an old, unused-for-months access key and no MFA,
and a user with MFA and a console password.

moto dates every access key at its creation; the old key is aged in moto's own store (the demo
AWS runs in this process) so that the credential report shows what an audit would find.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from aws_mcp_local.demo import simulation
from aws_mcp_local.demo.estate import DemoClients

__all__ = ["ACCOUNT", "OLD_KEY_DAYS", "policy_arn", "seed"]

ACCOUNT = "123456789012"
OLD_KEY_DAYS = 400
_LAST_USED_DAYS = 200


_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}

_ORDERS_TABLE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        }
    ],
}
_ADMIN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        # Too broad on purpose: any principal of any account (the condition only wants MFA).
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
    ],
}


# Customer managed stand-ins for AWS's own policies (moto has AWS's only when asked to load them).
_POLICIES: dict[str, dict[str, object]] = {
    "lambda-logs": {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
    "full-access": {"Action": "*", "Resource": "*"},
    "read-everything": {"Action": ["s3:Get*", "s3:List*", "ec2:Describe*"], "Resource": "*"},
}


def policy_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def seed(clients: DemoClients) -> None:
    simulation.install()
    iam = clients("iam")
    for name, grant in _POLICIES.items():
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"} | grant]}
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))
    iam.create_role(
        RoleName="orders-api-exec",
        AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST),
        Description="Execution role of the order API",
    )
    iam.attach_role_policy(RoleName="orders-api-exec", PolicyArn=policy_arn("lambda-logs"))
    iam.put_role_policy(
        RoleName="orders-api-exec", PolicyName="orders-table", PolicyDocument=json.dumps(_ORDERS_TABLE)
    )
    iam.create_role(
        RoleName="demo-admin",
        AssumeRolePolicyDocument=json.dumps(_ADMIN_TRUST),
        Description="Break-glass administrator",
    )
    for policy in ("full-access", "read-everything"):
        iam.attach_role_policy(RoleName="demo-admin", PolicyArn=policy_arn(policy))

    iam.create_user(UserName="ci-deployer")
    key = iam.create_access_key(UserName="ci-deployer")["AccessKey"]["AccessKeyId"]
    _age_key("ci-deployer", key)

    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Demo-password-1!")  # noqa: S106 (demo only)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )


def _age_key(user: str, key_id: str) -> None:
    from moto.iam.models import AccessKeyLastUsed, iam_backends  # the demo's AWS, in this process

    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as moto keeps its dates
    for key in iam_backends[ACCOUNT]["aws"].users[user].access_keys:
        if key.access_key_id == key_id:
            key.create_date = now - timedelta(days=OLD_KEY_DAYS)
            key.last_used = AccessKeyLastUsed(now - timedelta(days=_LAST_USED_DAYS), "s3", "us-east-1")
