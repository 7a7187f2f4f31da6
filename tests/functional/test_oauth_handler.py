"""AuthMode=OAUTH through the Lambda handler, as API Gateway invokes it: the stage is in every
URL the answers name (the metadata and the WWW-Authenticate pointer)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from aws_mcp.config import ENV, AccessMode
from aws_mcp_local.demo import seed
from tests.functional.test_lambda_handler import (
    FakeLambdaContext,
    Handler,
    function_environment,
    import_handler,
)
from tests.unit.auth.issuer import Issuer, local_issuer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import make_events

BASE = f"https://{make_events.API_ID}.execute-api.{make_events.REGION}.amazonaws.com/{make_events.STAGE}"
METADATA = f"{BASE}/.well-known/oauth-protected-resource/mcp"
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def oauth_environment(issuer: Issuer) -> dict[str, str]:
    return {
        ENV.AUTH_MODE: "OAUTH",
        ENV.OAUTH_ISSUER: issuer.url,
        ENV.OAUTH_AUDIENCE: "aws-mcp",
        ENV.OAUTH_JWKS_URL: issuer.jwks_url,
    }


def post(token: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return make_events.proxy_event("oauth", "POST", "/mcp", headers, json.dumps(LIST))


def metadata_request(path: str) -> dict[str, Any]:
    return make_events.proxy_event("metadata", "GET", path, {}, None)


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with local_issuer() as found:
        yield found


@pytest.fixture(scope="module")
def handler(issuer: Issuer) -> Iterator[Handler]:
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        seed(endpoint_url=None, parts=())
        yield import_handler(
            monkeypatch, {**function_environment(AccessMode.READ_WRITE), **oauth_environment(issuer)}
        )


def test_a_request_without_a_token_is_401_pointing_to_the_stage_s_metadata(handler: Handler) -> None:
    response = handler(post(None), FakeLambdaContext())
    assert response["statusCode"] == 401
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["www-authenticate"] == f'Bearer resource_metadata="{METADATA}"'


def test_a_valid_token_is_served_as_its_own_caller(handler: Handler, issuer: Issuer) -> None:
    response = handler(post(issuer.token(scope="aws-mcp/admin")), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert "ec2_terminate_instances" in {t["name"] for t in json.loads(response["body"])["result"]["tools"]}


def test_an_expired_token_is_401_invalid_token(handler: Handler, issuer: Issuer) -> None:
    response = handler(post(issuer.token(exp=1)), FakeLambdaContext())
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert response["statusCode"] == 401 and 'error="invalid_token"' in headers["www-authenticate"]


def test_a_token_granting_no_role_is_403(handler: Handler, issuer: Issuer) -> None:
    response = handler(post(issuer.token(scope="profile")), FakeLambdaContext())
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert response["statusCode"] == 403 and 'error="insufficient_scope"' in headers["www-authenticate"]


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]
)
def test_the_metadata_names_the_stage_s_endpoint(handler: Handler, issuer: Issuer, path: str) -> None:
    response = handler(metadata_request(path), FakeLambdaContext())
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert document["resource"] == f"{BASE}/mcp"
    assert document["authorization_servers"] == [issuer.url]
