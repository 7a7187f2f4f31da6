"""GRPC: the standard gRPC health check, ``grpc.health.v1.Health/Check``, against ``endpoint``.

``endpoint`` is ``grpc://host:port`` (plaintext) or ``grpcs://host:port`` (TLS: the system's
CAs, or ``auth.ca_certificate``; with ``auth.type`` CERTIFICATE the client certificate too).
``metadata.grpc_service`` names the service asked about (default ``""``: the server as a whole).
Healthy is ``SERVING``; any other status, no answer within the timeout, or an RPC error is not,
said as such. ``BEARER_TOKEN``, ``API_KEY`` and ``CUSTOM`` go as call metadata.

A GRPC integration is checked, not sent events (gRPC has no generic "event" method): it is
``OUTBOUND`` and the delivery passes it by. grpcio and grpcio-health-checking (the protocol's own
stubs) are imported in :meth:`GrpcIntegration.health_check` only, never when the plugins load.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final
from urllib.parse import urlsplit

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.integration import Integration, SendResult
from aws_mcp.integrations.model import AuthType, IntegrationConfig

__all__ = ["GrpcIntegration"]

_AUTH: Final = (AuthType.NONE, AuthType.BEARER_TOKEN, AuthType.API_KEY, AuthType.CUSTOM, AuthType.CERTIFICATE)


class GrpcIntegration(Integration):
    sends = False
    receives = False

    @classmethod
    def validate(cls, config: IntegrationConfig) -> None:
        if config.direction.receives:
            raise InvalidIntegrationError(
                "GRPC integrations take no inbound events: use direction OUTBOUND (they are health-checked)"
            )
        if config.auth.type not in _AUTH:
            raise InvalidIntegrationError(
                f"GRPC integrations authenticate with {', '.join(a.value for a in _AUTH)}, "
                f"not {config.auth.type.value}"
            )
        cls.validate_auth(config)
        parts = urlsplit(config.endpoint or "")
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme not in ("grpc", "grpcs") or not parts.hostname or not port:
            raise InvalidIntegrationError("endpoint must be grpc://host:port or grpcs://host:port")

    async def send(self, event: Any) -> SendResult:
        return SendResult(False, error="GRPC integrations are health-checked; they are sent no events")

    async def health_check(self) -> bool:
        started = time.perf_counter()
        timeout = float(self.config.health_check.timeout_seconds)
        try:
            status = await asyncio.to_thread(self._check, timeout)
        except Exception as err:  # unreachable, refused, timed out: unhealthy, said as such
            return self._checked(started, False, self.failure(err))
        if status != "SERVING":
            return self._checked(started, False, f"the health service answered {status}")
        return self._checked(started, True, None)

    def _check(self, timeout: float) -> str:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        parts = urlsplit(self.config.endpoint or "")
        target = f"{parts.hostname}:{parts.port}"
        if parts.scheme == "grpcs":
            auth = self.config.auth
            certificate = self.secret("certificate") if auth.type is AuthType.CERTIFICATE else None
            key = self.secret("private_key") if auth.type is AuthType.CERTIFICATE else None
            credentials = grpc.ssl_channel_credentials(
                root_certificates=auth.ca_certificate.encode() if auth.ca_certificate else None,
                private_key=key.encode() if key else None,
                certificate_chain=certificate.encode() if certificate else None,
            )
            channel = grpc.secure_channel(target, credentials)
        else:
            channel = grpc.insecure_channel(target)
        with channel:
            stub = health_pb2_grpc.HealthStub(channel)
            service = str(self.config.metadata.get("grpc_service", ""))
            metadata = [(k.lower(), v) for k, v in self._metadata().items()]
            answer = stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout, metadata=metadata or None
            )
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))

    def _metadata(self) -> dict[str, str]:
        auth = self.config.auth
        if auth.type is AuthType.BEARER_TOKEN:
            return {"authorization": f"Bearer {self.secret('token') or ''}"}
        if auth.type is AuthType.API_KEY:
            return {auth.header_name: self.secret("api_key") or ""}
        if auth.type is AuthType.CUSTOM:
            return {name: value.get_secret_value() for name, value in auth.custom_headers.items()}
        return {}
