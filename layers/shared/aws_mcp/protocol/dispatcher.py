"""JSON-RPC 2.0 dispatch for both MCP eras on one endpoint: a decoded message in, a reply out.

Hand-written rather than built on the official SDK's server: the SDK's server
stack (anyio task groups, session manager, per-request Connection objects)
costs hundreds of milliseconds of cold start and a millisecond per warm call,
which is most of our budget on Lambda. The SDK's ``mcp-types`` stay the
oracle in tests. No HTTP and no AWS here: transports pass headers in (or None
on stdio) and map ``Reply.status`` onto their wire.

Era selection follows the SDK and the spec's dual-era rules:

* ``MCP-Protocol-Version`` names a legacy revision and the body carries no
  modern envelope → legacy, that revision.
* ``params._meta`` carries a protocol version, or the header names anything
  else → the modern ladder (envelope, headers, version).
* otherwise → legacy; ``initialize`` negotiates, other requests assume the
  transport's default (2025-03-26 on HTTP, per the spec).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.cursor import decode_cursor, encode_cursor
from aws_mcp.errors import (
    HEADER_MISMATCH,
    HTTP_STATUS,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    ProtocolError,
)
from aws_mcp.protocol import headers as hdr
from aws_mcp.protocol.envelope import Message, ParseError, parse
from aws_mcp.protocol.versions import (
    CLIENT_CAPABILITIES_META,
    CLIENT_INFO_META,
    LATEST_LEGACY,
    LEGACY_DEFAULT,
    LEGACY_VERSIONS,
    MODERN_VERSIONS,
    PROTOCOL_VERSION_META,
    SERVER_INFO_META,
    SUPPORTED_VERSIONS,
    WITH_TITLES_AND_STRUCTURED,
)
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry

__all__ = ["Dispatcher", "Reply"]

ACCEPTED: Final = 202

INSTRUCTIONS: Final = (
    "Tools for inspecting and operating AWS accounts. Every tool takes an optional `region` and "
    "`account` (an alias of this server's account registry); without them it acts in the server's "
    "own account and default region. List tools also take `accounts` and `regions` lists to read "
    'across the fleet in one call (["*"]: every registered account, each account\'s own regions); '
    "their answer's `fanout` names every target that failed or was not reached. "
    "Mutating tools exist only when the server allows writes; use their `dry_run` argument "
    "to check permissions before acting. Call aws_whoami first to see the account and region."
)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back: an HTTP-style status and a JSON-RPC body (None: no body)."""

    status: int
    body: dict[str, Any] | None = None
    # The registry has recorded this reply's tools/call (run, or refused by name or arguments).
    audited: bool = False


def _error(request_id: Any, err: ProtocolError, status: int) -> Reply:
    return Reply(status, {"jsonrpc": "2.0", "id": request_id, "error": err.to_error()}, err.audited)


