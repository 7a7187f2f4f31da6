"""The executor reads shorthand exactly as the AWS CLI does: checked against awscli's own parser."""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aws_mcp.executor.shorthand import ShorthandError, parse_shorthand


def _aws_cli_shorthand() -> Any:
    """awscli's shorthand module. Importing awscli sets AWS_DATA_PATH for the whole process (its
    own models), which changes every botocore session made after: put it back as it was."""
    before = os.environ.get("AWS_DATA_PATH")
    try:
        return importlib.import_module("awscli.shorthand")
    finally:
        if before is None:
            os.environ.pop("AWS_DATA_PATH", None)
        else:
            os.environ["AWS_DATA_PATH"] = before


_SHORTHAND = _aws_cli_shorthand()
AWS_CLI = _SHORTHAND.ShorthandParser()
ShorthandParseError = _SHORTHAND.ShorthandParseError

# Values as the AWS CLI documentation and people write them.
WRITTEN = [
    "Name=instance-state-name,Values=running",
    "Name=tag:env,Values=prod,staging",
    "Key=Name,Value=my instance",
    "Key=owner,Value=",
    "a=b,c=d",
    "a=b,c,d=e",
    "a=[1,2,{x=y}],b='q,r'",
    'k="a \\"quoted\\" b"',
    "k='it''s'",
    "a={b=c,d=[e,f]}",
    "a=x\\,y,z",
    "DeviceName=/dev/sda1,Ebs={VolumeSize=20,VolumeType=gp3}",
    "Protocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=10.0.0.0/8,Description='office vpn'}]",
    "a = b , c = d",
    " a=b",
    "a=b,,c",
    "a=[b,c",
    "a={b=c",
    "=b",
    "a=b,a=c",
    "a",
    "a=b c,d",
    "a=[]",
    "a={}",
    "a=1.5,b=-2,c=true",
    "a=ünïcode,b=值",
]


def awscli(value: str) -> Any:
    try:
        return AWS_CLI.parse(value)
    except (ShorthandParseError, ValueError):
        return ShorthandError


def ours(value: str) -> Any:
    try:
        return parse_shorthand(value)
    except ShorthandError:
        return ShorthandError


@pytest.mark.parametrize("value", WRITTEN)
def test_written_values_parse_as_the_aws_cli_parses_them(value: str) -> None:
    assert ours(value) == awscli(value)


def test_lists_and_objects_come_back_as_the_cli_gives_them() -> None:
    assert parse_shorthand("Name=tag:env,Values=prod,staging") == {
        "Name": "tag:env",
        "Values": ["prod", "staging"],
    }
    assert parse_shorthand("a={b=c,d=[e,f]}") == {"a": {"b": "c", "d": ["e", "f"]}}


def test_an_error_says_where_and_what_was_expected() -> None:
    with pytest.raises(ShorthandError) as raised:
        parse_shorthand("a=[b,c")
    assert "at character 6" in str(raised.value) and "<here>" in str(raised.value)


def test_reading_a_file_is_refused() -> None:
    with pytest.raises(ShorthandError, match="reads a file"):
        parse_shorthand("a@=file:///etc/passwd")


# Text made of shorthand's own pieces, so most of it is nearly shorthand.
PIECES = st.sampled_from(
    ["a", "Key", "b=", "=", ",", "[", "]", "{", "}", "'", '"', "\\,", " ", "x y", "1", "é", ":", "/", "-"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=14).map("".join))
def test_any_text_is_read_as_the_aws_cli_reads_it(value: str) -> None:
    assert ours(value) == awscli(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_breaks_the_parser(value: str) -> None:
    assert ours(value) == awscli(value)
