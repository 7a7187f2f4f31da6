"""The Cloud Control API's operations, as a moto response class.

Being a moto ``BaseResponse`` (service ``cloudcontrol``) gives the real wire protocol for free:
moto parses the JSON 1.0 request and serializes answers and errors from botocore's own model of
the service, and reads the account and region from the request's signature as every moto
service does. What is ours is what the operations do (``requests`` for their lives, ``types``
for the resources). Errors a caller can fix come back at once with Cloud Control's exception
codes; what goes wrong with the resource itself is the request's FAILED outcome.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

import jsonpatch
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import ServiceException
from moto.core.request import Request
from moto.core.responses import ActionResult, BaseResponse
from werkzeug.exceptions import HTTPException

from aws_mcp_local.demo.cloudcontrol import validation
from aws_mcp_local.demo.cloudcontrol.requests import (
    Outcome,
    RequestStore,
    ResourceRequest,
    new_token,
    stores,
)
from aws_mcp_local.demo.cloudcontrol.types import TYPES, HandlerError, Place, ResourceType

__all__ = ["DEFAULT_DELAY", "CloudControlResponse", "Emulator", "is_cloud_control"]

DEFAULT_DELAY = 1.5
"""Seconds a request stays IN_PROGRESS: long enough to see, short enough not to wait for."""

TARGET_PREFIX = "CloudApiService."
_PATCH_OPS = ("add", "remove", "replace", "move", "copy", "test")
MAX_RESULTS = 100


class Emulator:
    """Cloud Control for moto: how long requests take, and the clock they are timed by.

    ``delay`` may be changed at any time; it applies to requests made afterwards. ``advance``
    moves this emulator's clock forward (a test's way to see a slow request finish).
    """

    def __init__(self, delay: float = DEFAULT_DELAY, clock: Callable[[], float] = time.time) -> None:
        self.delay = delay
        self._clock = clock
        self._skew = 0.0

    def now(self) -> float:
        return self._clock() + self._skew

    def advance(self, seconds: float) -> None:
        self._skew += seconds

    def answer(self, request: Request) -> TYPE_RESPONSE | None:
        """moto's answer to a Cloud Control request; None for any other request."""
        if not is_cloud_control(request.headers):
            return None
        return CloudControlResponse(self)._dispatch(request)


def is_cloud_control(headers: Any) -> bool:
    target = headers.get("X-Amz-Target") or b""
    # botocore's prepared requests carry header values as bytes; WSGI's as text.
    return (target.decode() if isinstance(target, bytes) else str(target)).startswith(TARGET_PREFIX)


class _Error(ServiceException):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def _supported() -> str:
    return ", ".join(TYPES)


