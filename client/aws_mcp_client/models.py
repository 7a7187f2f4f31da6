"""What ``AWSMCPClient`` takes and returns: resources, filters, statuses and server facts (pydantic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HealthStatus",
    "Resource",
    "ResourceConfig",
    "ResourceFilter",
    "ResourcePage",
    "ResourceStatus",
    "ServerInfo",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResourceConfig(_Model):
    """A resource to create, or (with ``identifier``) the properties to change on one."""

    resource_type: str = Field(description="CloudFormation type name, e.g. AWS::S3::Bucket.")
    properties: dict[str, Any] = Field(default_factory=dict)
    identifier: str | None = None
    region: str | None = None
    idempotency_key: str | None = None


class ResourceFilter(_Model):
    resource_type: str
    region: str | None = None
    states: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    identifiers: tuple[str, ...] = ()
    max_results: int | None = Field(default=None, ge=1)
    cursor: str | None = None


class Resource(_Model):
    resource_type: str
    identifier: str
    properties: dict[str, Any] = Field(default_factory=dict)
    region: str | None = None
    state: str | None = None


class ResourcePage(_Model):
    resources: tuple[Resource, ...]
    next_cursor: str | None = None


class ResourceStatus(_Model):
    """Where a resource, or a change to one, stands: an EC2 state, or a Cloud Control operation status."""

    resource_type: str | None
    identifier: str | None
    state: str
    operation: str | None = None
    request_token: str | None = None
    message: str | None = None


class ServerInfo(_Model):
    name: str | None
    version: str | None
    protocol_version: str | None
    tools: tuple[str, ...]
    url: str


class HealthStatus(_Model):
    healthy: bool
    server: str
    url: str
    breaker: str
    latency_ms: float | None = None
    error: str | None = None
