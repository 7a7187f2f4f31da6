"""``AWSMCPClient``: any AWS resource, through our server's Cloud Control tools, as seed 000 documents it.

``create_resource(project_id, ResourceConfig(type="EC2::Instance", ...))`` and the rest map onto
the server's ``resources`` toolset:

- ``cloudcontrol_describe_type``    type_name → required, writable, read_only … (cached per type)
- ``cloudcontrol_list_resources``   type_name, tags, cursor, max_results → resources, next_cursor
- ``cloudcontrol_get_resource``     type_name, identifier → properties (not found: a tool error)
- ``cloudcontrol_create_resource``  type_name, desired_state, idempotency_key → outcome
- ``cloudcontrol_update_resource``  type_name, identifier, patch (RFC 6902), idempotency_key → outcome
- ``cloudcontrol_delete_resource``  type_name, identifier, idempotency_key → outcome
- ``cloudcontrol_request_status``   request_token → outcome (waits within the call)

An outcome is ``{operation, status: PENDING|IN_PROGRESS|SUCCESS|FAILED|…, request_token,
identifier?, error_code?, status_message?, properties?, defaults_filled?}``.

The mapping, in one place:

- Types: ``EC2::Instance`` is ``AWS::EC2::Instance``; full names pass as they are.
- Properties: a name is matched to the type's own case-insensitively (``instanceType`` →
  ``InstanceType``), from its schema. Only top-level names are mapped; values go as given.
- Projects: every resource created here carries the tag :data:`PROJECT_TAG` = project id; a
  resource belongs to the project whose tag it carries, and listing by project filters on it.
  get, update and delete of a resource outside the project find nothing (None, RESOURCE_NOT_FOUND).
- Waiting: Cloud Control is asynchronous. A change waits until it ends, at most ``timeout``
  seconds in all (the server waits within each call; the client asks again while time is left);
  a change still running then comes back as CREATING/UPDATING/DELETING, its request remembered by
  this client so ``get_resource_status`` follows it.
"""

from __future__ import annotations

import inspect
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import mcp_types as types

from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import (
    AuthConfig,
    CircuitBreakerConfig,
    ClientSettings,
    MCPServerConfig,
    RetryConfig,
)
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.models import (
    PENDING_PREFIX,
    HealthStatus,
    Resource,
    ResourceConfig,
    ResourceFilter,
    ResourceStatus,
)
from aws_mcp_client.retry import Sleep
from aws_mcp_client.transports import TransportOpener

# A destructive change's plan asks for its token back as ``"confirmation": "<token>"``.
_CONFIRMATION: Final = re.compile(r'"confirmation": "([A-Za-z0-9_.-]+)"')
# Asked with the server's plan of a destructive change; True (or an awaitable of it) makes it.
Confirm = Callable[[str], bool | Awaitable[bool]]

__all__ = [
    "PROJECT_TAG",
    "AWSMCPClient",
    "create_aws_mcp_client",
    "full_type_name",
    "short_type_name",
]

PROJECT_TAG = "aws-mcp:project"
"""The tag that says which project a resource belongs to."""
NAME_TAG = "Name"
DESCRIBE, LIST, GET = "cloudcontrol_describe_type", "cloudcontrol_list_resources", "cloudcontrol_get_resource"
CREATE, UPDATE, DELETE = (
    "cloudcontrol_create_resource",
    "cloudcontrol_update_resource",
    "cloudcontrol_delete_resource",
)
STATUS = "cloudcontrol_request_status"
_RUNNING = frozenset({"PENDING", "IN_PROGRESS", "CANCEL_IN_PROGRESS"})
_POLL_S = 1.0  # between status calls, should the server answer without waiting
_LIST_PAGE = 100
_LIST_PAGES_MAX = 1000


def full_type_name(kind: str) -> str:
    """``AWS::EC2::Instance`` for ``EC2::Instance``; a full name as it is."""
    return f"AWS::{kind}" if kind.count("::") == 1 else kind


