"""Integration secrets in Secrets Manager: one secret per integration, one version per revision.

The table holds the secret's ARN and the version id a revision uses, never a value. Each write of
new values makes a new version and the integration's next revision points at it, so a writer that
loses the revision race (409) leaves only an unreferenced version behind, never a record whose
secrets are someone else's. Values are read by version id, so what a plugin uses is always what
its revision was stored with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["SecretVault"]


class SecretVault:
    def __init__(self, secretsmanager: Callable[[], Any], prefix: str) -> None:
        self._client = secretsmanager
        self._prefix = prefix.rstrip("/")

    def name_for(self, integration_id: str) -> str:
        return f"{self._prefix}/{integration_id}"

    def store(self, integration_id: str, values: dict[str, str], arn: str | None) -> tuple[str, str]:
        """Write ``values`` as a new version (making the secret if ``arn`` is None): (arn, version)."""
        text = orjson.dumps(values).decode()
        if arn is None:
            made = self._client().create_secret(
                Name=self.name_for(integration_id),
                SecretString=text,
                Description=f"Credentials of integration {integration_id} (aws-mcp)",
                Tags=[{"Key": "aws-mcp:integration", "Value": integration_id}],
            )
            return str(made["ARN"]), str(made["VersionId"])
        put = self._client().put_secret_value(SecretId=arn, SecretString=text)
        return str(put["ARN"]), str(put["VersionId"])

    def read(self, arn: str | None, version: str | None) -> dict[str, str]:
        if arn is None:
            return {}
        request: dict[str, Any] = {"SecretId": arn}
        if version:
            request["VersionId"] = version
        found = orjson.loads(self._client().get_secret_value(**request)["SecretString"])
        return {str(k): str(v) for k, v in found.items()}

    def delete(self, arn: str | None) -> None:
        """Schedule the secret's deletion (Secrets Manager's 7-day recovery window)."""
        if arn is not None:
            self._client().delete_secret(SecretId=arn, RecoveryWindowInDays=7)