class CloudControlResponse(BaseResponse):
    def __init__(self, emulator: Emulator) -> None:
        super().__init__(service_name="cloudcontrol")
        self.automated_parameter_parsing = True
        self.emulator = emulator

    def call_action(self) -> TYPE_RESPONSE:
        try:
            return super().call_action()
        except Exception as err:
            fault = _Error(
                "GeneralServiceException", f"The demo's Cloud Control failed: {type(err).__name__}: {err}"
            )
            return self.serialized(ActionResult(fault))

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def place(self) -> Place:
        return Place(self.current_account, self.region)

    @property
    def store(self) -> RequestStore:
        return stores[self.current_account][self.region]

    def _type(self) -> ResourceType:
        name = self._get_param("TypeName")
        resource_type = TYPES.get(name)
        if resource_type is None:
            raise _Error(
                "TypeNotFoundException",
                f"The type '{name}' cannot be found. The demo's Cloud Control supports: {_supported()}.",
            )
        return resource_type

    def _json_param(self, name: str, kind: type) -> Any:
        try:
            value = json.loads(self._get_param(name))
        except (TypeError, ValueError) as err:
            raise _Error("InvalidRequestException", f"{name} is not valid JSON: {err}") from err
        if not isinstance(value, kind):
            shape = "an object" if kind is dict else "a list"
            raise _Error("InvalidRequestException", f"{name} must be {shape} in JSON.")
        return value

    def _page(self, items: list[Any], kind: str) -> tuple[list[Any], str | None]:
        """One page of ``items`` from the request's NextToken and MaxResults."""
        size = int(self._get_param("MaxResults") or MAX_RESULTS)
        start = 0
        token = self._get_param("NextToken")
        if token:
            try:
                seen = json.loads(base64.urlsafe_b64decode(token.encode()))
                start = int(seen["after"]) if seen["of"] == kind else -1
            except (binascii.Error, ValueError, KeyError, TypeError):
                start = -1
            if not 0 <= start <= len(items):
                raise _Error("InvalidRequestException", "NextToken is not valid for this request.")
        end = start + size
        if end >= len(items):
            return items[start:], None
        return items[start:end], base64.urlsafe_b64encode(
            json.dumps({"of": kind, "after": end}).encode()
        ).decode()

    def _shown(self, resource_type: ResourceType, model: dict[str, Any] | None) -> dict[str, Any] | None:
        if model is None:
            return None
        return {k: v for k, v in model.items() if k not in resource_type.write_only}

    def _replay(self, fingerprint: str) -> dict[str, Any] | None:
        """The event of the request made with this ClientToken before, if the same request."""
        client_token = self._get_param("ClientToken")
        if not client_token or client_token not in self.store.by_client_token:
            return None
        earlier = self.store.requests[self.store.by_client_token[client_token]]
        if earlier.fingerprint != fingerprint:
            raise _Error(
                "ClientTokenConflictException",
                f"ClientToken {client_token} was already used for a different request.",
            )
        return {"ProgressEvent": earlier.event(self.emulator.now())}

    def _guard(self, resource_type: ResourceType, identifier: str | None) -> None:
        if identifier is None:
            return
        if busy := self.store.busy(resource_type.type_name, identifier, self.emulator.now()):
            raise _Error(
                "ConcurrentOperationException",
                f"Another {busy.operation} request ({busy.token}) is in progress on "
                f"{resource_type.type_name} '{identifier}'.",
            )

    def _record(
        self,
        operation: str,
        *,
        resource_type: ResourceType,
        identifier: str | None,
        desired: dict[str, Any] | None,
        outcome: Outcome,
        fingerprint: str,
        started: float,
    ) -> dict[str, Any]:
        request = ResourceRequest(
            token=new_token(),
            operation=operation,
            type_name=resource_type.type_name,
            identifier=identifier,
            desired=self._shown(resource_type, desired),
            started=started,
            due=started + max(self.emulator.delay, 0.0),
            outcome=Outcome(
                outcome.status, outcome.error_code, outcome.message, self._shown(resource_type, outcome.model)
            ),
            client_token=self._get_param("ClientToken"),
            fingerprint=fingerprint,
        )
        self.store.add(request)
        return {"ProgressEvent": request.first_event()}

    def _fingerprint(self, *parts: Any) -> str:
        return json.dumps([self._get_action(), *parts], sort_keys=True, default=str)

    # -- operations ------------------------------------------------------------------------------

    def create_resource(self) -> ActionResult:
        resource_type = self._type()
        desired = self._json_param("DesiredState", dict)
        fingerprint = self._fingerprint(resource_type.type_name, desired)
        with self.store.lock:
            if replay := self._replay(fingerprint):
                return ActionResult(replay)
            started = self.emulator.now()
            identifier: str | None = None
            if problem := validation.problem(resource_type, desired, creating=True):
                outcome = Outcome("FAILED", "InvalidRequest", problem)
            elif existing := resource_type.existing(self.place, desired):
                self._guard(resource_type, existing)
                identifier = existing
                named = f"Resource of type '{resource_type.type_name}' with identifier '{existing}'"
                message = f"{named} already exists."
                outcome = Outcome("FAILED", "AlreadyExists", message)
            else:
                identifier, outcome = _run(lambda: _create(resource_type, self.place, desired))
            return ActionResult(
                self._record(
                    "CREATE",
                    resource_type=resource_type,
                    identifier=identifier,
                    desired=desired,
                    outcome=outcome,
                    fingerprint=fingerprint,
                    started=started,
                )
            )

    def get_resource(self) -> ActionResult:
        resource_type = self._type()
        identifier = self._get_param("Identifier")
        try:
            model = resource_type.read(self.place, identifier)
        except HandlerError as err:
            raise _Error("ResourceNotFoundException", err.message) from err
        return ActionResult(
            {
                "TypeName": resource_type.type_name,
                "ResourceDescription": {
                    "Identifier": identifier,
                    "Properties": json.dumps(self._shown(resource_type, model), default=str),
                },
            }
        )

    def list_resources(self) -> ActionResult:
        resource_type = self._type()
        page, next_token = self._page(resource_type.identifiers(self.place), resource_type.type_name)
        descriptions = []
        for identifier in page:
            try:
                model = resource_type.read(self.place, identifier)
            except HandlerError:
                continue  # gone since it was listed
            properties = json.dumps(self._shown(resource_type, model), default=str)
            descriptions.append({"Identifier": identifier, "Properties": properties})
        result: dict[str, Any] = {"TypeName": resource_type.type_name, "ResourceDescriptions": descriptions}
        if next_token:
            result["NextToken"] = next_token
        return ActionResult(result)

    def update_resource(self) -> ActionResult:
        resource_type = self._type()
        identifier = str(self._get_param("Identifier"))
        operations = self._json_param("PatchDocument", list)
        if not all(_an_operation(o) for o in operations):
            raise _Error(
                "InvalidRequestException",
                f"PatchDocument must be a list of JSON Patch operations ({', '.join(_PATCH_OPS)}), "
                "each with a path.",
            )
        patch = jsonpatch.JsonPatch(operations)
        fingerprint = self._fingerprint(resource_type.type_name, identifier, operations)
        with self.store.lock:
            if replay := self._replay(fingerprint):
                return ActionResult(replay)
            self._guard(resource_type, identifier)
            started = self.emulator.now()
            desired, outcome = _update(resource_type, self.place, identifier, patch)
            return ActionResult(
                self._record(
                    "UPDATE",
                    resource_type=resource_type,
                    identifier=identifier,
                    desired=desired,
                    outcome=outcome,
                    fingerprint=fingerprint,
                    started=started,
                )
            )

    def delete_resource(self) -> ActionResult:
        resource_type = self._type()
        identifier = str(self._get_param("Identifier"))
        fingerprint = self._fingerprint(resource_type.type_name, identifier)
        with self.store.lock:
            if replay := self._replay(fingerprint):
                return ActionResult(replay)
            self._guard(resource_type, identifier)
            started = self.emulator.now()
            _, outcome = _run(lambda: _delete(resource_type, self.place, identifier))
            return ActionResult(
                self._record(
                    "DELETE",
                    resource_type=resource_type,
                    identifier=identifier,
                    desired=None,
                    outcome=outcome,
                    fingerprint=fingerprint,
                    started=started,
                )
            )

    def _request(self) -> ResourceRequest:
        token = self._get_param("RequestToken")
        request = self.store.requests.get(token)
        if request is None:
            raise _Error("RequestTokenNotFoundException", f"Request with token {token} was not found.")
        return request

    def get_resource_request_status(self) -> ActionResult:
        return ActionResult({"ProgressEvent": self._request().event(self.emulator.now())})

    def cancel_resource_request(self) -> ActionResult:
        with self.store.lock:
            request = self._request()
            now = self.emulator.now()
            if not request.in_progress(now):
                raise _Error(
                    "ConcurrentModificationException",
                    f"Request {request.token} is {request.status(now)} and can no longer be cancelled.",
                )
            event = {**request.event(now), "OperationStatus": "CANCEL_IN_PROGRESS"}
            request.cancelled = now
            return ActionResult({"ProgressEvent": event})

    def list_resource_requests(self) -> ActionResult:
        wanted = self._get_param("ResourceRequestStatusFilter") or {}
        operations = set(wanted.get("Operations") or ())
        statuses = set(wanted.get("OperationStatuses") or ())
        now = self.emulator.now()
        with self.store.lock:
            events = [r.event(now) for r in reversed(self.store.requests.values())]
        events = [
            e
            for e in events
            if (not operations or e["Operation"] in operations)
            and (not statuses or e["OperationStatus"] in statuses)
        ]
        page, next_token = self._page(events, "requests")
        result: dict[str, Any] = {"ResourceRequestStatusSummaries": page}
        if next_token:
            result["NextToken"] = next_token
        return ActionResult(result)


