"""Who may do what through the REST API: the MCP endpoint's roles, read the same way.

API Gateway's request context is what Mangum puts in the ASGI scope (``aws.event``); ``gateway``
puts it there for each request as API Gateway would for an IAM, API key or Cognito caller.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from aws_mcp.auth.oauth import OAuth
from aws_mcp.auth.roles import Role, Roles
from aws_mcp.integrations.api import create_api
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.auth.issuer import Issuer, local_issuer
from tests.unit.integrations.conftest import REGION, TABLE, Clock

BASE = "/api/v1/integrations"
PROBLEM = "application/problem+json"
CONFIG = json.dumps(
    {
        "principals": {"arn:aws:sts::111122223333:assumed-role/Ops/*": "admin", "*": "viewer"},
        "api_keys": {"k-oper*": "operator", "k-view*": "viewer"},
        "groups": {"ops-admins": "admin"},
    }
)
ADMIN_ARN = "arn:aws:sts::111122223333:assumed-role/Ops/alice"
VIEWER_ARN = "arn:aws:sts::111122223333:assumed-role/Dev/bob"
EVENT_BUS = {"name": "bus", "type": "EVENT_BUS", "direction": "OUTBOUND", "endpoint": "ops-events"}


pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def gateway(app: Any) -> Any:
    """``app`` behind a stand-in for API Gateway's authentication: the request context Mangum
    would hand on, from the test's ``x-test-identity`` header."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            identity = dict(scope["headers"]).get(b"x-test-identity")
            if identity is not None:
                scope = scope | {"aws.event": {"requestContext": json.loads(identity)}}
        await app(scope, receive, send)

    return asgi


def iam(arn: str) -> dict[str, str]:
    return {"x-test-identity": json.dumps({"identity": {"userArn": arn}})}


def api_key(key_id: str) -> dict[str, str]:
    return {"x-test-identity": json.dumps({"identity": {"apiKeyId": key_id}})}


def cognito(groups: str, scope: str = "") -> dict[str, str]:
    claims = {"sub": "user-7", "cognito:groups": groups, "scope": scope}
    return {"x-test-identity": json.dumps({"authorizer": {"claims": claims}})}


@pytest.fixture
def make_client(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any], clock: Clock
) -> Callable[..., httpx.AsyncClient]:

    def make(roles: Roles, oauth: OAuth | None = None) -> httpx.AsyncClient:
        limiter = RateLimiter(
            lambda: aws_clients("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp()
        )
        app = create_api(registry, limiter, roles=roles, oauth=oauth, rate_limit_per_minute=1000)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway(app)), base_url="http://127.0.0.1")

    return make


def configured() -> Roles:
    return Roles(lambda: CONFIG, Role.VIEWER)


