"""Sessions in other accounts: the registered role assumed for one caller, its credentials kept
until shortly before they expire.

The role is assumed with a session name and a ``SourceIdentity`` made from the caller, so the
target account's CloudTrail shows who asked (``SourceIdentity`` also survives any role chaining
there). Credentials are botocore's ``RefreshableCredentials``: a client signs with the cached
ones and botocore assumes the role again 15 minutes before they expire (10 at the latest,
blocking), under its own lock; we only say how to fetch them. Sessions share the home
session's data loader, so a service's model is read once whatever the account.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from aws_mcp.accounts import Account

__all__ = ["AssumedRoles", "session_name", "source_identity"]

# One hour: the longest a role assumed by another role (chaining) may last, and AWS's default.
DURATION_SECONDS: Final = 3600
_NOT_ALLOWED: Final = re.compile(r"[^\w+=,.@-]")


def source_identity(caller: str) -> str:
    """The caller as ``SourceIdentity`` takes it (2-64 of ``[\\w+=,.@-]``): an ARN's last name
    (the user or session), the rest as it is."""
    name = caller.rsplit("/", 1)[-1] if caller.startswith("arn:") else caller
    cleaned = _NOT_ALLOWED.sub("-", name)[:64]
    return cleaned if len(cleaned) >= 2 else f"caller-{cleaned}"


def session_name(caller: str) -> str:
    """The role session's name: the server and the caller (64 characters at most)."""
    return f"aws-mcp.{source_identity(caller)}"[:64]


class _Assumed(CredentialProvider):
    METHOD = "aws-mcp-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class AssumedRoles:
    """A boto3 session per (account, caller), with credentials of the account's role."""

    def __init__(
        self,
        home: boto3.Session,
        sts: Callable[[], Any],
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``sts``: the home account's STS client; ``clock``: now, tz-aware (tests move it)."""
        self._home = home
        self._sts = sts
        self._clock = clock
        self._sessions: dict[tuple[str, str], boto3.Session] = {}
        self._lock = threading.Lock()

    def session(self, account: Account, caller: str) -> boto3.Session:
        key = (account.alias, source_identity(caller))
        with self._lock:
            found = self._sessions.get(key)
            if found is None:
                found = self._sessions[key] = self._build(account, caller)
            return found

    def _build(self, account: Account, caller: str) -> boto3.Session:
        fetch = self._fetcher(account, caller)
        metadata = fetch()
        extra: dict[str, Any] = {} if self._clock is None else {"time_fetcher": self._clock}
        credentials = RefreshableCredentials(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=datetime.fromisoformat(metadata["expiry_time"]),
            refresh_using=fetch,
            method=_Assumed.METHOD,
            **extra,
        )
        core = botocore.session.Session()
        home_core = self._home._session  # boto3's botocore session has no public accessor
        core.register_component("data_loader", home_core.get_component("data_loader"))
        core.register_component("credential_provider", CredentialResolver([_Assumed(credentials)]))
        return boto3.Session(botocore_session=core)

    def _fetcher(self, account: Account, caller: str) -> Callable[[], dict[str, Any]]:
        request: dict[str, Any] = {
            "RoleArn": account.role_arn,
            "RoleSessionName": session_name(caller),
            "SourceIdentity": source_identity(caller),
            "DurationSeconds": DURATION_SECONDS,
        }
        if account.external_id:
            request["ExternalId"] = account.external_id

        def fetch() -> dict[str, Any]:
            found = self._sts().assume_role(**request)["Credentials"]
            return {
                "access_key": found["AccessKeyId"],
                "secret_key": found["SecretAccessKey"],
                "token": found["SessionToken"],
                "expiry_time": found["Expiration"].isoformat(),
            }

        return fetch
