"""What the executor may run: reads always, changes only in ReadWrite, never what the deny list names.

botocore's models do not say which operations only read, so the AWS CLI's naming does: an
operation whose name begins with a reading verb (``Describe``, ``List``, ``Get``, ...) reads;
every other one is a change. The deny list (globs on ``service:Operation``, case-insensitive)
refuses operations whatever the access mode: by default those that hand out secrets or keys,
decrypt, or change who may do what. ``AWS_MCP_CLI_DENY`` replaces it; ``default`` in it stands
for the default list, so ``default,ec2:Describe*`` adds to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

from aws_mcp.errors import AccessDeniedError

__all__ = ["DEFAULT_DENY", "READ_VERBS", "CliPolicy", "reads"]

READ_VERBS: Final = (
    "Describe",
    "List",
    "Get",
    "Search",
    "Lookup",
    "BatchGet",
    "Head",
    "Query",
    "Scan",
    "Select",
    "Estimate",
    "Preview",
    "Validate",
    "Simulate",
    "Check",
    "Detect",
    "Filter",
)
# Reading verbs whose operations are writes all the same.
_NOT_READS: Final = ("GetAndUpdate",)

DEFAULT_DENY: Final = (
    # Hand out secrets, keys or data keys, or decrypt.
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter*",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "kms:GenerateMac",
    "ec2:GetPasswordData",
    "ecr:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "rds:GenerateDbAuthToken",
    "sts:*",
    "cognito-identity:GetCredentialsForIdentity",
    "lambda:GetFunction",
    "lambda:Invoke*",
    # Change who may do what.
    "iam:Create*",
    "iam:Update*",
    "iam:Put*",
    "iam:Attach*",
    "iam:Detach*",
    "iam:Delete*",
    "iam:Add*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Upload*",
    "iam:PassRole",
    "organizations:*",
    "sso-admin:*",
    "identitystore:*",
    "*:Put*Policy",
    "*:Delete*Policy",
    "*:AddPermission",
    "*:RemovePermission",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
)


def reads(operation: str) -> bool:
    """Whether an operation only reads, by the AWS CLI's naming."""
    return operation.startswith(READ_VERBS) and not operation.startswith(_NOT_READS)


@dataclass(frozen=True, slots=True)
class CliPolicy:
    allows_writes: bool
    deny: tuple[str, ...] = DEFAULT_DENY
    # How to allow writes where the server runs (the access mode's setting).
    writes_how: str = "set the server's access mode to ReadWrite"

    @classmethod
    def deny_list(cls, raw: str | None) -> tuple[str, ...]:
        """``AWS_MCP_CLI_DENY``'s list; ``default`` in it expands to :data:`DEFAULT_DENY`."""
        if raw is None or not raw.strip():
            return DEFAULT_DENY
        found: list[str] = []
        for item in (i.strip() for i in raw.split(",")):
            if item == "default":
                found += DEFAULT_DENY
            elif item:
                found.append(item)
        return tuple(found)

    def refuse_denied(self, service: str, operation: str) -> None:
        """Refuse (AccessDeniedError) what the deny list names, whatever the access mode."""
        target = f"{service}:{operation}"
        denied = next((g for g in self.deny if _matches(g, target)), None)
        if denied is not None:
            raise AccessDeniedError(
                f"{target} is refused by this server's deny list ({denied}): it reads secrets or keys, or "
                "changes access. No call was made; use the AWS console or CLI with your own credentials."
            )

    def check(self, service: str, operation: str) -> None:
        """Refuse (AccessDeniedError) what this server may not run, saying why."""
        self.refuse_denied(service, operation)
        if not reads(operation) and not self.allows_writes:
            raise AccessDeniedError(
                f"{service}:{operation} changes something, and this server runs read-only. No call was made; "
                f"{self.writes_how} to allow changes."
            )


def _matches(pattern: str, target: str) -> bool:
    return fnmatchcase(target.lower(), pattern.lower())
