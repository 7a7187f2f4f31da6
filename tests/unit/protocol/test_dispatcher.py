"""The dispatcher answers both MCP eras on one endpoint, with the spec's codes and statuses.

Results are checked against the official ``mcp-types`` wire models for the
revision in use, so a shape we get wrong fails here before a client sees it.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types.methods import validate_server_result
from pydantic import BaseModel

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from aws_mcp.protocol import Dispatcher, Reply, parse
from aws_mcp.protocol.headers import Headers
from aws_mcp.protocol.versions import (
    CLIENT_CAPABILITIES_META,
    CLIENT_INFO_META,
    LEGACY_VERSIONS,
    PROTOCOL_VERSION_META,
    SERVER_INFO_META,
)
from aws_mcp.tools.contract import ToolInput, tool
from aws_mcp.tools.registry import ToolRegistry

MODERN = "2026-07-28"


class EchoInput(ToolInput):
    message: str


class EchoOutput(BaseModel):
    message: str


def _echo_tool(name: str) -> Any:
    @tool(
        name=name,
        title=f"Echo {name}",
        iam_actions=(),
        read_only=True,
    )
    def echo(args: EchoInput) -> EchoOutput:
        """Echo the message back."""
        return EchoOutput(message=args.message)

    return echo


@pytest.fixture
def dispatcher() -> Dispatcher:
    settings = Settings(tools_page_size=2)
    tools = [_echo_tool(n) for n in ("test_echo_alpha", "test_echo_beta", "test_echo_gamma")]
    return Dispatcher(settings, ToolRegistry(tools, settings, ClientFactory(settings)))


def request(method: str, params: dict[str, Any] | None = None, request_id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def modern_params(extra: dict[str, Any] | None = None, version: str = MODERN) -> dict[str, Any]:
    meta = {
        PROTOCOL_VERSION_META: version,
        CLIENT_INFO_META: {"name": "pytest", "version": "1"},
        CLIENT_CAPABILITIES_META: {},
    }
    return {**(extra or {}), "_meta": meta}


def modern_headers(method: str, name: str | None = None, version: str = MODERN) -> dict[str, tuple[str, ...]]:
    headers: dict[str, tuple[str, ...]] = {"mcp-protocol-version": (version,), "mcp-method": (method,)}
    if name is not None:
        headers["mcp-name"] = (name,)
    return headers


def send(dispatcher: Dispatcher, message: Any, headers: Headers | None = None) -> Reply:
    return dispatcher.handle(message, headers if headers is not None else {}, CallContext())


def error_of(reply: Reply) -> dict[str, Any]:
    assert reply.body is not None and "error" in reply.body, reply
    return reply.body["error"]  # type: ignore[no-any-return]


class TestEnvelope:
    def test_a_batch_is_refused_with_a_clear_error(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, [request("ping"), request("ping", request_id=2)])
        assert reply.status == 400
        assert error_of(reply)["code"] == INVALID_REQUEST
        assert "Batch" in error_of(reply)["message"]

    def test_a_parsed_message_is_answered_as_its_value(self, dispatcher: Dispatcher) -> None:
        reply = dispatcher.answer(parse(b'{"jsonrpc":"2.0","id":3,"method":"ping"}'), {}, CallContext())
        assert reply == Reply(200, {"jsonrpc": "2.0", "id": 3, "result": {}})

    def test_a_parse_error_is_answered_400_without_id(self, dispatcher: Dispatcher) -> None:
        reply = dispatcher.answer(parse(b"{"), {}, CallContext())
        assert reply.status == 400
        assert reply.body is not None and reply.body["id"] is None
        assert error_of(reply)["code"] == PARSE_ERROR

    @pytest.mark.parametrize(
        ("raw", "blocks"),
        [
            (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}', True),
            (b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', False),
            (b'{"jsonrpc":"2.0","id":1,"method":"ping"}', False),
            (b'[{"jsonrpc":"2.0","id":1,"method":"tools/call"}]', False),
            (b"{", False),
        ],
    )
    def test_only_a_tool_call_may_block_on_aws(
        self, dispatcher: Dispatcher, raw: bytes, blocks: bool
    ) -> None:
        assert dispatcher.blocks(parse(raw)) is blocks

    def test_unparseable_bytes_are_a_parse_error_without_id(self, dispatcher: Dispatcher) -> None:
        reply = dispatcher.handle_bytes(b'{"jsonrpc": "2.0", "id": 1,', None, CallContext())
        assert reply.status == 400
        assert reply.body is not None and reply.body["id"] is None
        assert error_of(reply)["code"] == PARSE_ERROR

    @pytest.mark.parametrize(
        "message",
        [
            "just a string",
            42,
            {"id": 1, "method": "ping"},
            {"jsonrpc": "1.0", "id": 1, "method": "ping"},
            {"jsonrpc": "2.0", "id": 1, "method": 7},
            {"jsonrpc": "2.0", "id": True, "method": "ping"},
            {"jsonrpc": "2.0", "id": {"nested": 1}, "method": "ping"},
        ],
    )
    def test_a_malformed_envelope_is_an_invalid_request(self, dispatcher: Dispatcher, message: Any) -> None:
        reply = send(dispatcher, message)
        assert reply.status == 400
        assert error_of(reply)["code"] == INVALID_REQUEST

    def test_params_that_are_not_an_object_are_invalid_params(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": [1]})
        assert error_of(reply)["code"] == INVALID_PARAMS
        assert reply.body is not None and reply.body["id"] == 3

    def test_a_notification_is_accepted_with_no_body(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert reply == Reply(202)

    def test_a_posted_response_is_accepted_and_ignored(self, dispatcher: Dispatcher) -> None:
        assert send(dispatcher, {"jsonrpc": "2.0", "id": 9, "result": {}}) == Reply(202)

    def test_string_ids_are_echoed(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("ping", request_id="abc"))
        assert reply.body == {"jsonrpc": "2.0", "id": "abc", "result": {}}


class TestLegacyEra:
    @pytest.mark.parametrize("version", LEGACY_VERSIONS)
    def test_initialize_echoes_a_supported_version(self, dispatcher: Dispatcher, version: str) -> None:
        reply = send(dispatcher, request("initialize", _init_params(version)))
        assert reply.status == 200 and reply.body is not None
        result = reply.body["result"]
        assert result["protocolVersion"] == version
        assert result["capabilities"] == {"tools": {"listChanged": False}}
        validate_server_result("initialize", version, result)

    def test_initialize_offers_the_latest_legacy_version_for_an_unknown_one(
        self, dispatcher: Dispatcher
    ) -> None:
        reply = send(dispatcher, request("initialize", _init_params("2099-01-01")))
        assert reply.body is not None
        assert reply.body["result"]["protocolVersion"] == "2025-11-25"

    def test_initialize_without_a_version_is_invalid_params(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("initialize", {"capabilities": {}}))
        assert error_of(reply)["code"] == INVALID_PARAMS

    def test_ping_answers_an_empty_result(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("ping"), {"mcp-protocol-version": ("2025-11-25",)})
        assert reply.body == {"jsonrpc": "2.0", "id": 1, "result": {}}

    def test_an_unknown_method_is_method_not_found_in_a_200(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("resources/list"), {"mcp-protocol-version": ("2025-06-18",)})
        assert reply.status == 200
        assert error_of(reply)["code"] == METHOD_NOT_FOUND

    def test_server_discover_is_not_a_legacy_method(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("server/discover"), {"mcp-protocol-version": ("2025-11-25",)})
        assert error_of(reply)["code"] == METHOD_NOT_FOUND

    def test_tools_list_pages_in_name_order(self, dispatcher: Dispatcher) -> None:
        headers = {"mcp-protocol-version": ("2025-11-25",)}
        first = send(dispatcher, request("tools/list"), headers).body
        assert first is not None
        validate_server_result("tools/list", "2025-11-25", first["result"])
        assert [t["name"] for t in first["result"]["tools"]] == ["test_echo_alpha", "test_echo_beta"]
        cursor = first["result"]["nextCursor"]
        second = send(dispatcher, request("tools/list", {"cursor": cursor}), headers).body
        assert second is not None
        assert [t["name"] for t in second["result"]["tools"]] == ["test_echo_gamma"]
        assert "nextCursor" not in second["result"]

    def test_tools_list_is_the_same_every_time(self, dispatcher: Dispatcher) -> None:
        bodies = [send(dispatcher, request("tools/list")).body for _ in range(3)]
        assert bodies[0] == bodies[1] == bodies[2]

    @pytest.mark.parametrize("cursor", ["not-base64!", "eyJ4IjogMX0", 12])
    def test_a_bad_cursor_is_invalid_params(self, dispatcher: Dispatcher, cursor: Any) -> None:
        reply = send(dispatcher, request("tools/list", {"cursor": cursor}))
        assert error_of(reply)["code"] == INVALID_PARAMS

    def test_2025_03_26_gets_no_titles_output_schemas_or_structured_content(
        self, dispatcher: Dispatcher
    ) -> None:
        # No version header: Streamable HTTP says assume 2025-03-26.
        listed = send(dispatcher, request("tools/list")).body
        assert listed is not None
        assert all("title" not in t and "outputSchema" not in t for t in listed["result"]["tools"])
        called = send(dispatcher, request("tools/call", _call("test_echo_alpha", message="hi"))).body
        assert called is not None
        assert "structuredContent" not in called["result"]
        assert called["result"]["content"] == [{"type": "text", "text": '{"message":"hi"}'}]

    def test_tools_call_returns_structured_content_and_text(self, dispatcher: Dispatcher) -> None:
        reply = send(
            dispatcher,
            request("tools/call", _call("test_echo_beta", message="hello")),
            {"mcp-protocol-version": ("2025-11-25",)},
        )
        assert reply.body is not None
        result = reply.body["result"]
        validate_server_result("tools/call", "2025-11-25", result)
        assert result["structuredContent"] == {"message": "hello"}
        assert result["isError"] is False

    def test_an_unknown_tool_is_invalid_params(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("tools/call", _call("nope_nope_nope")))
        assert error_of(reply)["code"] == INVALID_PARAMS
        assert "nope_nope_nope" in error_of(reply)["message"]

    @pytest.mark.parametrize("params", [{}, {"name": 5}, {"name": "test_echo_alpha", "arguments": [1]}])
    def test_a_malformed_tools_call_is_invalid_params(
        self, dispatcher: Dispatcher, params: dict[str, Any]
    ) -> None:
        assert error_of(send(dispatcher, request("tools/call", params)))["code"] == INVALID_PARAMS

    def test_invalid_arguments_are_a_tool_error_result_naming_the_field(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("tools/call", _call("test_echo_alpha", message=3, extra=True)))
        assert reply.status == 200 and reply.body is not None
        result = reply.body["result"]
        assert result["isError"] is True
        text = result["content"][0]["text"]
        assert "message" in text and "extra" in text


class TestModernEra:
    def test_server_discover_lists_versions_capabilities_and_server_info(
        self, dispatcher: Dispatcher
    ) -> None:
        reply = send(
            dispatcher, request("server/discover", modern_params()), modern_headers("server/discover")
        )
        assert reply.status == 200 and reply.body is not None
        result = reply.body["result"]
        validate_server_result("server/discover", MODERN, result)
        assert result["supportedVersions"][0] == MODERN
        assert set(LEGACY_VERSIONS) <= set(result["supportedVersions"])
        assert result["resultType"] == "complete"
        assert result["_meta"][SERVER_INFO_META]["name"] == "aws-mcp"

    def test_tools_list_carries_cache_hints_and_result_type(self, dispatcher: Dispatcher) -> None:
        reply = send(dispatcher, request("tools/list", modern_params()), modern_headers("tools/list"))
        assert reply.body is not None
        result = reply.body["result"]
        validate_server_result("tools/list", MODERN, result)
        assert result["resultType"] == "complete"
        assert result["cacheScope"] == "private"  # the list depends on the caller's role
        assert isinstance(result["ttlMs"], int)
        assert SERVER_INFO_META in result["_meta"]

    def test_tools_call_works_with_matching_headers(self, dispatcher: Dispatcher) -> None:
        params = modern_params(_call("test_echo_gamma", message="m"))
        reply = send(
            dispatcher, request("tools/call", params), modern_headers("tools/call", "test_echo_gamma")
        )
        assert reply.status == 200 and reply.body is not None
        validate_server_result("tools/call", MODERN, reply.body["result"])
        assert reply.body["result"]["structuredContent"] == {"message": "m"}

    def test_a_base64_encoded_name_header_is_decoded_before_comparing(self, dispatcher: Dispatcher) -> None:
        params = modern_params(_call("test_echo_gamma", message="m"))
        encoded = "=?base64?dGVzdF9lY2hvX2dhbW1h?="  # test_echo_gamma
        reply = send(dispatcher, request("tools/call", params), modern_headers("tools/call", encoded))
        assert reply.status == 200

    @pytest.mark.parametrize(
        ("headers", "needle"),
        [
            ({"mcp-method": ("tools/call",), "mcp-name": ("test_echo_gamma",)}, "MCP-Protocol-Version"),
            ({"mcp-protocol-version": (MODERN,), "mcp-name": ("test_echo_gamma",)}, "Mcp-Method"),
            (modern_headers("tools/list", "test_echo_gamma"), "Mcp-Method"),
            (modern_headers("tools/call"), "Mcp-Name"),
            (modern_headers("tools/call", "test_echo_alpha"), "Mcp-Name"),
            (modern_headers("tools/call", "=?base64?!!!?="), "Mcp-Name"),
            (modern_headers("tools/call", "test_echo_gamma", version="2025-11-25"), "MCP-Protocol-Version"),
            (
                {
                    **modern_headers("tools/call", "test_echo_gamma"),
                    "mcp-method": ("tools/call", "tools/call"),
                },
                "more than once",
            ),
        ],
    )
    def test_missing_or_mismatched_headers_are_a_400_header_mismatch(
        self, dispatcher: Dispatcher, headers: Headers, needle: str
    ) -> None:
        params = modern_params(_call("test_echo_gamma", message="m"))
        reply = send(dispatcher, request("tools/call", params), headers)
        assert reply.status == 400
        assert error_of(reply)["code"] == HEADER_MISMATCH
        assert needle in error_of(reply)["message"]

    def test_an_unsupported_version_is_a_400_listing_the_supported_ones(self, dispatcher: Dispatcher) -> None:
        version = "2099-01-01"
        reply = send(
            dispatcher,
            request("tools/list", modern_params(version=version)),
            modern_headers("tools/list", version=version),
        )
        assert reply.status == 400
        error = error_of(reply)
        assert error["code"] == UNSUPPORTED_PROTOCOL_VERSION
        assert error["data"]["requested"] == version
        assert MODERN in error["data"]["supported"]

    def test_an_unknown_version_header_without_envelope_is_unsupported_version(
        self, dispatcher: Dispatcher
    ) -> None:
        reply = send(dispatcher, request("tools/list"), {"mcp-protocol-version": ("1999-01-01",)})
        assert reply.status == 400
        assert error_of(reply)["code"] == UNSUPPORTED_PROTOCOL_VERSION

    def test_a_missing_envelope_key_is_invalid_params(self, dispatcher: Dispatcher) -> None:
        params = {"_meta": {PROTOCOL_VERSION_META: MODERN}}
        reply = send(dispatcher, request("tools/list", params), modern_headers("tools/list"))
        assert reply.status == 400
        assert error_of(reply)["code"] == INVALID_PARAMS
        assert CLIENT_CAPABILITIES_META in error_of(reply)["message"]

    @pytest.mark.parametrize("method", ["initialize", "ping", "resources/list"])
    def test_a_method_outside_the_modern_era_is_a_404(self, dispatcher: Dispatcher, method: str) -> None:
        reply = send(dispatcher, request(method, modern_params()), modern_headers(method))
        assert reply.status == 404
        assert error_of(reply)["code"] == METHOD_NOT_FOUND

    def test_an_unknown_tool_is_a_400_invalid_params(self, dispatcher: Dispatcher) -> None:
        params = modern_params(_call("nope_nope_nope"))
        reply = send(
            dispatcher, request("tools/call", params), modern_headers("tools/call", "nope_nope_nope")
        )
        assert reply.status == 400
        assert error_of(reply)["code"] == INVALID_PARAMS

    def test_a_modern_notification_is_accepted(self, dispatcher: Dispatcher) -> None:
        message = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": modern_params()}
        assert send(dispatcher, message, {"mcp-protocol-version": (MODERN,)}) == Reply(202)

    def test_a_notification_at_an_unsupported_version_is_refused(self, dispatcher: Dispatcher) -> None:
        message = {"jsonrpc": "2.0", "method": "notifications/cancelled"}
        reply = send(dispatcher, message, {"mcp-protocol-version": ("2099-01-01",)})
        assert reply.status == 400
        assert error_of(reply)["code"] == UNSUPPORTED_PROTOCOL_VERSION

    def test_without_headers_the_envelope_alone_selects_the_modern_era(self, dispatcher: Dispatcher) -> None:
        # stdio: no headers to validate, the body's _meta decides.
        reply = dispatcher.handle(request("server/discover", modern_params()), None, CallContext())
        assert reply.status == 200 and reply.body is not None
        assert reply.body["result"]["resultType"] == "complete"

    def test_the_session_header_is_ignored(self, dispatcher: Dispatcher) -> None:
        headers = {**modern_headers("tools/list"), "mcp-session-id": ("abc",)}
        assert send(dispatcher, request("tools/list", modern_params()), headers).status == 200


def _init_params(version: str) -> dict[str, Any]:
    return {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}}


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}
