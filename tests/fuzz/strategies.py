"""What the fuzz suite sends: JSON-RPC messages that are almost right, and everything else:
lone surrogates, numbers beyond 64 bits and beyond DynamoDB, containers where names go, and
envelopes that are wrong in every way a tools/call can be."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from aws_mcp.tools import CATALOG

MODERN = "2026-07-28"
LEGACY_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
TOOLS = tuple(spec.name for spec in CATALOG)
METHODS = ("initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/initialized")

LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d"])
HUGE_NUMBERS = st.sampled_from([1e300, -1e300, 10**100, -(10**100), 2**64, 2**70 + 1, 1e-300])


def texts(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    # Hypothesis's text never holds lone surrogates; they come separately.
    plain = st.text(max_size=12)
    return plain | LONE_SURROGATES if surrogates else plain


def scalars(*, surrogates: bool, huge: bool) -> st.SearchStrategy[Any]:
    numbers = st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False, width=32)
    if huge:
        numbers = numbers | HUGE_NUMBERS
    return st.none() | st.booleans() | numbers | texts(surrogates=surrogates)


def json_values(*, surrogates: bool = True, huge: bool = True) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(surrogates=surrogates, huge=huge),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(texts(surrogates=surrogates), children, max_size=3)
        ),
        max_leaves=8,
    )


def ids(*, surrogates: bool = True) -> st.SearchStrategy[Any]:
    """Mostly valid ids, sometimes anything."""
    valid = st.integers() | texts(surrogates=surrogates)
    return valid | json_values(surrogates=surrogates)


def tool_names(*, surrogates: bool = True) -> st.SearchStrategy[Any]:
    """Our tools' names, other text, and any JSON value."""
    return st.sampled_from(TOOLS) | texts(surrogates=surrogates) | json_values(surrogates=surrogates)


def arguments() -> st.SearchStrategy[Any]:
    """Plausible arguments for our tools, and anything else."""
    plausible = st.fixed_dictionaries(
        {},
        optional={
            "region": st.sampled_from(["us-east-1", "eu-west-1", "mars-1"]) | json_values(),
            "instance_id": st.sampled_from(["i-0123456789abcdef0", ""]) | json_values(),
            "instance_ids": st.lists(st.sampled_from(["i-0123456789abcdef0", "i-x"]), max_size=2)
            | json_values(),
            "states": json_values(),
            "cursor": json_values(),
            # A list tool's fan-out (the demo's accounts, all, none, unknown, anything).
            "accounts": st.lists(st.sampled_from(["*", "prod", "staging", "nope", ""]), max_size=3)
            | json_values(),
            "regions": st.lists(st.sampled_from(["*", "us-east-1", "mars-1"]), max_size=2) | json_values(),
            "dry_run": st.just(True),
            "limit": json_values(),
        },
    )
    return plausible | json_values()


def params(*, name: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    call = st.fixed_dictionaries(
        {"name": name if name is not None else tool_names()}, optional={"arguments": arguments()}
    )
    return call | json_values()


@st.composite
def tools_call_requests(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """A tools/call request and its HTTP headers: well formed (legacy or modern), or wrong somewhere
    in its envelope."""
    request_id = draw(st.integers() | texts())
    call = {"name": draw(tool_names()), "arguments": draw(arguments())}
    headers = dict(JSON_HEADERS)
    if draw(st.booleans()):
        call["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        headers |= {"mcp-protocol-version": MODERN, "mcp-method": "tools/call"}
        if isinstance(call["name"], str) and call["name"].isascii() and call["name"].isprintable():
            headers["mcp-name"] = call["name"]
        else:
            # A name that cannot ride in a header: keep it legacy.
            del call["_meta"]
            headers = dict(JSON_HEADERS)
    elif draw(st.booleans()):
        headers["mcp-protocol-version"] = draw(st.sampled_from(LEGACY_VERSIONS))
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": call}
    message = draw(st.just(message) | envelope_mutations(message))
    return message, headers


def envelope_mutations(message: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(
        [
            {**message, "jsonrpc": "1.0"},
            {**message, "id": [1]},
            {**message, "id": True},
            {**message, "params": ["aws_whoami"]},
        ]
    )


def messages() -> st.SearchStrategy[Any]:
    """JSON-RPC-ish messages: every key optional, every value sometimes wrong."""
    message = st.fixed_dictionaries(
        {},
        optional={
            "jsonrpc": st.just("2.0") | json_values(),
            "id": ids(),
            "method": st.sampled_from(METHODS) | json_values(),
            "params": params() | st.lists(tool_names(), max_size=2),
            "result": json_values(),
        },
    )
    return message | json_values()


def deeply_nested(depth: int) -> str:
    """A request whose params hold ``depth`` nested arrays, as JSON text."""
    return '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + "[" * depth + "]" * depth + "}}"


def bodies() -> st.SearchStrategy[bytes]:
    """Request bodies: encoded messages, deep nesting, and bytes that are not JSON at all."""
    encoded = messages().map(lambda m: json.dumps(m).encode("utf-8", "surrogatepass"))
    return (
        encoded
        | st.integers(1, 200_000).map(lambda d: deeply_nested(d).encode())
        | st.binary(max_size=64)
        | st.text(max_size=64).map(str.encode)
    )


def header_values() -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@st.composite
def http_headers(draw: st.DrawFn) -> dict[str, str]:
    """Mostly the right transport headers, sometimes wrong or odd ones."""
    headers = dict(JSON_HEADERS) if draw(st.booleans()) or draw(st.booleans()) else {}
    optional = {
        "content-type": st.sampled_from(
            ["application/json", "text/plain", "application/json; charset=utf-8"]
        ),
        "accept": st.sampled_from(["*/*", "text/html", "application/json"]) | header_values(),
        "mcp-protocol-version": st.sampled_from((*LEGACY_VERSIONS, MODERN)) | header_values(),
        "mcp-method": st.sampled_from(METHODS) | header_values(),
        "mcp-name": st.sampled_from(TOOLS) | header_values(),
        "origin": st.sampled_from(["http://localhost:6274", "https://evil.example", "null"])
        | header_values(),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            headers[name] = draw(values)
    return headers
