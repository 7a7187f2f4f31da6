"""template.yaml agrees with the code: tool policies with the registry, tables with the persistence layers,
function settings with aws_mcp.config, parameters with samconfig.toml."""

from __future__ import annotations

import ast
import inspect
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from aws_mcp.audit import BY_CALLER_INDEX
from aws_mcp.config import ENV, AccessMode
from aws_mcp.tools import CATALOG
from aws_mcp_local.demo import AUDIT_BY_CALLER, TABLE_KEYS

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
# API Gateway ends an integration after 29 s; the function must give up first.
API_GATEWAY_INTEGRATION_TIMEOUT = 29
TOOL_SID_PREFIX = "Tool"
INFRA_SID_PREFIX = "Infra"
# What infrastructure statements may touch: logs, tracing and the function's own tables.
INFRA_SERVICES = {"logs", "xray", "dynamodb"}
TABLES = {"breaker": "BreakerTable", "idempotency": "IdempotencyTable", "audit": "AuditTable"}
TTL_ATTRIBUTES = {"breaker": "expiration", "idempotency": "expiration", "audit": "expires_at"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE_PATH))
    assert not problems, [str(p) for p in problems]
    assert loaded is not None
    # cfn-lint's node types subclass dict/list/str; a JSON round trip leaves plain values to compare.
    plain: dict[str, Any] = json.loads(json.dumps(loaded))
    return plain


def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found


