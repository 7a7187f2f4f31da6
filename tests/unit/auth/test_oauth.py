"""AuthMode=OAUTH: each request's access token checked (the attack table), RFC 9728 metadata, and
the 401/403 answers the MCP authorization spec asks for; against a local issuer with its own keys
and against moto's Cognito."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from moto.server import ThreadedMotoServer
from starlette.testclient import TestClient

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import ENV, Settings
from aws_mcp.errors import ConfigurationError
from aws_mcp.http import create_app
from aws_mcp.server import build_server
from tests.unit.auth.issuer import Issuer, local_issuer

LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
METADATA = "http://testserver/.well-known/oauth-protected-resource/mcp"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with local_issuer() as found:
        yield found


def app_for(settings: Settings, clients: ClientFactory, **oauth: Any) -> TestClient:
    settings = settings.with_changes(auth_mode="OAUTH", **oauth)
    server = build_server(settings, clients)
    return TestClient(create_app(settings, server.dispatcher, oauth=server.oauth))


@pytest.fixture
def app(issuer: Issuer, settings: Settings, clients: ClientFactory) -> TestClient:
    return app_for(
        settings,
        clients,
        oauth_issuer=issuer.url,
        oauth_audiences=("aws-mcp",),
        oauth_jwks_url=issuer.jwks_url,
    )


def post(app: TestClient, token: str | None, message: dict[str, Any] = LIST) -> Any:
    headers = dict(HEADERS)
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return app.post("/mcp", content=json.dumps(message), headers=headers)


def challenge(response: Any) -> str:
    value: str = response.headers["www-authenticate"]
    assert value.startswith(f'Bearer resource_metadata="{METADATA}"'), value
    return value


def unsigned(claims: dict[str, Any]) -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def hs256_with_public_key(issuer: Issuer, kid: str, claims: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: an HMAC keyed with the issuer's public key (PEM)."""
    pem = issuer.keys[kid].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_part(claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestTheAttackTable:
    def test_a_valid_token_is_served_with_its_role_s_tools(self, app: TestClient, issuer: Issuer) -> None:
        response = post(app, issuer.token())
        assert response.status_code == 200
        names = {t["name"] for t in response.json()["result"]["tools"]}
        assert "ec2_list_instances" in names and "ec2_stop_instances" not in names  # aws-mcp/read: a viewer

    def test_no_token_is_401_pointing_to_the_metadata(self, app: TestClient) -> None:
        response = post(app, None)
        assert response.status_code == 401
        assert challenge(response) == f'Bearer resource_metadata="{METADATA}"'
        assert response.json()["error"]["message"].startswith("This server needs an OAuth access token")

    @pytest.mark.parametrize(
        ("case", "why"),
        [
            ("expired", "expired"),
            ("wrong audience", "not meant for this server"),
            ("wrong issuer", "another issuer"),
            ("wrong signature", "invalid"),
            ("alg none", "'none' are not accepted"),
            ("hs256 with the public key", "'HS256' are not accepted"),
            ("unknown key", "invalid"),
            ("id token", "ID token"),
            ("not a jwt", "invalid"),
            ("no subject", "invalid"),
        ],
    )
    def test_a_bad_token_is_401_invalid_token(
        self, app: TestClient, issuer: Issuer, case: str, why: str
    ) -> None:
        kid = next(iter(issuer.keys))
        now = int(time.time())
        claims = {"iss": issuer.url, "sub": "u", "aud": "aws-mcp", "exp": now + 300, "scope": "aws-mcp/admin"}
        forgeries: dict[str, Callable[[], str]] = {
            "expired": lambda: issuer.token(exp=now - 120),
            "wrong audience": lambda: issuer.token(aud="someone-else"),
            "wrong issuer": lambda: issuer.token(iss="https://evil.example"),
            "wrong signature": lambda: issuer.token(
                key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            ),
            "alg none": lambda: unsigned(claims),
            "hs256 with the public key": lambda: hs256_with_public_key(issuer, kid, claims),
            "unknown key": lambda: issuer.token(kid="nope0000", key=issuer.keys[kid]),
            "id token": lambda: issuer.token(token_use="id"),
            "not a jwt": lambda: "abc.def",
            "no subject": lambda: issuer.token(sub=None),
        }
        token = forgeries[case]()
        response = post(app, token)
        assert response.status_code == 401, response.text
        assert 'error="invalid_token"' in challenge(response)
        assert why in response.json()["error"]["message"]

    def test_a_token_granting_no_role_is_403_insufficient_scope(
        self, app: TestClient, issuer: Issuer
    ) -> None:
        response = post(app, issuer.token(scope="openid email"))
        assert response.status_code == 403
        header = challenge(response)
        assert 'error="insufficient_scope"' in header and 'scope="aws-mcp/read"' in header

    def test_a_key_rotated_into_the_jwks_is_picked_up_after_the_refetch_cooldown(
        self, app: TestClient, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert post(app, issuer.token()).status_code == 200  # the JWKS is now cached
        rotated = issuer.new_key()
        fetched = len(issuer.fetches)
        # PyJWKClient reads the JWKS again for an unknown key at most every 30 s (a flood of
        # made-up key ids cannot hammer the issuer): within that, the new key is not known yet.
        assert post(app, issuer.token(kid=rotated)).status_code == 401
        assert len(issuer.fetches) == fetched
        later = time.monotonic() + 31
        monkeypatch.setattr("jwt.jwks_client.time.monotonic", lambda: later)
        assert post(app, issuer.token(kid=rotated)).status_code == 200
        assert len(issuer.fetches) == fetched + 1

    def test_a_cognito_style_access_token_is_for_us_by_its_client_id(
        self, app: TestClient, issuer: Issuer
    ) -> None:
        token = issuer.token(aud=None, client_id="aws-mcp", token_use="access")
        assert post(app, token).status_code == 200

    def test_a_write_beyond_the_token_s_scope_says_which_scope_to_ask_for(
        self, app: TestClient, issuer: Issuer
    ) -> None:
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "ec2_start_instances", "arguments": {"instance_ids": ["i-0123456789abcdef0"]}},
        }
        result = post(app, issuer.token(sub="reader"), call).json()["result"]
        assert result["isError"] is True
        assert "needs the role operator; your role is viewer (caller reader)" in result["content"][0]["text"]
        assert "aws-mcp/write" in result["content"][0]["text"]

    def test_the_issuer_s_keys_unreachable_is_503_not_a_refusal(
        self, settings: Settings, clients: ClientFactory, issuer: Issuer
    ) -> None:
        unreachable = app_for(
            settings,
            clients,
            oauth_issuer=issuer.url,
            oauth_audiences=("aws-mcp",),
            oauth_jwks_url="http://127.0.0.1:9/jwks.json",
        )
        response = post(unreachable, issuer.token())
        assert response.status_code == 503 and "www-authenticate" not in response.headers


