"""Generate events/: API Gateway REST proxy events for every MCP method in both eras, and what to expect.

Each events/<name>.json is the Lambda event API Gateway sends McpFunction
(REST API, proxy integration, payload 1.0: the shape ``sam local
generate-event apigateway aws-proxy`` produces) for one request.
events/expected.json says what the handler answers to each, when it runs
with AccessMode=ReadWrite against the demo AWS (aws_mcp_local.demo: moto
seeded with the demo fleet, region us-east-1). tests/functional/test_lambda_handler.py
(handler in process) and tests/lambda (built artifact under the Runtime
Interface Emulator) both check every event against it with :func:`check`,
and ``make invoke`` reports the same check.

Output is deterministic; regenerate after changing the protocol, the tools or
the demo fleet, and commit the result::

    .venv/bin/python scripts/make_events.py          # write events/
    .venv/bin/python scripts/make_events.py --check  # exit 1 if events/ is stale

Events that name an EC2 instance use SAMPLE_INSTANCE_ID, which the demo does
not have (moto mints instance ids at random). Their expectation covers that
id as-is, and a ``seeded`` variant says which demo machine's id the tests
put in its place and what to expect then.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from aws_mcp.config import AccessMode
from aws_mcp.errors import HEADER_MISMATCH, INVALID_REQUEST, PARSE_ERROR
from aws_mcp.protocol.versions import (
    CLIENT_CAPABILITIES_META,
    CLIENT_INFO_META,
    LATEST_LEGACY,
    MODERN_VERSIONS,
    PROTOCOL_VERSION_META,
    SUPPORTED_VERSIONS,
)
from aws_mcp.tools import CATALOG
from aws_mcp.tools.contract import SAMPLE_INSTANCE_ID, Example, ToolSpec
from aws_mcp_local.demo import DEMO_REGIONS

__all__ = [
    "EVENTS_DIR",
    "EXPECTED_FILE",
    "SAMPLE_INSTANCE_ID",
    "check",
    "generate",
    "load_expected",
    "seeded_event",
]

REPO: Final = Path(__file__).resolve().parent.parent
EVENTS_DIR: Final = REPO / "events"
EXPECTED_FILE: Final = EVENTS_DIR / "expected.json"

LEGACY: Final = LATEST_LEGACY  # 2025-11-25
MODERN: Final = MODERN_VERSIONS[0]  # 2026-07-28
REGION: Final = DEMO_REGIONS[0]
ACCOUNT: Final = "123456789012"  # moto's default account, and the account in the events
API_ID: Final = "a1b2c3d4e5"
STAGE: Final = "dev"
CALLER_ARN: Final = f"arn:aws:iam::{ACCOUNT}:user/mcp-client"
CLIENT_INFO: Final = {"name": "aws-mcp-events", "version": "1.0.0"}
# 2026-07-28T12:00:00Z: a fixed request time keeps the files stable.
REQUEST_EPOCH_MS: Final = 1785240000000
REQUEST_TIME: Final = "28/Jul/2026:12:00:00 +0000"
_NAMESPACE: Final = uuid.UUID("5a0c7f39-3f0e-4b39-9d8e-6f1c2b7a4e10")


# -- event shape ------------------------------------------------------------------------------


def proxy_event(
    name: str, method: str, path: str, headers: Mapping[str, str], body: str | None
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload 1.0) as the stage ``dev`` of API ``a1b2c3d4e5`` sends it."""
    request_id = str(uuid.uuid5(_NAMESPACE, name))
    all_headers = {
        "Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "User-Agent": "aws-mcp-events/1.0",
        "X-Amzn-Trace-Id": "Root=1-"
        + uuid.uuid5(_NAMESPACE, "trace:" + name).hex[:8]
        + "-"
        + uuid.uuid5(_NAMESPACE, "trace-id:" + name).hex[:24],
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **headers,
    }
    return {
        "body": body,
        "resource": path,
        "path": path,
        "httpMethod": method,
        "isBase64Encoded": False,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "domainPrefix": API_ID,
            "extendedRequestId": base64.b32encode(uuid.UUID(request_id).bytes).decode()[:16],
            "httpMethod": method,
            "identity": {
                "accessKey": "AKIAIOSFODNN7EXAMPLE",
                "accountId": ACCOUNT,
                "caller": "AIDACKCEVSQ6C2EXAMPLE",
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "203.0.113.10",
                "user": "AIDACKCEVSQ6C2EXAMPLE",
                "userAgent": "aws-mcp-events/1.0",
                "userArn": CALLER_ARN,
            },
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": REQUEST_TIME,
            "requestTimeEpoch": REQUEST_EPOCH_MS,
            "resourceId": "k3y9z1",
            "resourcePath": path,
            "stage": STAGE,
        },
    }