async def test_an_admin_principal_creates_tests_updates_and_deletes(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    http = make_client(configured())
    made = await http.post(BASE, json=EVENT_BUS, headers=iam(ADMIN_ARN))
    assert made.status_code == 201, made.text
    assert made.json()["created_by"] == ADMIN_ARN
    url = f"{BASE}/{made.json()['id']}"
    assert (await http.post(f"{url}/test", headers=iam(ADMIN_ARN))).status_code == 200
    put = await http.put(url, json=EVENT_BUS | {"revision": 2, "description": "x"}, headers=iam(ADMIN_ARN))
    assert put.status_code == 200, put.text
    assert (await http.delete(url, headers=iam(ADMIN_ARN))).status_code == 204


@pytest.mark.parametrize(
    ("who", "role"),
    [(iam(VIEWER_ARN), "viewer"), (api_key("k-oper-1"), "operator"), (api_key("k-view-2"), "viewer")],
    ids=["iam-viewer", "api-key-operator", "api-key-viewer"],
)
async def test_a_caller_below_admin_reads_but_every_change_is_403_naming_admin(
    make_client: Callable[..., httpx.AsyncClient],
    who: dict[str, str],
    role: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http = make_client(configured())
    made = (await http.post(BASE, json=EVENT_BUS, headers=iam(ADMIN_ARN))).json()
    url = f"{BASE}/{made['id']}"
    assert (await http.get(BASE, headers=who)).json()["count"] == 1
    assert (await http.get(url, headers=who)).status_code == 200
    assert (await http.get(f"{url}/health", headers=who)).status_code == 200
    caplog.set_level(logging.WARNING, "aws_mcp.integrations.api")
    refused = [
        await http.post(BASE, json=EVENT_BUS, headers=who),
        await http.put(url, json=EVENT_BUS | {"revision": 1}, headers=who),
        await http.delete(url, headers=who),
        await http.post(f"{url}/test", headers=who),
    ]
    for answer in refused:
        assert answer.status_code == 403
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert (problem["required_role"], problem["role"]) == ("admin", role)
        assert "needs" not in problem["detail"] and "the role admin" in problem["detail"]
    assert [r.needed for r in caplog.records] == ["admin"] * 4  # type: ignore[attr-defined]
    assert (await http.get(url, headers=iam(ADMIN_ARN))).json()["revision"] == 1  # nothing changed


async def test_a_caller_with_no_role_reads_nothing(make_client: Callable[..., httpx.AsyncClient]) -> None:
    http = make_client(configured())
    answer = await http.get(BASE, headers=api_key("unknown-key"))
    assert answer.status_code == 403
    assert (answer.json()["required_role"], answer.json()["role"]) == ("viewer", None)
    assert "you have no role here" in answer.json()["detail"]


async def test_a_cognito_group_gives_its_role(make_client: Callable[..., httpx.AsyncClient]) -> None:
    http = make_client(configured())
    assert (await http.post(BASE, json=EVENT_BUS, headers=cognito("[ops-admins]"))).status_code == 201
    writer_scope = cognito("[]", scope="aws-mcp/write")
    assert (await http.post(BASE, json=EVENT_BUS, headers=writer_scope)).json()["role"] == "operator"


async def test_the_local_caller_has_the_local_role(make_client: Callable[..., httpx.AsyncClient]) -> None:
    viewer = make_client(Roles(None, Role.VIEWER))
    assert (await viewer.get(BASE)).status_code == 200
    assert (await viewer.post(BASE, json=EVENT_BUS)).json()["required_role"] == "admin"
    assert (await make_client(Roles(None, Role.ADMIN)).post(BASE, json=EVENT_BUS)).status_code == 201


async def test_a_role_configuration_that_cannot_be_read_refuses_everything(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    http = make_client(Roles(lambda: '{"principals": {"*": "root"}}', Role.ADMIN))
    for answer in (await http.get(BASE, headers=iam(ADMIN_ARN)), await http.post(BASE, json=EVENT_BUS)):
        assert answer.status_code == 403
        assert "Every call is refused" in answer.json()["detail"]


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with local_issuer() as found:
        yield found


def oauth_for(issuer: Issuer, roles: Roles) -> OAuth:
    from aws_mcp.config import Settings
    from aws_mcp.server import build_oauth

    settings = Settings(
        auth_mode="OAUTH",
        oauth_issuer=issuer.url,
        oauth_audiences=("aws-mcp",),
        oauth_jwks_url=issuer.jwks_url,
    )
    found = build_oauth(settings, roles)
    assert found is not None
    return found


async def test_with_oauth_a_token_is_required_and_its_scopes_give_the_role(
    make_client: Callable[..., httpx.AsyncClient], issuer: Issuer
) -> None:
    roles = Roles(None, Role.ADMIN)  # the local role must not apply to a token's caller
    http = make_client(roles, oauth_for(issuer, roles))
    missing = await http.get(BASE)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith('Bearer resource_metadata="')
    expired = await http.get(BASE, headers={"authorization": f"Bearer {issuer.token(exp=1)}"})
    assert expired.status_code == 401 and 'error="invalid_token"' in expired.headers["www-authenticate"]
    reader = {"authorization": f"Bearer {issuer.token(scope='aws-mcp/read')}"}
    assert (await http.get(BASE, headers=reader)).status_code == 200
    refused = await http.post(BASE, json=EVENT_BUS, headers=reader)
    assert (refused.status_code, refused.json()["required_role"]) == (403, "admin")
    admin = {"authorization": f"Bearer {issuer.token(scope='aws-mcp/admin')}"}
    made = await http.post(BASE, json=EVENT_BUS, headers=admin)
    assert (made.status_code, made.json()["created_by"]) == (201, "user-1")
