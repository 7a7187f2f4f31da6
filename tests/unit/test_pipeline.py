"""The pipeline's template and workflows hold what the README promises: GitHub's OIDC token for one
environment of one repository is the only way in, the deploy role can only hand the stack to
CloudFormation, CloudFormation's role covers every resource the stack holds on the names the stack
gives them (and no more than said), and the workflow deploys one build dev, then staging, then prod.
(make pipeline-lint runs cfn-lint and actionlint on the same files.)"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
STAGES = ["dev", "staging", "prod"]
# What may name no resource, and why: the API cannot scope them (see the template's Sids).
UNSCOPED = {"TemplateChecksNameNoResource", "LogGroupListingNamesNoGroup", "CreationsNamingNoResource"}
# Each resource type template.yaml holds (SAM's expanded into what they make), and the statement of
# the CloudFormation role that lets CloudFormation manage it.
COVERED_BY = {
    "AWS::IAM::Role": "RolesOfTheStack",
    "AWS::IAM::Policy": "RolesOfTheStack",
    "AWS::Serverless::Function": "FunctionsOfTheStack",  # function, version, alias, permissions
    "AWS::Lambda::Permission": "FunctionsOfTheStack",
    "AWS::Serverless::LayerVersion": "LayerOfTheStack",
    "AWS::Serverless::Api": "RestApiIdsAreUnknownBeforehand",  # API, deployment, stage
    "AWS::ApiGateway::ApiKey": "RestApiIdsAreUnknownBeforehand",
    "AWS::ApiGateway::UsagePlan": "RestApiIdsAreUnknownBeforehand",
    "AWS::ApiGateway::UsagePlanKey": "RestApiIdsAreUnknownBeforehand",
    "AWS::ApiGateway::Account": "ApiGatewayAccountLoggingRole",
    "AWS::Logs::LogGroup": "LogGroupsOfTheStack",
    "AWS::Logs::SubscriptionFilter": "LogGroupsOfTheStack",
    "AWS::DynamoDB::Table": "TablesOfTheStack",
    "AWS::SQS::Queue": "DeadLetterQueueOfTheStack",
    "AWS::CloudWatch::Alarm": "AlarmsAndDashboardOfTheStack",
    "AWS::CloudWatch::Dashboard": "AlarmsAndDashboardOfTheStack",
    "AWS::SecretsManager::Secret": "ConfirmationSecretOfTheStack",
    "AWS::Cognito::UserPool": "UserPoolIdsAreUnknownBeforehand",
    "AWS::Cognito::UserPoolDomain": "UserPoolIdsAreUnknownBeforehand",
    "AWS::Cognito::UserPoolResourceServer": "UserPoolIdsAreUnknownBeforehand",
    "AWS::Cognito::UserPoolClient": "UserPoolIdsAreUnknownBeforehand",
}


NAMED_BY_CLOUDFORMATION = {
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
}


def load(path: Path) -> dict[str, Any]:
    loaded, problems = decode(str(path))
    assert not problems and loaded is not None, [str(p) for p in problems]
    plain: dict[str, Any] = json.loads(json.dumps(loaded))
    return plain


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    return load(REPO / "pipeline" / "deploy-roles.yaml")


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return load(REPO / "template.yaml")


def policy(pipeline: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    """A role's one policy, its ${...} placeholders filled with their names: statements by Sid."""
    (only,) = pipeline["Resources"][role]["Properties"]["Policies"]
    text, _ = only["PolicyDocument"]["Fn::Sub"]
    document = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: m[1].replace("::", "-"), text))
    return {statement["Sid"]: statement for statement in document["Statement"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_only_one_environment_of_one_repository_may_assume_the_deploy_role(pipeline: dict[str, Any]) -> None:
    (trust,) = pipeline["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(trust["Principal"]) == {"Federated"}
    claims = trust["Condition"]["StringEquals"]
    assert claims["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert claims["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubRepository}:environment:${Environment}"
    }
    assert pipeline["Parameters"]["Environment"]["AllowedValues"] == STAGES


def test_the_deploy_role_hands_the_stack_to_cloudformation_and_changes_nothing_itself(
    pipeline: dict[str, Any],
) -> None:
    statements = policy(pipeline, "DeployRole")
    actions = {action for s in statements.values() for action in as_list(s["Action"])}
    services = {action.split(":")[0] for action in actions}
    assert services == {"cloudformation", "s3", "iam", "execute-api"}
    assert {a for a in actions if a.startswith("iam:")} == {"iam:PassRole"}
    passing = statements["DeployThroughCloudFormationOnly"]
    assert passing["Resource"] == "CloudFormationRole.Arn"
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    assert statements["ChangeSetsOfTheStack"]["Resource"].endswith(":stack/Stack/*")
    # The smoke test calls the stage's two routes, nothing else of any API.
    assert [r.rsplit("/", 3)[1:] for r in statements["SmokeTestTheStage"]["Resource"]] == [
        ["Environment", "GET", "health"],
        ["Environment", "POST", "mcp"],
    ]


@pytest.mark.parametrize("role", ["DeployRole", "CloudFormationRole"])
def test_every_statement_names_its_resources_unless_the_api_cannot(
    pipeline: dict[str, Any], role: str
) -> None:
    for sid, statement in policy(pipeline, role).items():
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in as_list(statement["Action"])), sid
        if sid in UNSCOPED:
            assert statement["Resource"] == "*", sid
        else:
            assert all(r != "*" for r in as_list(statement["Resource"])), sid


def test_cloudformation_alone_may_assume_its_role_and_pass_roles_only_to_the_stack_s_services(
    pipeline: dict[str, Any],
) -> None:
    role = pipeline["Resources"]["CloudFormationRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    statements = policy(pipeline, "CloudFormationRole")
    passing = statements["PassTheStacksRolesToTheirServices"]
    assert passing["Resource"].endswith(":role/Stack-*")
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "lambda.amazonaws.com",
        "apigateway.amazonaws.com",
    ]
    attaching = statements["OnlyApiGatewaysLoggingPolicy"]
    assert attaching["Condition"]["ArnEquals"]["iam:PolicyARN"].endswith(
        "AmazonAPIGatewayPushToCloudWatchLogs"
    )


def test_the_cloudformation_role_covers_every_resource_type_the_stack_holds(
    pipeline: dict[str, Any], stack: dict[str, Any]
) -> None:
    statements = policy(pipeline, "CloudFormationRole")
    held = {resource["Type"] for resource in stack["Resources"].values()}
    uncovered = held - set(COVERED_BY)
    assert not uncovered, f"add these to pipeline/deploy-roles.yaml's CloudFormationRole: {uncovered}"
    assert {COVERED_BY[kind] for kind in held} <= set(statements)


def test_the_stack_names_what_it_names_after_itself_as_the_cloudformation_role_expects(
    stack: dict[str, Any],
) -> None:
    expected = {
        "AWS::Logs::LogGroup": (
            "LogGroupName",
            ("/aws/lambda/${AWS::StackName}-", "/aws/apigateway/${AWS::StackName}-"),
        ),
        "AWS::CloudWatch::Alarm": ("AlarmName", ("${AWS::StackName}-",)),
        "AWS::CloudWatch::Dashboard": ("DashboardName", ("${AWS::StackName}-",)),
        "AWS::Serverless::LayerVersion": ("LayerName", ("${AWS::StackName}-shared",)),
    }
    seen = 0
    for logical_id, resource in stack["Resources"].items():
        if resource["Type"] in expected:
            prop, prefixes = expected[resource["Type"]]
            value = resource["Properties"][prop]
            seen += 1
            assert isinstance(value, dict) and value["Fn::Sub"].startswith(prefixes), (logical_id, value)
        # A name of its own would escape the role's <stack>-* patterns: CloudFormation names these.
        own_name = NAMED_BY_CLOUDFORMATION.get(resource["Type"])
        assert own_name is None or own_name not in resource.get("Properties", {}), (logical_id, own_name)
    assert seen >= 5


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in WORKFLOWS.glob("*.yml")}


