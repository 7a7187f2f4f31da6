"""Lambda tools against moto's Lambda, through the registry as an agent would call them.

The seeded functions stay as seeded until the last class (the tools' own examples): tests that
change something work on functions of their own in a scratch region.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.lambda_ import FUNCTIONS, ROLE_NAME
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import answers_as_declared, call, refused

ROLE = f"arn:aws:iam::123456789012:role/{ROLE_NAME}"
SECRETS = [value for f in FUNCTIONS for value in f.environment.values()]
NEW_SECRET = "fresh-secret-value-7f3a"
STUBBED = "sa-east-1"  # a region whose client is stubbed, never seeded


def package() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("lambda_",))


def creation(name: str, **more: Any) -> dict[str, Any]:
    return {
        "function_name": name,
        "runtime": "python3.13",
        "handler": "app.handler",
        "role_arn": ROLE,
        "code_zip_base64": package(),
        "region": SCRATCH_REGION,
        **more,
    }


@pytest.fixture
def scratch_function(estate: None) -> Callable[..., str]:
    """A function of the test's own in the scratch region; its name."""

    def make(**settings: Any) -> str:
        name = f"scratch-{uuid.uuid4().hex[:10]}"
        boto3.client("lambda", region_name=SCRATCH_REGION).create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": base64.b64decode(package())},
            **settings,
        )
        return name

    return make