def _an_operation(operation: Any) -> bool:
    return (
        isinstance(operation, dict)
        and operation.get("op") in _PATCH_OPS
        and isinstance(operation.get("path"), str)
    )


# -- the handlers' work, outcomes instead of exceptions ---------------------------------------------


def _create(resource_type: ResourceType, place: Place, desired: dict[str, Any]) -> tuple[str, Outcome]:
    identifier = resource_type.create(place, desired)
    return identifier, Outcome("SUCCESS", model=resource_type.read(place, identifier))


def _delete(resource_type: ResourceType, place: Place, identifier: str) -> tuple[str, Outcome]:
    resource_type.read(place, identifier)
    resource_type.delete(place, identifier)
    return identifier, Outcome("SUCCESS")


def _update(
    resource_type: ResourceType, place: Place, identifier: str, patch: jsonpatch.JsonPatch
) -> tuple[dict[str, Any] | None, Outcome]:
    try:
        current = resource_type.read(place, identifier)
    except HandlerError as err:
        return None, Outcome("FAILED", err.code, err.message)
    try:
        desired = patch.apply(current)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        return None, Outcome("FAILED", "InvalidRequest", f"Invalid patch update: {err}")
    if not isinstance(desired, dict):
        return None, Outcome(
            "FAILED", "InvalidRequest", "Invalid patch update: the model must stay an object"
        )
    changed = {k for k in set(current) | set(desired) if current.get(k) != desired.get(k)}
    for kind, names in (
        ("readOnlyProperties", resource_type.read_only),
        ("createOnlyProperties", resource_type.create_only),
    ):
        if fixed := sorted(changed & names):
            listed = ", ".join(f"/properties/{p}" for p in fixed)
            return desired, Outcome(
                "FAILED", "NotUpdatable", f"Invalid patch update: {kind} [{listed}] cannot be updated"
            )
    if problem := validation.problem(resource_type, desired, creating=False):
        return desired, Outcome("FAILED", "InvalidRequest", problem)
    _, outcome = _run(lambda: _apply(resource_type, place, identifier, current, desired))
    return desired, outcome


