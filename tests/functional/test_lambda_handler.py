"""The Lambda handler in process: every API Gateway event in events/ through functions/mcp/app.py.

Mangum, the Starlette app, the dispatcher and the tools run as on Lambda, with
the demo AWS behind boto3: in-process moto seeded with the demo fleet. The
same events and expectations (events/expected.json) run against the built
artifact under the Lambda emulator in tests/lambda.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp.errors import INVALID_PARAMS, INVALID_REQUEST
from aws_mcp.tools import CATALOG
from aws_mcp_local.demo import CONFIRMATION_SECRET, DEMO_REGIONS, FLEET, FLEET_QUEUE, seed, table_names
from aws_mcp_local.demo.cloudcontrol import installed
from aws_mcp_local.demo.estate.accounts import HOME_ACCOUNT_ID

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "functions" / "mcp" / "app.py"
sys.path.insert(0, str(REPO / "scripts"))
import make_events  # noqa: E402

EXPECTED = make_events.load_expected()
SAMPLE_ID: str = EXPECTED["sample_instance_id"]
EVENT_NAMES = sorted(EXPECTED["events"])
SEEDED_NAMES = sorted(name for name, spec in EXPECTED["events"].items() if "seeded" in spec)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class FakeLambdaContext:
    """The attributes of the Lambda context object that Mangum and Powertools read."""

    def __init__(self) -> None:
        self.function_name = "McpFunction"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:McpFunction"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/McpFunction"
        self.log_stream_name = "2026/07/28/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPO / "events" / name).read_text(encoding="utf-8"))
    return event


def function_environment(access_mode: AccessMode) -> dict[str, str]:
    """What template.yaml sets on the function, and the region Lambda sets."""
    tables = table_names()
    return {
        ENV.ACCESS_MODE: access_mode.value,
        ENV.ALLOWED_ORIGINS: "",
        ENV.BREAKER_TABLE: tables["breaker"],
        ENV.IDEMPOTENCY_TABLE: tables["idempotency"],
        ENV.AUDIT_TABLE: tables["audit"],
        ENV.COST_CACHE_TABLE: tables["cost_cache"],
        ENV.FLEET_TABLE: tables["fleet"],
        ENV.FLEET_QUEUE_URL: f"https://sqs.{DEMO_REGIONS[0]}.amazonaws.com/{HOME_ACCOUNT_ID}/{FLEET_QUEUE}",
        ENV.INTEGRATIONS_TABLE: tables["integrations"],
        ENV.CONFIRMATION_SECRET: CONFIRMATION_SECRET,
        ENV.STAGE: "test",
        "AWS_REGION": DEMO_REGIONS[0],
        "AWS_DEFAULT_REGION": DEMO_REGIONS[0],
        "AWS_LAMBDA_FUNCTION_NAME": "McpFunction",
    }


def import_handler(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Handler:
    """Import functions/mcp/app.py afresh (it reads Settings at import) under its own module name."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(f"mcp_lambda_app_{uuid.uuid4().hex}", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Handler = module.handler
    return handler


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, list[str]]]:
    """moto in process (with the demo's Cloud Control), seeded with the demo fleet and tables:
    instance ids by region."""
    with mock_aws(), installed():
        yield seed(endpoint_url=None)


@pytest.fixture(scope="module")
def handler(demo: dict[str, list[str]]) -> Iterator[Handler]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield import_handler(monkeypatch, function_environment(AccessMode.READ_WRITE))


@pytest.fixture(scope="module")
def read_only_handler(demo: dict[str, list[str]]) -> Iterator[Handler]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield import_handler(monkeypatch, function_environment(AccessMode.READ_ONLY))


def demo_instance_id(demo: dict[str, list[str]], machine: str) -> str:
    for region, ids in demo.items():
        names = [m.name for m in FLEET if m.region == region]
        if machine in names:
            return ids[names.index(machine)]
    raise KeyError(machine)


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


# -- the events and their expectations -------------------------------------------------------------


def test_events_on_disk_are_what_the_generator_writes() -> None:
    stale: list[str] = []
    assert make_events.main(["--check"], out=stale.append) == 0, (
        f"{stale}: run .venv/bin/python scripts/make_events.py and commit events/"
    )