class Dispatcher:
    def __init__(self, settings: Settings, registry: ToolRegistry) -> None:
        self._settings = settings
        self._registry = registry
        self._server_info = {
            "name": settings.server_name,
            "title": "AWS MCP",
            "version": settings.server_version,
        }
        self._capabilities: dict[str, Any] = {"tools": {"listChanged": False}}
        self._legacy: dict[str, Callable[[dict[str, Any], str, CallContext], dict[str, Any]]] = {
            "initialize": self._initialize,
            "ping": lambda params, version, ctx: {},
            "tools/list": self._tools_list,
            "tools/call": self._tools_call,
        }
        self._modern: dict[str, Callable[[dict[str, Any], str, CallContext], dict[str, Any]]] = {
            "server/discover": self._discover,
            "tools/list": self._tools_list,
            "tools/call": self._tools_call,
        }

    @property
    def tool_count(self) -> int:
        return len(self._registry.names)

    # -- entry points -------------------------------------------------------------------------

    def handle_bytes(
        self,
        raw: bytes | str,
        headers: hdr.Headers | None,
        context: CallContext,
        legacy_version: str = LEGACY_DEFAULT,
    ) -> Reply:
        """Answer one message's bytes (see :func:`~aws_mcp.protocol.envelope.parse`)."""
        return self.answer(parse(raw), headers, context, legacy_version)

    def answer(
        self,
        parsed: Message | ParseError,
        headers: hdr.Headers | None,
        context: CallContext,
        legacy_version: str = LEGACY_DEFAULT,
    ) -> Reply:
        """Answer what :func:`~aws_mcp.protocol.envelope.parse` made of one message's bytes."""
        if isinstance(parsed, ParseError):
            return Reply(400, parsed.body)
        return self.handle(parsed.value, headers, context, legacy_version)

    @staticmethod
    def blocks(parsed: Message | ParseError) -> bool:
        """Whether answering ``parsed`` may wait on AWS (it calls a tool): a server that answers
        requests side by side runs it off its event loop."""
        return isinstance(parsed, Message) and parsed.method == "tools/call"

    def handle(
        self,
        message: Any,
        headers: hdr.Headers | None,
        context: CallContext,
        legacy_version: str = LEGACY_DEFAULT,
    ) -> Reply:
        """Answer one decoded JSON-RPC message.

        ``headers`` are the HTTP request headers (lower-case names), or None on
        transports without them (stdio), which skips header validation.
        ``legacy_version`` is the revision a legacy request without a version
        header runs under: 2025-03-26 on HTTP, the negotiated one on stdio.

        Every ``tools/call`` leaves one audit record: those refused here, before the
        registry saw them (bad envelope, id, headers, sent as a notification or in a
        batch), are recorded as protocol errors.
        """
        reply = self._answer(message, headers, context, legacy_version)
        if not reply.audited:
            for params in _tools_call_params(message):
                self._registry.refuse(
                    params.get("name"),
                    params.get("arguments"),
                    _with_meta_client(context, params),
                    _why(reply),
                )
        return reply

    def _answer(
        self, message: Any, headers: hdr.Headers | None, context: CallContext, legacy_version: str
    ) -> Reply:
        if isinstance(message, list):
            err = ProtocolError(
                INVALID_REQUEST,
                "Batch requests are not supported: send one JSON-RPC message per request",
            )
            return _error(None, err, 400)
        if not isinstance(message, dict):
            return _error(None, ProtocolError(INVALID_REQUEST, "Expected a JSON-RPC object"), 400)

        request_id = message.get("id")
        has_id = "id" in message
        valid_id = isinstance(request_id, str | int) and not isinstance(request_id, bool)
        reply_id = request_id if valid_id else None
        if message.get("jsonrpc") != "2.0":
            return _error(reply_id, ProtocolError(INVALID_REQUEST, 'Expected "jsonrpc": "2.0"'), 400)

        method = message.get("method")
        if "method" not in message and has_id and ("result" in message or "error" in message):
            # A client's response to a server request; we never send any, so nothing awaits it.
            return Reply(ACCEPTED)
        if not isinstance(method, str):
            return _error(reply_id, ProtocolError(INVALID_REQUEST, '"method" must be a string'), 400)
        if has_id and not valid_id:
            err = ProtocolError(INVALID_REQUEST, '"id" must be a string or an integer')
            return _error(None, err, 400)
        params = message.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            err = ProtocolError(INVALID_PARAMS, '"params" must be an object')
            return _error(reply_id, err, 400)

        version_header = self._version_header(headers)
        meta = params.get("_meta")
        # A body declaring its version is modern whatever the header says (a mismatch is
        # then a HeaderMismatch); legacy bodies never carry that reserved key.
        modern = (version_header is not None and version_header not in LEGACY_VERSIONS) or (
            isinstance(meta, dict) and PROTOCOL_VERSION_META in meta
        )

        if not has_id:
            return self._notification(version_header if modern else None)
        try:
            if modern:
                return self._modern_request(request_id, method, params, headers, context)
            return self._legacy_request(request_id, method, params, version_header or legacy_version, context)
        except ProtocolError as err:
            # Legacy Streamable HTTP carries request errors in a 200 response.
            status = HTTP_STATUS.get(err.code, 200) if modern else 200
            return _error(request_id, err, status)

    # -- eras ---------------------------------------------------------------------------------

    @staticmethod
    def _version_header(headers: hdr.Headers | None) -> str | None:
        return hdr.single(headers, hdr.PROTOCOL_VERSION) if headers is not None else None

    def _notification(self, modern_version: str | None) -> Reply:
        # Notifications change nothing on a stateless server; accept them unless the
        # version header names a revision we do not speak.
        if modern_version is not None and modern_version not in MODERN_VERSIONS:
            return _error(None, self._unsupported(modern_version), 400)
        return Reply(ACCEPTED)

    def _legacy_request(
        self, request_id: Any, method: str, params: dict[str, Any], version: str, context: CallContext
    ) -> Reply:
        handler = self._legacy.get(method)
        if handler is None:
            hint = (
                " (server/discover belongs to 2026-07-28: send MCP-Protocol-Version)"
                if (method == "server/discover")
                else ""
            )
            raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {method}{hint}")
        if method == "initialize":
            requested = params.get("protocolVersion")
            if not isinstance(requested, str):
                raise ProtocolError(INVALID_PARAMS, "initialize: params.protocolVersion must be a string")
            version = requested if requested in LEGACY_VERSIONS else LATEST_LEGACY
        client_info = params.get("clientInfo")
        ctx = context.with_client(version, client_info)
        result = handler(params, version, ctx)
        return Reply(200, {"jsonrpc": "2.0", "id": request_id, "result": result}, method == "tools/call")

    def _modern_request(
        self,
        request_id: Any,
        method: str,
        params: dict[str, Any],
        headers: hdr.Headers | None,
        context: CallContext,
    ) -> Reply:
        meta = params.get("_meta")
        if not isinstance(meta, dict):
            header_version = self._version_header(headers)
            if header_version is not None and header_version not in SUPPORTED_VERSIONS:
                raise self._unsupported(header_version)
            raise ProtocolError(
                INVALID_PARAMS,
                f"params._meta must be an object carrying {PROTOCOL_VERSION_META!r} "
                f"and {CLIENT_CAPABILITIES_META!r}",
            )
        missing = [k for k in (PROTOCOL_VERSION_META, CLIENT_CAPABILITIES_META) if k not in meta]
        if missing:
            raise ProtocolError(INVALID_PARAMS, f"params._meta is missing {', '.join(missing)}")
        version = meta[PROTOCOL_VERSION_META]
        if headers is not None:
            self._check_headers(headers, method, params, version)
        if not isinstance(version, str):
            raise ProtocolError(INVALID_PARAMS, f"{PROTOCOL_VERSION_META} must be a string")
        if version not in MODERN_VERSIONS:
            raise self._unsupported(version)

        handler = self._modern.get(method)
        if handler is None:
            raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {method}")
        ctx = context.with_client(version, meta.get(CLIENT_INFO_META))
        result = handler(params, version, ctx)
        result.setdefault("resultType", "complete")
        result["_meta"] = {**result.get("_meta", {}), SERVER_INFO_META: dict(self._server_info)}
        return Reply(200, {"jsonrpc": "2.0", "id": request_id, "result": result}, method == "tools/call")

    @staticmethod
    def _check_headers(headers: hdr.Headers, method: str, params: dict[str, Any], version: Any) -> None:
        duplicated = hdr.duplicated_routing_header(headers)
        if duplicated is not None:
            raise ProtocolError(HEADER_MISMATCH, f"Header mismatch: {duplicated} appears more than once")
        sent = hdr.single(headers, hdr.PROTOCOL_VERSION)
        if sent is None or sent != version:
            raise ProtocolError(
                HEADER_MISMATCH,
                f"Header mismatch: MCP-Protocol-Version {sent!r} does not match "
                f"params._meta protocol version {version!r}",
            )
        sent_method = hdr.single(headers, hdr.METHOD)
        if sent_method != method:
            raise ProtocolError(
                HEADER_MISMATCH,
                f"Header mismatch: Mcp-Method {sent_method!r} does not match body method {method!r}",
            )
        name_field = hdr.NAME_FIELD.get(method)
        if name_field is not None and params.get(name_field) is not None:
            sent_name = hdr.decode_value(hdr.single(headers, hdr.NAME))
            if sent_name != params[name_field]:
                raise ProtocolError(
                    HEADER_MISMATCH,
                    f"Header mismatch: Mcp-Name {sent_name!r} does not match params.{name_field} "
                    f"{params[name_field]!r}",
                )

    @staticmethod
    def _unsupported(requested: str) -> ProtocolError:
        return ProtocolError(
            UNSUPPORTED_PROTOCOL_VERSION,
            f"Unsupported protocol version {requested!r}",
            {"supported": list(SUPPORTED_VERSIONS), "requested": requested},
        )

    # -- methods ------------------------------------------------------------------------------

    def _initialize(self, params: dict[str, Any], version: str, ctx: CallContext) -> dict[str, Any]:
        info = dict(self._server_info)
        if version not in WITH_TITLES_AND_STRUCTURED:
            info.pop("title")
        return {
            "protocolVersion": version,
            "capabilities": self._capabilities,
            "serverInfo": info,
            "instructions": INSTRUCTIONS,
        }

    def _discover(self, params: dict[str, Any], version: str, ctx: CallContext) -> dict[str, Any]:
        return {
            "supportedVersions": list(SUPPORTED_VERSIONS),
            "capabilities": self._capabilities,
            "serverInfo": dict(self._server_info),
            "instructions": INSTRUCTIONS,
            "ttlMs": self._settings.tools_ttl_ms,
            "cacheScope": "public",
        }

    def _tools_list(self, params: dict[str, Any], version: str, ctx: CallContext) -> dict[str, Any]:
        definitions = self._registry.definitions(
            with_titles_and_output=version in WITH_TITLES_AND_STRUCTURED, context=ctx
        )
        start = _decode_cursor(params.get("cursor"), definitions)
        page_size = self._settings.tools_page_size
        page = definitions[start : start + page_size]
        result: dict[str, Any] = {"tools": page}
        if start + page_size < len(definitions):
            result["nextCursor"] = _encode_cursor(page[-1]["name"])
        if version in MODERN_VERSIONS:
            # The list depends on the caller's role: no shared cache may hand it to another caller.
            result["ttlMs"] = self._settings.tools_ttl_ms
            result["cacheScope"] = "private"
        return result

    def _tools_call(self, params: dict[str, Any], version: str, ctx: CallContext) -> dict[str, Any]:
        if version in MODERN_VERSIONS:
            # MRTR (2026-07-28): whether the client answers elicitations, and what a retry brings back.
            capabilities = (params.get("_meta") or {}).get(CLIENT_CAPABILITIES_META)
            elicitation = isinstance(capabilities, dict) and isinstance(capabilities.get("elicitation"), dict)
            ctx = replace(
                ctx,
                elicitation=elicitation,
                input_responses=params.get("inputResponses"),
                request_state=params.get("requestState"),
            )
        # The registry checks name and arguments itself, so malformed calls are audited too.
        outcome = self._registry.call(params.get("name"), params.get("arguments"), ctx)
        return _render_outcome(outcome, structured=version in WITH_TITLES_AND_STRUCTURED)