def _apply(
    resource_type: ResourceType,
    place: Place,
    identifier: str,
    current: dict[str, Any],
    desired: dict[str, Any],
) -> tuple[str, Outcome]:
    resource_type.update(place, identifier, current, desired)
    return identifier, Outcome("SUCCESS", model=resource_type.read(place, identifier))


# moto's error codes that mean the resource is missing, or is there already.
_NOT_FOUND = ("NotFound", "NoSuch", "DoesNotExist")
_ALREADY = ("AlreadyExists", "AlreadyOwnedByYou", "Duplicate", "EntityAlreadyExists", "ResourceInUse")


def _run(work: Callable[[], tuple[str, Outcome]]) -> tuple[str | None, Outcome]:
    """A handler's outcome: whatever moto raises is the request's FAILED, never a 500."""
    try:
        return work()
    except HandlerError as err:
        return None, Outcome("FAILED", err.code, err.message)
    except (ServiceException, HTTPException) as err:
        code = str(getattr(err, "code", "") or getattr(err, "error_type", ""))
        code = str(getattr(err, "error_type", code))
        message = str(getattr(err, "message", None) or getattr(err, "description", None) or err)
        if any(word in code for word in _NOT_FOUND):
            return None, Outcome("FAILED", "NotFound", message)
        if any(word in code for word in _ALREADY):
            return None, Outcome("FAILED", "AlreadyExists", message)
        return None, Outcome("FAILED", "InvalidRequest", f"{code}: {message}" if code else message)
    except Exception as err:
        return None, Outcome("FAILED", "InternalFailure", f"{type(err).__name__}: {err}")