def test_every_event_has_an_expectation() -> None:
    on_disk = {p.name for p in (REPO / "events").glob("*.json")} - {make_events.EXPECTED_FILE.name}
    assert on_disk == set(EVENT_NAMES)


def test_events_call_every_tool_in_the_legacy_era() -> None:
    called = {name.removeprefix("legacy-tools-call-").removesuffix(".json") for name in EVENT_NAMES}
    assert {spec.name for spec in CATALOG} <= called


# -- through the handler ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_handler_answers_each_event_as_expected(handler: Handler, name: str) -> None:
    event = load_event(name)
    response = handler(event, FakeLambdaContext())
    problems = make_events.check(EXPECTED["events"][name], event, response)
    assert not problems, problems


@pytest.mark.parametrize("name", SEEDED_NAMES)
def test_handler_acts_on_demo_instances(handler: Handler, demo: dict[str, list[str]], name: str) -> None:
    seeded = EXPECTED["events"][name]["seeded"]
    event = make_events.seeded_event(load_event(name), SAMPLE_ID, demo_instance_id(demo, seeded["instance"]))
    response = handler(event, FakeLambdaContext())
    problems = make_events.check({**EXPECTED["events"][name], "tool": seeded["tool"]}, event, response)
    assert not problems, problems


def test_describing_a_demo_instance_returns_its_id(handler: Handler, demo: dict[str, list[str]]) -> None:
    instance_id = demo_instance_id(demo, "web-prod-1")
    event = make_events.seeded_event(
        load_event("legacy-tools-call-ec2_describe_instance.json"), SAMPLE_ID, instance_id
    )
    result = body_of(handler(event, FakeLambdaContext()))["result"]
    assert result["structuredContent"]["instance"]["instance_id"] == instance_id


def test_answers_carry_no_session(handler: Handler) -> None:
    response = handler(load_event("legacy-initialize.json"), FakeLambdaContext())
    assert "mcp-session-id" not in {name.lower() for name in response["headers"]}


def test_a_snapstart_restore_reads_the_circuit_states_again(demo: dict[str, list[str]]) -> None:
    from snapshot_restore_py import get_after_restore

    from aws_mcp.tools.registry import ToolRegistry

    registered = len(get_after_restore())
    with pytest.MonkeyPatch.context() as monkeypatch:
        import_handler(monkeypatch, function_environment(AccessMode.READ_ONLY))
    hooks = get_after_restore()[registered:]
    assert [(hook.__func__, args, kwargs) for hook, args, kwargs in hooks] == [(ToolRegistry.prime, (), {})]
    hook, _, _ = hooks[0]
    assert isinstance(hook.__self__, ToolRegistry)
    hook()  # what the runtime runs on restore: reads the states (moto's tables here) without raising


# -- a read-only deployment ------------------------------------------------------------------------


def test_read_only_deployment_lists_only_read_only_tools(read_only_handler: Handler) -> None:
    response = read_only_handler(load_event("legacy-tools-list.json"), FakeLambdaContext())
    names = [tool["name"] for tool in body_of(response)["result"]["tools"]]
    assert names == sorted(spec.name for spec in CATALOG if spec.read_only)


def test_read_only_deployment_refuses_mutating_tools(read_only_handler: Handler) -> None:
    response = read_only_handler(load_event("legacy-tools-call-ec2_stop_instances.json"), FakeLambdaContext())
    assert response["statusCode"] == 200
    error = body_of(response)["error"]
    assert error["code"] == INVALID_PARAMS
    assert AccessMode.READ_WRITE.value in error["message"]


def test_read_only_deployment_still_answers_read_only_tools(read_only_handler: Handler) -> None:
    event = load_event("legacy-tools-call-aws_whoami.json")
    response = read_only_handler(event, FakeLambdaContext())
    problems = make_events.check(EXPECTED["events"]["legacy-tools-call-aws_whoami.json"], event, response)
    assert not problems, problems


def test_read_only_deployment_reports_its_mode_on_health(read_only_handler: Handler) -> None:
    response = read_only_handler(load_event("get-health.json"), FakeLambdaContext())
    assert body_of(response)["accessMode"] == AccessMode.READ_ONLY.value


