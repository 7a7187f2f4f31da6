"""AuthMode=OAUTH in the built function under the emulator: PyJWT and cryptography come from the
layer, tokens are checked against a local issuer's JWKS, and the answers name the stage's URLs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.test_oauth_handler import BASE, METADATA, metadata_request, oauth_environment, post
from tests.unit.auth.issuer import Issuer, local_issuer

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lambda_emulator  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with local_issuer() as found:
        yield found


@pytest.fixture(scope="module")
def live(x86_build: Any, issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        with lambda_emulator.running(
            x86_build, tmp_path_factory.mktemp("emulator-oauth"), oauth_environment(issuer)
        ) as running:
            yield running
    except lambda_emulator.EmulatorError as err:
        pytest.fail(str(err))


def invoke(live: Any, event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = live.emulator.invoke(event)
    response["headers"] = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response


def test_without_a_token_the_function_answers_401_pointing_to_the_metadata(live: Any) -> None:
    response = invoke(live, post(None))
    assert response["statusCode"] == 401
    assert response["headers"]["www-authenticate"] == f'Bearer resource_metadata="{METADATA}"'


def test_a_valid_token_is_served(live: Any, issuer: Issuer) -> None:
    response = invoke(live, post(issuer.token()))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["result"]["tools"]


def test_a_forged_token_is_refused(live: Any, issuer: Issuer) -> None:
    token = issuer.token()
    header, payload, signature = token.split(".")
    response = invoke(live, post(f"{header}.{payload}.{signature[::-1]}"))
    assert (
        response["statusCode"] == 401 and 'error="invalid_token"' in response["headers"]["www-authenticate"]
    )


def test_a_token_without_a_role_is_403(live: Any, issuer: Issuer) -> None:
    response = invoke(live, post(issuer.token(scope="email")))
    assert response["statusCode"] == 403


def test_the_metadata_is_served_for_the_stage(live: Any, issuer: Issuer) -> None:
    response = invoke(live, metadata_request("/.well-known/oauth-protected-resource/mcp"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["resource"] == f"{BASE}/mcp"
