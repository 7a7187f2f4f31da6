"""Each integration type against a real local counterpart: HTTP receivers on 127.0.0.1, moto for AWS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from aws_mcp.errors import InvalidIntegrationError, SignatureRejectedError
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_headers
from tests.unit.integrations.conftest import REGION, UNREACHABLE, Clock, Receiver

EVENT = {"id": "e1", "type": "tool_call", "tool": "ec2_stop_instances", "outcome": "success"}


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def plugin_for(registry: IntegrationRegistry, **config: Any) -> Any:
    base = {"name": "it", "direction": "OUTBOUND"} | config
    record = run(registry.create(IntegrationConfig.model_validate(base), caller="me"))
    return run(registry.plugin(record))


# -- webhook -----------------------------------------------------------------------------------


def test_a_webhook_posts_the_event_signed_with_hmac_sha256(
    registry: IntegrationRegistry, receiver: Receiver, clock: Clock
) -> None:
    hook = plugin_for(
        registry, type="WEBHOOK", endpoint=receiver.url + "/hook", auth={"signing_secret": "whsec"}
    )
    result = run(hook.send(EVENT))
    assert result.delivered and result.status_code == 200
    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert json.loads(request.body) == EVENT
    timestamp = int(request.headers[TIMESTAMP_HEADER])
    assert timestamp == int(clock().timestamp())
    assert request.headers[SIGNATURE_HEADER] == sign("whsec", timestamp, request.body)
    assert request.headers["X-Aws-Mcp-Event"] == "tool_call"


def test_a_webhook_sends_its_auth_header(registry: IntegrationRegistry, receiver: Receiver) -> None:
    hook = plugin_for(
        registry, type="WEBHOOK", endpoint=receiver.url, auth={"type": "API_KEY", "api_key": "k-1"}
    )
    run(hook.send(EVENT))
    assert receiver.requests[0].headers["X-API-Key"] == "k-1"


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (400, False), (404, False)])
def test_a_refused_delivery_is_retryable_only_on_the_retry_status_codes(
    registry: IntegrationRegistry, receiver: Receiver, status: int, retryable: bool
) -> None:
    receiver.statuses = [status]
    result = run(plugin_for(registry, type="WEBHOOK", endpoint=receiver.url).send(EVENT))
    assert (result.delivered, result.retryable, result.status_code) == (False, retryable, status)


def test_an_unreachable_webhook_fails_retryably_and_its_check_says_why(registry: IntegrationRegistry) -> None:
    hook = plugin_for(registry, type="WEBHOOK", endpoint=UNREACHABLE)
    result = run(hook.send(EVENT))
    assert not result.delivered and result.retryable
    assert run(hook.health_check()) is False
    assert "Connection" in (hook.last_check.error or "") or "refused" in (hook.last_check.error or "")


def test_inbound_webhook_events_need_a_valid_recent_signature(
    registry: IntegrationRegistry, clock: Clock
) -> None:
    hook = plugin_for(
        registry, type="WEBHOOK", direction="INBOUND", endpoint=None, auth={"signing_secret": "whsec"}
    )
    body = b'{"alarm": "disk full"}'
    now = int(clock().timestamp())
    assert run(hook.receive(body, signature_headers("whsec", now, body))) == {
        "payload": {"alarm": "disk full"}
    }
    with pytest.raises(SignatureRejectedError, match="does not match"):
        run(hook.receive(body, signature_headers("other", now, body)))
    with pytest.raises(SignatureRejectedError, match="does not match"):
        run(hook.receive(b'{"alarm": "none"}', signature_headers("whsec", now, body)))
    with pytest.raises(SignatureRejectedError, match="from now"):
        run(hook.receive(body, signature_headers("whsec", now - 301, body)))
    with pytest.raises(SignatureRejectedError, match="carry"):
        run(hook.receive(body, {}))


def test_an_inbound_webhook_without_a_signing_secret_is_refused(registry: IntegrationRegistry) -> None:
    with pytest.raises(InvalidIntegrationError, match="signing_secret"):
        plugin_for(registry, type="WEBHOOK", direction="INBOUND")


# -- REST and GraphQL --------------------------------------------------------------------------


def test_a_rest_api_sends_with_its_method_and_checks_its_health_endpoint(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    api = plugin_for(
        registry,
        type="REST_API",
        endpoint=receiver.url + "/events",
        metadata={"send_method": "PUT"},
        auth={"type": "BASIC", "username": "u", "password": "p"},
        health_check={"endpoint": receiver.url + "/status", "expected_status_code": 204},
    )
    assert run(api.send(EVENT)).delivered
    receiver.statuses = [200]
    assert run(api.health_check()) is False
    assert api.last_check.error == "HTTP 200, expected 204"
    receiver.statuses = [204]
    assert run(api.health_check()) is True
    methods = [(r.method, r.path) for r in receiver.requests]
    assert methods == [("PUT", "/events"), ("GET", "/status"), ("GET", "/status")]
    assert receiver.requests[0].headers["Authorization"] == "Basic dTpw"


def test_graphql_sends_the_event_as_the_mutation_variable_and_checks_typename(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    mutation = "mutation($event: AWSJSON!) { notify(event: $event) }"
    graph = plugin_for(
        registry, type="GRAPHQL", endpoint=receiver.url + "/graphql", metadata={"mutation": mutation}
    )
    receiver.body = b'{"data": {"notify": true}}'
    assert run(graph.send(EVENT)).delivered
    assert json.loads(receiver.requests[0].body) == {"query": mutation, "variables": {"event": EVENT}}
    receiver.body = b'{"data": null, "errors": [{"message": "Unauthorized"}]}'
    assert run(graph.health_check()) is False
    assert graph.last_check.error == "GraphQL error: Unauthorized"
    assert not run(graph.send(EVENT)).delivered


def test_graphql_that_sends_needs_a_mutation_taking_the_event(registry: IntegrationRegistry) -> None:
    with pytest.raises(InvalidIntegrationError, match=r"metadata\.mutation"):
        plugin_for(registry, type="GRAPHQL", endpoint=UNREACHABLE)


# -- AWS ---------------------------------------------------------------------------------------


def test_an_event_bus_puts_each_event_as_an_entry(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any]
) -> None:
    events, sqs = aws_clients("events", REGION), aws_clients("sqs", REGION)
    bus = events.create_event_bus(Name="ops")["EventBusArn"]
    queue = sqs.create_queue(QueueName="ops-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all", EventBusName="ops", EventPattern=json.dumps({"source": ["aws-mcp"]}))
    events.put_targets(Rule="all", EventBusName="ops", Targets=[{"Id": "q", "Arn": queue_arn}])
    plugin = plugin_for(registry, type="EVENT_BUS", endpoint=bus)
    assert run(plugin.health_check()) is True
    assert run(plugin.send(EVENT)).delivered
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    delivered = json.loads(message["Body"])
    assert (delivered["detail-type"], delivered["detail"]) == ("tool_call", EVENT)
    missing = plugin_for(registry, type="EVENT_BUS", endpoint="nobus")
    assert run(missing.health_check()) is False
    assert "ResourceNotFoundException" in (missing.last_check.error or "")


def test_a_message_queue_sends_each_event_as_a_message(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any]
) -> None:
    sqs = aws_clients("sqs", REGION)
    queue = sqs.create_queue(QueueName="ops")["QueueUrl"]
    plugin = plugin_for(registry, type="MESSAGE_QUEUE", endpoint=queue)
    assert run(plugin.health_check()) is True
    assert run(plugin.send(EVENT)).delivered
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"]) == EVENT
    gone = plugin_for(registry, type="MESSAGE_QUEUE", endpoint=queue.rsplit("/", 1)[0] + "/gone")
    assert run(gone.health_check()) is False
    assert not run(gone.send(EVENT)).delivered


def test_a_file_integration_writes_each_event_as_an_s3_object_by_day(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any]
) -> None:
    s3 = aws_clients("s3", REGION)
    s3.create_bucket(Bucket="ops-reports")
    plugin = plugin_for(registry, type="FILE", endpoint="s3://ops-reports/mcp/events")
    assert run(plugin.health_check()) is True
    assert run(plugin.send(EVENT)).delivered
    body = s3.get_object(Bucket="ops-reports", Key="mcp/events/2026/01/05/e1.json")["Body"].read()
    assert json.loads(body) == EVENT
    missing = plugin_for(registry, type="FILE", endpoint="s3://no-such-bucket")
    assert run(missing.health_check()) is False


@pytest.mark.parametrize(
    ("kind", "endpoint"),
    [("EVENT_BUS", "not a bus!"), ("MESSAGE_QUEUE", "https://example.com/q"), ("FILE", "/tmp/x")],
)
def test_aws_types_refuse_endpoints_that_are_not_theirs(
    registry: IntegrationRegistry, kind: str, endpoint: str
) -> None:
    with pytest.raises(InvalidIntegrationError, match="endpoint"):
        plugin_for(registry, type=kind, endpoint=endpoint)


# -- custom ------------------------------------------------------------------------------------


def test_a_custom_integration_checks_its_health_endpoint_with_the_configured_request(
    registry: IntegrationRegistry, receiver: Receiver
) -> None:
    custom = plugin_for(
        registry,
        type="CUSTOM",
        endpoint=receiver.url + "/in",
        health_check={
            "endpoint": receiver.url + "/ping",
            "method": "POST",
            "body": "ping",
            "headers": {"X-Probe": "1"},
        },
    )
    assert run(custom.health_check()) is True
    probe = receiver.requests[0]
    assert (probe.method, probe.path, probe.body, probe.headers["X-Probe"]) == ("POST", "/ping", b"ping", "1")
    assert run(custom.send(EVENT)).delivered
