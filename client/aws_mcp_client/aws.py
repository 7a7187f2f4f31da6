"""``AWSMCPClient``: our server's tools as resource operations (create, get, list, update, delete, status).

Each operation maps onto a tool by name. A resource type with a tool of its own uses it (EC2
instances: ``ec2_list_instances``, ``ec2_describe_instance``); every other type goes through the
generic Cloud Control tools below. Which tools exist is read from ``tools/list``, so an operation
the server has no tool for raises ``NOT_SUPPORTED`` and starts working when the tool appears.

The generic tools' contract (arguments → structured result):

- ``cloudcontrol_create_resource``  type_name, desired_state, region → progress_event
- ``cloudcontrol_get_resource``     type_name, identifier, region → resource {identifier, properties}
- ``cloudcontrol_list_resources``   type_name, region, cursor → resources [...], next_cursor
- ``cloudcontrol_update_resource``  type_name, identifier, patch_document (RFC 6902), region → progress_event
- ``cloudcontrol_delete_resource``  type_name, identifier, region → progress_event
- ``cloudcontrol_get_resource_request_status``  request_token, region → progress_event

A progress_event carries request_token, operation, operation_status, identifier, status_message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import mcp_types as types

from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import AuthConfig, ClientSettings, ServerConfig
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.models import (
    HealthStatus,
    Resource,
    ResourceConfig,
    ResourceFilter,
    ResourcePage,
    ResourceStatus,
    ServerInfo,
)

__all__ = [
    "EC2_INSTANCE",
    "RESOURCE_ALIASES",
    "AWSMCPClient",
    "Operation",
    "create_aws_mcp_client",
    "resource_type",
]

EC2_INSTANCE = "AWS::EC2::Instance"
RESOURCE_ALIASES = {"ec2": EC2_INSTANCE, "instance": EC2_INSTANCE, "instances": EC2_INSTANCE}


class Operation(StrEnum):
    CREATE = "create"
    GET = "get"
    LIST = "list"
    UPDATE = "update"
    DELETE = "delete"
    STATUS = "status"


GENERIC_TOOLS = {
    Operation.CREATE: "cloudcontrol_create_resource",
    Operation.GET: "cloudcontrol_get_resource",
    Operation.LIST: "cloudcontrol_list_resources",
    Operation.UPDATE: "cloudcontrol_update_resource",
    Operation.DELETE: "cloudcontrol_delete_resource",
    Operation.STATUS: "cloudcontrol_get_resource_request_status",
}
SPECIFIC_TOOLS = {
    (EC2_INSTANCE, Operation.LIST): "ec2_list_instances",
    (EC2_INSTANCE, Operation.GET): "ec2_describe_instance",
    (EC2_INSTANCE, Operation.STATUS): "ec2_describe_instance",
}


def resource_type(name: str) -> str:
    """A CloudFormation type name from itself or a short alias (``ec2``)."""
    return RESOURCE_ALIASES.get(name.lower(), name)


class AWSMCPClient(MCPClient):
    """A client for the AWS MCP server, with resource operations on top of its tools."""

    async def health_check(self) -> HealthStatus:
        """Whether the server answers now, how fast, and the breaker's state. Never raises."""
        started = time.perf_counter()
        error: str | None = None
        try:
            await self.connect()
            await self.get_tools(refresh=True)
        except InfrastructureException as err:
            error = str(err)
        return HealthStatus(
            healthy=error is None,
            server=self.name,
            url=self.config.target,
            breaker=self.breaker.state.value,
            latency_ms=None if error else round((time.perf_counter() - started) * 1000, 1),
            error=error,
        )

    async def get_server_info(self) -> ServerInfo:
        await self.connect()
        info = self.server_info
        return ServerInfo(
            name=info.name if info else None,
            version=info.version if info else None,
            protocol_version=self.protocol_version,
            tools=tuple(tool.name for tool in await self.get_tools()),
            url=self.config.target,
        )

    # -- resources ---------------------------------------------------------------------------------

    async def create_resource(self, config: ResourceConfig) -> ResourceStatus:
        kind = resource_type(config.resource_type)
        args = {"type_name": kind, "desired_state": config.properties, **_optional(config)}
        return _progress(kind, await self._run(kind, Operation.CREATE, args))

    async def get_resource(self, kind: str, identifier: str, *, region: str | None = None) -> Resource:
        kind = resource_type(kind)
        tool = await self._tool_for(kind, Operation.GET)
        if tool == SPECIFIC_TOOLS.get((EC2_INSTANCE, Operation.GET)):
            found = await self._call(tool, {"instance_id": identifier, **_region(region)})
            return _instance(found["instance"], found.get("region"))
        found = await self._call(tool, {"type_name": kind, "identifier": identifier, **_region(region)})
        return _resource(kind, found["resource"], region)

    async def list_resources(self, where: ResourceFilter) -> ResourcePage:
        kind = resource_type(where.resource_type)
        tool = await self._tool_for(kind, Operation.LIST)
        if tool == SPECIFIC_TOOLS.get((EC2_INSTANCE, Operation.LIST)):
            args: dict[str, Any] = {
                "states": list(where.states) or None,
                "tags": where.tags or None,
                "instance_ids": list(where.identifiers) or None,
                "max_results": where.max_results,
                "cursor": where.cursor,
                "region": where.region,
            }
            page = await self._call(tool, {k: v for k, v in args.items() if v is not None})
            instances = tuple(_instance(item, page.get("region")) for item in page["instances"])
            return ResourcePage(resources=instances, next_cursor=page.get("next_cursor"))
        if where.states or where.tags or where.identifiers:
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED,
                f"filtering {kind} by state, tags or identifiers needs a tool of its own; this server lists "
                "it through Cloud Control, which filters by type and region only",
                server=self.name,
            )
        args = {"type_name": kind, "cursor": where.cursor, **_region(where.region)}
        page = await self._call(tool, {k: v for k, v in args.items() if v is not None})
        found = tuple(_resource(kind, item, where.region) for item in page["resources"])
        return ResourcePage(resources=found, next_cursor=page.get("next_cursor"))

    async def update_resource(self, config: ResourceConfig) -> ResourceStatus:
        """Set ``config.properties`` on the resource ``config.identifier`` names (a JSON Patch of adds)."""
        kind = resource_type(config.resource_type)
        if not config.identifier:
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED, "update_resource needs config.identifier", server=self.name
            )
        patch = [{"op": "add", "path": f"/{key}", "value": value} for key, value in config.properties.items()]
        args = {
            "type_name": kind,
            "identifier": config.identifier,
            "patch_document": patch,
            **_optional(config),
        }
        return _progress(kind, await self._run(kind, Operation.UPDATE, args))

    async def delete_resource(
        self, kind: str, identifier: str, *, region: str | None = None
    ) -> ResourceStatus:
        kind = resource_type(kind)
        args = {"type_name": kind, "identifier": identifier, **_region(region)}
        return _progress(kind, await self._run(kind, Operation.DELETE, args))

    async def get_resource_status(
        self,
        kind: str,
        identifier: str | None = None,
        *,
        request_token: str | None = None,
        region: str | None = None,
    ) -> ResourceStatus:
        """A change's progress by the ``request_token`` create/update/delete returned, or (for types
        with a state of their own, like EC2 instances) a resource's state by its identifier."""
        kind = resource_type(kind)
        if request_token:
            args = {"request_token": request_token, **_region(region)}
            return _progress(kind, await self._run(kind, Operation.STATUS, args, generic_only=True))
        tool = SPECIFIC_TOOLS.get((kind, Operation.STATUS))
        if tool is None or not identifier:
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED,
                f"the status of {kind} needs the request_token its change returned"
                if tool is None
                else "an identifier or a request_token is needed",
                server=self.name,
            )
        resource = await self.get_resource(kind, identifier, region=region)
        return ResourceStatus(resource_type=kind, identifier=identifier, state=resource.state or "unknown")

    # -- mapping onto tools ------------------------------------------------------------------------

    async def _tool_for(self, kind: str, operation: Operation, *, generic_only: bool = False) -> str:
        available = {tool.name for tool in await self.get_tools()}
        candidates = [GENERIC_TOOLS[operation]]
        specific = None if generic_only else SPECIFIC_TOOLS.get((kind, operation))
        if specific:
            candidates.insert(0, specific)
        for name in candidates:
            if name in available:
                return name
        raise InfrastructureException(
            ErrorCodes.NOT_SUPPORTED,
            f"{operation.value} {kind} is not supported by this server: it has no "
            + " or ".join(candidates)
            + " tool",
            server=self.name,
            details={"operation": operation.value, "resource_type": kind, "tools": candidates},
        )

    async def _run(
        self, kind: str, operation: Operation, args: Mapping[str, Any], *, generic_only: bool = False
    ) -> dict[str, Any]:
        return await self._call(await self._tool_for(kind, operation, generic_only=generic_only), args)

    async def _call(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        result = await self.call_tool(tool, args)
        text = " ".join(block.text for block in result.content if isinstance(block, types.TextContent))
        if result.is_error:
            raise InfrastructureException(
                _classify(text), f"{tool}: {text}", server=self.name, details={"tool": tool}
            )
        if result.structured_content is not None:
            return dict(result.structured_content)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise InfrastructureException(
                ErrorCodes.PROTOCOL_ERROR, f"{tool} returned no structured result", server=self.name
            )
        return parsed


def _classify(text: str) -> ErrorCodes:
    """Tool errors are text; these are the words our server (and AWS) use for the two cases callers handle."""
    lowered = text.lower()
    if "notfound" in lowered or "not found" in lowered:
        return ErrorCodes.RESOURCE_NOT_FOUND
    if "invalid arguments" in lowered or "validation" in lowered:
        return ErrorCodes.VALIDATION_FAILED
    return ErrorCodes.TOOL_ERROR


def _region(region: str | None) -> dict[str, str]:
    return {"region": region} if region else {}


def _optional(config: ResourceConfig) -> dict[str, str]:
    extra = _region(config.region)
    if config.idempotency_key:
        extra["idempotency_key"] = config.idempotency_key
    return extra


def _instance(item: Mapping[str, Any], region: str | None) -> Resource:
    return Resource(
        resource_type=EC2_INSTANCE,
        identifier=item["instance_id"],
        properties=dict(item),
        region=region,
        state=item.get("state"),
    )


def _resource(kind: str, item: Mapping[str, Any], region: str | None) -> Resource:
    properties = item.get("properties") or {}
    if isinstance(properties, str):  # Cloud Control returns the model as a JSON string
        properties = json.loads(properties)
    return Resource(
        resource_type=kind, identifier=str(item["identifier"]), properties=properties, region=region
    )


def _progress(kind: str, structured: Mapping[str, Any]) -> ResourceStatus:
    event = structured.get("progress_event", structured)
    return ResourceStatus(
        resource_type=event.get("type_name", kind),
        identifier=event.get("identifier"),
        state=str(event.get("operation_status", "UNKNOWN")),
        operation=event.get("operation"),
        request_token=event.get("request_token"),
        message=event.get("status_message"),
    )


def create_aws_mcp_client(
    url: str | None = None,
    *,
    settings: ClientSettings | None = None,
    auth: AuthConfig | None = None,
    name: str = "aws-mcp",
) -> AWSMCPClient:
    """A client for the server at ``url`` (default: ``AWS_MCP_SERVER_URL``, read with the other settings)."""
    settings = settings or ClientSettings.from_env()
    return AWSMCPClient(ServerConfig(name=name, url=url or settings.server_url, auth=auth), settings)