def function(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = resources(template)["McpFunction"]["Properties"]
    return props


def policy_statements(template: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Every statement of the function role's inline policies, with the condition it is under (or None)."""
    for entry in resources(template)["McpFunctionRole"]["Properties"]["Policies"]:
        condition = None
        if "Fn::If" in entry:
            condition, policy, otherwise = entry["Fn::If"]
            assert otherwise == {"Ref": "AWS::NoValue"}, "a conditional policy is either there or absent"
        else:
            policy = entry
        for statement in policy["PolicyDocument"]["Statement"]:
            yield condition, statement


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def tool_actions(template: dict[str, Any], condition: str | None) -> set[str]:
    return {
        action
        for under, statement in policy_statements(template)
        if under == condition and statement["Sid"].startswith(TOOL_SID_PREFIX)
        for action in actions(statement)
    }


def read_only_tool_actions() -> set[str]:
    return {action for spec in CATALOG if spec.read_only for action in spec.iam_actions}


def mutating_tool_actions() -> set[str]:
    return {action for spec in CATALOG if not spec.read_only for action in spec.iam_actions}


# -- IAM -------------------------------------------------------------------------------------------


def test_always_granted_tool_actions_are_exactly_those_of_read_only_tools(template: dict[str, Any]) -> None:
    assert tool_actions(template, None) == read_only_tool_actions()


def test_read_write_mode_adds_exactly_the_actions_only_mutating_tools_need(template: dict[str, Any]) -> None:
    assert mutating_tool_actions(), "the catalog has mutating tools"
    assert tool_actions(template, "AllowWrites") == mutating_tool_actions() - read_only_tool_actions()


def test_write_policies_depend_on_access_mode_read_write(template: dict[str, Any]) -> None:
    assert template["Conditions"]["AllowWrites"] == {
        "Fn::Equals": [{"Ref": "AccessMode"}, AccessMode.READ_WRITE.value]
    }
    conditions = {under for under, _ in policy_statements(template)}
    assert conditions == {None, "AllowWrites"}


def test_every_statement_is_either_a_tool_or_an_infrastructure_statement(template: dict[str, Any]) -> None:
    for _, statement in policy_statements(template):
        assert statement["Effect"] == "Allow"
        assert statement["Sid"].startswith((TOOL_SID_PREFIX, INFRA_SID_PREFIX)), statement["Sid"]
        assert not any("*" in action for action in actions(statement)), f"wildcard action in {statement}"


def test_infrastructure_statements_grant_no_tool_actions(template: dict[str, Any]) -> None:
    infra = [s for _, s in policy_statements(template) if s["Sid"].startswith(INFRA_SID_PREFIX)]
    granted = {action for statement in infra for action in actions(statement)}
    assert {action.split(":", 1)[0] for action in granted} <= INFRA_SERVICES
    assert not granted & (read_only_tool_actions() | mutating_tool_actions())


def test_table_statements_are_scoped_to_the_stack_tables(template: dict[str, Any]) -> None:
    scoped = set()
    for _, statement in policy_statements(template):
        if not any(a.startswith("dynamodb:") for a in actions(statement)):
            continue
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for target in targets:
            # !GetAtt Table.Arn, or !Sub "${Table.Arn}/index/<name>"
            scoped.add(
                target["Fn::GetAtt"][0] if "Fn::GetAtt" in target else target["Fn::Sub"][2:].split(".")[0]
            )
    assert scoped == set(TABLES.values())


def test_function_runs_as_the_role_and_declares_no_other_policies(template: dict[str, Any]) -> None:
    props = function(template)
    assert props["Role"] == {"Fn::GetAtt": ["McpFunctionRole", "Arn"]}
    assert "Policies" not in props


# -- function and layer ----------------------------------------------------------------------------


def test_function_times_out_before_api_gateway_gives_up(template: dict[str, Any]) -> None:
    assert function(template)["Timeout"] < API_GATEWAY_INTEGRATION_TIMEOUT


def test_function_runs_the_lambda_handler_on_python_3_13(template: dict[str, Any]) -> None:
    props = function(template)
    runtime = props.get("Runtime") or template["Globals"]["Function"]["Runtime"]
    assert runtime == "python3.13"
    architectures = props.get("Architectures") or template["Globals"]["Function"]["Architectures"]
    assert architectures == [{"Ref": "Architecture"}]
    assert props["CodeUri"] == "functions/mcp"
    module, attribute = props["Handler"].split(".")
    source = (REPO / props["CodeUri"] / f"{module}.py").read_text(encoding="utf-8")
    assigned = {
        target.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned
    assert props["Tracing"] == "Active"
    assert props["Layers"] == [{"Ref": "SharedLayer"}]
    assert props["MemorySize"] >= 256


def test_function_environment_uses_the_settings_variable_names(template: dict[str, Any]) -> None:
    variables = function(template)["Environment"]["Variables"]
    known = {value for name, value in vars(ENV).items() if name.isupper()}
    assert set(variables) <= known
    assert variables[ENV.ACCESS_MODE] == {"Ref": "AccessMode"}
    assert variables[ENV.ALLOWED_ORIGINS] == {"Ref": "AllowedOrigins"}
    assert variables[ENV.STAGE] == {"Ref": "Stage"}
    assert variables[ENV.BREAKER_TABLE] == {"Ref": TABLES["breaker"]}
    assert variables[ENV.IDEMPOTENCY_TABLE] == {"Ref": TABLES["idempotency"]}
    assert variables[ENV.AUDIT_TABLE] == {"Ref": TABLES["audit"]}


def test_function_logs_to_its_own_log_group_with_retention(template: dict[str, Any]) -> None:
    assert function(template)["LoggingConfig"]["LogGroup"] == {"Ref": "McpFunctionLogGroup"}
    group = resources(template)["McpFunctionLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_shared_layer_is_built_by_its_makefile_for_the_chosen_architecture(template: dict[str, Any]) -> None:
    layer = resources(template)["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["BuildArchitecture"] == {"Ref": "Architecture"}
    props = layer["Properties"]
    assert props["ContentUri"] == "layers/shared"
    assert props["CompatibleRuntimes"] == ["python3.13"]
    assert props["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    makefile = (REPO / props["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    assert "\nbuild-SharedLayer:" in makefile
    assert (REPO / props["ContentUri"] / "aws_mcp" / "__init__.py").exists()


# -- API -------------------------------------------------------------------------------------------


def test_every_route_of_the_function_is_in_the_api_with_auth_mode_security(template: dict[str, Any]) -> None:
    api = resources(template)["Api"]["Properties"]
    assert api["MergeDefinitions"] is True
    assert api["AlwaysDeploy"] is True
    paths = api["DefinitionBody"]["paths"]
    routes = {
        (event["Properties"]["Path"], event["Properties"]["Method"])
        for event in function(template)["Events"].values()
    }
    assert all(event["Type"] == "Api" for event in function(template)["Events"].values())
    assert routes == {("/mcp", "post"), ("/mcp", "get"), ("/mcp", "delete"), ("/health", "get")}
    assert {(path, method) for path, methods in paths.items() for method in methods} == routes
    by_mode = {
        "Fn::If": [
            "UseIamAuth",
            [{"AWS_IAM": []}],
            {"Fn::If": ["UseApiKey", [{"api_key": []}], []]},
        ]
    }
    for path, method in routes:
        assert paths[path][method]["security"] == by_mode, (path, method)
    schemes = api["DefinitionBody"]["securityDefinitions"]
    assert schemes["AWS_IAM"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert schemes["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    assert template["Conditions"]["UseIamAuth"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "AWS_IAM"]}
    assert template["Conditions"]["UseApiKey"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "API_KEY"]}


def test_api_key_resources_exist_only_in_api_key_mode(template: dict[str, Any]) -> None:
    kinds = {"AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey"}
    keyed = {name: r for name, r in resources(template).items() if r["Type"] in kinds}
    assert {r["Type"] for r in keyed.values()} == kinds
    assert all(r.get("Condition") == "UseApiKey" for r in keyed.values())
    assert template["Outputs"]["ApiKeyId"]["Condition"] == "UseApiKey"


def test_stage_is_throttled_and_writes_json_access_logs(template: dict[str, Any]) -> None:
    api = resources(template)["Api"]["Properties"]
    assert api["StageName"] == {"Ref": "Stage"}
    (settings,) = api["MethodSettings"]
    assert settings["ResourcePath"] == "/*"
    assert settings["HttpMethod"] == "*"
    assert settings["ThrottlingBurstLimit"] > 0
    assert settings["ThrottlingRateLimit"] > 0
    access = api["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(access["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    group = resources(template)["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_api_gateway_may_write_logs_before_the_stage_is_created(template: dict[str, Any]) -> None:
    # REST API stages refuse AccessLogSetting until the account settings name a CloudWatch role.
    assert resources(template)["Api"]["DependsOn"] == "ApiGatewayAccount"
    account = resources(template)["ApiGatewayAccount"]
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    role = resources(template)["ApiGatewayCloudWatchRole"]
    # Retained: the account-wide setting must never name a deleted role.
    assert role["DeletionPolicy"] == "Retain"
    (policy,) = role["Properties"]["ManagedPolicyArns"]
    assert policy["Fn::Sub"].endswith(":policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")


# -- tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(TABLES))
def test_table_keys_and_ttl_match_what_the_code_writes(template: dict[str, Any], role: str) -> None:
    table = resources(template)[TABLES[role]]
    assert table["Type"] == "AWS::DynamoDB::Table"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    schema = {key["KeyType"]: key["AttributeName"] for key in props["KeySchema"]}
    assert tuple(schema[kind] for kind in ("HASH", "RANGE") if kind in schema) == TABLE_KEYS[role]
    types = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    index_keys = AUDIT_BY_CALLER if role == "audit" else ()
    assert types == dict.fromkeys((*TABLE_KEYS[role], *index_keys), "S")
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    if role == "audit":
        index = indexes[BY_CALLER_INDEX]
        assert tuple(k["AttributeName"] for k in index["KeySchema"]) == AUDIT_BY_CALLER
        assert index["Projection"] == {"ProjectionType": "ALL"}
    else:
        assert indexes == {}
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTES[role], "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_breaker_and_idempotency_tables_use_the_powertools_default_attributes() -> None:
    from aws_lambda_powertools.utilities.circuit_breaker.persistence.dynamodb import (
        CircuitBreakerDynamoDBPersistence,
    )
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    for role, layer in (
        ("breaker", CircuitBreakerDynamoDBPersistence),
        ("idempotency", DynamoDBPersistenceLayer),
    ):
        defaults = inspect.signature(layer.__init__).parameters
        assert (defaults["key_attr"].default,) == TABLE_KEYS[role]
        assert defaults["sort_key_attr"].default is None
        assert defaults["expiry_attr"].default == TTL_ATTRIBUTES[role]


# -- parameters, outputs, samconfig ----------------------------------------------------------------

PARAMETERS = {
    "Architecture": (["arm64", "x86_64"], "arm64"),
    "AccessMode": ([mode.value for mode in AccessMode], AccessMode.READ_ONLY.value),
    "AuthMode": (["AWS_IAM", "API_KEY", "NONE"], "AWS_IAM"),
}


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_choice_parameters_offer_the_right_values_and_safe_defaults(
    template: dict[str, Any], name: str
) -> None:
    allowed, default = PARAMETERS[name]
    parameter = template["Parameters"][name]
    assert parameter["AllowedValues"] == allowed
    assert parameter["Default"] == default


def test_free_form_parameters_have_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["Stage"]["Type"] == "String"
    assert parameters["Stage"]["Default"]
    retention = parameters["LogRetentionDays"]
    assert retention["Type"] == "Number"
    assert int(retention["Default"]) in [int(days) for days in retention["AllowedValues"]]
    assert parameters["AllowedOrigins"]["Type"] == "String"
    assert parameters["AllowedOrigins"]["Default"] == ""


def test_outputs_name_the_endpoint_function_and_tables(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    endpoint = outputs["McpEndpoint"]["Value"]["Fn::Sub"]
    assert endpoint.startswith("https://${Api}.execute-api.${AWS::Region}.")
    assert endpoint.endswith("/${Stage}/mcp")
    assert outputs["McpFunctionName"]["Value"] == {"Ref": "McpFunction"}
    for role, logical_id in TABLES.items():
        assert outputs[f"{role.capitalize()}TableName"]["Value"] == {"Ref": logical_id}
    assert outputs["ApiKeyId"]["Value"] == {"Ref": "ApiKey"}
    assert outputs["McpInvokeResource"]["Condition"] == "UseIamAuth"
    assert outputs["McpInvokeResource"]["Value"]["Fn::Sub"].endswith(":${Api}/${Stage}/*/mcp")


def _overrides(raw: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in raw.split())


def test_samconfig_environments_pass_only_valid_parameter_values(template: dict[str, Any]) -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    parameters = template["Parameters"]
    assert {"default", "dev", "prod"} <= set(config) - {"version"}
    for env in ("default", "dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True
        assert deploy["confirm_changeset"] is True
        for name, value in _overrides(deploy["parameter_overrides"]).items():
            assert name in parameters, f"[{env}] unknown parameter {name}"
            allowed = parameters[name].get("AllowedValues")
            assert allowed is None or value in [str(v) for v in allowed], f"[{env}] {name}={value}"
    stacks = [config[env]["global"]["parameters"]["stack_name"] for env in ("default", "dev", "prod")]
    assert len(set(stacks)) == len(stacks)
    assert _overrides(config["prod"]["deploy"]["parameters"]["parameter_overrides"])["AuthMode"] != "NONE"
