"""The integrations REST API under Hypothesis, in process on in-process moto: whatever the body,
query or path, no answer is a 5xx, every refusal is a problem detail, and no answer repeats a
secret it was given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from aws_mcp.auth.roles import Role, Roles
from aws_mcp.integrations.api import create_api
from aws_mcp.integrations.integration import PluginContext
from aws_mcp.integrations.model import AuthType, Direction, IntegrationType
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.secrets import SecretVault
from aws_mcp.integrations.store import IntegrationStore
from tests.fuzz.strategies import bodies, json_values, texts
from tests.unit.integrations.conftest import TABLE, create_table

BASE = "/api/v1/integrations"
SECRET = "fuzz-secret-7c1e"


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        dynamodb, secrets = session.client("dynamodb"), session.client("secretsmanager")

        def aws(service: str, region: str) -> Any:
            return session.client(service, region_name=region)  # type: ignore[call-overload]

        create_table(dynamodb)
        registry = IntegrationRegistry(
            IntegrationStore(lambda: dynamodb, TABLE),
            SecretVault(lambda: secrets, "fuzz"),
            PluginContext(aws=aws, default_region="us-east-1"),
        ).register_built_in()
        app = create_api(
            registry,
            RateLimiter(lambda: dynamodb, TABLE),
            roles=Roles(None, Role.ADMIN),
            rate_limit_per_minute=1_000_000,
        )
        with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            yield client


def enum_or_junk(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), json_values())


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Integration configurations near the valid ones: each field right, wrong, or missing."""
    auth = {
        "type": draw(enum_or_junk([a.value for a in AuthType])),
        "token": SECRET,
        "signing_secret": SECRET,
    } | draw(
        st.fixed_dictionaries(
            {},
            optional={
                "consumer_key": texts(),
                "consumer_secret": st.just(SECRET),
                "certificate": st.one_of(st.just(f"-----BEGIN CERTIFICATE-----\n{SECRET}"), json_values()),
                "private_key": st.just(SECRET),
                "ca_certificate": st.one_of(texts(), json_values()),
                "custom_headers": st.one_of(st.just({"X-Key": SECRET}), st.just(["X-Key"]), json_values()),
            },
        )
    )
    candidate = {
        "name": draw(st.one_of(texts(), json_values())),
        "type": draw(enum_or_junk([t.value for t in IntegrationType])),
        "direction": draw(enum_or_junk([d.value for d in Direction])),
        "endpoint": draw(
            st.one_of(
                st.just("http://127.0.0.1:9/x"),
                st.just(f"https://hooks.slack.com/services/T0/B0/{SECRET}"),
                st.just(f"https://127.0.0.1:9/in?token={SECRET}"),
                st.just("grpc://127.0.0.1:9"),
                st.just("s3://b/p"),
                texts(),
                json_values(),
            )
        ),
        "endpoint_secret": draw(st.one_of(st.booleans(), json_values())),
        "auth": draw(st.one_of(st.just(auth), json_values())),
        "health_check": draw(st.one_of(st.just({"interval_seconds": 60}), json_values())),
        "retry": draw(st.one_of(st.just({"max_attempts": 2}), json_values())),
        "tags": draw(st.one_of(st.dictionaries(texts(), texts(), max_size=3), json_values())),
        "metadata": draw(json_values()),
        "timeout_seconds": draw(json_values()),
    }
    keep = draw(st.sets(st.sampled_from(sorted(candidate))))
    return {k: v for k, v in candidate.items() if k in keep or k in ("type", "direction", "name")}


def assert_answered(answer: Any) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == answer.status_code and problem["title"]
    assert SECRET not in answer.text


@given(config=configs())
def test_no_configuration_posted_reaches_a_500_or_is_answered_with_its_secret(
    api: TestClient, config: Any
) -> None:
    answer = api.post(
        BASE, content=json.dumps(config, default=str).encode(), headers={"content-type": "application/json"}
    )
    assert_answered(answer)
    if answer.status_code == 201:
        made = answer.json()
        put = dict(config, revision=made["revision"])
        assert_answered(
            api.put(
                f"{BASE}/{made['id']}",
                content=json.dumps(put, default=str).encode(),
                headers={"content-type": "application/json"},
            )
        )
        assert_answered(api.delete(f"{BASE}/{made['id']}"))


@given(body=bodies())
def test_no_body_reaches_a_500(api: TestClient, body: bytes) -> None:
    assert_answered(api.post(BASE, content=body, headers={"content-type": "application/json"}))
    assert_answered(api.put(f"{BASE}/{'0' * 24}", content=body, headers={"content-type": "application/json"}))
    assert_answered(api.post(f"{BASE}/{'0' * 24}/events", content=body))


@given(
    params=st.dictionaries(
        st.sampled_from(["type", "status", "tag", "limit", "cursor", "revision"]),
        texts(surrogates=False),
        max_size=4,
    ),
    path=st.one_of(st.just("0" * 24), texts(surrogates=False)),
)
def test_no_query_or_path_reaches_a_500(api: TestClient, params: dict[str, str], path: str) -> None:
    from urllib.parse import quote

    assert_answered(api.get(BASE, params=params))
    for suffix in ("", "/health", "/test"):
        url = f"{BASE}/{quote(path, safe='')}{suffix}"
        assert_answered(api.get(url, params=params) if suffix != "/test" else api.post(url))