def _post_headers(extra: Mapping[str, str]) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **extra}


def _body(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def legacy_post(name: str, message: Mapping[str, Any], *, version_header: bool = True) -> dict[str, Any]:
    headers = {"MCP-Protocol-Version": LEGACY} if version_header else {}
    return proxy_event(name, "POST", "/mcp", _post_headers(headers), _body(message))


def modern_meta() -> dict[str, Any]:
    return {
        PROTOCOL_VERSION_META: MODERN,
        CLIENT_INFO_META: CLIENT_INFO,
        CLIENT_CAPABILITIES_META: {},
    }


def modern_post(
    name: str,
    request_id: str,
    method: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": method,
        "params": {**params, "_meta": modern_meta()},
    }
    routing = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if method == "tools/call":
        routing["Mcp-Name"] = str(params["name"])
    return proxy_event(name, "POST", "/mcp", _post_headers({**routing, **(headers or {})}), _body(message))


# -- what to send -----------------------------------------------------------------------------


def _expectation(arguments_answer: dict[str, Any] | None, error_contains: tuple[str, ...]) -> dict[str, Any]:
    expectation: dict[str, Any] = {"isError": arguments_answer is None, "structured": arguments_answer}
    if error_contains:
        expectation["text_contains"] = list(error_contains)
    return expectation


def _example_call(spec: ToolSpec, example: Example) -> dict[str, Any]:
    """What to expect of an example call: its answer, and the same call on a demo machine if it names one.

    A destructive change (not a dry run) answers a first call with its plan and nothing else
    (tools/guards.py, Confirm): one event is one call, so that plan is what to expect.
    """
    planned = spec.destructive and example.arguments.get("dry_run") is not True
    plan = _expectation(None, ("Confirmation required", spec.name))
    expectation: dict[str, Any] = {
        "tool": plan if planned else _expectation(example.answer, example.error_contains)
    }
    if example.demo_machine is not None:
        expectation["seeded"] = {
            "instance": example.demo_machine,
            "tool": plan if planned else _expectation(example.demo_answer, ()),
        }
    return expectation


def _tool_names() -> list[str]:
    return sorted(spec.name for spec in CATALOG)


def build() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Every event by file name, and expected.json's content."""
    events: dict[str, dict[str, Any]] = {}
    expect: dict[str, dict[str, Any]] = {}

    def add(name: str, event: dict[str, Any], expectation: dict[str, Any]) -> None:
        file = f"{name}.json"
        if file in events:
            raise ValueError(f"duplicate event {file}")
        events[file] = event
        expect[file] = expectation

    undemonstrated = sorted(spec.name for spec in CATALOG if not spec.examples)
    if undemonstrated:
        raise SystemExit(f"scripts/make_events.py: these tools declare no example call: {undemonstrated}")

    # Legacy era: handshake without a version header, then MCP-Protocol-Version on every request.
    add(
        "legacy-initialize",
        legacy_post(
            "legacy-initialize",
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": CLIENT_INFO},
            },
            version_header=False,
        ),
        {
            "status": 200,
            "result": {
                "protocolVersion": LEGACY,
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "aws-mcp"},
            },
        },
    )
    add(
        "legacy-notifications-initialized",
        legacy_post(
            "legacy-notifications-initialized", {"jsonrpc": "2.0", "method": "notifications/initialized"}
        ),
        {"status": 202, "empty": True},
    )
    add(
        "legacy-ping",
        legacy_post("legacy-ping", {"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        {"status": 200, "result": {}, "result_exact": True},
    )
    add(
        "legacy-tools-list",
        legacy_post("legacy-tools-list", {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
        {"status": 200, "tools": _tool_names()},
    )
    # Each tool's first example, in the legacy era.
    for index, spec in enumerate(sorted(CATALOG, key=lambda t: t.name), start=10):
        tool, example = spec.name, spec.examples[0]
        name = f"legacy-tools-call-{tool}"
        add(
            name,
            legacy_post(
                name,
                {
                    "jsonrpc": "2.0",
                    "id": index,
                    "method": "tools/call",
                    "params": {"name": tool, "arguments": example.arguments},
                },
            ),
            {"status": 200, **_example_call(spec, example)},
        )

    # Modern era: no handshake; version, method and tool name travel in headers and _meta.
    complete = {"resultType": "complete"}
    add(
        "modern-server-discover",
        modern_post("modern-server-discover", "discover-1", "server/discover", {}),
        {
            "status": 200,
            "result": {
                **complete,
                "supportedVersions": list(SUPPORTED_VERSIONS),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "aws-mcp"},
            },
        },
    )
    add(
        "modern-tools-list",
        modern_post("modern-tools-list", "list-1", "tools/list", {}),
        {"status": 200, "result": {**complete, "cacheScope": "private"}, "tools": _tool_names()},
    )
    # Each read-only tool's last example, in the modern era.
    for spec in sorted(CATALOG, key=lambda t: t.name):
        if not spec.read_only:
            continue
        tool, example = spec.name, spec.examples[-1]
        name = f"modern-tools-call-{tool}"
        add(
            name,
            modern_post(name, f"call-{tool}", "tools/call", {"name": tool, "arguments": example.arguments}),
            {"status": 200, "result": complete, **_example_call(spec, example)},
        )

    # Refusals.
    add(
        "malformed-body",
        proxy_event(
            "malformed-body",
            "POST",
            "/mcp",
            _post_headers({"MCP-Protocol-Version": LEGACY}),
            '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"',
        ),
        {"status": 400, "error": PARSE_ERROR},
    )
    add(
        "header-mismatch",
        modern_post("header-mismatch", "mismatch-1", "tools/list", {}, headers={"Mcp-Method": "tools/call"}),
        {"status": 400, "error": HEADER_MISMATCH},
    )
    for method in ("GET", "DELETE"):
        name = f"{method.lower()}-mcp"
        add(
            name,
            proxy_event(name, method, "/mcp", {"Accept": "application/json, text/event-stream"}, None),
            {"status": 405, "error": INVALID_REQUEST, "headers": {"allow": "POST"}},
        )
    add(
        "get-health",
        proxy_event("get-health", "GET", "/health", {"Accept": "application/json"}, None),
        {
            "status": 200,
            "json": {"status": "ok", "accessMode": AccessMode.READ_WRITE.value, "tools": len(CATALOG)},
        },
    )

    expected = {
        "_about": (
            "Generated by scripts/make_events.py; do not edit. What McpFunction answers to each event "
            f"with AccessMode={AccessMode.READ_WRITE.value} against the demo AWS (aws_mcp_local.demo, "
            f"region {REGION}). 'seeded': replace sample_instance_id in the body with the id of that "
            "demo machine, then expect 'tool' instead."
        ),
        "sample_instance_id": SAMPLE_INSTANCE_ID,
        "events": expect,
    }
    return events, expected


# -- files ------------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[Path, str]:
    """Every file under events/ this script owns, with its content."""
    events, expected = build()
    files = {EVENTS_DIR / name: _dump(event) for name, event in sorted(events.items())}
    files[EXPECTED_FILE] = _dump(expected)
    return files


def load_expected() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    return loaded


def seeded_event(event: Mapping[str, Any], sample_id: str, instance_id: str) -> dict[str, Any]:
    """``event`` with ``sample_id`` in its body replaced by a real (seeded) instance id."""
    body = event["body"]
    if sample_id not in body:
        raise ValueError(f"the event body does not mention {sample_id}")
    return {**event, "body": body.replace(sample_id, instance_id)}


# -- checking a response ----------------------------------------------------------------------


def subset(expected: Any, actual: Any, where: str, problems: list[str]) -> None:
    """Every key of an expected object must match in ``actual``; lists and scalars must be equal.

    An expected None means absent: results leave out what is unknown rather than say null.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{where}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            if value is None:
                if actual.get(key) is not None:
                    problems.append(f"{where}.{key}: expected absent, got {actual[key]!r}")
            elif key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                subset(value, actual[key], f"{where}.{key}", problems)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{where}: expected {expected!r}, got {actual!r}")
            return
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            subset(want, got, f"{where}[{index}]", problems)
    elif expected != actual or type(expected) is not type(actual):
        problems.append(f"{where}: expected {expected!r}, got {actual!r}")


def _check_tool(expected: Mapping[str, Any], result: Mapping[str, Any], problems: list[str]) -> None:
    if result.get("isError") is not expected["isError"]:
        problems.append(f"result.isError: expected {expected['isError']}, got {result.get('isError')!r}")
    content = result.get("content")
    text = ""
    if not (isinstance(content, list) and content and content[0].get("type") == "text"):
        problems.append(f"result.content: expected a text item first, got {content!r}")
    else:
        text = str(content[0].get("text", ""))
        if not text:
            problems.append("result.content[0].text is empty")
    for fragment in expected.get("text_contains", ()):
        if fragment not in text:
            problems.append(f"result.content[0].text does not mention {fragment!r}: {text!r}")
    if "structured" in expected:
        want = expected["structured"]
        if want is None:
            if "structuredContent" in result:
                got = result["structuredContent"]
                problems.append(f"result.structuredContent: expected none, got {got!r}")
        elif "structuredContent" not in result:
            problems.append("result.structuredContent: missing")
        else:
            subset(want, result["structuredContent"], "result.structuredContent", problems)
            if text and json.loads(text) != result["structuredContent"]:
                problems.append("result.content[0].text is not the JSON of structuredContent")


def check(expected: Mapping[str, Any], event: Mapping[str, Any], response: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``response`` (a Lambda proxy response) to ``event``: empty when all is well."""
    problems: list[str] = []
    status = response.get("statusCode")
    if status != expected["status"]:
        problems.append(f"statusCode: expected {expected['status']}, got {status!r}")
    headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    for name, value in expected.get("headers", {}).items():
        if headers.get(name) != value:
            problems.append(f"header {name}: expected {value!r}, got {headers.get(name)!r}")
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    if expected.get("empty"):
        if raw:
            problems.append(f"body: expected none, got {raw[:200]!r}")
        return problems
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append(f"content-type: expected application/json, got {headers.get('content-type')!r}")
    try:
        body = json.loads(raw)
    except ValueError:
        return [*problems, f"body is not JSON: {raw[:200]!r}"]
    if "json" in expected:
        subset(expected["json"], body, "body", problems)
        return problems

    # A JSON-RPC response: the request's id (null when the request could not be read), then result or error.
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0":
        return [*problems, f"body is not a JSON-RPC 2.0 response: {raw[:200]!r}"]
    try:
        request_id = json.loads(event.get("body") or "null").get("id")
    except (ValueError, AttributeError):
        request_id = None
    if "error" in expected:
        if body.get("id") not in (request_id, None):
            problems.append(f"id: expected {request_id!r} or null, got {body.get('id')!r}")
        error = body.get("error")
        if "result" in body or not isinstance(error, dict):
            problems.append(f"expected a JSON-RPC error, got {raw[:200]!r}")
        elif error.get("code") != expected["error"] or not error.get("message"):
            problems.append(f"error: expected code {expected['error']} with a message, got {error!r}")
        return problems
    if body.get("id") != request_id:
        problems.append(f"id: expected {request_id!r}, got {body.get('id')!r}")
    result = body.get("result")
    if "error" in body or not isinstance(result, dict):
        return [*problems, f"expected a JSON-RPC result, got {raw[:300]!r}"]
    if "result" in expected:
        if expected.get("result_exact") and result != expected["result"]:
            problems.append(f"result: expected exactly {expected['result']!r}, got {result!r}")
        subset(expected["result"], result, "result", problems)
    if "tools" in expected:
        names = [tool.get("name") for tool in result.get("tools", [])]
        if names != expected["tools"]:
            problems.append(f"result.tools: expected {expected['tools']}, got {names}")
        if "nextCursor" in result:
            problems.append("result.nextCursor: expected one page")
    if "tool" in expected:
        _check_tool(expected["tool"], result, problems)
    return problems


# -- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None, out: Callable[[str], object] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if events/ is not what would be written")
    args = parser.parse_args(argv)
    files = generate()
    owned = set(files)
    stale = sorted(
        str(path.relative_to(REPO))
        for path in {*files, *EVENTS_DIR.glob("*.json")}
        if path not in owned or not path.exists() or path.read_text(encoding="utf-8") != files[path]
    )
    if args.check:
        for name in stale:
            out(f"stale: {name}")
        return 1 if stale else 0
    EVENTS_DIR.mkdir(exist_ok=True)
    for leftover in EVENTS_DIR.glob("*.json"):
        if leftover not in owned:
            leftover.unlink()
    for target, content in files.items():
        target.write_text(content, encoding="utf-8")
    out(f"wrote {len(files)} files to {EVENTS_DIR.relative_to(REPO)}/ ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
