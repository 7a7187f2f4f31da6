"""``aws-mcp demo``: provision a small stack step by step through the server's own tools.

The interactive demo of the product documents (seed 003): verify the connection, create a VPC
with subnets, launch an EC2 instance serving a web page, create an RDS database, an S3 bucket
with versioning and a Lambda function, list what was made, and clean it all up on request.
Every step goes through the client library to an MCP server, as an agent's calls would: the
embedded demo by default, any server with ``--server``. A step says what it will do and asks
first unless ``--yes``; ``--dry-run`` asks AWS whether each change would be allowed where the
tool can (network, instance) and only shows the others.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_mcp.auth.confirmation import token_in
from aws_mcp.errors import AwsMcpError

__all__ = ["Made", "Options", "Walkthrough"]

WEB_SERVER = """#!/bin/bash
dnf install -y nginx
echo '<h1>Hello from AWS MCP</h1>' > /usr/share/nginx/html/index.html
systemctl enable --now nginx
"""
# Termination takes a minute or two on AWS, no time on the demo.
TERMINATION_POLLS = 36
TERMINATION_POLL_S = 5.0
HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'Hello from AWS MCP'}\n"


class Caller(Protocol):
    """What the walkthrough needs of a client: call a tool, get its structured result or its error."""

    def __call__(
        self, name: str, arguments: dict[str, Any]
    ) -> Awaitable[tuple[bool, dict[str, Any] | str]]: ...


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    yes: bool = False
    cleanup: bool = False
    image_id: str | None = None
    lambda_role: str | None = None
    region: str | None = None
    prefix: str = field(default_factory=lambda: f"aws-mcp-demo-{uuid.uuid4().hex[:6]}")


@dataclass
class Made:
    """What the walkthrough created, so that it can list it and clean it up."""

    vpc_id: str | None = None
    public_subnet: str | None = None
    instance_id: str | None = None
    database: str | None = None
    bucket: str | None = None
    function: str | None = None

    def summary(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


class StepFailedError(AwsMcpError):
    """A tool refused a step: the walkthrough stops (and cleans up what it made, if asked)."""


class Walkthrough:
    def __init__(
        self,
        call: Caller,
        options: Options,
        *,
        say: Callable[[str], None],
        ask: Callable[[str], bool],
    ) -> None:
        self._call = call
        self._options = options
        self._say = say
        self._ask = ask
        self.made = Made()

    async def run(self) -> bool:
        """Every step in order; True when each did what it said (or was skipped on request)."""
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("Verify the connection: who the server acts as", self._verify),
            ("Create a VPC with a public and a private subnet in two zones", self._network),
            ("Launch an EC2 instance serving a web page (user data installs nginx)", self._instance),
            ("Create an RDS PostgreSQL database (encrypted, private, backed up)", self._database),
            ("Create an S3 bucket with versioning on (public access blocked, encrypted)", self._bucket),
            ("Deploy a Lambda function", self._function),
            ("List everything this walkthrough made", self._listing),
        ]
        ok = True
        try:
            for number, (title, step) in enumerate(steps, 1):
                self._say(f"\n[{number}/{len(steps) + 1}] {title}")
                await step()
        except StepFailedError as failure:
            self._say(f"Stopped: {failure}")
            ok = False
        self._say(f"\n[{len(steps) + 1}/{len(steps) + 1}] Clean up")
        if self.made.summary() and (
            self._options.cleanup or (not self._options.yes and self._ask("Clean up?"))
        ):
            ok = await self.clean_up() and ok
        elif self.made.summary():
            self._say(
                "Left in place: "
                + json.dumps(self.made.summary())
                + " (aws-mcp demo --cleanup removes a run's)"
            )
        else:
            self._say("Nothing to clean up.")
        return ok

    # -- steps ---------------------------------------------------------------------------------

    async def _verify(self) -> None:
        who = await self._read("aws_whoami", {})
        self._say(f"Acting as {who['arn']} in account {who['account']}, region {who['region']}.")

    async def _network(self) -> None:
        arguments = {"name": self._options.prefix, "cidr": "10.42.0.0/16", "availability_zones": 2}
        made = await self._tool("vpc_create_network", arguments, dry_run_flag=True)
        if made is None or made.get("dry_run"):
            return
        self.made.vpc_id = made["vpc_id"]
        self.made.public_subnet = next(s["subnet_id"] for s in made["subnets"] if s["kind"] == "public")
        self._say(f"VPC {made['vpc_id']} with subnets {', '.join(s['subnet_id'] for s in made['subnets'])}.")

    async def _instance(self) -> None:
        image = self._options.image_id or await self._own_image()
        if image is None:
            self._say("Skipped: no image to launch. Pass --image-id ami-... (an AMI of this region).")
            return
        arguments: dict[str, Any] = {
            "image_id": image,
            "instance_type": "t3.micro",
            "user_data": WEB_SERVER,
            "tags": {"Name": f"{self._options.prefix}-web"},
        }
        if self.made.public_subnet:
            arguments["subnet_id"] = self.made.public_subnet
        made = await self._tool("ec2_run_instances", arguments, dry_run_flag=True)
        if made is None or made.get("dry_run"):
            return
        self.made.instance_id = made["instances"][0]["instance_id"]
        self._say(f"Instance {self.made.instance_id} is {made['instances'][0]['state']}.")

    async def _database(self) -> None:
        arguments: dict[str, Any] = {
            "instance_id": f"{self._options.prefix}-db",
            "engine": "postgres",
            "instance_class": "db.t4g.micro",
            "storage_gb": 20,
            "master_username": "demo_admin",
        }
        made = await self._tool("rds_create_instance", arguments)
        if made is None:
            return
        self.made.database = arguments["instance_id"]
        self._say(f"Database {self.made.database} is {made.get('status', 'creating')}.")

    async def _bucket(self) -> None:
        arguments: dict[str, Any] = {"bucket": f"{self._options.prefix}-artifacts", "versioning": True}
        made = await self._tool("s3_create_bucket", arguments)
        if made is None:
            return
        self.made.bucket = arguments["bucket"]
        self._say(made["message"])

    async def _function(self) -> None:
        role = self._options.lambda_role or await self._role_of_a_function()
        if role is None:
            self._say("Skipped: no role for the function. Pass --lambda-role arn:aws:iam::...:role/...")
            return
        arguments: dict[str, Any] = {
            "function_name": f"{self._options.prefix}-hello",
            "runtime": "python3.13",
            "handler": "app.handler",
            "role_arn": role,
            "code_zip_base64": _zip_of(HANDLER),
        }
        made = await self._tool("lambda_create_function", arguments)
        if made is None:
            return
        self.made.function = arguments["function_name"]
        self._say(f"Function {self.made.function} is deployed.")

    async def _listing(self) -> None:
        made = self.made
        if not made.summary():
            self._say("Nothing was made.")
        if made.vpc_id:
            network = await self._read("vpc_describe_network", {"vpc_id": made.vpc_id})
            self._say(f"Network: {network['summary']}")
        if made.instance_id:
            instance = (await self._read("ec2_describe_instance", {"instance_id": made.instance_id}))[
                "instance"
            ]
            shown = f"{instance['state']}, {instance['instance_type']}, {instance['private_ip']}"
            self._say(f"Instance: {made.instance_id} {shown}")
        if made.database:
            databases = await self._read("rds_list_instances", {"fields": ["status", "engine", "endpoint"]})
            for database in databases["instances"]:
                if database["instance_id"] == made.database:
                    self._say(f"Database: {made.database} {database['engine']}, {database['status']}")
        if made.bucket:
            objects = await self._read("s3_list_objects", {"bucket": made.bucket})
            self._say(f"Bucket: {made.bucket}, {objects['count']} objects")
        if made.function:
            function = (await self._read("lambda_get_function", {"function_name": made.function}))["function"]
            self._say(
                f"Function: {made.function} {function['runtime']}, {function.get('state') or 'deployed'}"
            )

    async def clean_up(self) -> bool:
        """Remove what was made, the dependants first; True when everything went."""
        made, ok = self.made, True
        removals: list[tuple[str, str, dict[str, Any]]] = [
            ("function", "lambda_delete_function", {"function_name": made.function}),
            ("bucket", "s3_delete_bucket", {"bucket": made.bucket, "empty_first": True}),
            (
                "database",
                "rds_delete_instance",
                {
                    "instance_id": made.database,
                    "disable_deletion_protection": True,
                    "skip_final_snapshot": True,
                },
            ),
            ("instance_id", "ec2_terminate_instances", {"instance_ids": [made.instance_id]}),
            ("vpc_id", "vpc_delete_network", {"vpc_id": made.vpc_id}),
        ]
        for attribute, name, arguments in removals:
            if getattr(made, attribute) is None:
                continue
            try:
                await self._tool(name, arguments, confirm=False)
            except StepFailedError as failure:
                self._say(f"Could not remove it: {failure}")
                ok = False
            else:
                if attribute == "instance_id":
                    await self._until_terminated(str(made.instance_id))
                setattr(made, attribute, None)
                if attribute == "vpc_id":
                    made.public_subnet = None
        self._say("Everything this walkthrough made is gone." if ok else "Some of it is left: see above.")
        return ok

    # -- calls -----------------------------------------------------------------------------------

    async def _tool(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        change: bool = True,
        dry_run_flag: bool = False,
        confirm: bool = True,
    ) -> dict[str, Any] | None:
        """Call ``name``; None when the step was declined or only shown (a dry run)."""
        if change and self._options.dry_run and not dry_run_flag:
            self._say(f"Dry run: would call {name} {_shown(arguments)}")
            return None
        if change and self._options.dry_run:
            arguments = {**arguments, "dry_run": True}
        self._say(f"Calling {name} {_shown(arguments)}")
        if change and confirm and not self._options.yes and not self._ask("Go ahead?"):
            self._say("Skipped.")
            return None
        if self._options.region:
            arguments = {**arguments, "region": self._options.region}
        ok, result = await self._call(name, arguments)
        if not ok and isinstance(result, str) and (token := token_in(result)):
            # A destructive change answers first with its plan; the user agreed to this step above.
            self._say(result.split("\nShow this plan")[0])
            ok, result = await self._call(name, {**arguments, "confirmation": token})
        if not ok or not isinstance(result, dict):
            raise StepFailedError(f"{name}: {result}")
        if result.get("dry_run"):
            self._say(f"Dry run: {result.get('message', 'allowed')}")
        return result

    async def _until_terminated(self, instance_id: str) -> None:
        """Wait (a few minutes at most) for the instance to be gone: its network cannot go before."""
        for _ in range(TERMINATION_POLLS):
            state = (await self._read("ec2_describe_instance", {"instance_id": instance_id}))["instance"][
                "state"
            ]
            if state == "terminated":
                return
            self._say(f"{instance_id} is {state}; waiting…")
            await asyncio.sleep(TERMINATION_POLL_S)

    async def _read(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        found = await self._tool(name, arguments, change=False)
        assert found is not None  # reads are neither declined nor only shown
        return found

    async def _own_image(self) -> str | None:
        images = await self._read("ec2_list_images", {})
        found = [i for i in images.get("images", []) if i.get("state") in (None, "available")]
        if not found:
            return None
        self._say(f"Using the account's own image {found[0]['image_id']} ({found[0].get('name')}).")
        return str(found[0]["image_id"])

    async def _role_of_a_function(self) -> str | None:
        functions = await self._tool("lambda_list_functions", {"max_results": 5}, change=False)
        for function in (functions or {}).get("functions", []):
            detail = await self._tool(
                "lambda_get_function", {"function_name": function["name"]}, change=False
            )
            role = (detail or {}).get("function", {}).get("role")
            if role:
                self._say(f"Using {function['name']}'s role {role}; pass --lambda-role to choose another.")
                return str(role)
        return None


def _zip_of(source: str) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", source)
    return base64.b64encode(buffer.getvalue()).decode()


def _shown(arguments: dict[str, Any]) -> str:
    """The arguments as a line a person reads: long values (user data, a zip) shortened."""
    return json.dumps(
        {k: (v[:40] + "…" if isinstance(v, str) and len(v) > 60 else v) for k, v in arguments.items()}
    )


def run(
    options: Options, server: str | None, *, say: Callable[[str], None], ask: Callable[[str], bool]
) -> bool:
    """The walkthrough against ``server`` (an MCP endpoint URL), or an embedded demo server."""
    from contextlib import ExitStack

    from aws_mcp_client.aws import AWSMCPClient
    from aws_mcp_client.config import ClientSettings, MCPServerConfig

    with ExitStack() as stack:
        if server is None:
            from aws_mcp_local.serve import background_server

            say("Starting the embedded demo (a fake AWS on 127.0.0.1)…")
            server = stack.enter_context(background_server(demo=True))
        target = MCPServerConfig(name="aws-mcp", url=server)

        async def walk() -> bool:
            async with AWSMCPClient(config=target, settings=ClientSettings.from_env()) as client:

                async def call(name: str, arguments: dict[str, Any]) -> tuple[bool, dict[str, Any] | str]:
                    result = await client.call_tool(name, arguments)
                    if result.is_error:
                        return False, " ".join(getattr(block, "text", "") for block in result.content)
                    return True, dict(result.structured_content or {})

                return await Walkthrough(call, options, say=say, ask=ask).run()

        say(f"Server: {server}")
        return asyncio.run(walk())
