"""Audit records: secrets never survive redaction, keys sort by time and caller."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aws_mcp.audit.record import REDACTED, AuditRecord, Outcome, redact


@pytest.mark.parametrize(
    "arguments",
    [
        {"password": "hunter2"},
        {"db": {"MasterUserPassword": "hunter2"}},
        {"api_key": "hunter2"},
        {"auth_token": "hunter2"},
        {"key": "hunter2"},
        {"ssh_key": "hunter2"},
        {"user_data": "#!/bin/sh\necho hunter2"},
        {"environment": {"DB_URL": "postgres://app:hunter2@db"}},
        {"note": "AKIAIOSFODNN7EXAMPLE"},
        {"note": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYhunter2"},
        {"note": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJodW50ZXIyIn0.c2lnbmF0dXJl"},
        {"items": [{"note": "-----BEGIN RSA PRIVATE KEY-----\nhunter2"}]},
        {"Tags": [{"Key": "db-password", "Value": "hunter2"}]},
    ],
)
def test_secret_names_and_values_are_redacted(arguments: dict[str, object]) -> None:
    redacted = str(redact(arguments))
    assert "hunter2" not in redacted and "AKIA" not in redacted and "eyJ" not in redacted
    assert REDACTED in redacted


def test_ordinary_arguments_are_kept() -> None:
    arguments = {
        "instance_ids": ["i-0123456789abcdef0"],
        "idempotency_key": "retry-7",
        "dry_run": True,
        "n": 5,
    }
    assert redact(arguments) == arguments


def test_numbers_flags_and_tags_are_kept_whatever_they_are_called() -> None:
    shown = {
        "MaxSessionDuration": 7200,
        "has_password": True,
        "Tags": [{"Key": "project", "Value": "web"}],
    }
    assert redact(shown) == shown


def test_odd_values_and_deep_nesting_never_raise() -> None:
    deep: list[object] = ["x"]
    for _ in range(50):
        deep = [deep]
    redacted = redact({1: object(), "deep": deep})
    assert redacted["1"] == REDACTED
    assert REDACTED in str(redacted["deep"])  # cut off past a sane depth


def test_items_are_keyed_by_day_time_and_caller_and_expire() -> None:
    started = datetime(2026, 11, 21, 9, 30, 0, 123456, tzinfo=UTC)
    record = AuditRecord(tool="aws_whoami", caller="arn:aws:iam::1:user/a", arguments={}, started_at=started)
    done = record.completed(Outcome.SUCCESS, duration_ms=1.23456, error=None, aws_request_ids=("r1",))
    item = done.to_item(retention_days=10)
    assert item["pk"] == "DAY#2026-11-21"
    assert item["sk"] == f"2026-11-21T09:30:00.123Z#{record.call_id}"
    assert item["caller_pk"] == "CALLER#arn:aws:iam::1:user/a"
    assert item["expires_at"] == int(datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC).timestamp())
    assert item["status"] == "complete" and item["outcome"] == "success"
    assert done.to_log()["aws_request_ids"] == ["r1"]


def test_fractions_become_decimals_for_dynamodb_and_nan_is_kept_as_text() -> None:
    arguments = redact({"ratio": 0.5, "odd": float("nan"), "list": [1.25]})
    record = AuditRecord(
        tool="t", caller="c", arguments=arguments, started_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    item = record.to_item(retention_days=1)
    assert item["arguments"] == {"ratio": Decimal("0.5"), "odd": "nan", "list": [Decimal("1.25")]}


def test_secret_looking_keys_are_redacted_like_values() -> None:
    redacted = redact({"AKIAIOSFODNN7EXAMPLE": 1, "ok": {"ASIAIOSFODNN7EXAMPLE": 2, "n": 3}})
    assert "AKIA" not in str(redacted) and "ASIA" not in str(redacted)
    assert redacted["ok"]["n"] == 3


def test_two_redacted_keys_keep_both_entries() -> None:
    assert len(redact({"AKIAIOSFODNN7EXAMPLE": 1, "AKIAIOSFODNN7EXAMPLF": 2})) == 2


def test_error_text_is_redacted_by_the_same_rules() -> None:
    record = AuditRecord(tool="t", caller="c", arguments={}, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    done = record.completed(
        Outcome.TOOL_ERROR,
        duration_ms=1,
        error="Invalid arguments for t: AKIAIOSFODNN7EXAMPLE: Extra inputs are not permitted",
        aws_request_ids=(),
    )
    assert done.error is not None and "AKIA" not in done.error and REDACTED in done.error


@pytest.mark.parametrize("number", [1e300, 1e-200, -1e300, 10**100, -(10**100), 2**200 + 1])
def test_numbers_dynamodb_cannot_hold_are_stored_as_text(number: float) -> None:
    from boto3.dynamodb.types import TypeSerializer

    record = AuditRecord(
        tool="t", caller="c", arguments=redact({"n": number}), started_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    item = record.to_item(retention_days=1)
    assert item["arguments"]["n"] == str(number)
    TypeSerializer().serialize(item["arguments"])  # what the table write does: it must not raise


def test_numbers_dynamodb_can_hold_stay_numbers() -> None:
    record = AuditRecord(
        tool="t",
        caller="c",
        arguments={"a": 10**37, "b": 1e125, "c": 12},
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert record.to_item(retention_days=1)["arguments"] == {"a": 10**37, "b": Decimal("1e+125"), "c": 12}


def test_lone_surrogates_anywhere_in_a_record_become_visible_escapes() -> None:
    import json

    record = AuditRecord(
        tool="bad\ud800tool",
        caller="c",
        arguments=redact({"k\udfff": ["v\ud800"]}),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        client_name="client\ud800",
    )
    for form in (record.to_log(), record.to_item(retention_days=1)):
        text = json.dumps(form, default=str, ensure_ascii=False)
        text.encode("utf-8")  # no lone surrogate left: encodable for the log and the table
        assert "\\ud800" in text
