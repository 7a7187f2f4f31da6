"""The conformance summary tells passed, baselined (expected) failures and unexpected failures apart."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from conformance.run import SUITES, Outcome, summary


def check(check_id: str, status: str) -> dict[str, Any]:
    return {"id": check_id, "status": status}


def outcome(scenarios: dict[str, list[dict[str, Any]]], baseline: list[str], **kwargs: Any) -> Outcome:
    return Outcome(SUITES["2026"], "1.2.3", 0, scenarios, baseline, **kwargs)


SCENARIOS = {
    "ping": [check("ping", "SUCCESS")],
    "tools-list": [check("list", "SUCCESS"), check("paging", "SKIPPED")],
    "tools-call-image": [check("tools-call-image", "FAILURE")],
    "server-stateless": [check("envelope", "SUCCESS"), check("log", "WARNING")],
}


def test_a_run_with_only_baselined_failures_passes_and_says_they_were_expected() -> None:
    text = summary(outcome(SCENARIOS, ["tools-call-image", "server-stateless:log"]))
    lines = text.splitlines()
    assert lines[0].startswith("[PASS] conformance 2026: @modelcontextprotocol/conformance@1.2.3")
    assert lines[1] == "  scenarios: 4 run: 2 passed, 2 failed as expected (baselined), 0 failed unexpectedly"
    assert lines[2] == (
        "  checks:    3 passed, 2 failed as expected (baselined), 0 failed unexpectedly, 1 skipped"
        " (a warning counts as a failure)"
    )
    assert lines[3] == "  baseline:  2 entries, all seen failing"
    assert len(lines) == 4


def test_an_unexpected_failure_is_counted_apart_from_the_baselined_ones() -> None:
    scenarios = {**SCENARIOS, "ping": [check("ping", "FAILURE")]}
    problems = ["not in the baseline: ping:ping FAILURE: no pong"]
    text = summary(outcome(scenarios, ["tools-call-image", "server-stateless:log"], problems=problems))
    lines = text.splitlines()
    assert lines[0].startswith("[FAIL] conformance 2026")
    assert lines[1] == "  scenarios: 4 run: 1 passed, 2 failed as expected (baselined), 1 failed unexpectedly"
    assert "1 failed unexpectedly" in lines[2]
    assert "  ! not in the baseline: ping:ping FAILURE: no pong" in lines


def test_a_scenario_with_baselined_and_unexpected_failures_counts_as_unexpected() -> None:
    scenarios = {"server-stateless": [check("log", "FAILURE"), check("headers", "FAILURE")]}
    text = summary(outcome(scenarios, ["server-stateless:log"]))
    assert "0 passed, 0 failed as expected (baselined), 1 failed unexpectedly" in text
    assert "0 passed, 1 failed as expected (baselined), 1 failed unexpectedly" in text


def test_baseline_entries_not_seen_failing_are_counted() -> None:
    text = summary(outcome({"ping": [check("ping", "SUCCESS")]}, ["ping", "gone"]))
    assert "  baseline:  2 entries, 2 not seen failing" in text.splitlines()