def _tools_call_params(message: Any) -> list[dict[str, Any]]:
    """The params of every tools/call ``message`` holds (a batch may hold several), objects or not."""
    messages = message if isinstance(message, list) else [message]
    return [
        params if isinstance(params := m.get("params"), dict) else {"arguments": params}
        for m in messages
        if isinstance(m, dict) and m.get("method") == "tools/call"
    ]


def _with_meta_client(context: CallContext, params: dict[str, Any]) -> CallContext:
    meta = params.get("_meta")
    if not isinstance(meta, dict):
        return context
    version = meta.get(PROTOCOL_VERSION_META)
    return context.with_client(version if isinstance(version, str) else "", meta.get(CLIENT_INFO_META))


def _why(reply: Reply) -> str:
    error = (reply.body or {}).get("error")
    if isinstance(error, dict):
        return str(error.get("message", "refused"))
    return "tools/call sent as a notification (without an id), so it was not run"


def _render_outcome(outcome: ToolOutcome, *, structured: bool) -> dict[str, Any]:
    if outcome.input_required is not None:
        return {"resultType": "input_required", **outcome.input_required}
    result: dict[str, Any] = {
        "content": [{"type": "text", "text": outcome.text}],
        "isError": outcome.is_error,
    }
    if structured and outcome.structured is not None:
        result["structuredContent"] = outcome.structured
    return result


# Cursors name the last tool of the previous page, so they stay valid across
# deployments that add tools.
def _encode_cursor(last_name: str) -> str:
    return encode_cursor({"after": last_name})


def _decode_cursor(cursor: Any, definitions: list[dict[str, Any]]) -> int:
    if cursor is None:
        return 0
    after = (decode_cursor(cursor) or {}).get("after")
    if not isinstance(after, str):
        raise ProtocolError(
            INVALID_PARAMS, "Invalid cursor: pass back the nextCursor of a previous tools/list"
        )
    # Definitions are sorted by name: resume at the first name after the cursor's.
    return next((i for i, d in enumerate(definitions) if d["name"] > after), len(definitions))
