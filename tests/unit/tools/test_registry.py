"""The registry enforces the tool contract once, around every tool."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError
from pydantic import BaseModel, ValidationError

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INVALID_PARAMS, ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools import CATALOG
from aws_mcp.tools.contract import Example, RegionalInput, ToolSpec, tool
from aws_mcp.tools.registry import ToolRegistry


class Nothing(RegionalInput):
    pass


class Answer(BaseModel):
    value: int


def declare(name: str, body: Any, *, read_only: bool = True) -> ToolSpec:
    def fn(args: Nothing) -> Answer:
        return body()  # type: ignore[no-any-return]

    fn.__doc__ = "A test tool."
    return tool(
        name=name,
        title=name,
        iam_actions=("test:Do",),
        read_only=read_only,
        destructive=not read_only,
    )(fn)


def registry_of(*specs: ToolSpec, mode: AccessMode = AccessMode.READ_WRITE) -> ToolRegistry:
    settings = Settings(access_mode=mode)
    return ToolRegistry(specs, settings, ClientFactory(settings))


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Do")


class TestDeclaring:
    @pytest.mark.parametrize("name", ["Ec2List", "ec2", "ec2-list-x", "x_" + "y" * 63])
    def test_a_name_must_be_snake_case_service_verb_noun_within_64_chars(self, name: str) -> None:
        with pytest.raises(ValueError, match="snake_case"):
            declare(name, lambda: Answer(value=1))

    def test_a_tool_needs_a_docstring(self) -> None:
        def fn(args: Nothing) -> Answer:
            return Answer(value=1)

        with pytest.raises(ValueError, match="docstring"):
            tool(
                name="x_do_y",
                title="t",
                iam_actions=(),
                read_only=True,
            )(fn)

    def test_a_read_only_tool_cannot_be_destructive(self) -> None:
        with pytest.raises(ValueError, match="read-only"):
            tool(
                name="x_do_y",
                title="t",
                iam_actions=(),
                read_only=True,
                destructive=True,
            )

    def test_models_and_clients_come_from_the_signature(self) -> None:
        def fn(ec2: Any, resource_groups_tagging_api: Any, lambda_: Any, args: Nothing) -> Answer:
            """Read three services."""
            return Answer(value=1)

        spec = tool(name="x_read_three", title="t", iam_actions=(), read_only=True)(fn)
        assert spec.input_model is Nothing and spec.output_model is Answer
        # A keyword is spelt with a trailing underscore, as PEP 8 says; the client is "lambda".
        assert spec.clients == ("ec2", "resource_groups_tagging_api", "lambda")

    def test_arguments_and_result_must_be_annotated_with_models(self) -> None:
        def fn(args: dict[str, Any]) -> Answer:
            """Untyped."""
            return Answer(value=1)

        with pytest.raises(ValueError, match="annotate the arguments"):
            tool(name="x_do_y", title="t", iam_actions=(), read_only=True)(fn)

    def test_an_example_that_cannot_run_is_refused_at_declaration(self) -> None:
        def fn(args: Nothing) -> Answer:
            """Example-checked."""
            return Answer(value=1)

        with pytest.raises(ValidationError):
            tool(
                name="x_do_y",
                title="t",
                iam_actions=(),
                read_only=True,
                examples=(Example({"colour": "red"}, {"value": 1}),),
            )(fn)

    def test_every_tool_of_the_catalogue_has_an_example_call(self) -> None:
        assert [spec.name for spec in CATALOG if not spec.examples] == []

    def test_a_name_declared_twice_is_refused(self) -> None:
        spec = declare("x_get_one", lambda: Answer(value=1))
        with pytest.raises(ValueError, match="twice"):
            registry_of(spec, spec)


class TestCatalog:
    def test_every_tool_is_described_for_a_model_and_annotated(self) -> None:
        for spec in CATALOG:
            definition = spec.definition()
            assert len(definition["description"]) > 40, spec.name
            assert definition["title"], spec.name
            # The hints as the spec reads them: what is left out takes its defaults (not idempotent,
            # open world); reading and destroying are always said.
            hints = {"idempotentHint": False, "openWorldHint": True} | definition["annotations"]
            assert (hints["readOnlyHint"], hints["destructiveHint"]) == (spec.read_only, spec.destructive)
            assert hints["openWorldHint"] is spec.open_world
            assert hints["idempotentHint"] is (spec.idempotent and not spec.read_only)
            # The CLI executor's reach is the deployment's choice (CliExecutorAccess); fleet_list's is
            # that of the tools it runs.
            # Bulk changes act through member roles (and in the home account, the write tools' grants).
            reach_elsewhere = {
                "aws_cli_run",
                "aws_cli_change",
                "fleet_list",
                "fleet_plan_change",
                "fleet_execute_plan",
            }
            assert spec.iam_actions or spec.name in reach_elsewhere, spec.name
            # Every argument a tool adds is described; the shared ones' names say it all (see contract).
            shared = {
                "region",
                "account",
                "regions",
                "idempotency_key",
                "cursor",
                "max_results",
                "confirmation",
            }
            for name, prop in definition["inputSchema"]["properties"].items():
                assert name in shared or prop.get("description"), f"{spec.name}.{name} has no description"

    def test_every_list_string_and_map_argument_states_its_bound(self) -> None:
        def unbounded(node: Any, path: str) -> list[str]:
            if not isinstance(node, dict):
                return []
            kind = str(node.get("type"))
            bounded = {
                "string": {"maxLength", "enum", "format"},
                "array": {"maxItems"},
                "object": {"maxProperties", "properties"},
            }.get(kind, set())
            found = [path] if bounded and not bounded & node.keys() else []
            for key in ("items", "additionalProperties", "propertyNames"):
                found += unbounded(node.get(key), f"{path}.{key}")
            for name, sub in (node.get("properties") or {}).items():
                found += unbounded(sub, f"{path}.{name}")
            return found

        problems = [p for spec in CATALOG for p in unbounded(spec.definition()["inputSchema"], spec.name)]
        assert problems == []

    def test_read_only_mode_hides_mutating_tools(self, clients: ClientFactory) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
        names = list(registry.names)
        assert names == sorted(names)
        assert "ec2_list_instances" in names
        assert "ec2_start_instances" not in names and "ec2_stop_instances" not in names
        assert "ec2:StartInstances" not in registry.iam_actions()

    def test_read_write_mode_lists_every_tool(self, clients: ClientFactory) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_WRITE), clients).registry
        assert set(registry.names) == {spec.name for spec in CATALOG}

    def test_calling_a_disabled_tool_says_why(self, clients: ClientFactory) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call("ec2_stop_instances", {"instance_ids": ["i-0123456789abcdef0"]}, CallContext())
        assert raised.value.code == INVALID_PARAMS
        assert "ReadOnly" in raised.value.message and "AWS_MCP_ACCESS_MODE=ReadWrite" in raised.value.message

    def test_on_lambda_a_disabled_tool_names_the_stack_parameter(self, clients: ClientFactory) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY, on_lambda=True), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call("ec2_stop_instances", {"instance_ids": ["i-0123456789abcdef0"]}, CallContext())
        assert "AccessMode parameter set to ReadWrite" in raised.value.message
        assert "AWS_MCP_ACCESS_MODE" not in raised.value.message


class TestCalling:
    def test_a_result_comes_back_structured_with_a_json_text_copy(self) -> None:
        outcome = registry_of(declare("x_get_one", lambda: Answer(value=7))).call(
            "x_get_one", {}, CallContext()
        )
        assert outcome.structured == {"value": 7}
        assert outcome.text == '{"value":7}'
        assert not outcome.is_error

    def test_unknown_arguments_are_refused_by_name(self) -> None:
        outcome = registry_of(declare("x_get_one", lambda: Answer(value=7))).call(
            "x_get_one", {"colour": "red"}, CallContext()
        )
        assert outcome.is_error and "colour" in outcome.text and "Extra inputs" in outcome.text

    def test_a_bad_region_is_refused_before_any_aws_call(self) -> None:
        called: list[int] = []

        def answer() -> Answer:
            called.append(1)
            return Answer(value=1)

        spec = declare("x_get_one", answer)
        outcome = registry_of(spec).call("x_get_one", {"region": "moon-base-1x"}, CallContext())
        assert outcome.is_error and "region" in outcome.text
        assert called == []

    @pytest.mark.parametrize("region", ["xx-nowhere-9", "us-east-99"])
    def test_a_region_that_does_not_exist_is_an_invalid_argument_saying_how_to_find_one(
        self, region: str
    ) -> None:
        spec = declare("x_get_one", lambda: Answer(value=1))
        outcome = registry_of(spec).call("x_get_one", {"region": region}, CallContext())
        assert outcome.is_error and "Invalid arguments" in outcome.text
        assert "describe-regions" in outcome.text and "Internal error" not in outcome.text

    def test_an_aws_refusal_is_a_tool_error_with_its_code(self) -> None:
        def refuse() -> Answer:
            raise client_error("UnauthorizedOperation", 403)

        outcome = registry_of(declare("x_get_one", refuse)).call("x_get_one", {}, CallContext())
        assert outcome.is_error
        assert "UnauthorizedOperation" in outcome.text and "transient" not in outcome.text

    @pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("InternalError", 500)])
    def test_throttling_and_server_errors_say_they_are_transient(self, code: str, status: int) -> None:
        def fail() -> Answer:
            raise client_error(code, status)

        outcome = registry_of(declare("x_get_one", fail)).call("x_get_one", {}, CallContext())
        assert outcome.is_error and code in outcome.text and "transient" in outcome.text

    def test_a_read_timeout_says_how_long_it_waited_and_to_ask_for_less(self) -> None:
        def slow() -> Answer:
            raise ReadTimeoutError(endpoint_url="https://ec2.amazonaws.com")

        outcome = registry_of(declare("x_get_one", slow)).call("x_get_one", {}, CallContext())
        assert outcome.is_error and "within 5 s" in outcome.text
        assert "narrower filter or a smaller max_results" in outcome.text and "soon" not in outcome.text

    def test_an_unreachable_endpoint_says_nothing_was_sent(self) -> None:
        def unreachable() -> Answer:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

        outcome = registry_of(declare("x_get_one", unreachable)).call("x_get_one", {}, CallContext())
        assert outcome.is_error and "nothing was sent" in outcome.text

    def test_missing_credentials_say_how_to_give_the_server_some(self) -> None:
        def anonymous() -> Answer:
            raise NoCredentialsError

        outcome = registry_of(declare("x_get_one", anonymous)).call("x_get_one", {}, CallContext())
        assert outcome.is_error and "Unable to locate credentials" in outcome.text
        assert "AWS_PROFILE" in outcome.text and "restart" in outcome.text

    def test_a_bug_in_a_tool_is_reported_without_its_details(self) -> None:
        def broken() -> Answer:
            raise KeyError("secret-internal-detail")

        outcome = registry_of(declare("x_get_one", broken)).call(
            "x_get_one", {}, CallContext(request_id="r-1")
        )
        assert outcome.is_error
        assert "Internal error" in outcome.text and "r-1" in outcome.text
        assert "secret-internal-detail" not in outcome.text


class TestTheAuditTool:
    def test_audit_query_takes_no_region_it_would_ignore(self, clients: ClientFactory) -> None:
        registry = build_server(Settings(), clients).registry
        (definition,) = [d for d in registry.definitions() if d["name"] == "audit_query"]
        assert "region" not in definition["inputSchema"]["properties"]
        outcome = registry.call("audit_query", {"region": "eu-west-1"}, CallContext())
        assert outcome.is_error and "region" in outcome.text and "Extra inputs" in outcome.text
