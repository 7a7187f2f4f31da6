"""AWS CLI commands become the same botocore call as their structured form; malformed ones name the fix."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from aws_mcp.errors import ToolInputError
from aws_mcp.executor.command import parse_command, structured_call

SESSION = botocore.session.get_session()
MODELS = SESSION.get_service_model

# command -> (service, operation, parameters), as the structured form gives them.
COMMANDS: list[tuple[str, tuple[str, str, dict[str, Any]]]] = [
    ("ec2 describe-instances", ("ec2", "DescribeInstances", {})),
    (
        "aws ec2 describe-instances --filters Name=instance-state-name,Values=running",
        ("ec2", "DescribeInstances", {"Filters": [{"Name": "instance-state-name", "Values": ["running"]}]}),
    ),
    (
        "ec2 describe-instances --filters Name=tag:env,Values=prod,staging "
        "Name=instance-type,Values=t3.micro",
        (
            "ec2",
            "DescribeInstances",
            {
                "Filters": [
                    {"Name": "tag:env", "Values": ["prod", "staging"]},
                    {"Name": "instance-type", "Values": ["t3.micro"]},
                ]
            },
        ),
    ),
    (
        """ec2 describe-instances --filters '[{"Name": "tag:team", "Values": ["data"]}]'""",
        ("ec2", "DescribeInstances", {"Filters": [{"Name": "tag:team", "Values": ["data"]}]}),
    ),
    (
        "ec2 describe-instances --instance-ids i-1 i-2 --max-results 5",
        ("ec2", "DescribeInstances", {"InstanceIds": ["i-1", "i-2"], "MaxResults": 5}),
    ),
    (
        "ec2 stop-instances --instance-ids i-1 --force",
        ("ec2", "StopInstances", {"InstanceIds": ["i-1"], "Force": True}),
    ),
    (
        "ec2 stop-instances --instance-ids i-1 --no-force",
        ("ec2", "StopInstances", {"InstanceIds": ["i-1"], "Force": False}),
    ),
    (
        "ec2 create-tags --resources i-1 --tags Key=owner,Value=ana Key=env,Value=dev",
        (
            "ec2",
            "CreateTags",
            {
                "Resources": ["i-1"],
                "Tags": [{"Key": "owner", "Value": "ana"}, {"Key": "env", "Value": "dev"}],
            },
        ),
    ),
    (
        "s3api list-objects-v2 --bucket b --prefix logs/",
        ("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "logs/"}),
    ),
    (
        "autoscaling set-desired-capacity --auto-scaling-group-name web --desired-capacity 3 "
        "--honor-cooldown",
        (
            "autoscaling",
            "SetDesiredCapacity",
            {"AutoScalingGroupName": "web", "DesiredCapacity": 3, "HonorCooldown": True},
        ),
    ),
    (
        'dynamodb get-item --table-name t --key \'{"id": {"S": "1"}}\'',
        ("dynamodb", "GetItem", {"TableName": "t", "Key": {"id": {"S": "1"}}}),
    ),
    (
        "dynamodb get-item --table-name t --key id={S=1}",
        ("dynamodb", "GetItem", {"TableName": "t", "Key": {"id": {"S": "1"}}}),
    ),
    (
        "ecs update-service --cluster c --service s --desired-count=2",
        ("ecs", "UpdateService", {"cluster": "c", "service": "s", "desiredCount": 2}),
    ),
    (
        "configservice describe-config-rules",
        ("config", "DescribeConfigRules", {}),
    ),
    (
        'ec2 describe-instances --cli-input-json \'{"InstanceIds": ["i-9"]}\'',
        ("ec2", "DescribeInstances", {"InstanceIds": ["i-9"]}),
    ),
]


@pytest.mark.parametrize(("command", "expected"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_a_command_is_the_same_call_as_its_structured_form(
    command: str, expected: tuple[str, str, dict[str, Any]]
) -> None:
    service, operation, parameters = expected
    parsed = parse_command(command, MODELS)
    assert (parsed.service, parsed.operation, parsed.parameters) == expected
    structured = structured_call(service, operation, parameters, MODELS)
    assert (structured.service, structured.operation, structured.parameters) == expected


def test_the_clis_own_options_are_read_apart_from_the_operations() -> None:
    call = parse_command(
        "ec2 describe-instances --region eu-west-1 --query Reservations[].Instances[].InstanceId "
        "--max-items 10 --page-size 5 --starting-token abc --output json --no-cli-pager",
        MODELS,
    )
    assert call.parameters == {}
    assert (call.region, call.query, call.max_items, call.page_size, call.starting_token) == (
        "eu-west-1",
        "Reservations[].Instances[].InstanceId",
        10,
        5,
        "abc",
    )
    assert not parse_command("ec2 describe-instances --no-paginate", MODELS).paginate


def test_the_structured_form_takes_the_clis_names_too() -> None:
    call = structured_call("s3api", "list-buckets", {}, MODELS)
    assert (call.service, call.operation, call.command) == ("s3", "ListBuckets", "s3api list-buckets")


@pytest.mark.parametrize(
    ("command", "fix"),
    [
        ("ec2", "a service, an operation, then options"),
        ("ec2 describe-instances 'unclosed", "close every quote"),
        ("nosuchservice list-things", "not an AWS CLI service"),
        ("ec2 describe-instanses", "Did you mean: describe-instances"),
        ("ec2 describe-instances --filter Name=x", "Its options include: --filters"),
        ("ec2 describe-instances --filters Nme=x", 'Unknown parameter in Filters[0]: "Nme"'),
        ("ec2 describe-instances --filters Name=x,[", "not shorthand"),
        ("ec2 describe-instances --filters '[{\"Name\": }]'", "not valid JSON"),
        ("ec2 describe-instances --max-results many", "is not a integer"),
        ("ec2 stop-instances", "Missing required parameter"),
        ("ec2 stop-instances --instance-ids i-1 --force yes", "is a flag"),
        ("ec2 describe-instances --output table", "always JSON"),
        ("ec2 describe-instances --endpoint-url http://127.0.0.1:9", "AWS's own endpoints"),
        ("ec2 describe-instances --max-items 0", "at least 1"),
        ("s3 ls", "s3api"),
        ("ec2 describe-instances i-1", "every value follows its --option"),
        ("ec2 describe-instances --filters Name@=file:///etc/passwd", "not shorthand"),
        ("ec2 run-instances --image-id ami-1 --user-data file://boot.sh", "reads no local files"),
    ],
)
def test_a_malformed_command_is_refused_naming_the_fix(command: str, fix: str) -> None:
    with pytest.raises(ToolInputError) as refused:
        parse_command(command, MODELS)
    assert fix in str(refused.value)
