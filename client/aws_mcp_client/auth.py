"""Request authentication for HTTP servers: bearer token and API key headers, or SigV4 signing.

SigV4 is botocore's signer applied to each outgoing request, as httpx2's ``Auth`` hook, so the
SDK's transports sign every POST (body included) without knowing about AWS.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx2

from aws_mcp_client.config import AuthConfig, AuthKind
from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = ["SigV4Auth", "auth_headers", "httpx_auth"]


def auth_headers(auth: AuthConfig | None) -> Mapping[str, str]:
    if auth is None or auth.token is None:
        return {}
    if auth.kind is AuthKind.BEARER:
        return {"Authorization": f"Bearer {auth.token}"}
    if auth.kind is AuthKind.API_KEY:
        return {auth.header: auth.token}
    return {}


def httpx_auth(auth: AuthConfig | None) -> httpx2.Auth | None:
    if auth is None or auth.kind is not AuthKind.SIGV4:
        return None
    return SigV4Auth(region=auth.region, service=auth.service)


class SigV4Auth(httpx2.Auth):
    """Signs each request with the AWS credential chain's credentials (``AWS_IAM`` API Gateway endpoints)."""

    requires_request_body = True

    def __init__(
        self, *, region: str | None = None, service: str = "execute-api", session: object = None
    ) -> None:
        import botocore.session

        self._session = session or botocore.session.get_session()
        self._region = region or self._session.get_config_variable("region")  # type: ignore[attr-defined]
        self._service = service
        if not self._region:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID,
                "SigV4 signing needs a region: set auth.region or AWS_REGION",
            )

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        from botocore.auth import SigV4Auth as BotocoreSigV4
        from botocore.awsrequest import AWSRequest

        credentials = self._session.get_credentials()  # type: ignore[attr-defined]
        if credentials is None:
            raise InfrastructureException(
                ErrorCodes.AUTHENTICATION_FAILED, "SigV4 signing found no AWS credentials"
            )
        # Sign exactly the headers that go out; hop-by-hop ones may be rewritten on the way.
        signed = {k: v for k, v in request.headers.items() if k.lower() not in ("connection", "user-agent")}
        aws_request = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=signed
        )
        BotocoreSigV4(credentials.get_frozen_credentials(), self._service, self._region).add_auth(aws_request)
        for name, value in aws_request.headers.items():
            request.headers[name] = value
        yield request
