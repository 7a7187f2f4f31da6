"""Endpoint URLs that carry a secret: kept in Secrets Manager, shown masked in every answer,
check result, dead letter and log line; still used whole to reach the counterpart."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp.auth.roles import Role, Roles
from aws_mcp.integrations.api import create_api
from aws_mcp.integrations.delivery import DeadLetters, Delivery
from aws_mcp.integrations.endpoints import MASK, is_secret, masked, scrub
from aws_mcp.integrations.model import IntegrationStatus
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import REGION, TABLE, Clock, Receiver

BASE = "/api/v1/integrations"
TOKEN = "tok-4c1d-never-shown"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", True),
        ("https://discord.com/api/webhooks/123/abc", True),
        ("https://acme.webhook.office.com/webhookb2/x/IncomingWebhook/y/z", True),
        ("https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t", True),
        ("https://api.example.com/events?token=abc", True),
        ("https://user:pass@api.example.com/events", True),
        ("https://api.example.com/events", False),
        ("https://notslack.com/services/x", False),
        ("arn:aws:events:us-east-1:123456789012:event-bus/ops", False),
        ("s3://bucket/prefix", False),
        (None, False),
    ],
)
def test_which_endpoints_are_secrets(url: str | None, secret: bool) -> None:
    assert is_secret(url) is secret
    assert is_secret(url or "https://x.example/y", marked=True) is True


def test_a_masked_endpoint_shows_scheme_host_and_port_only() -> None:
    assert masked("https://hooks.slack.com/services/T0/B0/XX") == "https://hooks.slack.com/…"
    assert masked("http://u:p@127.0.0.1:8080/a?b=c") == "http://127.0.0.1:8080/…"
    assert masked("not a url") == MASK


_piece = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=4, max_size=24)


@given(user=_piece, password=_piece, path=_piece, query=_piece, noise=st.text(max_size=40))
def test_neither_the_mask_nor_a_scrubbed_message_holds_any_secret_part(
    user: str, password: str, path: str, query: str, noise: str
) -> None:
    url = f"https://{user}:{password}@api.example.com/p/{path}?token={query}"
    shown = masked(url)
    assert shown == "https://api.example.com/…"
    message = f"{noise} HTTPSConnectionPool: Max retries exceeded with url: /p/{path}?token={query} {noise}"
    scrubbed = scrub(message + url, url)
    for part in (f"/p/{path}", f"token={query}", f"{user}:{password}"):
        assert part not in scrubbed


@pytest.fixture
def api(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any], clock: Clock
) -> Iterator[TestClient]:
    limiter = RateLimiter(lambda: aws_clients("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp())
    app = create_api(registry, limiter, roles=Roles(None, Role.ADMIN), rate_limit_per_minute=1000)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


def hook(endpoint: str, **changes: Any) -> dict[str, Any]:
    return {"name": "chat", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": endpoint} | changes


def test_a_token_bearing_webhook_url_is_answered_masked_and_used_whole(
    api: TestClient,
    registry: IntegrationRegistry,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    secret_url = f"{receiver.url}/services/T0/B0/{TOKEN}"
    shown = receiver.url + "/…"
    made = api.post(BASE, json=hook(secret_url, endpoint_secret=True))
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["endpoint"], body["endpoint_secret"]) == (shown, True)
    url = f"{BASE}/{body['id']}"
    answers = [made, api.get(BASE), api.get(url), api.post(f"{url}/test"), api.get(f"{url}/health")]
    # The check reached the whole URL.
    assert receiver.requests[-1].path == f"/services/T0/B0/{TOKEN}"

    # A PUT that sends back the masked endpoint keeps the stored one.
    kept = api.put(url, json=hook(shown, description="kept", revision=body["revision"] + 1))
    answers.append(kept)
    assert kept.status_code == 200, kept.text
    assert (kept.json()["endpoint"], kept.json()["endpoint_secret"]) == (shown, True)
    integration = asyncio.run(registry.get(body["id"]))
    plugin = asyncio.run(registry.plugin(integration))
    assert plugin.config.endpoint == secret_url
    assert asyncio.run(plugin.send({"id": "e", "type": "tool_call"})).delivered
    assert receiver.requests[-1].path == f"/services/T0/B0/{TOKEN}"

    for answer in answers:
        assert TOKEN not in answer.text and "/services/T0" not in answer.text, answer.request.url
    for record in caplog.records:
        assert TOKEN not in json.dumps(vars(record), default=str)

    # A plain endpoint replacing it is shown as it is, and the secret one is gone from the secret.
    plain = api.put(url, json=hook(receiver.url + "/plain", revision=kept.json()["revision"]))
    assert (plain.json()["endpoint"], plain.json()["endpoint_secret"]) == (receiver.url + "/plain", False)
    stored = registry.vault.read(*_secret_of(registry, body["id"]))
    assert TOKEN not in json.dumps(stored)


def _secret_of(registry: IntegrationRegistry, integration_id: str) -> tuple[str | None, str | None]:
    found = asyncio.run(registry.get(integration_id))
    return found.secret_arn, found.secret_version


def test_a_query_token_is_detected_without_being_marked(api: TestClient, receiver: Receiver) -> None:
    made = api.post(BASE, json=hook(f"{receiver.url}/in?token={TOKEN}")).json()
    assert (made["endpoint"], made["endpoint_secret"]) == (receiver.url + "/…", True)
    assert TOKEN not in api.get(f"{BASE}/{made['id']}").text


def test_a_secret_url_that_is_down_is_never_named_in_errors_or_dead_letters(
    api: TestClient,
    registry: IntegrationRegistry,
    aws_clients: Callable[[str, str], Any],
    clock: Clock,
) -> None:
    down = f"http://127.0.0.1:9/hooks/{TOKEN}"
    made = api.post(BASE, json=hook(down, endpoint_secret=True, retry={"enabled": False})).json()
    tested = api.post(f"{BASE}/{made['id']}/test")
    assert tested.json()["healthy"] is False and "Connection" in tested.json()["error"]
    health = api.get(f"{BASE}/{made['id']}/health")
    for answer in (tested, health):
        assert TOKEN not in answer.text and "/hooks/" not in answer.text

    record = asyncio.run(registry.get(made["id"]))
    registry.store.replace(record.model_copy(update={"status": IntegrationStatus.ACTIVE}), record.revision)
    sqs = aws_clients("sqs", REGION)
    queue = sqs.create_queue(QueueName="dead")["QueueUrl"]
    delivery = Delivery(
        registry,
        RateLimiter(lambda: aws_clients("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp()),
        DeadLetters(lambda: sqs, queue),
        count=lambda name: None,
    )
    event = {"id": "e1", "type": "denied", "tool": "ec2_stop_instances"}
    report = asyncio.run(delivery.deliver([event], time_left=lambda: 600.0))
    assert report.dead_lettered == 1
    (letter,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "Connection" in letter["Body"] and TOKEN not in letter["Body"] and "/hooks/" not in letter["Body"]