class TestListFunctions:
    def test_lists_the_functions_of_the_default_region(self, registry: ToolRegistry) -> None:
        result = call(registry, "lambda_list_functions")
        assert result["region"] == "us-east-1" and result.get("next_cursor") is None
        by_name = {f["name"]: f for f in result["functions"]}
        assert set(by_name) == {"orders-api", "thumbnailer", "nightly-report"}
        assert by_name["orders-api"] | {"last_modified": None, "code_size_bytes": None} == {
            "name": "orders-api",
            "runtime": "python3.13",
            "memory_mb": 512,
            "timeout_s": 15,
            "architectures": ["arm64"],
            "package_type": "Zip",
            "last_modified": None,
            "code_size_bytes": None,
        }
        assert by_name["orders-api"]["code_size_bytes"] > 0 and by_name["orders-api"]["last_modified"]

    def test_lists_another_region_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "lambda_list_functions", region="eu-west-1")
        assert {f["name"]: f["runtime"] for f in result["functions"]} == {
            "orders-api-eu": "python3.13",
            "webhook-relay": "nodejs20.x",
        }

    def test_fields_choose_the_columns_of_a_compact_answer(self, registry: ToolRegistry) -> None:
        result = call(registry, "lambda_list_functions", fields=["runtime"])
        assert all(set(f) == {"name", "runtime"} for f in result["functions"])

    def test_pages_follow_lambdas_marker(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        functions = [stub_function(f"fn-{n}") for n in range(7)]
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_response(
                "list_functions", {"Functions": functions[:5], "NextMarker": "m-1"}, {"MaxItems": 5}
            )
            stubber.add_response(
                "list_functions", {"Functions": functions[5:]}, {"MaxItems": 5, "Marker": "m-1"}
            )
            first = call(registry, "lambda_list_functions", region=STUBBED, max_results=5)
            assert first["count"] == 5 and first.get("next_cursor")
            second = call(
                registry,
                "lambda_list_functions",
                region=STUBBED,
                max_results=5,
                cursor=first.get("next_cursor"),
            )
            stubber.assert_no_pending_responses()
        assert second.get("next_cursor") is None
        assert [f["name"] for f in first["functions"] + second["functions"]] == [f"fn-{n}" for n in range(7)]

    def test_a_cursor_only_continues_in_its_own_region(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_response("list_functions", {"Functions": [], "NextMarker": "m-1"})
            cursor = call(registry, "lambda_list_functions", region=STUBBED).get("next_cursor")
        assert "other filters" in refused(
            registry, "lambda_list_functions", region="eu-west-1", cursor=cursor
        )

    def test_a_marker_lambda_refuses_is_an_invalid_cursor(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_response("list_functions", {"Functions": [], "NextMarker": "m-1"})
            stubber.add_client_error(
                "list_functions",
                "InvalidParameterValueException",
                "Invalid marker: m-1",
                http_status_code=400,
            )
            cursor = call(registry, "lambda_list_functions", region=STUBBED).get("next_cursor")
            text = refused(registry, "lambda_list_functions", region=STUBBED, cursor=cursor)
        assert "Invalid cursor" in text and "without cursor" in text

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_client_error("list_functions", "AccessDeniedException", "no", http_status_code=403)
            text = refused(registry, "lambda_list_functions", region=STUBBED)
        assert "denied" in text and "AccessDeniedException" in text and "retry will not help" in text

    def test_throttling_says_it_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_client_error(
                "list_functions", "TooManyRequestsException", "slow", http_status_code=429
            )
            text = refused(registry, "lambda_list_functions", region=STUBBED)
        assert "TooManyRequestsException" in text and "transient" in text

    @pytest.mark.parametrize(
        "arguments", [{"max_results": 4}, {"max_results": 51}, {"fields": ["env"]}, {"cursor": "x" * 5000}]
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "lambda_list_functions", **arguments)


def stub_function(name: str) -> dict[str, Any]:
    return {"FunctionName": name, "Runtime": "python3.13", "MemorySize": 128, "Timeout": 3}


@pytest.fixture(scope="module")
def crowded(estate: None) -> str:
    """30 functions alone in a region of their own."""
    region = "ca-central-1"
    client = boto3.client("lambda", region_name=region)
    for n in range(30):
        client.create_function(
            FunctionName=f"crowd-{n:02}-" + "x" * 40,
            Runtime="python3.13",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": base64.b64decode(package())},
        )
    return region


class TestResultBudget:
    def test_cut_pages_continue_without_gaps_or_repeats(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=2000), clients).registry
        seen: list[str] = []
        cursor = None
        cuts = 0
        for _ in range(31):
            outcome = registry.call(
                "lambda_list_functions", {"region": crowded, "cursor": cursor}, CallContext()
            )
            assert not outcome.is_error, outcome.text
            assert len(outcome.text) <= 2000 and outcome.structured is not None
            if outcome.structured.get("next_cursor"):
                assert "Cut to" in outcome.structured["truncated"]
                cuts += 1
            seen += [f["name"] for f in outcome.structured["functions"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 30 and cuts >= 3


class TestGetFunction:
    def test_shows_the_configuration_with_variable_names_and_never_their_values(
        self, registry: ToolRegistry
    ) -> None:
        outcome = registry.call("lambda_get_function", {"function_name": "orders-api"}, CallContext())
        assert outcome.structured is not None
        function = outcome.structured["function"]
        assert function["environment_variable_names"] == ["DB_HOST", "DB_PASSWORD", "PAYMENT_API_KEY"]
        assert function["role"] == ROLE and function["handler"] == "app.handler"
        assert function["ephemeral_storage_mb"] == 512 and function["tracing_mode"] == "PassThrough"
        assert function["state"] == "Active" and function.get("vpc") is None and function["layers"] == []
        assert function.get("reserved_concurrency") is None
        assert not [secret for secret in SECRETS if secret in outcome.text]

    def test_shows_reserved_concurrency(self, registry: ToolRegistry) -> None:
        function = call(registry, "lambda_get_function", function_name="thumbnailer")["function"]
        assert function["reserved_concurrency"] == 5 and function["runtime"] == "nodejs22.x"

    def test_takes_an_arn(self, registry: ToolRegistry) -> None:
        arn = "arn:aws:lambda:eu-west-1:123456789012:function:webhook-relay"
        function = call(registry, "lambda_get_function", function_name=arn, region="eu-west-1")["function"]
        assert function["name"] == "webhook-relay" and function["arn"] == arn

    def test_an_unknown_function_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "lambda_get_function", function_name="no-such-function")
        assert "ResourceNotFoundException" in text and "no-such-function" in text

    @pytest.mark.parametrize("name", ["has space", "x" * 65, "arn:aws:s3:::bucket", ""])
    def test_a_malformed_name_is_refused_before_aws(self, registry: ToolRegistry, name: str) -> None:
        assert "Invalid arguments" in refused(registry, "lambda_get_function", function_name=name)


class TestCreateFunction:
    def test_creates_from_an_inline_zip_and_shows_variable_names_only(self, registry: ToolRegistry) -> None:
        arguments = creation(
            "created-inline",
            architecture="arm64",
            memory_mb=256,
            timeout_s=20,
            secret_environment={"TOKEN_SEED": NEW_SECRET},
            tags={"team": "qa"},
        )
        outcome = registry.call("lambda_create_function", arguments, CallContext())
        assert outcome.structured is not None, outcome.text
        function = outcome.structured["function"]
        assert function["name"] == "created-inline" and function["architectures"] == ["arm64"]
        assert function["memory_mb"] == 256 and function["environment_variable_names"] == ["TOKEN_SEED"]
        assert NEW_SECRET not in outcome.text
        config = boto3.client("lambda", region_name=SCRATCH_REGION).get_function(
            FunctionName="created-inline"
        )
        assert config["Configuration"]["Environment"]["Variables"] == {"TOKEN_SEED": NEW_SECRET}
        assert config["Tags"] == {"team": "qa"}

    def test_creates_from_a_zip_in_s3(self, registry: ToolRegistry) -> None:
        s3: Any = boto3.client("s3", region_name=SCRATCH_REGION)
        s3.create_bucket(
            Bucket="lambda-builds", CreateBucketConfiguration={"LocationConstraint": SCRATCH_REGION}
        )
        s3.put_object(Bucket="lambda-builds", Key="app.zip", Body=base64.b64decode(package()))
        arguments = creation("created-from-s3", code_s3_bucket="lambda-builds", code_s3_key="app.zip")
        del arguments["code_zip_base64"]
        assert call(registry, "lambda_create_function", **arguments)["function"]["name"] == "created-from-s3"

    def test_an_existing_name_is_refused(
        self, registry: ToolRegistry, scratch_function: Callable[..., str]
    ) -> None:
        name = scratch_function()
        text = refused(registry, "lambda_create_function", **creation(name))
        assert "ResourceConflictException" in text

    @pytest.mark.parametrize(
        "change",
        [
            {"code_zip_base64": None},  # no code at all
            {"code_s3_bucket": "builds", "code_s3_key": "app.zip"},  # two sources
            {"code_zip_base64": None, "code_s3_bucket": "builds"},  # a bucket without a key
            {"code_zip_base64": "not base64!"},
            {"code_zip_base64": "A" * (512 * 1024 + 4)},  # over the inline cap
            {"runtime": "python2.7"},
            {"memory_mb": 64},
            {"role_arn": "arn:aws:iam::123456789012:user/someone"},
            {"secret_environment": {"1BAD": "x"}},
            {"secret_environment": {f"VAR_{n}": "v" * 100 for n in range(45)}},  # over Lambda's 4 KB
        ],
    )
    def test_bad_arguments_are_refused_before_aws(
        self, registry: ToolRegistry, change: dict[str, Any]
    ) -> None:
        arguments = {k: v for k, v in {**creation("never-made"), **change}.items() if v is not None}
        assert "Invalid arguments" in refused(registry, "lambda_create_function", **arguments)

    def test_an_aws_error_quoting_a_value_is_withheld(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_client_error(
                "create_function",
                "InvalidParameterValueException",
                f'Bad environment: {{"TOKEN_SEED": "{NEW_SECRET}"}}',
                http_status_code=400,
            )
            arguments = {
                **creation("stubbed"),
                "region": STUBBED,
                "secret_environment": {"TOKEN_SEED": NEW_SECRET},
            }
            text = refused(registry, "lambda_create_function", **arguments)
        assert NEW_SECRET not in text and "withheld" in text and "InvalidParameterValueException" in text

    def test_the_schema_says_the_inline_cap(self, registry: ToolRegistry) -> None:
        (definition,) = [d for d in registry.definitions() if d["name"] == "lambda_create_function"]
        code = definition["inputSchema"]["properties"]["code_zip_base64"]
        assert "512 KiB" in code["description"]


class TestUpdateFunctionConfiguration:
    def test_changes_memory_timeout_and_description(
        self, registry: ToolRegistry, scratch_function: Callable[..., str]
    ) -> None:
        name = scratch_function()
        result = call(
            registry,
            "lambda_update_function_configuration",
            function_name=name,
            memory_mb=1024,
            timeout_s=30,
            description="resized",
            region=SCRATCH_REGION,
        )
        function = result["function"]
        assert (function["memory_mb"], function["timeout_s"], function["description"]) == (
            1024,
            30,
            "resized",
        )
        assert "memory_mb, timeout_s, description" in result["message"]

    def test_environment_is_replaced_and_never_echoed(
        self, registry: ToolRegistry, scratch_function: Callable[..., str]
    ) -> None:
        name = scratch_function(Environment={"Variables": {"OLD": "old-value-1"}})
        outcome = registry.call(
            "lambda_update_function_configuration",
            {"function_name": name, "secret_environment": {"NEW_ONE": NEW_SECRET}, "region": SCRATCH_REGION},
            CallContext(),
        )
        assert outcome.structured is not None
        assert outcome.structured["function"]["environment_variable_names"] == ["NEW_ONE"]
        assert NEW_SECRET not in outcome.text
        cleared = call(
            registry,
            "lambda_update_function_configuration",
            function_name=name,
            secret_environment={},
            region=SCRATCH_REGION,
        )
        assert cleared["function"]["environment_variable_names"] == []

    def test_reserves_and_unreserves_concurrency(
        self, registry: ToolRegistry, scratch_function: Callable[..., str]
    ) -> None:
        name = scratch_function()
        where = {"function_name": name, "region": SCRATCH_REGION}
        reserved = call(registry, "lambda_update_function_configuration", **where, reserved_concurrency=7)
        assert reserved["function"]["reserved_concurrency"] == 7
        assert call(registry, "lambda_get_function", **where)["function"]["reserved_concurrency"] == 7
        released = call(registry, "lambda_update_function_configuration", **where, unreserve_concurrency=True)
        assert released["function"].get("reserved_concurrency") is None
        assert call(registry, "lambda_get_function", **where)["function"].get("reserved_concurrency") is None

    def test_repeating_an_update_leaves_the_same_configuration(
        self, registry: ToolRegistry, scratch_function: Callable[..., str]
    ) -> None:
        name = scratch_function()
        arguments = {"function_name": name, "memory_mb": 512, "region": SCRATCH_REGION}
        first = call(registry, "lambda_update_function_configuration", **arguments)["function"]
        again = call(registry, "lambda_update_function_configuration", **arguments)["function"]
        assert first == again

    def test_a_failed_reservation_says_what_had_changed(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("lambda", STUBBED)) as stubber:
            stubber.add_response(
                "update_function_configuration",
                {"FunctionName": "f", "FunctionArn": "arn:aws:lambda:sa-east-1:123456789012:function:f"},
            )
            stubber.add_client_error(
                "put_function_concurrency", "InvalidParameterValueException", "over the account's limit"
            )
            text = refused(
                registry,
                "lambda_update_function_configuration",
                function_name="f",
                memory_mb=256,
                reserved_concurrency=9000,
                region=STUBBED,
            )
        assert "memory_mb changed, but changing reserved concurrency failed" in text

    @pytest.mark.parametrize(
        "change",
        [
            {},
            {"reserved_concurrency": 3, "unreserve_concurrency": True},
            {"timeout_s": 901},
            {"memory_mb": 127},
        ],
    )
    def test_nothing_or_contradictions_are_refused(
        self, registry: ToolRegistry, change: dict[str, Any]
    ) -> None:
        text = refused(registry, "lambda_update_function_configuration", function_name="orders-api", **change)
        assert "Invalid arguments" in text

    def test_an_unknown_function_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(registry, "lambda_update_function_configuration", function_name="ghost", memory_mb=256)
        assert "ResourceNotFoundException" in text


class TestDeleteFunction:
    def test_deletes_a_function(self, registry: ToolRegistry, scratch_function: Callable[..., str]) -> None:
        name = scratch_function()
        result = call(registry, "lambda_delete_function", function_name=name, region=SCRATCH_REGION)
        assert result["deleted"] is True and name in result["message"]
        gone = refused(registry, "lambda_get_function", function_name=name, region=SCRATCH_REGION)
        assert "ResourceNotFoundException" in gone

    def test_an_unknown_function_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "lambda_delete_function", function_name="retired-cron")
        assert "ResourceNotFoundException" in text and "retired-cron" in text


class TestReadOnlyMode:
    @pytest.mark.parametrize(
        ("tool", "arguments"),
        [
            ("lambda_create_function", creation("never-made")),
            ("lambda_update_function_configuration", {"function_name": "orders-api", "memory_mb": 256}),
            ("lambda_delete_function", {"function_name": "orders-api"}),
        ],
    )
    def test_write_tools_are_refused(
        self, clients: ClientFactory, estate: None, tool: str, arguments: dict[str, Any]
    ) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError, match="ReadOnly"):
            registry.call(tool, arguments, CallContext())
        assert (
            call(registry, "lambda_get_function", function_name="orders-api")["function"]["memory_mb"] == 512
        )


class TestSecretsStayOut:
    """Environment values reach Lambda and nothing else: no result, no audit record, no stored replay."""

    @pytest.fixture
    def audited(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> tuple[ToolRegistry, io.StringIO]:
        stream = io.StringIO()
        logger = Logger(service=f"audit-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(stream))
        tables = table_names()
        changed = settings.with_changes(audit_table=tables["audit"], idempotency_table=tables["idempotency"])
        return build_server(changed, clients, logger=logger).registry, stream

    def test_no_value_appears_in_any_result_log_or_table(
        self, audited: tuple[ToolRegistry, io.StringIO], scratch_function: Callable[..., str]
    ) -> None:
        registry, stream = audited
        secret = {"API_TOKEN": NEW_SECRET, "DB_URL": "postgres://app:pw-9d2c@db/app"}
        outcomes: list[ToolOutcome] = [
            registry.call(
                "lambda_create_function", creation("audited", secret_environment=secret), CallContext()
            ),
            registry.call(
                "lambda_update_function_configuration",
                {"function_name": "audited", "secret_environment": secret, "region": SCRATCH_REGION},
                CallContext(),
            ),
            registry.call(
                "lambda_get_function", {"function_name": "audited", "region": SCRATCH_REGION}, CallContext()
            ),
            registry.call("lambda_list_functions", {"region": SCRATCH_REGION}, CallContext()),
            registry.call("lambda_get_function", {"function_name": "orders-api"}, CallContext()),
            # Refused by Lambda (a name in use): the error and its audit record carry no value either.
            registry.call(
                "lambda_create_function",
                creation("audited", secret_environment=secret, memory_mb=256),
                CallContext(),
            ),
        ]
        assert [o.is_error for o in outcomes] == [False] * 5 + [True]
        texts = [o.text for o in outcomes] + [json.dumps(o.structured) for o in outcomes]
        texts.append(stream.getvalue())
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        stored = [
            json.dumps(dynamodb.scan(TableName=table_names()[t])["Items"]) for t in ("audit", "idempotency")
        ]
        assert "lambda_update_function_configuration" in stored[0] and "lambda_list_functions" in texts[-1]
        texts += stored
        values = [*secret.values(), *SECRETS]
        assert [v for v in values for text in texts if v in text] == []


class TestExamples:
    """Every example answers as declared (run last: the examples change the demo as an agent would)."""

    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "lambda_")
