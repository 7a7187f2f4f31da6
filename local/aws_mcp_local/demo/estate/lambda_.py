"""The demo's Lambda functions: five in two regions, Python and Node.js, arm64 and x86_64; one with
environment variables whose values must never show, one with reserved concurrency."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["FUNCTIONS", "ROLE_NAME", "DemoFunction", "seed"]

ROLE_NAME = "demo-lambda-exec"


@dataclass(frozen=True)
class DemoFunction:
    name: str
    region: str
    runtime: str
    architecture: str
    memory_mb: int
    timeout_s: int
    description: str
    environment: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None


FUNCTIONS = (
    DemoFunction(
        "orders-api",
        "us-east-1",
        "python3.13",
        "arm64",
        512,
        15,
        "Order API behind API Gateway",
        # Values an agent must never see: no tool returns them.
        environment={
            "DB_HOST": "orders.cluster-demo.internal",
            "DB_PASSWORD": "demo-db-password-never-shown",
            "PAYMENT_API_KEY": "pk-demo-never-shown-0042",
        },
    ),
    DemoFunction(
        "thumbnailer",
        "us-east-1",
        "nodejs22.x",
        "x86_64",
        1024,
        60,
        "Resizes uploaded images",
        reserved_concurrency=5,
    ),
    DemoFunction(
        "nightly-report", "us-east-1", "python3.13", "x86_64", 256, 300, "Builds the nightly sales report"
    ),
    DemoFunction("orders-api-eu", "eu-west-1", "python3.13", "arm64", 512, 15, "Order API, EU"),
    DemoFunction("webhook-relay", "eu-west-1", "nodejs20.x", "arm64", 128, 10, "Relays partner webhooks"),
)

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _package(runtime: str) -> bytes:
    """A tiny deployment package, made in memory."""
    name, code = (
        ("index.js", "exports.handler = async () => ({ ok: true });\n")
        if runtime.startswith("nodejs")
        else ("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(name, code)
    return buffer.getvalue()


def seed(clients: DemoClients) -> None:
    role = clients("iam").create_role(
        RoleName=ROLE_NAME,
        AssumeRolePolicyDocument=json.dumps(_TRUST),
        Description="Execution role of the demo's Lambda functions",
    )["Role"]["Arn"]
    for function in FUNCTIONS:
        client = clients("lambda", function.region)
        client.create_function(
            FunctionName=function.name,
            Runtime=function.runtime,
            Role=role,
            Handler="index.handler" if function.runtime.startswith("nodejs") else "app.handler",
            Code={"ZipFile": _package(function.runtime)},
            Description=function.description,
            MemorySize=function.memory_mb,
            Timeout=function.timeout_s,
            Architectures=[function.architecture],
            Environment={"Variables": function.environment},
            Tags={"team": "storefront", "env": "prod"},
        )
        if function.reserved_concurrency is not None:
            client.put_function_concurrency(
                FunctionName=function.name, ReservedConcurrentExecutions=function.reserved_concurrency
            )
