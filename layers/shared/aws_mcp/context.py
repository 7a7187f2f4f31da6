"""Who is calling and over what: built by the transport, completed by the protocol layer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["CallContext"]


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

    def with_client(self, protocol_version: str, client_info: Any) -> CallContext:
        info = client_info if isinstance(client_info, dict) else {}
        name, version = info.get("name"), info.get("version")
        return replace(
            self,
            protocol_version=protocol_version,
            client_name=name if isinstance(name, str) else self.client_name,
            client_version=version if isinstance(version, str) else self.client_version,
        )