def test_an_audit_line_on_lambda_carries_the_record_and_no_asyncio_task_name(handler: Handler) -> None:
    # The audit logger (Powertools, named after the service) writes to the stdout it found at init.
    (stream_handler,) = logging.getLogger(Settings().server_name).handlers
    assert isinstance(stream_handler, logging.StreamHandler)
    captured = io.StringIO()
    previous = stream_handler.setStream(captured)
    try:
        event = json.loads((REPO / "events" / "modern-tools-call-aws_whoami.json").read_text())
        assert handler(event, FakeLambdaContext())["statusCode"] == 200
    finally:
        stream_handler.setStream(previous)
    (line,) = [json.loads(raw) for raw in captured.getvalue().splitlines() if '"audit"' in raw]
    assert line["audit"]["tool"] == "aws_whoami" and line["audit"]["outcome"] == "success"
    assert "taskName" not in line


# -- malformed events ------------------------------------------------------------------------------


def ping_event() -> dict[str, Any]:
    return load_event("legacy-ping.json")


def with_changes(**changes: Any) -> dict[str, Any]:
    """The ping event with fields replaced (a value of ``...`` removes the field)."""
    event = ping_event()
    for key, value in changes.items():
        if value is ...:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def with_header(name: str, value: Any) -> dict[str, Any]:
    event = ping_event()
    event["headers"][name] = value
    event["multiValueHeaders"][name] = [value]
    return event


MALFORMED_EVENTS: dict[str, Any] = {
    "not an object": ["not", "an", "event"],
    "empty": {},
    "no httpMethod": with_changes(httpMethod=...),
    "httpMethod a number": with_changes(httpMethod=42),
    "no path": with_changes(path=...),
    "path a list": with_changes(path=["/mcp"]),
    "no requestContext": with_changes(requestContext=...),
    "requestContext a list": with_changes(requestContext=[]),
    "identity a list": with_changes(requestContext={**ping_event()["requestContext"], "identity": ["x"]}),
    "identity null": with_changes(requestContext={**ping_event()["requestContext"], "identity": None}),
    "headers a list": with_changes(headers=[["Content-Type", "application/json"]]),
    "a header value a number": with_changes(
        headers={**ping_event()["headers"], "Accept": 7}, multiValueHeaders=None
    ),
    "multiValueHeaders values not lists of text": with_changes(multiValueHeaders={"Accept": [1, 2]}),
    "body a number": with_changes(body=42),
    "body an object": with_changes(body={"jsonrpc": "2.0"}),
    "body with a lone surrogate": with_changes(body='{"jsonrpc":"2.0","id":"\ud800","method":"ping"}'),
    "base64 garbage": with_changes(isBase64Encoded=True, body="%%% not base64 %%%"),
    "isBase64Encoded not a boolean": with_changes(isBase64Encoded="yes"),
    "Host with several colons": with_header("Host", "a:b:c"),
    "Host with a non-numeric port": with_header("Host", "example.com:https"),
    "X-Forwarded-Port not a number": with_header("X-Forwarded-Port", "four-four-three"),
    "queryStringParameters a list": with_changes(
        queryStringParameters=["a"], multiValueQueryStringParameters=None
    ),
}


@pytest.mark.parametrize("name", MALFORMED_EVENTS)
def test_a_malformed_event_is_a_400_with_a_json_body_and_one_log_line(
    handler: Handler, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = handler(MALFORMED_EVENTS[name], FakeLambdaContext())
    assert response["statusCode"] == 400
    assert response["headers"]["content-type"] == "application/json"
    assert response["isBase64Encoded"] is False
    body = body_of(response)
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert body["error"]["code"] == INVALID_REQUEST
    assert "malformed" in body["error"]["message"].lower()
    assert [r.getMessage() for r in caplog.records if "malformed" in r.getMessage().lower()] == [
        r.getMessage() for r in caplog.records
    ]
    assert len(caplog.records) == 1


def test_an_event_without_headers_is_still_answered_by_the_app(handler: Handler) -> None:
    response = handler(with_changes(headers=None, multiValueHeaders=None), FakeLambdaContext())
    assert response["statusCode"] == 415
    assert body_of(response)["error"]["code"] == INVALID_REQUEST


def test_a_base64_body_is_decoded(handler: Handler) -> None:
    body = base64.b64encode(b'{"jsonrpc":"2.0","id":9,"method":"ping"}').decode()
    response = handler(with_changes(isBase64Encoded=True, body=body), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert body_of(response) == {"jsonrpc": "2.0", "id": 9, "result": {}}
