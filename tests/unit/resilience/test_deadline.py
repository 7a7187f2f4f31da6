"""On Lambda a slow AWS call becomes a clear timeout result, not a killed invocation."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from aws_mcp.context import CallContext
from aws_mcp.errors import DeadlineError
from aws_mcp.resilience.deadline import Deadlines
from tests.unit.resilience.conftest import Build


class FakeLambdaContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms
        self.aws_request_id = "lambda-req"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_call_inside_the_budget_returns_its_result() -> None:
    assert Deadlines(margin_ms=100).run(FakeLambdaContext(5000), lambda: 42, mutating=False) == 42


def test_a_call_past_the_budget_raises_a_deadline_error_naming_it() -> None:
    with pytest.raises(DeadlineError, match=r"within 0\.2 s"):
        Deadlines(margin_ms=100).run(FakeLambdaContext(300), lambda: time.sleep(2), mutating=False)


def test_no_time_left_refuses_before_calling() -> None:
    called: list[int] = []
    with pytest.raises(DeadlineError, match="Too little time"):
        Deadlines(margin_ms=1500).run(FakeLambdaContext(1000), lambda: called.append(1), mutating=True)
    assert called == []


def test_off_lambda_there_is_no_deadline_and_no_thread() -> None:
    thread = Deadlines(margin_ms=100).run(None, threading.current_thread, mutating=False)
    assert thread is threading.current_thread()


def test_a_slow_tool_call_answers_timeout_and_says_how_to_proceed(
    build: Build, fleet: dict[str, Any]
) -> None:
    registry, clients, telemetry = build(deadline_margin_ms=200)
    gate = threading.Event()

    def stall(**_: Any) -> None:
        gate.wait(5)

    clients.client("ec2", "eu-west-1").meta.events.register("before-call.ec2.StartInstances", stall)
    context = CallContext(caller="deadline-test", lambda_context=FakeLambdaContext(700))
    arguments = {"instance_ids": [fleet["eu-west-1"][2]], "region": "eu-west-1"}
    outcome = registry.call("ec2_start_instances", arguments, context)
    gate.set()
    assert outcome.is_error
    assert "did not answer within 0.5 s" in outcome.text and "check the resource's state" in outcome.text
    assert telemetry.total("ToolErrors", tool="ec2_start_instances") == 1