class TestTheMetadata:
    @pytest.mark.parametrize(
        "path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]
    )
    def test_it_names_the_resource_and_its_authorization_server(
        self, app: TestClient, issuer: Issuer, path: str
    ) -> None:
        response = app.get(path)
        assert response.status_code == 200
        assert response.json() == {
            "resource": "http://testserver/mcp",
            "authorization_servers": [issuer.url],
            "scopes_supported": ["aws-mcp/read", "aws-mcp/write", "aws-mcp/admin"],
            "bearer_methods_supported": ["header"],
            "resource_name": "AWS MCP",
        }

    def test_without_oauth_there_is_none(self, settings: Settings, clients: ClientFactory) -> None:
        app = TestClient(create_app(settings, build_server(settings, clients).dispatcher))
        assert app.get("/.well-known/oauth-protected-resource").status_code == 404


class TestSettings:
    def test_oauth_needs_an_issuer_and_an_audience(self) -> None:
        with pytest.raises(ConfigurationError, match="AWS_MCP_OAUTH_ISSUER and AWS_MCP_OAUTH_AUDIENCE"):
            Settings.from_env({ENV.AUTH_MODE: "OAUTH", ENV.OAUTH_ISSUER: "https://issuer.example"})

    def test_they_are_read(self) -> None:
        settings = Settings.from_env(
            {
                ENV.AUTH_MODE: "OAUTH",
                ENV.OAUTH_ISSUER: "https://issuer.example/",
                ENV.OAUTH_AUDIENCE: "a, b",
                ENV.OAUTH_JWKS_URL: "https://issuer.example/keys",
                ENV.RESOURCE_URL: "https://mcp.example/mcp",
            }
        )
        assert (settings.oauth_issuer, settings.oauth_audiences) == ("https://issuer.example", ("a", "b"))
        assert (settings.oauth_jwks_url, settings.resource_url) == (
            "https://issuer.example/keys",
            "https://mcp.example/mcp",
        )

    def test_without_oauth_jwt_is_not_imported(self) -> None:
        import subprocess
        import sys

        code = "import sys, aws_mcp.server; print('jwt' in sys.modules)"
        found = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert found.stdout.strip() == "False"


