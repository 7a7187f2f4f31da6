"""How AWSMCPClient reads ids, type names and the server's tool errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp_client.aws import _classify, _parse_id, _with_tags, full_type_name, short_type_name
from aws_mcp_client.errors import ErrorCodes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "No AWS::S3::Bucket logs in us-east-1. List them with cloudcontrol_list_resources.",
            "RESOURCE_NOT_FOUND",
        ),
        ("No Cloud Control request abc in us-east-1 (AWS keeps them 7 days).", "RESOURCE_NOT_FOUND"),
        ("ResourceNotFoundException: gone", "RESOURCE_NOT_FOUND"),
        (
            "No resource type AWS::Foo::Bar in us-east-1: Find types with cloudcontrol_list_types.",
            "VALIDATION_FAILED",
        ),
        ("AWS::SQS::Queue needs QueueName. See each with cloudcontrol_describe_type", "VALIDATION_FAILED"),
        ("Arn of AWS::S3::Bucket is read-only: AWS sets it.", "VALIDATION_FAILED"),
        ("AWS::S3::Bucket has no property Colour (did you mean Color?)", "VALIDATION_FAILED"),
        ("Throttled by AWS, try later", "TOOL_ERROR"),
    ],
)
def test_the_servers_tool_errors_are_told_apart(text: str, code: str) -> None:
    assert _classify(text) is ErrorCodes(code)


def test_short_and_full_type_names() -> None:
    assert full_type_name("EC2::Instance") == "AWS::EC2::Instance" == full_type_name("AWS::EC2::Instance")
    assert short_type_name("AWS::EC2::Instance") == "EC2::Instance"
    assert full_type_name("MongoDB::Atlas::Cluster") == "MongoDB::Atlas::Cluster"


def test_an_id_is_the_type_then_the_identifier_which_may_hold_slashes() -> None:
    assert _parse_id("Logs::LogGroup//aws/lambda/f") == ("Logs::LogGroup", "/aws/lambda/f")
    assert _parse_id("AWS::EC2::Instance/i-1") == ("AWS::EC2::Instance", "i-1")
    for not_ours in ("nonexistent-id", "EC2::Instance/", "/i-1", "EC2/i-1", "a b::c/d"):
        assert _parse_id(not_ours) is None


@given(st.text(max_size=60))
def test_any_text_is_an_id_or_none_never_an_error(text: str) -> None:
    parsed = _parse_id(text)
    assert parsed is None or f"{parsed[0]}/{parsed[1]}" == text


def test_tags_keep_the_shape_the_resource_has() -> None:
    assert _with_tags([{"Key": "a", "Value": "1"}, {"Key": "p", "Value": "old"}], {"p": "new"}) == [
        {"Key": "a", "Value": "1"},
        {"Key": "p", "Value": "new"},
    ]
    assert _with_tags({"a": "1"}, {"p": "x"}) == {"a": "1", "p": "x"}
    assert _with_tags(None, {"p": "x"}) == [{"Key": "p", "Value": "x"}]
