"""What a resource type adapter is: the five handlers Cloud Control calls, over moto's backends.

A create goes through the moto model's ``create_from_cloudformation_json`` (what a CloudFormation
stack in moto would do), so the resource lands in the same backend the native API reads. Reads,
lists, updates and deletes go to the backend's own methods, because moto's CloudFormation
models read nothing back in Cloud Control's shape and several update or delete in ways Cloud
Control does not (replacing the resource, or finding it by a stack's logical id); each
adapter's docstring names the gaps it fills.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, ClassVar

from moto.cloudformation.parsing import generate_resource_name, get_model_map

__all__ = [
    "HandlerError",
    "Place",
    "ResourceType",
    "absent",
    "tag_dict",
    "tag_list",
]


@dataclass(frozen=True)
class Place:
    """Where a request acts: moto's account and region."""

    account_id: str
    region: str


class HandlerError(Exception):
    """A handler's failure, as Cloud Control reports it: a ``HandlerErrorCode`` and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def absent(type_name: str, identifier: str) -> HandlerError:
    return HandlerError(
        "NotFound", f"Resource of type '{type_name}' with identifier '{identifier}' was not found."
    )


def tag_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or ()}


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    """Tags in the schemas' shape, user tags only (``aws:`` ones are the system's)."""
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items()) if not k.startswith("aws:")]


def compact(properties: dict[str, Any]) -> dict[str, Any]:
    """A model without its unset properties (Cloud Control leaves them out, as do we)."""
    return {k: v for k, v in properties.items() if v is not None and v != []}


class ResourceType:
    """One resource type. Subclasses set ``type_name`` and write ``read``, ``identifiers``,
    ``delete`` and, for the properties their schema leaves updatable, ``update``."""

    type_name: ClassVar[str]
    # The property that names the resource, generated when the desired state leaves it out.
    name_property: ClassVar[str | None] = None

    @cached_property
    def schema(self) -> dict[str, Any]:
        file = self.type_name.lower().replace("::", "-") + ".json"
        text = resources.files("aws_mcp_local.demo.cloudcontrol").joinpath("schemas", file).read_text()
        schema: dict[str, Any] = json.loads(text)
        return schema

    @cached_property
    def primary(self) -> str:
        """The property holding the primary identifier (every supported type has a single one)."""
        return str(self.schema["primaryIdentifier"][0]).rsplit("/", 1)[-1]

    def _listed(self, key: str) -> frozenset[str]:
        return frozenset(p.rsplit("/", 1)[-1] for p in self.schema.get(key, ()) if p.count("/") == 2)

    @cached_property
    def read_only(self) -> frozenset[str]:
        return self._listed("readOnlyProperties")

    @cached_property
    def create_only(self) -> frozenset[str]:
        return self._listed("createOnlyProperties")

    @cached_property
    def write_only(self) -> frozenset[str]:
        return self._listed("writeOnlyProperties")

    # -- create ----------------------------------------------------------------------------------

    def existing(self, place: Place, desired: dict[str, Any]) -> str | None:
        """The identifier of a resource ``desired`` would collide with, if one exists."""
        if self.name_property != self.primary or not desired.get(self.primary):
            return None
        try:
            self.read(place, str(desired[self.primary]))
        except HandlerError:
            return None
        return str(desired[self.primary])

    def create(self, place: Place, desired: dict[str, Any]) -> str:
        """Create through moto's CloudFormation model; the new resource's identifier."""
        name = self.resource_name(desired)
        template = {"Type": self.type_name, "Properties": self.cfn_properties(desired, name)}
        made = get_model_map()[self.type_name].create_from_cloudformation_json(
            name, template, place.account_id, place.region
        )
        identifier = self.identify(made)
        self.after_create(place, identifier, desired)
        return identifier

    def resource_name(self, desired: dict[str, Any]) -> str:
        if self.name_property and desired.get(self.name_property):
            return str(desired[self.name_property])
        # Cloud Control names an unnamed resource as CloudFormation would, from a stack and id.
        return generate_resource_name(self.type_name, "CloudControl", self.type_name.rsplit("::", 1)[-1])

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        """The model's ``Properties`` for ``desired`` (where moto spells something otherwise)."""
        return dict(desired)

    def identify(self, made: Any) -> str:
        return str(made.physical_resource_id)

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        """What moto's model leaves out of a create; nothing by default."""

    # -- the others ------------------------------------------------------------------------------

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        """The resource's properties in the schema's shape; ``absent`` when there is none."""
        raise NotImplementedError

    def identifiers(self, place: Place) -> list[str]:
        """Every resource of the type in ``place``, in a stable order."""
        raise NotImplementedError

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        """Make the resource ``desired`` (only updatable properties differ from ``current``)."""
        raise NotImplementedError

    def delete(self, place: Place, identifier: str) -> None:
        raise NotImplementedError
