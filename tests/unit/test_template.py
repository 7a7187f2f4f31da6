"""template.yaml agrees with the code: tool policies with the registry, tables with the persistence layers,
function settings with aws_mcp.config, parameters with samconfig.toml."""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from aws_mcp.audit import BY_CALLER_INDEX, AuditRecord, Outcome
from aws_mcp.audit.ingest import DEAD_LETTER_QUEUE_VARIABLE
from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp.fleet.inventory import BY_TYPE
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools import CATALOG
from aws_mcp.tools.catalog import CORE, Catalog, Entry
from aws_mcp_local.demo import AUDIT_BY_CALLER, FLEET_BY_TYPE, TABLE_KEYS

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
# API Gateway ends an integration after 29 s; the function must give up first.
API_GATEWAY_INTEGRATION_TIMEOUT = 29
TOOL_SID_PREFIX = "Tool"
INFRA_SID_PREFIX = "Infra"
# Other accounts' roles and the account registry (tests/unit/test_template_fleet.py).
FLEET_SID_PREFIX = "Fleet"
# What infrastructure statements may touch: logs, tracing and the function's own tables.
INFRA_SERVICES = {"logs", "xray", "dynamodb", "secretsmanager", "ssm"}
TABLES = {
    "breaker": "BreakerTable",
    "idempotency": "IdempotencyTable",
    "audit": "AuditTable",
    "cost_cache": "CostCacheTable",
    "fleet": "FleetTable",
    "integrations": "IntegrationsTable",
}
TTL_ATTRIBUTES = {
    "breaker": "expiration",
    "idempotency": "expiration",
    "audit": "expires_at",
    "cost_cache": "expires_at",
    "fleet": "expires_at",
    "integrations": "expires_at",
}


SETTINGS_VARIABLES = {value for name, value in vars(ENV).items() if name.isupper()}
# Powertools' own variables (its Logger and Metrics read them).
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
# Template parameter -> (function variable, Settings field).
TUNING = {
    "BreakerFailureThreshold": (ENV.BREAKER_FAILURE_THRESHOLD, "breaker_failure_threshold"),
    "BreakerRecoveryTimeout": (ENV.BREAKER_RECOVERY_TIMEOUT, "breaker_recovery_timeout"),
    "BreakerSuccessThreshold": (ENV.BREAKER_SUCCESS_THRESHOLD, "breaker_success_threshold"),
    "IdempotencyExpirySeconds": (ENV.IDEMPOTENCY_EXPIRY_SECONDS, "idempotency_expiry_seconds"),
    "RetryWindowSeconds": (ENV.RETRY_WINDOW_SECONDS, "retry_window_seconds"),
    "AuditRetentionDays": (ENV.AUDIT_RETENTION_DAYS, "audit_retention_days"),
}


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


def resolve(template: dict[str, Any], value: Any) -> Any:
    """``value`` with Fn::FindInMap looked up in the template's Mappings; anything else as it is."""
    if isinstance(value, dict) and "Fn::FindInMap" in value:
        mapping, key, attribute = value["Fn::FindInMap"]
        return template["Mappings"][mapping][key][attribute]
    return value


