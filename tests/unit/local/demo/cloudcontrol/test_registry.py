"""CloudFormation's registry describes the demo's Cloud Control types, schemas included; the rest
of CloudFormation stays moto's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aws_mcp_local.demo.cloudcontrol import SUPPORTED_TYPES, Emulator
from aws_mcp_local.demo.cloudcontrol.types import TYPES

from .conftest import client

SCHEMA_KEYS = {
    "typeName",
    "description",
    "properties",
    "required",
    "readOnlyProperties",
    "createOnlyProperties",
    "writeOnlyProperties",
    "primaryIdentifier",
    "tagging",
}


@pytest.fixture
def cfn(emulator: Emulator) -> Any:
    return client("cloudformation")


def _names(cfn: Any, **question: Any) -> list[str]:
    pages = cfn.get_paginator("list_types").paginate(**question, PaginationConfig={"PageSize": 5})
    return [t["TypeName"] for page in pages for t in page["TypeSummaries"]]


def test_public_resource_types_are_the_supported_ones_over_pages(cfn: Any) -> None:
    assert _names(cfn, Type="RESOURCE", Visibility="PUBLIC") == sorted(SUPPORTED_TYPES)


def test_a_prefix_narrows_the_list(cfn: Any) -> None:
    assert _names(cfn, Type="RESOURCE", Visibility="PUBLIC", Filters={"TypeNamePrefix": "AWS::EC2::"}) == [
        "AWS::EC2::Instance",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::Subnet",
        "AWS::EC2::VPC",
    ]


def test_private_types_and_modules_are_none(cfn: Any) -> None:
    assert _names(cfn, Type="RESOURCE", Visibility="PRIVATE") == []
    assert _names(cfn, Type="MODULE", Visibility="PUBLIC") == []


@pytest.mark.parametrize("type_name", SUPPORTED_TYPES)
def test_a_type_is_described_with_its_resource_provider_schema(cfn: Any, type_name: str) -> None:
    described = cfn.describe_type(Type="RESOURCE", TypeName=type_name)

    schema = json.loads(described["Schema"])
    assert (described["TypeName"], described["Visibility"], described["IsDefaultVersion"]) == (
        type_name,
        "PUBLIC",
        True,
    )
    assert set(schema) >= SCHEMA_KEYS
    assert schema["typeName"] == type_name
    assert cfn.describe_type(Arn=described["Arn"])["TypeName"] == type_name
    named = set(schema["properties"])
    for listed in ("readOnlyProperties", "createOnlyProperties", "primaryIdentifier"):
        assert {p.split("/")[2] for p in schema[listed]} <= named, listed
    assert set(schema["required"]) <= named
    assert schema["primaryIdentifier"] == [f"/properties/{TYPES[type_name].primary}"]


def test_an_unknown_type_is_not_found_naming_the_known_ones(cfn: Any) -> None:
    with pytest.raises(ClientError) as unknown:
        cfn.describe_type(Type="RESOURCE", TypeName="AWS::RDS::DBInstance")

    assert unknown.value.response["Error"]["Code"] == "TypeNotFoundException"
    assert all(t in unknown.value.response["Error"]["Message"] for t in SUPPORTED_TYPES)


def test_the_rest_of_cloudformation_is_moto_s(cfn: Any) -> None:
    template = {
        "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/stack"}}}
    }
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))

    assert [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]] == ["s"]
    cc = client("cloudcontrol")
    assert (
        cc.get_resource(TypeName="AWS::Logs::LogGroup", Identifier="/stack")["ResourceDescription"][
            "Identifier"
        ]
        == "/stack"
    )


def test_a_garbled_next_token_is_refused(cfn: Any) -> None:
    with pytest.raises(ClientError) as garbled:
        cfn.list_types(Type="RESOURCE", Visibility="PUBLIC", NextToken="garbled!")

    assert garbled.value.response["Error"]["Code"] == "CFNRegistryException"
