"""Cloud Control's requests through boto3: their lives (IN_PROGRESS, then SUCCESS or FAILED, or
cancelled), client tokens, one request a resource at a time, the list of requests, and
clear errors for what a caller gets wrong, whatever the input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_mcp_local.demo.cloudcontrol import SUPPORTED_TYPES, Emulator

from .conftest import client

LOG_GROUP = "AWS::Logs::LogGroup"
HOUR = 3600.0


def _create(cc: Any, name: str, **extra: Any) -> dict[str, Any]:
    desired = json.dumps({"LogGroupName": name, **extra})
    event: dict[str, Any] = cc.create_resource(TypeName=LOG_GROUP, DesiredState=desired)["ProgressEvent"]
    return event


def _status(cc: Any, event: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = cc.get_resource_request_status(RequestToken=event["RequestToken"])[
        "ProgressEvent"
    ]
    return status


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_a_request_that_outlives_the_callers_wait_is_picked_up_later(cc: Any, emulator: Emulator) -> None:
    emulator.delay = HOUR
    made = _create(cc, "/slow")

    assert made["OperationStatus"] == "IN_PROGRESS"
    assert made["Identifier"] == "/slow"
    waiting = _status(cc, made)
    assert waiting["OperationStatus"] == "IN_PROGRESS"
    assert waiting["RetryAfter"] > waiting["EventTime"]

    emulator.advance(HOUR)
    done = _status(cc, made)
    assert (done["OperationStatus"], done["Operation"], done["TypeName"]) == ("SUCCESS", "CREATE", LOG_GROUP)
    assert json.loads(done["ResourceModel"])["LogGroupName"] == "/slow"


def test_the_resource_is_in_the_service_while_its_request_is_in_progress(cc: Any, emulator: Emulator) -> None:
    emulator.delay = HOUR
    _create(cc, "/early")

    assert [g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]] == ["/early"]


def test_the_same_client_token_and_request_answer_the_same_request(cc: Any) -> None:
    desired = json.dumps({"LogGroupName": "/once"})
    first = cc.create_resource(TypeName=LOG_GROUP, DesiredState=desired, ClientToken="token-1")[
        "ProgressEvent"
    ]
    again = cc.create_resource(TypeName=LOG_GROUP, DesiredState=desired, ClientToken="token-1")[
        "ProgressEvent"
    ]

    assert again["RequestToken"] == first["RequestToken"]
    assert again["OperationStatus"] == "SUCCESS"
    assert len(cc.list_resource_requests()["ResourceRequestStatusSummaries"]) == 1


def test_the_same_client_token_for_another_request_is_a_conflict(cc: Any) -> None:
    cc.create_resource(TypeName=LOG_GROUP, DesiredState=json.dumps({"LogGroupName": "/a"}), ClientToken="t")

    with pytest.raises(ClientError) as conflict:
        cc.create_resource(
            TypeName=LOG_GROUP, DesiredState=json.dumps({"LogGroupName": "/b"}), ClientToken="t"
        )

    assert _code(conflict) == "ClientTokenConflictException"


def test_a_second_change_to_a_resource_waits_for_the_first(cc: Any, emulator: Emulator) -> None:
    emulator.delay = HOUR
    _create(cc, "/busy")

    with pytest.raises(ClientError) as busy:
        cc.delete_resource(TypeName=LOG_GROUP, Identifier="/busy")

    assert _code(busy) == "ConcurrentOperationException"
    emulator.advance(HOUR)
    assert (
        cc.delete_resource(TypeName=LOG_GROUP, Identifier="/busy")["ProgressEvent"]["OperationStatus"]
        == "IN_PROGRESS"
    )


def test_a_create_of_a_resource_that_exists_fails_as_already_existing(cc: Any) -> None:
    _create(cc, "/twice")

    failed = _status(cc, _create(cc, "/twice"))

    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "AlreadyExists")
    assert (
        failed["StatusMessage"]
        == "Resource of type 'AWS::Logs::LogGroup' with identifier '/twice' already exists."
    )


def test_an_invalid_property_value_fails_the_request_saying_which(cc: Any) -> None:
    failed = _status(cc, _create(cc, "/bad", RetentionInDays="forever"))

    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "InvalidRequest")
    assert (
        failed["StatusMessage"]
        == "Model validation failed (#/RetentionInDays: expected type: Integer, found: String)"
    )


def test_a_failure_in_moto_fails_the_request_with_moto_s_reason(cc: Any) -> None:
    made = cc.create_resource(
        TypeName="AWS::EC2::Subnet",
        DesiredState=json.dumps({"VpcId": "vpc-0000", "CidrBlock": "10.0.0.0/24"}),
    )["ProgressEvent"]

    failed = _status(cc, made)
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotFound")
    assert "vpc-0000" in failed["StatusMessage"]


def test_a_cancelled_request_ends_cancelled_and_cannot_be_cancelled_again(
    cc: Any, emulator: Emulator
) -> None:
    emulator.delay = HOUR
    made = _create(cc, "/cancel")

    cancelling = cc.cancel_resource_request(RequestToken=made["RequestToken"])["ProgressEvent"]

    assert cancelling["OperationStatus"] == "CANCEL_IN_PROGRESS"
    assert _status(cc, made)["OperationStatus"] == "CANCEL_COMPLETE"
    with pytest.raises(ClientError) as again:
        cc.cancel_resource_request(RequestToken=made["RequestToken"])
    assert _code(again) == "ConcurrentModificationException"


def test_a_finished_request_cannot_be_cancelled(cc: Any) -> None:
    made = _create(cc, "/done")

    with pytest.raises(ClientError) as late:
        cc.cancel_resource_request(RequestToken=made["RequestToken"])

    assert _code(late) == "ConcurrentModificationException"


def test_an_unknown_request_token_is_not_found(cc: Any) -> None:
    for call in (cc.get_resource_request_status, cc.cancel_resource_request):
        with pytest.raises(ClientError) as unknown:
            call(RequestToken="no-such-token")
        assert _code(unknown) == "RequestTokenNotFoundException"


def test_requests_are_listed_newest_first_by_operation_and_status_over_pages(
    cc: Any, emulator: Emulator
) -> None:
    for name in ("/r1", "/r2", "/r3"):
        _create(cc, name)
    cc.delete_resource(TypeName=LOG_GROUP, Identifier="/r1")
    emulator.delay = HOUR
    _create(cc, "/r4")

    pages = cc.get_paginator("list_resource_requests").paginate(PaginationConfig={"PageSize": 2})
    every = [s for page in pages for s in page["ResourceRequestStatusSummaries"]]
    assert [(s["Operation"], s["Identifier"]) for s in every] == [
        ("CREATE", "/r4"),
        ("DELETE", "/r1"),
        ("CREATE", "/r3"),
        ("CREATE", "/r2"),
        ("CREATE", "/r1"),
    ]
    creates_done = cc.list_resource_requests(
        ResourceRequestStatusFilter={"Operations": ["CREATE"], "OperationStatuses": ["SUCCESS"]}
    )["ResourceRequestStatusSummaries"]
    assert [s["Identifier"] for s in creates_done] == ["/r3", "/r2", "/r1"]


def test_an_unsupported_type_is_refused_naming_the_supported_ones(cc: Any) -> None:
    with pytest.raises(ClientError) as unknown:
        cc.create_resource(TypeName="AWS::RDS::DBInstance", DesiredState="{}")

    assert _code(unknown) == "TypeNotFoundException"
    message = unknown.value.response["Error"]["Message"]
    assert "AWS::RDS::DBInstance" in message
    assert all(t in message for t in SUPPORTED_TYPES)


def test_a_desired_state_that_is_not_a_json_object_is_an_invalid_request(cc: Any) -> None:
    for state in ("not json", "[1, 2]"):
        with pytest.raises(ClientError) as bad:
            cc.create_resource(TypeName=LOG_GROUP, DesiredState=state)
        assert _code(bad) == "InvalidRequestException"


def test_a_patch_that_is_not_a_json_patch_is_an_invalid_request(cc: Any) -> None:
    _create(cc, "/patched")
    for patch in ("{}", json.dumps([{"op": "paint", "path": "/Tags"}]), json.dumps([{"op": "add"}])):
        with pytest.raises(ClientError) as bad:
            cc.update_resource(TypeName=LOG_GROUP, Identifier="/patched", PatchDocument=patch)
        assert _code(bad) == "InvalidRequestException"


def test_a_patch_that_does_not_apply_fails_the_request(cc: Any) -> None:
    _create(cc, "/patched")
    patch = json.dumps([{"op": "replace", "path": "/Nothing/There", "value": 1}])

    failed = _status(
        cc,
        cc.update_resource(TypeName=LOG_GROUP, Identifier="/patched", PatchDocument=patch)["ProgressEvent"],
    )

    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "InvalidRequest")


def test_a_next_token_of_another_list_is_refused(cc: Any) -> None:
    for name in ("/p1", "/p2"):
        _create(cc, name)
    token = cc.list_resources(TypeName=LOG_GROUP, MaxResults=1)["NextToken"]

    with pytest.raises(ClientError) as bad:
        cc.list_resources(TypeName="AWS::SQS::Queue", NextToken=token)
    assert _code(bad) == "InvalidRequestException"
    with pytest.raises(ClientError) as garbled:
        cc.list_resources(TypeName=LOG_GROUP, NextToken="garbled!")
    assert _code(garbled) == "InvalidRequestException"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_MODELED = {
    "TypeNotFoundException",
    "InvalidRequestException",
    "ResourceNotFoundException",
    "ConcurrentOperationException",
    "ClientTokenConflictException",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    type_name=st.sampled_from([*SUPPORTED_TYPES, "AWS::Nope::Nope"]),
    state=_JSON
    | st.dictionaries(st.sampled_from(["LogGroupName", "QueueName", "Tags", "ImageId", "CidrBlock"]), _JSON),
    patch=_JSON,
)
def test_any_input_gets_an_answer_or_a_modeled_error_never_a_fault(
    cc: Any, type_name: str, state: Any, patch: Any
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("create_resource", {"DesiredState": json.dumps(state)}),
        ("update_resource", {"Identifier": "x-1", "PatchDocument": json.dumps(patch)}),
        ("delete_resource", {"Identifier": json.dumps(state)[:200] or "x"}),
        ("get_resource", {"Identifier": json.dumps(patch)[:200] or "x"}),
        ("list_resources", {"MaxResults": 1}),
    ]
    for operation, question in calls:
        answer, error = _answer_or_error(getattr(cc, operation), TypeName=type_name, **question)
        if error is not None:
            assert error["Error"]["Code"] in _MODELED, error
            assert error["ResponseMetadata"]["HTTPStatusCode"] < 500
        elif "ProgressEvent" in answer:
            assert _status(cc, answer["ProgressEvent"])["OperationStatus"] in {"SUCCESS", "FAILED"}


def _answer_or_error(call: Any, **question: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    try:
        return call(**question), None
    except ClientError as err:
        return {}, dict(err.response)