def function(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = resources(template)["McpFunction"]["Properties"]
    return props


def policy_statements(
    template: dict[str, Any], parameters: dict[str, str] | None = None
) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Every statement of the function role's inline policies, with the condition of its policy (or None).

    Documents are read as CloudFormation would fill them in for ``parameters`` (the defaults
    otherwise): statements under a condition that does not hold are left out, JSON text is parsed.
    """
    for entry in resources(template)["McpFunctionRole"]["Properties"]["Policies"]:
        condition = None
        if "Fn::If" in entry:
            condition, policy, otherwise = entry["Fn::If"]
            assert otherwise == {"Ref": "AWS::NoValue"}, "a conditional policy is either there or absent"
        else:
            policy = entry
        document = evaluate(template, policy["PolicyDocument"], parameters or {})
        if isinstance(document, str):
            document = json.loads(document)
        for statement in document["Statement"]:
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


def test_read_write_mode_adds_the_actions_mutating_tools_need_that_reads_do_not_grant(
    template: dict[str, Any],
) -> None:
    assert mutating_tool_actions(), "the catalog has mutating tools"
    writes = tool_actions(template, "GrantWrites")
    assert mutating_tool_actions() - read_only_tool_actions() <= writes <= mutating_tool_actions()


def test_write_policies_depend_on_access_mode_read_write(template: dict[str, Any]) -> None:
    assert template["Conditions"]["AllowWrites"] == {
        "Fn::Equals": [{"Ref": "AccessMode"}, AccessMode.READ_WRITE.value]
    }
    assert template["Conditions"]["GrantWrites"]["Fn::And"][0] == {"Condition": "AllowWrites"}
    conditions = {
        under for under, s in policy_statements(template) if not s["Sid"].startswith(FLEET_SID_PREFIX)
    }
    assert conditions == {None, "GrantWrites"}


def toolset_choices() -> list[str]:
    """ "all", each toolset alone, and the first two together."""
    toolsets = sorted({Entry.of(spec).toolset for spec in CATALOG} - {CORE})
    return ["all", *toolsets, ",".join(toolsets[:2])]


@pytest.mark.parametrize("mode", list(AccessMode))
@pytest.mark.parametrize("toolsets", toolset_choices())
def test_the_tool_policies_grant_exactly_what_the_served_tools_need(
    template: dict[str, Any], toolsets: str, mode: AccessMode
) -> None:
    parameters = {"Toolsets": toolsets, "AccessMode": mode.value}
    granted = {
        action
        for under, statement in policy_statements(template, parameters)
        if statement["Sid"].startswith(TOOL_SID_PREFIX)
        and (under is None or evaluate(template, {"Condition": under}, parameters))
        for action in actions(statement)
    }
    settings = Settings.from_env({ENV.TOOLSETS: toolsets, ENV.ACCESS_MODE: mode.value})
    served = Catalog(CATALOG, allows_writes=settings.allows_writes, toolsets=settings.toolsets)
    assert granted == served.iam_actions()


def test_the_toolsets_parameter_takes_all_or_known_toolset_names(template: dict[str, Any]) -> None:
    pattern = re.compile(template["Parameters"]["Toolsets"]["AllowedPattern"])
    for choice in toolset_choices():
        assert pattern.fullmatch(choice), choice
    for wrong in ("", "All", "all,compute", "compute, network", "compute,", "nosuchset", CORE):
        assert not pattern.fullmatch(wrong), wrong


def test_every_statement_is_either_a_tool_or_an_infrastructure_statement(template: dict[str, Any]) -> None:
    fleet = {"FleetRoleArns": "arn:aws:iam::*:role/AwsMcpMember", "AccountsParameter": "/aws-mcp/accounts"}
    for _, statement in policy_statements(template, fleet):
        assert statement["Effect"] == "Allow"
        assert statement["Sid"].startswith((TOOL_SID_PREFIX, INFRA_SID_PREFIX, FLEET_SID_PREFIX)), statement[
            "Sid"
        ]
        assert not any("*" in action for action in actions(statement)), f"wildcard action in {statement}"


def test_infrastructure_statements_grant_no_tool_actions(template: dict[str, Any]) -> None:
    infra = [s for _, s in policy_statements(template) if s["Sid"].startswith(INFRA_SID_PREFIX)]
    granted = {action for statement in infra for action in actions(statement)}
    assert {action.split(":", 1)[0] for action in granted} <= INFRA_SERVICES
    assert not granted & (read_only_tool_actions() | mutating_tool_actions())


def test_the_servers_table_statements_are_scoped_to_the_stack_tables(template: dict[str, Any]) -> None:
    scoped = set()
    for _, statement in policy_statements(template):
        if statement["Resource"] == "*":
            continue  # a tool's grant on the account's tables (Cloud Control's), not the server's own
        if not any(a.startswith("dynamodb:") for a in actions(statement)):
            continue
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for target in targets:
            # !GetAtt Table.Arn, or !Sub "${Table.Arn}/index/<name>" (filled in: "<Table.Arn>/index/...")
            scoped.add(target["Fn::GetAtt"][0] if "Fn::GetAtt" in target else target[1:].split(".")[0])
    assert scoped == set(TABLES.values())


def test_a_policy_for_more_resource_types_is_attached_only_when_given_with_the_resources_toolset(
    template: dict[str, Any],
) -> None:
    role = resources(template)["McpFunctionRole"]["Properties"]
    assert {
        "Fn::If": ["GrantMoreResourceTypes", {"Ref": "ResourceTypesPolicyArn"}, {"Ref": "AWS::NoValue"}]
    } in role["ManagedPolicyArns"]
    when = template["Conditions"]["GrantMoreResourceTypes"]["Fn::And"]
    assert {"Condition": "ServeResources"} in when
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ResourceTypesPolicyArn"}, ""]}]} in when


def test_function_runs_as_the_role_and_declares_no_other_policies(template: dict[str, Any]) -> None:
    props = function(template)
    assert props["Role"] == {"Fn::GetAtt": ["McpFunctionRole", "Arn"]}
    assert "Policies" not in props


# -- function and layer ----------------------------------------------------------------------------


def test_the_server_may_never_change_its_own_roles(template: dict[str, Any]) -> None:
    guard = resources(template)["McpFunctionGuardPolicy"]["Properties"]
    assert guard["Roles"] == [{"Ref": "McpFunctionRole"}]
    (deny,) = guard["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    # Every write tool's IAM action that changes an existing role is denied on the server's own.
    changing = {"iam:AttachRolePolicy", "iam:DetachRolePolicy"}
    assert changing <= mutating_tool_actions() and changing <= set(deny["Action"])
    assert {r["Fn::GetAtt"][0] for r in deny["Resource"]} == {"McpFunctionRole", "AuditIngestFunctionRole"}


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
    # The shared layer, and the deployment's integration plugins' layer when it names one.
    assert props["Layers"] == [
        {"Ref": "SharedLayer"},
        {
            "Fn::If": [
                "HasIntegrationPluginsLayer",
                {"Ref": "IntegrationPluginsLayerArn"},
                {"Ref": "AWS::NoValue"},
            ]
        },
    ]
    assert props["MemorySize"] >= 256


def test_function_environment_uses_the_settings_variable_names(template: dict[str, Any]) -> None:
    variables = function(template)["Environment"]["Variables"]
    assert set(variables) <= SETTINGS_VARIABLES | POWERTOOLS_VARIABLES
    assert variables[ENV.ACCESS_MODE] == {"Ref": "AccessMode"}
    assert variables[ENV.ALLOWED_ORIGINS] == {"Ref": "AllowedOrigins"}
    assert variables[ENV.STAGE] == {"Ref": "Stage"}
    assert variables[ENV.BREAKER_TABLE] == {"Ref": TABLES["breaker"]}
    assert variables[ENV.IDEMPOTENCY_TABLE] == {"Ref": TABLES["idempotency"]}
    assert variables[ENV.AUDIT_TABLE] == {"Ref": TABLES["audit"]}
    assert variables[ENV.COST_CACHE_TABLE] == {"Ref": TABLES["cost_cache"]}


def test_read_only_calls_leave_the_audit_table_to_the_log_subscription(template: dict[str, Any]) -> None:
    variables = function(template)["Environment"]["Variables"]
    assert variables[ENV.AUDIT_TABLE_WRITES] == "mutations"
    # The value the settings accept for "only mutating calls write synchronously".
    parsed = Settings.from_env({ENV.AUDIT_TABLE_WRITES: variables[ENV.AUDIT_TABLE_WRITES]})
    assert parsed.audit_table_writes == "mutations"


@pytest.mark.parametrize("parameter", sorted(TUNING))
def test_tuning_parameters_reach_the_function_with_the_settings_defaults(
    template: dict[str, Any], parameter: str
) -> None:
    variable, field = TUNING[parameter]
    declared = template["Parameters"][parameter]
    assert declared["Type"] == "Number"
    assert function(template)["Environment"]["Variables"][variable] == {"Ref": parameter}
    default = getattr(Settings(), field)
    assert int(declared["Default"]) == default
    # Within bounds Settings.from_env accepts (every one of these must be at least 1).
    assert 1 <= int(declared["MinValue"]) <= default < int(declared["MaxValue"])
    assert Settings.from_env({variable: str(declared["MinValue"])}) == Settings().with_changes(
        **{field: int(declared["MinValue"])}
    )


def test_metrics_namespace_and_service_are_the_settings_defaults(template: dict[str, Any]) -> None:
    variables = function(template)["Environment"]["Variables"]
    assert resolve(template, variables[ENV.METRICS_NAMESPACE]) == Settings().metrics_namespace
    assert resolve(template, variables["POWERTOOLS_SERVICE_NAME"]) == Settings().server_name


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
    metadata = {
        ("/.well-known/oauth-protected-resource", "get"),
        ("/.well-known/oauth-protected-resource/mcp", "get"),
    }
    assert routes == {("/mcp", "post"), ("/mcp", "get"), ("/mcp", "delete"), ("/health", "get")} | metadata
    # Clients read the protected-resource metadata before they have a token (RFC 9728).
    for path, method in metadata:
        assert paths[path][method]["security"] == []
    integrations = resources(template)["IntegrationsApiFunction"]["Properties"]["Events"].values()
    api_routes = {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in integrations}
    # Inbound events authenticate by their own HMAC signature (aws_mcp.integrations.signing).
    signed = ("/api/v1/integrations/{integration_id}/events", "post")
    assert signed in api_routes and paths[signed[0]][signed[1]]["security"] == []
    assert {(path, method) for path, methods in paths.items() for method in methods} == routes | api_routes
    routes = (routes - metadata) | (api_routes - {signed})
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
    index_keys = {"audit": AUDIT_BY_CALLER, "fleet": FLEET_BY_TYPE}.get(role, ())
    assert types == dict.fromkeys((*TABLE_KEYS[role], *index_keys), "S")
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    if role in ("audit", "fleet"):
        index = indexes[BY_CALLER_INDEX if role == "audit" else BY_TYPE]
        assert tuple(k["AttributeName"] for k in index["KeySchema"]) == index_keys
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
    "AuthMode": (["AWS_IAM", "API_KEY", "OAUTH", "NONE"], "AWS_IAM"),
    "SnapStart": (["None", "PublishedVersions"], "None"),
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
    for logical_id in TABLES.values():
        assert outputs[f"{logical_id}Name"]["Value"] == {"Ref": logical_id}
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


def test_every_parameter_is_in_exactly_one_parameter_group(template: dict[str, Any]) -> None:
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])


def test_outputs_name_the_dashboard_and_the_audit_ingest_function(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["DashboardName"]["Value"] == {"Ref": "Dashboard"}
    url = outputs["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/")
    assert url.endswith("#dashboards/dashboard/${Dashboard}")
    assert outputs["AuditIngestFunctionName"]["Value"] == {"Ref": "AuditIngestFunction"}


# -- audit ingest: the log subscription ------------------------------------------------------------

INGEST = "AuditIngestFunction"


def ingest_function(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = resources(template)[INGEST]["Properties"]
    return props


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template)[role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_ingest_function_runs_its_handler_with_the_shared_layer_small_and_short(
    template: dict[str, Any],
) -> None:
    resource = resources(template)[INGEST]
    assert resource["Type"] == "AWS::Serverless::Function"
    props = resource["Properties"]
    assert props.get("Runtime", template["Globals"]["Function"]["Runtime"]) == "python3.13"
    assert props["Layers"] == [{"Ref": "SharedLayer"}]
    assert props["CodeUri"] == "functions/audit_ingest"
    module, attribute = props["Handler"].split(".")
    source = (REPO / props["CodeUri"] / f"{module}.py").read_text(encoding="utf-8")
    assert any(
        isinstance(node, ast.FunctionDef) and node.name == attribute for node in ast.parse(source).body
    )
    assert props["MemorySize"] <= 256
    assert props["Timeout"] <= 60
    assert props["Role"] == {"Fn::GetAtt": ["AuditIngestFunctionRole", "Arn"]}
    assert "Policies" not in props
    assert "Events" not in props, "invoked by the subscription filter alone"


def test_ingest_function_logs_to_its_own_log_group_with_retention(template: dict[str, Any]) -> None:
    assert ingest_function(template)["LoggingConfig"]["LogGroup"] == {"Ref": "AuditIngestFunctionLogGroup"}
    group = resources(template)["AuditIngestFunctionLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_ingest_function_writes_the_audit_table_with_the_function_retention(template: dict[str, Any]) -> None:
    variables = ingest_function(template)["Environment"]["Variables"]
    assert set(variables) <= SETTINGS_VARIABLES | {DEAD_LETTER_QUEUE_VARIABLE}
    assert variables[ENV.AUDIT_TABLE] == {"Ref": TABLES["audit"]}
    # The same retention as the records the MCP function writes itself.
    assert variables[ENV.AUDIT_RETENTION_DAYS] == {"Ref": "AuditRetentionDays"}
    assert function(template)["Environment"]["Variables"][ENV.AUDIT_RETENTION_DAYS] == {
        "Ref": "AuditRetentionDays"
    }


def test_ingest_function_may_only_put_items_in_the_audit_table_and_write_its_own_logs(
    template: dict[str, Any],
) -> None:
    statements = role_statements(template, "AuditIngestFunctionRole")
    granted: dict[str, list[Any]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Sid"].startswith(INFRA_SID_PREFIX), statement["Sid"]
        for action in actions(statement):
            granted.setdefault(action, []).append(statement["Resource"])
    assert granted == {
        "dynamodb:PutItem": [{"Fn::GetAtt": [TABLES["audit"], "Arn"]}],
        "logs:CreateLogStream": [{"Fn::GetAtt": ["AuditIngestFunctionLogGroup", "Arn"]}],
        "logs:PutLogEvents": [{"Fn::GetAtt": ["AuditIngestFunctionLogGroup", "Arn"]}],
        "sqs:SendMessage": [{"Fn::GetAtt": ["AuditIngestDeadLetterQueue", "Arn"]}],
    }
    trust = resources(template)["AuditIngestFunctionRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]


def test_ingest_events_that_keep_failing_wait_in_an_encrypted_dead_letter_queue_for_14_days(
    template: dict[str, Any],
) -> None:
    assert ingest_function(template)["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["AuditIngestDeadLetterQueue", "Arn"]},
    }
    # Records the table cannot take go there one by one, from the function itself.
    queue_url = ingest_function(template)["Environment"]["Variables"][DEAD_LETTER_QUEUE_VARIABLE]
    assert queue_url == {"Ref": "AuditIngestDeadLetterQueue"}
    queue = resources(template)["AuditIngestDeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"] == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}


def test_subscription_filter_sends_the_mcp_function_log_to_the_ingest_function(
    template: dict[str, Any],
) -> None:
    (name,) = [n for n, r in resources(template).items() if r["Type"] == "AWS::Logs::SubscriptionFilter"]
    subscription = resources(template)[name]
    props = subscription["Properties"]
    assert props["LogGroupName"] == {"Ref": "McpFunctionLogGroup"}
    assert props["DestinationArn"] == {"Fn::GetAtt": [INGEST, "Arn"]}
    # CloudWatch Logs must be allowed to invoke the function before the filter is created.
    (permission_name,) = [n for n, r in resources(template).items() if r["Type"] == "AWS::Lambda::Permission"]
    depends = subscription["DependsOn"]
    assert permission_name in ([depends] if isinstance(depends, str) else depends)
    permission = resources(template)[permission_name]["Properties"]
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["FunctionName"] == {"Fn::GetAtt": [INGEST, "Arn"]}
    assert permission["Principal"] == "logs.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["McpFunctionLogGroup", "Arn"]}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


# A CloudWatch Logs JSON filter pattern, the subset the template uses: { (clause) && (clause) ... }
# with clauses `$.path IS TRUE|FALSE|NULL` or `$.path = "string"` / `!= "string"`. Anything else
# fails the test: extend this when the pattern needs more.
_CLAUSE = re.compile(
    r"^\$\.(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s+"
    r'(?:IS\s+(?P<literal>TRUE|FALSE|NULL)|(?P<op>!?=)\s*"(?P<string>[^"\\]*)")$'
)


def json_filter_matches(pattern: str, message: str) -> bool:
    body = pattern.strip()
    assert body.startswith("{") and body.endswith("}"), pattern
    clauses = [c.strip() for c in body[1:-1].split("&&")]
    assert all(c.startswith("(") and c.endswith(")") for c in clauses) or len(clauses) == 1, pattern
    try:
        event = json.loads(message)
    except ValueError:
        return False  # JSON patterns never match lines that are not JSON
    for clause in clauses:
        found = _CLAUSE.match(clause.removeprefix("(").removesuffix(")").strip())
        assert found, f"unsupported clause {clause!r} in {pattern!r}"
        value: Any = event
        for part in found["path"].split("."):
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if found["literal"]:
            expected = {"TRUE": True, "FALSE": False, "NULL": None}[found["literal"]]
            matched = value is expected
        else:
            matched = isinstance(value, str) and (value == found["string"]) == (found["op"] == "=")
        if not matched:
            return False
    return True


_MISSING = object()


def audit_log_line(mutating: bool, status: str) -> str:
    record = AuditRecord(
        tool="ec2_stop_instances" if mutating else "ec2_list_instances",
        caller="arn:aws:iam::123456789012:user/alice",
        arguments={},
        started_at=datetime(2026, 11, 21, tzinfo=UTC),
        mutating=mutating,
    )
    if status == "complete":
        record = record.completed(Outcome.SUCCESS, duration_ms=1.0, error=None, aws_request_ids=())
    line = {"level": "INFO", "message": "tool call", "service": "aws-mcp", "audit": record.to_log()}
    return json.dumps(line)


def test_filter_pattern_passes_exactly_the_completed_read_only_audit_lines(template: dict[str, Any]) -> None:
    pattern = resources(template)["AuditSubscription"]["Properties"]["FilterPattern"]
    assert len(pattern) <= 1024  # CloudWatch Logs' limit
    assert json_filter_matches(pattern, audit_log_line(mutating=False, status="complete"))
    assert not json_filter_matches(pattern, audit_log_line(mutating=True, status="complete"))
    assert not json_filter_matches(pattern, audit_log_line(mutating=True, status="intent"))
    assert not json_filter_matches(pattern, audit_log_line(mutating=False, status="intent"))
    emf = {"_aws": {"CloudWatchMetrics": []}, "service": "aws-mcp", "ToolCalls": 1}
    assert not json_filter_matches(pattern, json.dumps(emf))
    assert not json_filter_matches(pattern, '{"level": "INFO", "message": "no audit here"}')
    assert not json_filter_matches(pattern, "START RequestId: 1 Version: $LATEST")


# -- alarms and dashboard --------------------------------------------------------------------------

# What the server emits (aws_mcp.telemetry): metric name -> the dimension sets it carries.
SERVER_METRICS: dict[str, set[tuple[str, ...]]] = {
    "ToolCalls": {("service",), ("service", "tool")},
    "ToolErrors": {("service",), ("service", "tool")},
    "ToolLatency": {("service",), ("service", "tool")},
    "Throttles": {("service",), ("service", "tool")},
    "BreakerOpened": {("service",)},
    "BreakerStoreErrors": {("service",)},
    "AuditWriteErrors": {("service",)},
    "BreakerTransitions": {("aws_service", "service", "to_state")},
    # The integrations' delivery function (aws_mcp.integrations.delivery).
    "IntegrationDeliveries": {("service",)},
    "IntegrationRetries": {("service",)},
    "IntegrationDeadLetters": {("service",)},
}
LAMBDA_METRICS = {"Errors", "Throttles", "Invocations", "Duration", "ConcurrentExecutions"}


def emitted_metrics() -> dict[str, set[tuple[str, ...]]]:
    """What aws_mcp.telemetry writes, as EMF, for every kind of event the server reports."""
    stream = io.StringIO()
    settings = Settings()
    telemetry = Telemetry(settings.metrics_namespace, settings.server_name, enabled=True, stream=stream)
    telemetry.tool_call("aws_whoami", error=True, latency_ms=1.0, throttled=True)
    telemetry.breaker_transition("ec2", "OPEN")
    # The counters the package reports through Telemetry.count, wherever it does.
    counted = {
        name
        for path in (REPO / "layers" / "shared" / "aws_mcp").rglob("*.py")
        for name in re.findall(
            r'(?:telemetry\.count|self\._count)\("(\w+)"\)', path.read_text(encoding="utf-8")
        )
    }
    assert counted, "Telemetry.count is called somewhere"
    for name in counted:
        telemetry.count(name)
    found: dict[str, set[tuple[str, ...]]] = {}
    for line in stream.getvalue().splitlines():
        (directive,) = json.loads(line)["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == settings.metrics_namespace
        for dimensions in directive["Dimensions"]:
            for metric in directive["Metrics"]:
                found.setdefault(metric["Name"], set()).add(tuple(sorted(dimensions)))
    return found


def test_the_documented_metrics_are_what_the_server_emits() -> None:
    assert emitted_metrics() == SERVER_METRICS


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in resources(template).items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def alarm_metrics(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its one metric, or those of its metric math."""
    if "MetricName" in props:
        return [{k: props[k] for k in ("Namespace", "MetricName", "Dimensions")}]
    return [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]


def alarm_on(template: dict[str, Any], namespace: str, metric: str, **dimensions: Any) -> str:
    """The one alarm reading ``metric`` in ``namespace`` with exactly ``dimensions``."""
    found = [
        name
        for name, props in alarms(template).items()
        for m in alarm_metrics(props)
        if resolve(template, m["Namespace"]) == namespace
        and m["MetricName"] == metric
        and {d["Name"]: resolve(template, d["Value"]) for d in m["Dimensions"]} == dimensions
    ]
    assert len(found) == 1, (metric, found)
    return found[0]


def test_alarms_read_the_documented_server_metrics_in_the_server_namespace(template: dict[str, Any]) -> None:
    namespace = Settings().metrics_namespace
    for name, props in alarms(template).items():
        for metric in alarm_metrics(props):
            dimensions = {d["Name"]: resolve(template, d["Value"]) for d in metric["Dimensions"]}
            if metric["Namespace"] == "AWS/Lambda":
                assert metric["MetricName"] in LAMBDA_METRICS, name
                assert set(dimensions) == {"FunctionName"}, name
                continue
            if metric["Namespace"] == "AWS/SQS":
                assert metric["MetricName"] == "ApproximateNumberOfMessagesVisible", name
                assert dimensions in [
                    {"QueueName": {"Fn::GetAtt": [queue, "QueueName"]}}
                    for queue in ("AuditIngestDeadLetterQueue", "IntegrationsDeadLetterQueue")
                ], name
                continue
            assert resolve(template, metric["Namespace"]) == namespace, name
            assert tuple(sorted(dimensions)) in SERVER_METRICS[metric["MetricName"]], name
            assert dimensions["service"] == Settings().server_name, name


def test_every_documented_failure_has_an_alarm(template: dict[str, Any]) -> None:
    namespace, service = Settings().metrics_namespace, Settings().server_name
    for metric in (
        "ToolErrors",
        "ToolCalls",
        "BreakerOpened",
        "Throttles",
        "BreakerStoreErrors",
        "AuditWriteErrors",
        "IntegrationDeadLetters",
    ):
        alarm_on(template, namespace, metric, service=service)
    for metric in ("Errors", "Throttles"):
        alarm_on(template, "AWS/Lambda", metric, FunctionName={"Ref": "McpFunction"})
    alarm_on(template, "AWS/Lambda", "Errors", FunctionName={"Ref": INGEST})
    alarm_on(
        template,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        QueueName={"Fn::GetAtt": ["AuditIngestDeadLetterQueue", "QueueName"]},
    )


def test_alarms_notify_the_topic_when_one_is_given_and_ignore_missing_data(template: dict[str, Any]) -> None:
    assert template["Conditions"]["HasAlarmTopic"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]
    }
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert len(alarms(template)) >= 8
    for name, props in alarms(template).items():
        assert props["AlarmActions"] == notify, name
        assert props["OKActions"] == notify, name
        assert props["TreatMissingData"] == "notBreaching", name
        assert props["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name


def test_tool_error_rate_alarm_divides_errors_by_calls_over_5_minutes_ignoring_few_calls(
    template: dict[str, Any],
) -> None:
    namespace, service = Settings().metrics_namespace, Settings().server_name
    name = alarm_on(template, namespace, "ToolErrors", service=service)
    assert alarm_on(template, namespace, "ToolCalls", service=service) == name
    props = alarms(template)[name]
    queries = {m["Id"]: m for m in props["Metrics"]}
    ids = {m["MetricStat"]["Metric"]["MetricName"]: i for i, m in queries.items() if "MetricStat" in m}
    assert set(ids) == {"ToolCalls", "ToolErrors"}
    for i in ids.values():
        assert (queries[i]["MetricStat"]["Period"], queries[i]["MetricStat"]["Stat"]) == (300, "Sum")
    (expression,) = [m for m in queries.values() if "Expression" in m]
    assert [m.get("ReturnData", True) for m in props["Metrics"]].count(True) == 1
    assert expression.get("ReturnData", True) is True
    assert expression["Expression"]["Fn::Sub"].replace(" ", "") == (
        f"IF({ids['ToolCalls']}>=${{ToolErrorRateMinCalls}},{ids['ToolErrors']}/{ids['ToolCalls']},0)"
    )
    assert props["Threshold"] == {"Ref": "ToolErrorRateThreshold"}
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == 1
    threshold = template["Parameters"]["ToolErrorRateThreshold"]
    assert float(threshold["Default"]) == 0.2
    assert 0 < float(threshold["MinValue"]) <= 0.2 <= float(threshold["MaxValue"]) <= 1


@pytest.mark.parametrize(
    ("metric", "period", "threshold"),
    [
        ("BreakerOpened", 60, 1),
        ("Throttles", 300, {"Ref": "ThrottleAlarmThreshold"}),
        ("BreakerStoreErrors", 300, 1),
        ("AuditWriteErrors", 300, 1),
        ("IntegrationDeadLetters", 300, 1),
    ],
)
def test_counter_alarms_go_off_at_their_threshold(
    template: dict[str, Any], metric: str, period: int, threshold: Any
) -> None:
    name = alarm_on(template, Settings().metrics_namespace, metric, service=Settings().server_name)
    props = alarms(template)[name]
    assert props["Statistic"] == "Sum"
    assert props["Period"] == period
    assert props["EvaluationPeriods"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == threshold


_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


def dashboard(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard body with every ${...} checked against the template and filled in."""
    resource = resources(template)["Dashboard"]
    assert resource["Type"] == "AWS::CloudWatch::Dashboard"
    assert resource["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}
    body, variables = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    values = {name: resolve(template, value) for name, value in variables.items()}

    def fill(found: re.Match[str]) -> str:
        name = found[1]
        if name in values:
            return str(values[name])
        if name.startswith("AWS::"):
            return {"AWS::Region": "eu-west-1", "AWS::StackName": "stack"}[name]
        logical_id, _, attribute = name.partition(".")
        assert logical_id in resources(template) or logical_id in template["Parameters"], name
        return f"<{logical_id}{'.' + attribute if attribute else ''}>"

    parsed: dict[str, Any] = json.loads(_SUB_VARIABLE.sub(fill, body))
    return parsed


def widget_metrics(body: dict[str, Any]) -> Iterator[tuple[str, list[Any]]]:
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            yield widget["properties"]["title"], row


def test_dashboard_reads_only_documented_metrics(template: dict[str, Any]) -> None:
    body = dashboard(template)
    namespace = Settings().metrics_namespace
    searched = re.compile(
        r"SEARCH\('\{(?P<schema>[^}]+)\} service=\"(?P<service>[^\"]+)\" MetricName=\"(?P<metric>\w+)\"'"
    )
    for title, row in widget_metrics(body):
        if isinstance(row[0], dict):
            expression = row[0]["expression"]
            if "SEARCH(" in expression:
                assert searched.search(expression), expression
            for found in searched.finditer(expression):
                schema_namespace, *dimensions = found["schema"].split(",")
                assert schema_namespace == namespace, title
                assert tuple(sorted(dimensions)) in SERVER_METRICS[found["metric"]], title
                assert found["service"] == Settings().server_name, title
            continue
        # The last element may be the row's options (label, stat, id).
        metric_namespace, metric, *rest = row[:-1] if isinstance(row[-1], dict) else row
        dimensions = dict(zip(rest[0::2], rest[1::2], strict=True))
        if metric_namespace == namespace:
            assert tuple(sorted(dimensions)) in SERVER_METRICS[metric], title
            assert dimensions["service"] == Settings().server_name, title
        elif metric_namespace == "AWS/Lambda":
            assert metric in LAMBDA_METRICS, title
            assert dimensions["FunctionName"] in {"<McpFunction>", f"<{INGEST}>"}, title
        else:
            assert metric_namespace == "AWS/ApiGateway", title
            assert metric in {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"}, title
            # A REST API's metrics carry its name: the definition's title, which is the stack name.
            api = resources(template)["Api"]["Properties"]
            assert api["DefinitionBody"]["info"]["title"] == {"Ref": "AWS::StackName"}
            assert dimensions == {"ApiName": "stack", "Stage": "<Stage>"}, title


def test_dashboard_shows_calls_errors_latency_breakers_api_and_lambda(template: dict[str, Any]) -> None:
    body = dashboard(template)
    shown = set()
    for _, row in widget_metrics(body):
        if isinstance(row[0], dict):
            shown |= {
                (m, s) for m, s in re.findall(r"MetricName=\\?\"(\w+)\\?\"', '(\w+)'", row[0]["expression"])
            }
        else:
            options = row[-1] if isinstance(row[-1], dict) else {}
            shown.add((row[1], options.get("stat", "")))
    names = {metric for metric, _ in shown}
    assert {"ToolCalls", "ToolErrors", "Throttles", "BreakerTransitions", "BreakerOpened"} <= names
    assert {("ToolLatency", "p50"), ("ToolLatency", "p99")} <= shown
    assert {"4XXError", "5XXError", "Latency"} <= names
    assert {"Duration", "Errors", "ConcurrentExecutions"} <= names
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(
        f"<{name}.Arn>" for name in alarms(template)
    )


# -- evaluating the template's conditions and rules for given parameter values ---------------------


# What Ref AWS::NoValue leaves: nothing (a list item so evaluated is dropped).
NO_VALUE: Any = object()
PSEUDO_PARAMETERS = {"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}


def evaluate(template: dict[str, Any], value: Any, parameters: dict[str, str]) -> Any:
    """``value`` with Ref, Condition and the condition functions worked out as CloudFormation would.

    ``parameters`` overrides the defaults; pseudo parameters are those of a stack in eu-west-1.
    """
    if isinstance(value, list):
        items = (evaluate(template, v, parameters) for v in value)
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Fn::", "Ref", "Condition")):
        return {key: evaluate(template, v, parameters) for key, v in value.items()}
    ((function, argument),) = value.items()
    if function == "Ref":
        if argument == "AWS::NoValue":
            return NO_VALUE
        if argument in parameters:
            return parameters[argument]
        if argument in template["Parameters"]:
            return str(template["Parameters"][argument].get("Default", ""))
        # A resource (or, in Fn::Sub, one of its attributes): its name, as the dashboard test writes it.
        return PSEUDO_PARAMETERS.get(argument, f"<{argument}>")
    if function == "Condition":
        return evaluate(template, template["Conditions"][argument], parameters)
    if function == "Fn::Equals":
        left, right = (str(evaluate(template, v, parameters)) for v in argument)
        return left == right
    if function == "Fn::Not":
        (inner,) = argument
        return not evaluate(template, inner, parameters)
    if function == "Fn::And":
        return all(evaluate(template, v, parameters) for v in argument)
    if function == "Fn::Or":
        return any(evaluate(template, v, parameters) for v in argument)
    if function == "Fn::If":
        condition, then, otherwise = argument
        chosen = then if evaluate(template, template["Conditions"][condition], parameters) else otherwise
        return evaluate(template, chosen, parameters)
    if function == "Fn::Join":
        delimiter, items = argument
        return delimiter.join(evaluate(template, items, parameters))
    if function == "Fn::Split":
        delimiter, text = argument
        return evaluate(template, text, parameters).split(delimiter)
    if function == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: evaluate(template, v, parameters) for name, v in variables.items()}

        def fill(found: re.Match[str]) -> str:
            name = found[1]
            return str(values[name] if name in values else evaluate(template, {"Ref": name}, parameters))

        return _SUB_VARIABLE.sub(fill, text)
    return value


def violated_rules(template: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    """The AssertDescription of every rule assertion the parameter values break."""
    broken = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(template, rule["RuleCondition"], parameters):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(template, assertion["Assert"], parameters):
                broken.append(assertion["AssertDescription"])
    return broken


def test_every_parameter_is_in_the_readme_parameters_table(template: dict[str, Any]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Parameters", 1)[1].split("\n#", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert documented == set(template["Parameters"])


# -- SnapStart and the published alias -------------------------------------------------------------


def test_snapstart_applies_to_published_versions_when_the_parameter_says_so(template: dict[str, Any]) -> None:
    assert function(template)["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}


def test_every_deployment_publishes_a_version_behind_an_alias_when_any_property_changes(
    template: dict[str, Any],
) -> None:
    props = function(template)
    assert props["AutoPublishAlias"] == "live"
    assert props["AutoPublishAliasAllProperties"] is True


def test_api_gateway_invokes_the_published_alias_not_latest(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    document = json.loads(json.dumps(template))
    for resource in document["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"  # what sam package puts there

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    translated = transform(document, {"SnapStart": "PublishedVersions"}, NoManagedPolicies())["Resources"]
    alias = {"Ref": "McpFunctionAliaslive"}
    assert translated["McpFunctionAliaslive"]["Type"] == "AWS::Lambda::Alias"
    permissions = [
        r["Properties"]["FunctionName"]
        for name, r in translated.items()
        if r["Type"] == "AWS::Lambda::Permission" and name.startswith("McpFunction")
    ]
    assert permissions and all(target == alias for target in permissions)
    api_body = json.dumps(translated["Api"]["Properties"]["Body"])
    assert "McpFunctionAliaslive" in api_body
    assert "McpFunction.Arn" not in api_body


# -- reserved concurrency --------------------------------------------------------------------------


def test_the_function_reserves_20_concurrent_executions_unless_told_0_for_unreserved(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["McpReservedConcurrency"]
    assert parameter["Type"] == "Number"
    assert int(parameter["Default"]) == 20
    assert int(parameter["MinValue"]) == 0
    assert function(template)["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveConcurrency", {"Ref": "McpReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert evaluate(template, {"Condition": "ReserveConcurrency"}, {}) is True
    assert evaluate(template, {"Condition": "ReserveConcurrency"}, {"McpReservedConcurrency": "0"}) is False


# -- no unauthenticated writes unless asked for by name --------------------------------------------


@pytest.mark.parametrize("auth", ["AWS_IAM", "API_KEY", "NONE"])
@pytest.mark.parametrize("access", [mode.value for mode in AccessMode])
def test_unauthenticated_read_write_is_refused_unless_explicitly_allowed(
    template: dict[str, Any], auth: str, access: str
) -> None:
    chosen = {"AuthMode": auth, "AccessMode": access}
    dangerous = auth == "NONE" and access == AccessMode.READ_WRITE.value
    if dangerous:
        (message,) = violated_rules(template, chosen)
        assert "AllowUnauthenticatedWrites=true" in message
        assert "anyone" in message
    else:
        assert violated_rules(template, chosen) == []
    assert violated_rules(template, {**chosen, "AllowUnauthenticatedWrites": "true"}) == []


def test_the_rule_is_a_read_write_without_auth_condition_asserting_the_loud_parameter(
    template: dict[str, Any],
) -> None:
    rule = template["Rules"]["NoUnauthenticatedWrites"]
    assert rule["RuleCondition"] == {
        "Fn::And": [
            {"Fn::Equals": [{"Ref": "AuthMode"}, "NONE"]},
            {"Fn::Equals": [{"Ref": "AccessMode"}, AccessMode.READ_WRITE.value]},
        ]
    }
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AllowUnauthenticatedWrites"}, "true"]}
    parameter = template["Parameters"]["AllowUnauthenticatedWrites"]
    assert parameter["AllowedValues"] == ["false", "true"]
    assert parameter["Default"] == "false"
    assert parameter["Description"].startswith("DANGEROUS")


def test_an_issuer_of_one_s_own_needs_the_audience_its_tokens_carry(template: dict[str, Any]) -> None:
    chosen = {"AuthMode": "OAUTH", "OAuthIssuer": "https://issuer.example", "OAuthAudience": ""}
    (message,) = violated_rules(template, chosen)
    assert "needs OAuthAudience" in message
    assert violated_rules(template, {**chosen, "OAuthAudience": "aws-mcp"}) == []
    assert violated_rules(template, {**chosen, "OAuthIssuer": ""}) == []  # the stack's own user pool


def test_oauth_makes_a_user_pool_unless_an_issuer_is_given_and_the_function_checks_its_tokens(
    template: dict[str, Any],
) -> None:
    pool = {n: r for n, r in resources(template).items() if r["Type"].startswith("AWS::Cognito::")}
    assert set(pool) == {"UserPool", "UserPoolDomain", "UserPoolResourceServer", "UserPoolClient"}
    assert all(r["Condition"] == "CreateUserPool" for r in pool.values())
    scopes = {f"aws-mcp/{s['ScopeName']}" for s in pool["UserPoolResourceServer"]["Properties"]["Scopes"]}
    assert scopes == {"aws-mcp/read", "aws-mcp/write", "aws-mcp/admin"}
    client = pool["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False and client["AllowedOAuthFlows"] == ["code"]
    assert scopes <= set(client["AllowedOAuthScopes"])
    variables = function(template)["Environment"]["Variables"]
    assert variables[ENV.AUTH_MODE] == {"Ref": "AuthMode"}
    assert variables[ENV.OAUTH_ISSUER] == {
        "Fn::If": ["CreateUserPool", {"Fn::GetAtt": ["UserPool", "ProviderURL"]}, {"Ref": "OAuthIssuer"}]
    }
    assert variables[ENV.OAUTH_AUDIENCE] == {
        "Fn::If": ["CreateUserPool", {"Ref": "UserPoolClient"}, {"Ref": "OAuthAudience"}]
    }


def test_confirmations_are_signed_with_a_secret_of_the_stack_only_the_function_reads(
    template: dict[str, Any],
) -> None:
    secret = resources(template)["ConfirmationSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert function(template)["Environment"]["Variables"][ENV.CONFIRMATION_SECRET] == {
        "Ref": "ConfirmationSecret"
    }
    granted = [s for _, s in policy_statements(template) if "secretsmanager:GetSecretValue" in actions(s)]
    assert [s["Resource"] for s in granted] == ["<ConfirmationSecret>"]  # (as evaluate() fills in a Ref)


# -- the audit trail cannot be rewritten or deleted by its writers ---------------------------------

# Actions that can delete audit items or the table (BatchWriteItem carries DeleteRequests).
DELETE_CAPABLE = {
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DeleteTable",
    "dynamodb:PartiQLDelete",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:RestoreTableToPointInTime",
}


def audit_table_actions(statements: list[dict[str, Any]]) -> set[str]:
    """The actions of ``statements`` that reach the audit table (itself or its indexes)."""
    found = set()
    for statement in statements:
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if any(json.dumps(TABLES["audit"]) in json.dumps(target) for target in targets):
            found |= actions(statement)
    return found


def test_the_mcp_function_may_put_and_query_audit_items_but_delete_none(template: dict[str, Any]) -> None:
    granted = audit_table_actions([statement for _, statement in policy_statements(template)])
    assert granted == {"dynamodb:PutItem", "dynamodb:Query"}
    assert not granted & DELETE_CAPABLE


def test_the_ingest_function_may_put_audit_items_but_delete_none(template: dict[str, Any]) -> None:
    granted = audit_table_actions(role_statements(template, "AuditIngestFunctionRole"))
    assert granted == {"dynamodb:PutItem"}
    assert not granted & DELETE_CAPABLE


def test_the_audit_table_is_protected_from_deletion_and_recoverable_to_any_point(
    template: dict[str, Any],
) -> None:
    table = resources(template)[TABLES["audit"]]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


# -- mutating actions only where and on what the deployer allows -----------------------------------

REGION_CONDITION = "aws:RequestedRegion"


def mutating_statements(template: dict[str, Any], parameters: dict[str, str]) -> list[dict[str, Any]]:
    chosen = {"AccessMode": AccessMode.READ_WRITE.value, **parameters}
    found = [
        statement
        for under, statement in policy_statements(template, chosen)
        if under == "GrantWrites" and actions(statement) & mutating_tool_actions()
    ]
    assert found, "ReadWrite grants the mutating tools' actions"
    return found


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ("", [PSEUDO_PARAMETERS["AWS::Region"]]),
        ("us-east-1", ["us-east-1"]),
        ("eu-west-1,ap-south-2", ["eu-west-1", "ap-south-2"]),
    ],
)
def test_mutating_actions_are_allowed_only_in_the_chosen_regions_the_stack_region_by_default(
    template: dict[str, Any], regions: str, expected: list[str]
) -> None:
    for statement in mutating_statements(template, {"MutationRegions": regions}):
        assert statement["Condition"]["StringEquals"][REGION_CONDITION] == expected, statement["Sid"]


def test_mutating_actions_need_no_tag_unless_a_tag_key_is_given(template: dict[str, Any]) -> None:
    for statement in mutating_statements(template, {}):
        assert statement["Condition"] == {
            "StringEquals": {REGION_CONDITION: [PSEUDO_PARAMETERS["AWS::Region"]]}
        }
    tagged = {"MutationTagKey": "aws-mcp:managed", "MutationTagValue": "yes"}
    for statement in mutating_statements(template, tagged):
        assert statement["Condition"]["StringEquals"]["aws:ResourceTag/aws-mcp:managed"] == "yes"
        assert set(statement["Condition"]["StringEquals"]) == {
            REGION_CONDITION,
            "aws:ResourceTag/aws-mcp:managed",
        }


def test_scoping_parameters_default_to_the_stack_region_and_no_tag_and_cannot_break_the_policy(
    template: dict[str, Any],
) -> None:
    parameters = template["Parameters"]
    for name in ("MutationRegions", "MutationTagKey", "MutationTagValue"):
        assert parameters[name]["Type"] == "String"
        assert parameters[name]["Default"] == ""
        # What goes into the policy's JSON text can hold no quote or backslash.
        pattern = re.compile(parameters[name]["AllowedPattern"])
        assert pattern.fullmatch("")
        assert not pattern.fullmatch('x"'), name
        assert not pattern.fullmatch("x\\"), name
    assert re.fullmatch(parameters["MutationRegions"]["AllowedPattern"], "us-gov-west-1,eu-central-2")
    assert not re.fullmatch(parameters["MutationRegions"]["AllowedPattern"], "eu-west-1, us-east-1")
    assert re.fullmatch(parameters["MutationTagKey"]["AllowedPattern"], "team:owner/env=prod @x+y.z_-")


def test_read_only_actions_are_not_narrowed(template: dict[str, Any]) -> None:
    tagged = {"MutationRegions": "us-east-1", "MutationTagKey": "k", "MutationTagValue": "v"}
    for parameters in ({}, tagged):
        reads = [
            statement
            for under, statement in policy_statements(template, parameters)
            if under is None and actions(statement) & read_only_tool_actions()
        ]
        assert {a for s in reads for a in actions(s)} >= read_only_tool_actions()
        # Reads work in every region and on every resource, whatever the mutation parameters say.
        for statement in reads:
            assert "Condition" not in statement, statement["Sid"]
        assert any(statement["Resource"] == "*" for statement in reads)


def test_the_integrations_api_knows_callers_and_roles_as_the_mcp_function_does(
    template: dict[str, Any],
) -> None:
    mcp = function(template)["Environment"]["Variables"]
    api = resources(template)["IntegrationsApiFunction"]["Properties"]["Environment"]["Variables"]
    for name in (
        ENV.AUTH_MODE,
        ENV.OAUTH_ISSUER,
        ENV.OAUTH_AUDIENCE,
        ENV.OAUTH_JWKS_URL,
        ENV.ROLES_PARAMETER,
    ):
        assert api[name] == mcp[name], name
    statements = resources(template)["IntegrationsFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    (reads_roles,) = [s for s in statements if "Fn::If" in s]
    condition, statement, otherwise = reads_roles["Fn::If"]
    assert (condition, statement["Action"], otherwise) == (
        "HasRolesParameter",
        ["ssm:GetParameter"],
        {"Ref": "AWS::NoValue"},
    )


def test_a_dead_letter_of_the_integrations_delivery_raises_an_alarm(template: dict[str, Any]) -> None:
    queue = {"Fn::GetAtt": ["IntegrationsDeadLetterQueue", "QueueName"]}
    props = alarms(template)[
        alarm_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName=queue)
    ]
    assert (props["Statistic"], props["ComparisonOperator"], props["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        0,
    )
    delivery = resources(template)["IntegrationsDeliveryFunction"]["Properties"]
    stream = delivery["Events"]["AuditStream"]["Properties"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["IntegrationsDeadLetterQueue", "Arn"]
    }
    # The function counts IntegrationDeadLetters where the alarm on it looks.
    assert delivery["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == {
        "Fn::FindInMap": ["Metrics", "Server", "Namespace"]
    }


def test_circuits_opening_and_closing_reach_the_delivery_function(template: dict[str, Any]) -> None:
    table = resources(template)["BreakerTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    delivery = resources(template)["IntegrationsDeliveryFunction"]["Properties"]
    stream = delivery["Events"]["BreakerStream"]["Properties"]
    assert stream["Stream"] == {"Fn::GetAtt": ["BreakerTable", "StreamArn"]}
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["IntegrationsDeadLetterQueue", "Arn"]
    }
    (pattern,) = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"state": {"S": ["OPEN", "CLOSED"]}}},
    }
    statements = resources(template)["IntegrationsFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    (reads,) = [s for s in statements if s.get("Sid") == "IntegrationsAuditStream"]
    assert {"Fn::GetAtt": ["BreakerTable", "StreamArn"]} in reads["Resource"]


def test_every_function_that_builds_the_integration_registry_gets_the_plugins_and_their_layer(
    template: dict[str, Any],
) -> None:
    plugin_layer = {
        "Fn::If": [
            "HasIntegrationPluginsLayer",
            {"Ref": "IntegrationPluginsLayerArn"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    builders = {
        name: resource["Properties"]
        for name, resource in resources(template).items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "AWS_MCP_INTEGRATIONS_TABLE" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert set(builders) == {
        "McpFunction",
        "IntegrationsApiFunction",
        "IntegrationsHealthFunction",
        "IntegrationsDeliveryFunction",
    }
    for name, props in builders.items():
        assert props["Environment"]["Variables"]["AWS_MCP_INTEGRATION_PLUGINS"] == {
            "Ref": "IntegrationPlugins"
        }, name
        assert plugin_layer in props["Layers"], name