def short_type_name(kind: str) -> str:
    """``EC2::Instance`` for ``AWS::EC2::Instance``: the documented spelling."""
    return kind.removeprefix("AWS::") if kind.count("::") == 2 and kind.startswith("AWS::") else kind


def _our_endpoint(url: str) -> str:
    """Our server answers MCP at ``/mcp``: a bare ``http://localhost:8000`` means that."""
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        return urlunsplit(parts._replace(path="/mcp"))
    return url


class AWSMCPClient(MCPClient):
    """A client for the AWS MCP server, with resource operations on top of its tools.

    ``AWSMCPClient(server_url=..., timeout=30, circuit_breaker_config=..., retry_config=...)`` as
    documented; ``settings`` (a whole :class:`ClientSettings`) or ``config`` (an
    :class:`MCPServerConfig`, with auth) when more is needed. Explicit arguments win over ``settings``.
    """

    def __init__(
        self,
        server_url: str | None = None,
        timeout: float | None = None,
        circuit_breaker_config: CircuitBreakerConfig | None = None,
        retry_config: RetryConfig | None = None,
        *,
        settings: ClientSettings | None = None,
        config: MCPServerConfig | None = None,
        auth: AuthConfig | None = None,
        name: str = "aws-mcp",
        transport: TransportOpener | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
        confirm: Confirm | None = None,
    ) -> None:
        settings = settings or ClientSettings()
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = float(timeout)
        if circuit_breaker_config is not None:
            changes["breaker"] = circuit_breaker_config
        if retry_config is not None:
            changes["retry"] = retry_config
        settings = settings.with_changes(**changes) if changes else settings
        if config is None:
            url = _our_endpoint(server_url or settings.server_url)
            config = MCPServerConfig(name=name, url=url, auth=auth)
        super().__init__(config, settings, transport=transport, clock=clock, sleep=sleep)
        self._clock = clock
        self._confirm = confirm
        self._schemas: dict[str, dict[str, Any]] = {}
        self._requests: dict[str, str] = {}  # resource id → the request still changing it

    @property
    def server_url(self) -> str:
        return self.config.target

    @property
    def timeout(self) -> float:
        return self.settings.timeout

    # -- health ------------------------------------------------------------------------------------

    async def health_check(self) -> bool:
        """Whether the server answers now (connecting if need be). Never raises."""
        return (await self.health_status()).healthy

    async def health_status(self) -> HealthStatus:
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

    async def get_server_info(self) -> dict[str, Any]:
        """``{"name", "version", "protocol_version", "tools": [names], "url"}`` of the server."""
        await self.connect()
        info = self.server_info
        return {
            "name": info.name if info else None,
            "version": info.version if info else None,
            "protocol_version": self.protocol_version,
            "tools": [tool.name for tool in await self.get_tools()],
            "url": self.config.target,
        }

    # -- resources ---------------------------------------------------------------------------------

    async def create_resource(self, project_id: str, resource_config: ResourceConfig) -> Resource:
        """Create the resource, tagged with the project; wait for it (at most ``timeout``)."""
        _check_project(project_id)
        kind = full_type_name(resource_config.type)
        schema = await self.describe_type(kind, region=resource_config.region)
        state = {_canonical(schema, key): value for key, value in resource_config.properties.items()}
        tags = dict(resource_config.tags)
        if resource_config.name:
            tags.setdefault(NAME_TAG, resource_config.name)
            name_property = _canonical(schema, f"{kind.rsplit('::', 1)[-1]}Name", known_only=True)
            if name_property and name_property not in state and name_property in _writable(schema):
                state[name_property] = resource_config.name
        tags[PROJECT_TAG] = project_id
        if "Tags" not in _writable(schema):
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED,
                f"{kind} takes no tags, so it cannot carry its project's tag {PROJECT_TAG!r}: "
                "create it with the cloudcontrol_create_resource tool instead",
                server=self.name,
            )
        state["Tags"] = _with_tags(state.get("Tags"), tags)
        args: dict[str, Any] = {
            "type_name": kind,
            "desired_state": state,
            "idempotency_key": resource_config.idempotency_key or uuid.uuid4().hex,
            **_region(resource_config.region),
        }
        outcome = await self._change(CREATE, args, region=resource_config.region)
        return self._resource_from(resource_config.type, outcome, project_id, resource_config.region)

    async def get_resource(self, project_id: str | None, resource_id: str) -> Resource | None:
        """The project's resource by its id; None if there is none (or it is another project's).
        ``project_id`` None: whichever project's, or none."""
        found = _parse_id(resource_id)
        if found is None:
            return None
        kind, identifier = found
        if identifier.startswith(PENDING_PREFIX):
            return await self._pending(project_id, resource_id, kind, identifier)
        try:
            got = await self._call(GET, {"type_name": full_type_name(kind), "identifier": identifier})
        except InfrastructureException as err:
            if err.code is ErrorCodes.RESOURCE_NOT_FOUND:
                return None
            raise
        resource = _resource(kind, identifier, got.get("properties") or {}, got.get("region"))
        if project_id is not None and resource.project_id != project_id:
            return None
        return resource

    async def list_resources(
        self, project_id: str | None, filters: ResourceFilter | None = None
    ) -> list[Resource]:
        """The project's resources of ``filters.resource_type`` (every page); ``project_id`` None: all."""
        filters = filters or ResourceFilter()
        if not filters.resource_type:
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED,
                "list_resources needs ResourceFilter(resource_type=...): Cloud Control lists one type "
                "at a time",
                server=self.name,
            )
        kind = filters.resource_type
        tags = dict(filters.tags)
        if project_id is not None:
            tags[PROJECT_TAG] = project_id
        found: list[Resource] = []
        cursor: str | None = None
        for _ in range(_LIST_PAGES_MAX):
            args: dict[str, Any] = {"type_name": full_type_name(kind), "max_results": _LIST_PAGE}
            args.update({"tags": tags} if tags else {}, **_region(filters.region))
            if cursor:
                args["cursor"] = cursor
            page = await self._call(LIST, args)
            for item in page.get("resources") or []:
                resource = _resource(
                    kind, str(item["identifier"]), item.get("properties") or {}, page.get("region")
                )
                if filters.status is None or self._status_of(resource) is filters.status:
                    found.append(resource)
                if filters.max_results is not None and len(found) >= filters.max_results:
                    return found
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return found

    async def update_resource(
        self, project_id: str | None, resource_id: str, updates: dict[str, Any]
    ) -> Resource:
        """Set the properties in ``updates`` (a value of None removes one), as one JSON Patch."""
        kind, _, current = await self._owned(project_id, resource_id)
        schema = await self.describe_type(full_type_name(kind), region=current.region)
        patch: list[dict[str, Any]] = []
        for key, given in updates.items():
            name = _canonical(schema, key)
            keep = {PROJECT_TAG: current.project_id} if current.project_id else {}
            # The project's tag stays, whatever else changes.
            value = _with_tags(given, keep) if name == "Tags" and given is not None else given
            if value is None:
                patch.append({"op": "remove", "path": f"/{name}"})
            else:
                patch.append({"op": "add", "path": f"/{name}", "value": value})
        return await self._patch(project_id, resource_id, current, patch)

    async def patch_resource(
        self, project_id: str | None, resource_id: str, patch: list[dict[str, Any]]
    ) -> Resource:
        """Apply an RFC 6902 JSON Patch (property names as the type spells them) to the resource."""
        _, _, current = await self._owned(project_id, resource_id)
        return await self._patch(project_id, resource_id, current, patch)

    async def _patch(
        self, project_id: str | None, resource_id: str, current: Resource, patch: list[dict[str, Any]]
    ) -> Resource:
        kind, identifier = current.type, current.identifier
        if not patch:
            return current
        args = {
            "type_name": full_type_name(kind),
            "identifier": identifier,
            "patch": patch,
            "idempotency_key": uuid.uuid4().hex,
            **_region(current.region),
        }
        outcome = await self._change(UPDATE, args, region=current.region)
        if outcome.get("status") == "SUCCESS" and not outcome.get("properties"):
            return await self.get_resource(project_id, resource_id) or current
        return self._resource_from(
            kind, {**outcome, "identifier": identifier}, current.project_id, current.region
        )

    async def delete_resource(self, project_id: str | None, resource_id: str) -> bool:
        """Delete the project's resource: True once deleted, False if still deleting after ``timeout``
        (``get_resource_status`` follows it). RESOURCE_NOT_FOUND if the project has no such resource."""
        kind, identifier, current = await self._owned(project_id, resource_id)
        args = {
            "type_name": full_type_name(kind),
            "identifier": identifier,
            "idempotency_key": uuid.uuid4().hex,
            **_region(current.region),
        }
        outcome = await self._change(DELETE, args, region=current.region)
        if outcome.get("status") == "SUCCESS":
            self._requests.pop(resource_id, None)
            return True
        self._requests[resource_id] = str(outcome["request_token"])
        return False

    async def get_resource_status(self, project_id: str | None, resource_id: str) -> ResourceStatus:
        """CREATING, UPDATING or DELETING while a change this client made runs; then ACTIVE, DELETED
        or FAILED. RESOURCE_NOT_FOUND if the project has no such resource and no change is known."""
        token = self._requests.get(resource_id)
        if token is not None:
            outcome = await self._call(STATUS, {"request_token": token})
            status = _status(outcome)
            if str(outcome.get("status")) not in _RUNNING:
                self._requests.pop(resource_id, None)
            return status
        resource = await self.get_resource(project_id, resource_id)
        if resource is None:
            raise InfrastructureException(
                ErrorCodes.RESOURCE_NOT_FOUND,
                f"project {project_id!r} has no resource {resource_id!r}",
                server=self.name,
            )
        return resource.status

    async def describe_type(self, kind: str, *, region: str | None = None) -> dict[str, Any]:
        """A type's schema in brief (``cloudcontrol_describe_type``), kept for the client's life."""
        kind = full_type_name(kind)
        if kind not in self._schemas:
            self._schemas[kind] = await self._call(DESCRIBE, {"type_name": kind, **_region(region)})
        return self._schemas[kind]

    # -- helpers -----------------------------------------------------------------------------------

    async def _owned(self, project_id: str | None, resource_id: str) -> tuple[str, str, Resource]:
        resource = await self.get_resource(project_id, resource_id)
        if resource is None or resource.identifier is None:
            raise InfrastructureException(
                ErrorCodes.RESOURCE_NOT_FOUND,
                f"project {project_id!r} has no resource {resource_id!r}",
                server=self.name,
            )
        return resource.type, resource.identifier, resource

    async def _pending(
        self, project_id: str | None, resource_id: str, kind: str, identifier: str
    ) -> Resource | None:
        """A create that had not named its resource: ask its request, and read the resource if done."""
        token = identifier.removeprefix(PENDING_PREFIX)
        try:
            outcome = await self._call(STATUS, {"request_token": token})
        except InfrastructureException as err:
            if err.code in (ErrorCodes.RESOURCE_NOT_FOUND, ErrorCodes.VALIDATION_FAILED):
                return None
            raise
        named = outcome.get("identifier")
        if outcome.get("status") == "SUCCESS" and named:
            return await self.get_resource(project_id, f"{kind}/{named}")
        if outcome.get("status") == "FAILED":
            return None
        return Resource(
            id=resource_id,
            type=kind,
            identifier=None,
            project_id=project_id,
            status=_status(outcome),
            request_token=token,
        )

    def _status_of(self, resource: Resource) -> ResourceStatus:
        return ResourceStatus.UPDATING if resource.id in self._requests else resource.status

    def _resource_from(
        self, kind: str, outcome: Mapping[str, Any], project_id: str | None, region: str | None
    ) -> Resource:
        token = str(outcome.get("request_token") or "") or None
        identifier = outcome.get("identifier")
        running = str(outcome.get("status")) in _RUNNING
        resource_id = f"{kind}/{identifier}" if identifier else f"{kind}/{PENDING_PREFIX}{token}"
        if running and token:
            self._requests[resource_id] = token
        properties = dict(outcome.get("properties") or {})
        base = _resource(kind, identifier or "", properties, outcome.get("region") or region)
        return base.model_copy(
            update={
                "id": resource_id,
                "identifier": identifier,
                "project_id": base.project_id or project_id,
                "status": _status(outcome),
                "request_token": token if running else None,
                "defaults_filled": dict(outcome.get("defaults_filled") or {}),
            }
        )

    async def _change(self, tool: str, args: Mapping[str, Any], *, region: str | None) -> dict[str, Any]:
        """Ask for a change and follow its request until it ends or ``timeout`` is spent."""
        deadline = self._clock() + self.settings.timeout
        outcome = await self._call(tool, args)
        while str(outcome.get("status")) in _RUNNING and self._clock() < deadline:
            await self._sleep(min(_POLL_S, max(0.0, deadline - self._clock())))
            outcome = await self._call(STATUS, {"request_token": outcome["request_token"], **_region(region)})
        if outcome.get("status") == "FAILED":
            code = str(outcome.get("error_code") or "")
            raise InfrastructureException(
                _FAILURES.get(code, ErrorCodes.TOOL_ERROR),
                f"{outcome.get('operation', tool)} {args.get('type_name')} failed"
                + (f" ({code})" if code else "")
                + f": {outcome.get('status_message') or 'no reason given'}",
                server=self.name,
                details={"request_token": outcome.get("request_token"), "error_code": code or None},
            )
        return outcome

    async def call_json(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Call a tool and return its structured result; a tool error is raised (RESOURCE_NOT_FOUND,
        VALIDATION_FAILED or TOOL_ERROR)."""
        return await self._call(tool, args)

    async def _call(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        result = await self.call_tool(tool, args)
        text = " ".join(block.text for block in result.content if isinstance(block, types.TextContent))
        token = _CONFIRMATION.search(text) if result.is_error else None
        if token is not None:
            # The server's plan of a destructive change: made only if ``confirm`` agrees.
            agreed = self._confirm(text) if self._confirm else False
            if not (await agreed if inspect.isawaitable(agreed) else agreed):
                raise InfrastructureException(
                    ErrorCodes.CONFIRMATION_REQUIRED,
                    f"{tool}: {text}",
                    server=self.name,
                    details={"tool": tool},
                )
            result = await self.call_tool(tool, {**args, "confirmation": token[1]})
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


_FAILURES = {
    "NotFound": ErrorCodes.RESOURCE_NOT_FOUND,
    "InvalidRequest": ErrorCodes.VALIDATION_FAILED,
    "InvalidCredentials": ErrorCodes.AUTHENTICATION_FAILED,
    "AccessDenied": ErrorCodes.AUTHENTICATION_FAILED,
}


_MISSING = re.compile(
    r"not ?found|does not exist|^No (?!resource type)\S+::\S+::\S+ .+ in \S+|^No Cloud Control request",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"invalid arguments|validation|missing|^No resource type|has no property| needs |read-only",
    re.IGNORECASE,
)


def _classify(text: str) -> ErrorCodes:
    """Tool errors are text; these are the words our server (and AWS) use for the cases callers handle:
    ``No AWS::S3::Bucket b in us-east-1`` is not found; an unknown type or property, a missing or
    read-only one, is refused."""
    if _MISSING.search(text):
        return ErrorCodes.RESOURCE_NOT_FOUND
    if _REFUSED.search(text):
        return ErrorCodes.VALIDATION_FAILED
    return ErrorCodes.TOOL_ERROR


def _check_project(project_id: str) -> None:
    if not isinstance(project_id, str) or not project_id.strip() or len(project_id) > 256:
        raise InfrastructureException(
            ErrorCodes.VALIDATION_FAILED,
            f"a project id is 1-256 characters (the value of the tag {PROJECT_TAG!r}), got {project_id!r}",
        )


def _parse_id(resource_id: str) -> tuple[str, str] | None:
    """``(type, identifier)`` from ``<type>/<identifier>``, or None if it is not an id of ours."""
    if not isinstance(resource_id, str):
        return None
    kind, sep, identifier = resource_id.partition("/")
    parts = kind.split("::")
    if not sep or not identifier or len(parts) not in (2, 3) or not all(p.isalnum() for p in parts):
        return None
    return kind, identifier


def _writable(schema: Mapping[str, Any]) -> list[str]:
    writable = schema.get("writable") or []
    return list(writable) if not isinstance(writable, dict) else list(writable.keys())


def _canonical(schema: Mapping[str, Any], key: str, *, known_only: bool = False) -> str:
    """The schema's spelling of ``key`` in any case; unknown ones capitalised (the server names them)."""
    known = [*_writable(schema), *(schema.get("read_only") or []), *(schema.get("required") or [])]
    folded = {name.lower(): name for name in known}
    if key.lower() in folded:
        return str(folded[key.lower()])
    return "" if known_only else key[:1].upper() + key[1:]


def _with_tags(existing: Any, tags: Mapping[str, str]) -> Any:
    """``tags`` set on a resource's ``Tags``, in the shape it has (Key/Value pairs, or a map)."""
    if isinstance(existing, dict):
        return {**existing, **tags}
    pairs = [t for t in existing or [] if isinstance(t, dict) and t.get("Key") not in tags]
    return [*pairs, *({"Key": k, "Value": v} for k, v in tags.items())]


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    found = properties.get("Tags")
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    if isinstance(found, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in found if isinstance(t, dict) and "Key" in t}
    return {}


def _resource(kind: str, identifier: str, properties: Mapping[str, Any], region: str | None) -> Resource:
    if isinstance(properties, str):  # Cloud Control's model is a JSON string, should one pass through
        properties = json.loads(properties)
    tags = _tags(properties)
    return Resource(
        id=f"{kind}/{identifier}",
        type=kind,
        identifier=identifier,
        project_id=tags.get(PROJECT_TAG),
        name=tags.get(NAME_TAG),
        properties=dict(properties),
        tags=tags,
        region=region,
    )


_RUNNING_AS = {"CREATE": ResourceStatus.CREATING, "UPDATE": ResourceStatus.UPDATING}


def _status(outcome: Mapping[str, Any]) -> ResourceStatus:
    status, operation = str(outcome.get("status")), str(outcome.get("operation"))
    if status in _RUNNING:
        return _RUNNING_AS.get(operation, ResourceStatus.DELETING)
    if status == "SUCCESS":
        return ResourceStatus.DELETED if operation == "DELETE" else ResourceStatus.ACTIVE
    return ResourceStatus.FAILED


def _region(region: str | None) -> dict[str, str]:
    return {"region": region} if region else {}


def create_aws_mcp_client(
    url: str | None = None,
    *,
    settings: ClientSettings | None = None,
    auth: AuthConfig | None = None,
    name: str = "aws-mcp",
) -> AWSMCPClient:
    """A client for the server at ``url`` (default: ``AWS_MCP_SERVER_URL``), with the settings the
    ``AWS_MCP_*`` environment variables give (``get_aws_mcp_config()``), else the documented defaults."""
    settings = settings or ClientSettings.from_env()
    return AWSMCPClient(url or settings.server_url, settings=settings, auth=auth, name=name)
