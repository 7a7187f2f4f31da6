"""Who is calling and over what: built by the transport, completed by the protocol layer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = ["CallContext", "Via"]


class Via(StrEnum):
    """What authenticated the caller (its role is looked up accordingly)."""

    LOCAL = "local"  # aws-mcp serve / stdio: the person at this machine
    IAM = "iam"  # API Gateway verified a SigV4 signature: caller is the principal ARN
    API_KEY = "api_key"  # API Gateway checked an API key: caller is apikey:<id>
    BEARER = "bearer"  # an OAuth bearer token (ours, or a Cognito authorizer's claims)
    ANONYMOUS = "anonymous"  # a stack deployed with AuthMode=NONE


@dataclass(frozen=True, slots=True)
class CallContext:
    # The authenticated principal (IAM ARN, API key id, JWT subject), or "local".
    caller: str = "local"
    # The transport's request id (API Gateway / Lambda), for correlating logs.
    request_id: str = ""
    protocol_version: str = ""
    client_name: str | None = None
    client_version: str | None = None
    # The Lambda context object when running in Lambda (remaining time, request id).
    lambda_context: Any = None
    via: Via = Via.LOCAL
    # A token's scopes and groups (Via.TOKEN): where its role comes from.
    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    # 2026-07-28 tools/call: whether the client answers form elicitations, and what it sent back
    # (MRTR: inputResponses and the requestState we minted), for confirmations.
    elicitation: bool = False
    input_responses: Any = None
    request_state: Any = None

    def with_client(self, protocol_version: str, client_info: Any) -> CallContext:
        info = client_info if isinstance(client_info, dict) else {}
        name, version = info.get("name"), info.get("version")
        return replace(
            self,
            protocol_version=protocol_version,
            client_name=name if isinstance(name, str) else self.client_name,
            client_version=version if isinstance(version, str) else self.client_version,
        )
