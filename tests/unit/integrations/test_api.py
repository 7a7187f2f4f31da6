"""The REST API through HTTP (httpx against the app): CRUD, problem details, paging, limits, secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aws_mcp.auth.roles import Role, Roles
from aws_mcp.integrations.api import create_api
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.signing import signature_headers
from tests.unit.integrations.conftest import REGION, TABLE, Clock, Receiver

BASE = "/api/v1/integrations"
SECRET = "tok-3f9a-never-answered"
PROBLEM = "application/problem+json"


@pytest.fixture
def api(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any], clock: Clock
) -> Iterator[TestClient]:
    limiter = RateLimiter(lambda: aws_clients("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp())
    app = create_api(registry, limiter, roles=Roles(None, Role.ADMIN), rate_limit_per_minute=40)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


def webhook(url: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "slack-ops",
        "type": "WEBHOOK",
        "direction": "OUTBOUND",
        "endpoint": url,
        "auth": {"type": "BEARER_TOKEN", "token": SECRET},
        "tags": {"team": "ops"},
    } | changes


def test_create_read_update_delete_through_http(api: TestClient, receiver: Receiver) -> None:
    created = api.post(BASE, json=webhook(receiver.url))
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"{BASE}/{body['id']}"
    assert created.headers["etag"] == '"1"'
    assert (body["status"], body["revision"], body["auth"]["secrets_set"]) == ("CONFIGURING", 1, ["token"])

    got = api.get(f"{BASE}/{body['id']}")
    assert got.status_code == 200 and got.json() == body

    put = dict(webhook(receiver.url, description="the ops channel"), revision=1)
    put["auth"] = {"type": "BEARER_TOKEN"}
    updated = api.put(f"{BASE}/{body['id']}", json=put)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["revision"], updated.json()["description"]) == (2, "the ops channel")
    assert updated.json()["auth"]["secrets_set"] == ["token"]

    assert api.delete(f"{BASE}/{body['id']}", params={"revision": 2}).status_code == 204
    gone = api.get(f"{BASE}/{body['id']}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == PROBLEM
    assert gone.json()["title"] == "Integration not found"


def test_a_stale_update_is_409_with_the_current_revision(api: TestClient, receiver: Receiver) -> None:
    made = api.post(BASE, json=webhook(receiver.url)).json()
    assert api.put(f"{BASE}/{made['id']}", json=webhook(receiver.url, revision=1)).status_code == 200
    stale = api.put(f"{BASE}/{made['id']}", json=webhook(receiver.url, description="late", revision=1))
    assert stale.status_code == 409
    problem = stale.json()
    assert stale.headers["content-type"] == PROBLEM
    assert (problem["status"], problem["current_revision"], problem["instance"]) == (
        409,
        2,
        f"{BASE}/{made['id']}",
    )


def test_an_illegal_status_move_is_409_naming_the_allowed_ones(api: TestClient, receiver: Receiver) -> None:
    made = api.post(BASE, json=webhook(receiver.url)).json()
    refused = api.put(f"{BASE}/{made['id']}", json=webhook(receiver.url, revision=1, status="ACTIVE"))
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["DEPRECATED", "INACTIVE", "TESTING"]


def test_secrets_never_appear_in_any_answer(api: TestClient, receiver: Receiver) -> None:
    made = api.post(BASE, json=webhook(receiver.url)).json()
    answers = [
        api.get(BASE),
        api.get(f"{BASE}/{made['id']}"),
        api.post(f"{BASE}/{made['id']}/test"),
        api.get(f"{BASE}/{made['id']}/health"),
        api.post(BASE, json=webhook("not a url")),
        api.post(BASE, json=webhook(receiver.url, auth={"type": "BEARER_TOKEN", "token": SECRET, "x": 1})),
        api.get("/api/v1/openapi.json"),
    ]
    for answer in answers:
        assert SECRET not in answer.text, answer.request.url
    # The check did send the token to the counterpart: it is stored, only never answered.
    assert receiver.requests[0].headers["Authorization"] == f"Bearer {SECRET}"


def test_invalid_input_is_a_422_problem_listing_each_problem(api: TestClient) -> None:
    answer = api.post(BASE, json={"name": "", "type": "TELEGRAPH", "direction": "OUTBOUND"})
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    locations = {tuple(e["loc"]) for e in answer.json()["errors"]}
    assert ("body", "name") in locations and ("body", "type") in locations
    assert (
        api.post(BASE, content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    )
    assert api.get(f"{BASE}/NOT-AN-ID").status_code == 422


def test_a_type_without_a_plugin_or_a_wrong_endpoint_is_422(api: TestClient) -> None:
    database = api.post(BASE, json=webhook("http://127.0.0.1:9/", type="DATABASE"))
    assert database.status_code == 422
    assert "DATABASE" in database.json()["detail"] and "GRPC" in database.json()["registered"]
    assert api.post(BASE, json=webhook("ftp://x")).status_code == 422


def test_lists_filter_and_page_with_a_cursor_bound_to_the_filters(
    api: TestClient, receiver: Receiver, clock: Clock
) -> None:
    for n in range(5):
        clock.advance(1)
        api.post(BASE, json=webhook(receiver.url, name=f"h{n}", tags={"team": "ops" if n % 2 else "dev"}))
    first = api.get(BASE, params={"tag": "team:dev", "limit": 2}).json()
    assert [i["name"] for i in first["items"]] == ["h0", "h2"]
    rest = api.get(BASE, params={"tag": "team:dev", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["name"] for i in rest["items"]] == ["h4"] and rest["next_cursor"] is None
    other = api.get(BASE, params={"tag": "team:ops", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and other.json()["title"] == "Invalid cursor"
    assert api.get(BASE, params={"type": "REST_API"}).json()["items"] == []
    assert api.get(BASE, params={"status": "CONFIGURING"}).json()["count"] == 5


def test_test_runs_a_check_now_and_health_shows_it_with_the_transitions(
    api: TestClient, receiver: Receiver
) -> None:
    made = api.post(BASE, json=webhook(receiver.url)).json()
    tested = api.post(f"{BASE}/{made['id']}/test").json()
    assert (tested["healthy"], tested["status"], tested["moved_to"]) == (True, "ACTIVE", "ACTIVE")
    health = api.get(f"{BASE}/{made['id']}/health").json()
    assert health["status"] == "ACTIVE"
    assert health["recent_checks"][0]["healthy"] is True
    assert [t["to_status"] for t in health["transitions"]] == ["ACTIVE", "TESTING"]


def test_inbound_events_are_accepted_only_when_signed(api: TestClient, clock: Clock) -> None:
    made = api.post(
        BASE,
        json={
            "name": "pager",
            "type": "WEBHOOK",
            "direction": "INBOUND",
            "auth": {"signing_secret": "whsec"},
        },
    ).json()
    body = json.dumps({"alert": "disk"}).encode()
    url = f"{BASE}/{made['id']}/events"
    headers = signature_headers("whsec", int(clock().timestamp()), body)
    accepted = api.post(url, content=body, headers=headers)
    assert accepted.status_code == 202 and accepted.json()["accepted"] is True
    forged = api.post(url, content=body, headers=signature_headers("guess", int(clock().timestamp()), body))
    assert forged.status_code == 401 and forged.headers["content-type"] == PROBLEM
    assert api.post(url, content=body).status_code == 401


def test_each_caller_is_held_to_its_requests_per_minute(api: TestClient, clock: Clock) -> None:
    answers = [api.get(BASE).status_code for _ in range(41)]
    assert answers[:40] == [200] * 40
    assert answers[40] == 429
    limited = api.get(BASE)
    assert limited.headers["retry-after"] == str(int(60 - clock().timestamp() % 60) + 1)
    clock.advance(60)
    assert api.get(BASE).status_code == 200


def test_the_openapi_document_and_docs_are_served_under_api_v1(api: TestClient) -> None:
    document = api.get("/api/v1/openapi.json").json()
    assert {"/api/v1/integrations", "/api/v1/integrations/{integration_id}/health"} <= set(document["paths"])
    assert api.get("/api/v1/docs").status_code == 200


def test_unknown_paths_and_methods_are_problems_too(api: TestClient) -> None:
    assert api.get("/api/v1/nothing").headers["content-type"] == PROBLEM
    assert api.patch(BASE).status_code == 405