def test_the_workflow_deploys_one_build_to_dev_then_staging_then_prod(workflows: dict[str, Any]) -> None:
    jobs = workflows["deploy.yml"]["jobs"]
    assert jobs["build"]["needs"] == "test"
    order = ["build", *STAGES]
    for earlier, stage in itertools.pairwise(order):
        job = jobs[stage]
        assert job["needs"] == earlier
        assert job["uses"] == "./.github/workflows/stage.yml"
        assert job["with"]["environment"] == stage
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["prod"]["with"]["expect-access-mode"] == "ReadOnly"
    # Nothing but the deploy stages may ask GitHub for an OIDC token.
    assert workflows["deploy.yml"]["permissions"] == {"contents": "read"}


def test_a_stage_runs_in_its_github_environment_and_smoke_tests_what_it_deployed(
    workflows: dict[str, Any],
) -> None:
    (job,) = workflows["stage.yml"]["jobs"].values()
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    runs = [step.get("run", "") for step in job["steps"]]
    deploy = next(run for run in runs if "sam deploy" in run)
    assert "--template-file .aws-sam/build/template.yaml" in deploy  # the build job's artifact
    assert "--role-arn" in deploy and "--no-resolve-s3" in deploy
    assert any("aws-mcp smoke" in run and "--auth sigv4" in run for run in runs)


def test_no_workflow_holds_or_reads_a_long_lived_aws_key() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "aws-access-key-id" not in text and "secrets." not in text, path.name