@pytest.fixture(scope="module")
def cognito() -> Iterator[dict[str, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint)
        pool = idp.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool, ClientName="aws-mcp", ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"]
        )["UserPoolClient"]["ClientId"]
        idp.create_group(GroupName="aws-mcp-operators", UserPoolId=pool)
        tokens = {}
        for user, groups in (("olga", ["aws-mcp-operators"]), ("nobody", [])):
            idp.admin_create_user(UserPoolId=pool, Username=user, TemporaryPassword="Tmp-Passw0rd!")
            idp.admin_set_user_password(UserPoolId=pool, Username=user, Password="Passw0rd!x", Permanent=True)
            for group in groups:
                idp.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=group)
            auth = idp.admin_initiate_auth(
                UserPoolId=pool,
                ClientId=client,
                AuthFlow="ADMIN_NO_SRP_AUTH",
                AuthParameters={"USERNAME": user, "PASSWORD": "Passw0rd!x"},
            )["AuthenticationResult"]
            tokens[user] = auth["AccessToken"]
            tokens[f"{user}-id"] = auth["IdToken"]
        yield {
            "issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
            "jwks": f"{endpoint}/{pool}/.well-known/jwks.json",
            "client": client,
            **tokens,
        }
    finally:
        server.stop()


class TestMotoCognito:
    """moto's Cognito issues RS256 access tokens (scope aws.cognito.signin.user.admin, the
    user's groups) and serves its JWKS: a token with no role is 403, a group gives one."""

    @pytest.fixture
    def app(
        self, cognito: dict[str, str], settings: Settings, clients: ClientFactory, tmp_path: Any
    ) -> TestClient:
        roles = tmp_path / "roles.json"
        roles.write_text(json.dumps({"groups": {"aws-mcp-operators": "operator"}}))
        return app_for(
            settings,
            clients,
            oauth_issuer=cognito["issuer"],
            oauth_audiences=(cognito["client"],),
            oauth_jwks_url=cognito["jwks"],
            roles_file=str(roles),
        )

    def test_a_group_member_s_access_token_is_an_operator(
        self, app: TestClient, cognito: dict[str, str]
    ) -> None:
        response = post(app, cognito["olga"])
        assert response.status_code == 200
        names = {t["name"] for t in response.json()["result"]["tools"]}
        assert "ec2_start_instances" in names and "ec2_terminate_instances" not in names

    def test_a_token_without_a_role_is_403(self, app: TestClient, cognito: dict[str, str]) -> None:
        response = post(app, cognito["nobody"])
        assert response.status_code == 403 and 'error="insufficient_scope"' in challenge(response)

    def test_its_id_token_is_refused(self, app: TestClient, cognito: dict[str, str]) -> None:
        response = post(app, cognito["olga-id"])
        assert response.status_code == 401 and "ID token" in response.json()["error"]["message"]
