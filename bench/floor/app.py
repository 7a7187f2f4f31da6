"""The floor Lambda handler: boto3 + json, a fixed JSON-RPC reply, or the one boto3 call a tool makes.

It does what ``aws_whoami`` and ``ec2_list_instances`` do at the AWS level (the same
request) and nothing else: no validation, no safety nets, no audit. Clients are created
on first use and kept. Its ``tools/list`` reply is the definitions of our catalogue (a copy of
``catalog.json`` beside it, read at init), since any server of these tools must send them: the
floor answers the same bytes, so the comparison measures our work, not the catalogue's size.
Copied alone into its own build (bench/emulated.py); it must import nothing but the standard
library and what the Lambda runtime provides.
"""

import json
import os
from typing import Any

import boto3

# The page size ec2_list_instances asks for when called without max_results.
EC2_PAGE_SIZE = 50
_HERE = os.path.dirname(os.path.abspath(__file__))
# Beside it in its Lambda build; the repository's own when run from the repository (bench.floor.server).
_CATALOG = next(
    path
    for path in (
        os.path.join(_HERE, "catalog.json"),
        os.path.join(_HERE, "..", "..", "layers", "shared", "aws_mcp", "tools", "catalog.json"),
    )
    if os.path.exists(path)
)
with open(_CATALOG, encoding="utf-8") as _catalog:
    TOOLS = {"tools": [entry["definition"] for entry in json.load(_catalog)]}
_clients: dict[tuple[str, str], Any] = {}


def _client(service: str, region: str) -> Any:
    key = (service, region)
    if key not in _clients:
        _clients[key] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
    return _clients[key]


def _call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    region = arguments.get("region") or os.environ["AWS_REGION"]
    if name == "aws_whoami":
        answer = _client("sts", region).get_caller_identity()
    elif name == "ec2_list_instances":
        answer = _client("ec2", region).describe_instances(MaxResults=EC2_PAGE_SIZE)
    else:
        return {"content": [{"type": "text", "text": f"unknown tool {name}"}], "isError": True}
    answer.pop("ResponseMetadata", None)
    return {"content": [{"type": "text", "text": json.dumps(answer, default=str)}], "isError": False}


def answer(message: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC reply to one request: tools/call runs its AWS call, anything else gets TOOLS."""
    params = message.get("params") or {}
    if message.get("method") == "tools/call":
        result = _call_tool(params.get("name", ""), params.get("arguments") or {})
    else:
        result = TOOLS
    return {"jsonrpc": "2.0", "id": message.get("id"), "result": result}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    reply = answer(json.loads(event["body"]))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(reply, separators=(",", ":")),
    }
