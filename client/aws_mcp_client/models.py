"""What ``AWSMCPClient`` takes and returns, by the documented names (pydantic, frozen).

``ResourceConfig(type="EC2::Instance", name=..., properties={...}, tags={...})`` describes a resource
to create; ``Resource`` is one that exists (or is being made), its ``id`` enough to find it again;
``ResourceFilter`` narrows a listing; ``ResourceStatus`` is where a resource stands.

A resource's ``id`` is ``<type>/<identifier>`` (``EC2::Instance/i-0abc…``): the type as it was
given, then Cloud Control's primary identifier, which may itself hold ``/`` or ``|``. Type names
never hold ``/``, so the first one splits them. While a create is still running and Cloud Control
has not named the resource yet, the id is ``<type>/request:<token>``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HealthStatus",
    "Resource",
    "ResourceConfig",
    "ResourceFilter",
    "ResourceStatus",
]

PENDING_PREFIX = "request:"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResourceStatus(StrEnum):
    """Where a resource stands."""

    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    DELETED = "DELETED"
    FAILED = "FAILED"


class ResourceConfig(_Model):
    """A resource to create.

    ``type`` is a Cloud Control type, short (``EC2::Instance``, meaning ``AWS::EC2::Instance``) or full.
    ``properties`` are the type's, in its spelling or camelCase (``instanceType``). ``name`` becomes
    the ``Name`` tag, and the type's ``<Type>Name`` property (``BucketName``…) where it has one and
    ``properties`` leave it out. ``tags`` are added to the project's tag.
    """

    type: str = Field(min_length=1, max_length=196)
    name: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    region: str | None = None
    idempotency_key: str | None = None
    """Makes a repeated create (a retry, a second run of a script) return the first one's resource."""


class ResourceFilter(_Model):
    """Which resources to list: of ``resource_type`` (needed: Cloud Control lists one type at a time),
    in ``region``, with ``status`` and all ``tags``; at most ``max_results``."""

    resource_type: str | None = None
    status: ResourceStatus | None = None
    region: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    max_results: int | None = Field(default=None, ge=1)


class Resource(_Model):
    id: str
    """``<type>/<identifier>``: what get_resource, update_resource and delete_resource take."""
    type: str
    identifier: str | None
    """Cloud Control's primary identifier (None while a create has not named it yet)."""
    project_id: str | None = None
    name: str | None = None
    status: ResourceStatus = ResourceStatus.ACTIVE
    properties: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    region: str | None = None
    request_token: str | None = None
    """The Cloud Control request that is still changing it, if any."""
    defaults_filled: dict[str, Any] = Field(default_factory=dict)
    """Required properties the server filled with a safe default (an instance's image)."""


class HealthStatus(_Model):
    healthy: bool
    server: str
    url: str
    breaker: str
    latency_ms: float | None = None
    error: str | None = None
