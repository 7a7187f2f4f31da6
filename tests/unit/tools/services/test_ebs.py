"""EBS tools (volumes, snapshots) against moto's EC2, through the registry as an agent would call them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import call
from tests.unit.tools.test_paging import valid_output

# us-east-1 as the demo's ec2 part seeds it: seven root volumes, api-prod-1's data volume, and
# ml-train-1's left-behind scratch volume.
EAST_VOLUMES = 9


def every_page(registry: ToolRegistry, name: str, field: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of a list, page after page, checking each page fits the registry's budget."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        outcome = registry.call(name, {**arguments, "cursor": cursor}, CallContext())
        assert not outcome.is_error, outcome.text
        assert outcome.structured is not None
        items += outcome.structured[field]
        cursor = outcome.structured.get("next_cursor")
        if cursor is None:
            return items
    raise AssertionError("the pages did not end")


@pytest.fixture(scope="module")
def backups(aws: None) -> str:
    """A volume in a scratch region with seven snapshots tagged batch=test: its id."""
    ec2: Any = boto3.client("ec2", region_name=SCRATCH_REGION)
    volume = ec2.create_volume(Size=10, AvailabilityZone=f"{SCRATCH_REGION}a")["VolumeId"]
    for n in range(7):
        ec2.create_snapshot(
            VolumeId=volume,
            Description=f"backup {n} " + "x" * 100,
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "batch", "Value": "test"}]}],
        )
    return str(volume)


class TestListVolumes:
    def test_the_left_behind_volume_is_found_by_its_state(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_volumes", state="available")
        assert result["region"] == "us-east-1" and result.get("next_cursor") is None
        (volume,) = result["volumes"]
        assert volume["name"] == "ml-train-1-scratch" and volume["attachments"] == []
        assert volume["size_gib"] == 200 and volume["volume_type"] == "gp2" and volume["encrypted"] is False
        assert volume["availability_zone"].startswith("us-east-1") and volume["created"].endswith("+00:00")

    def test_an_instances_volumes_say_where_they_are_attached(
        self, registry: ToolRegistry, fleet: dict[str, list[str]]
    ) -> None:
        api = fleet["us-east-1"][2]  # api-prod-1
        volumes = call(registry, "ec2_list_volumes", instance_id=api)["volumes"]
        devices = {v["attachments"][0]["device"]: v for v in volumes}
        assert set(devices) == {"/dev/sda1", "/dev/sdf"}
        data = devices["/dev/sdf"]
        assert data["name"] == "api-prod-1-data" and data["state"] == "in-use"
        assert data["encrypted"] is True and data["volume_type"] == "gp3" and data["size_gib"] == 100
        assert data["attachments"][0]["instance_id"] == api

    def test_an_instance_without_volumes_has_none(self, registry: ToolRegistry) -> None:
        assert call(registry, "ec2_list_volumes", instance_id="i-0123456789abcdef0")["count"] == 0

    def test_filters_by_tags_in_another_region(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_volumes", region="eu-west-1", tags={"backup": "nightly"})
        assert [v["name"] for v in result["volumes"]] == ["api-eu-prod-1-data"]
        assert call(registry, "ec2_list_volumes", tags={"backup": "*"})["count"] == 1

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        first = call(registry, "ec2_list_volumes", max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(registry, "ec2_list_volumes", max_results=5, cursor=first.get("next_cursor"))
        assert second["count"] == EAST_VOLUMES - 5 and second.get("next_cursor") is None
        ids = [v["volume_id"] for v in first["volumes"] + second["volumes"]]
        assert len(set(ids)) == EAST_VOLUMES

    def test_a_cursor_refuses_filters_other_than_those_it_was_made_for(self, registry: ToolRegistry) -> None:
        first = call(registry, "ec2_list_volumes", state="in-use", max_results=5)
        for other in ({}, {"state": "available"}, {"state": "in-use", "region": "eu-west-1"}):
            outcome = registry.call(
                "ec2_list_volumes", {**other, "cursor": first.get("next_cursor")}, CallContext()
            )
            assert outcome.is_error and "other filters" in outcome.text

    def test_a_page_over_the_budget_is_cut_at_a_volume_and_continues(
        self, settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
    ) -> None:
        small = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        outcome = small.call("ec2_list_volumes", {}, CallContext())
        assert not outcome.is_error and len(outcome.text) <= 1500
        assert outcome.structured is not None and "Cut to" in outcome.structured["truncated"]
        ids = [v["volume_id"] for v in every_page(small, "ec2_list_volumes", "volumes")]
        assert len(ids) == len(set(ids)) == EAST_VOLUMES

    @pytest.mark.parametrize(
        "arguments",
        [{"state": "attached"}, {"instance_id": "vol-123"}, {"max_results": 501}, {"tags": {"k": "v" * 257}}],
    )
    def test_invalid_filters_are_a_tool_error(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        outcome = registry.call("ec2_list_volumes", arguments, CallContext())
        assert outcome.is_error and "Invalid arguments for ec2_list_volumes" in outcome.text

    def test_volumes_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_volumes", state="available", fields=["state", "size_gib"])
        (volume,) = result["volumes"]
        assert volume == {"volume_id": volume["volume_id"], "state": "available", "size_gib": 200}
        valid_output(registry, "ec2_list_volumes", result)


class TestListSnapshots:
    def test_the_nightly_backup_of_the_api_data_volume_is_listed(self, registry: ToolRegistry) -> None:
        (snapshot,) = call(registry, "ec2_list_snapshots", tags={"backup": "nightly"})["snapshots"]
        assert snapshot["description"] == "nightly backup of api-prod-1-data"
        assert snapshot["state"] == "completed" and snapshot["size_gib"] == 100 and snapshot["encrypted"]
        assert snapshot["volume_id"].startswith("vol-") and snapshot["started"].endswith("+00:00")

    def test_filters_by_the_volume_it_was_taken_of(self, registry: ToolRegistry) -> None:
        (data,) = call(registry, "ec2_list_volumes", tags={"backup": "nightly"})["volumes"]
        result = call(registry, "ec2_list_snapshots", volume_id=data["volume_id"])
        assert [s["tags"] for s in result["snapshots"]] == [{"backup": "nightly"}]
        assert call(registry, "ec2_list_snapshots", volume_id="vol-0123456789abcdef0")["count"] == 0

    def test_only_the_accounts_own_snapshots_are_asked_for(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        # moto ignores OwnerIds (it answers the public AMIs' snapshots too); real EC2 does not.
        asked: list[dict[str, Any]] = []
        ec2 = clients.client("ec2", "us-east-1")
        ec2.meta.events.register(
            "provide-client-params.ec2.DescribeSnapshots", lambda params, **_: asked.append(params)
        )
        call(registry, "ec2_list_snapshots", tags={"backup": "nightly"})
        assert [a["OwnerIds"] for a in asked] == [["self"]]

    def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, registry: ToolRegistry, backups: str
    ) -> None:
        arguments = {"region": SCRATCH_REGION, "volume_id": backups, "max_results": 5}
        first = call(registry, "ec2_list_snapshots", **arguments)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(registry, "ec2_list_snapshots", **arguments, cursor=first.get("next_cursor"))
        assert second["count"] == 2 and second.get("next_cursor") is None
        assert len({s["snapshot_id"] for s in first["snapshots"] + second["snapshots"]}) == 7
        other = {**arguments, "volume_id": "vol-0123456789abcdef0", "cursor": first.get("next_cursor")}
        refused = registry.call("ec2_list_snapshots", other, CallContext())
        assert refused.is_error and "other filters" in refused.text

    def test_a_page_over_the_budget_is_cut_at_a_snapshot_and_continues(
        self, settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]], backups: str
    ) -> None:
        small = build_server(settings.with_changes(max_result_chars=1200), clients).registry
        arguments = {"region": SCRATCH_REGION, "tags": {"batch": "test"}}
        outcome = small.call("ec2_list_snapshots", arguments, CallContext())
        assert not outcome.is_error and len(outcome.text) <= 1200
        assert outcome.structured is not None and "Cut to" in outcome.structured["truncated"]
        ids = [s["snapshot_id"] for s in every_page(small, "ec2_list_snapshots", "snapshots", **arguments)]
        assert len(ids) == len(set(ids)) == 7

    def test_snapshots_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_snapshots", tags={"backup": "nightly"}, fields=["state"])
        (snapshot,) = result["snapshots"]
        assert snapshot == {"snapshot_id": snapshot["snapshot_id"], "state": "completed"}
        valid_output(registry, "ec2_list_snapshots", result)


class TestCreateSnapshot:
    def test_a_snapshot_is_begun_with_its_description_and_tags(
        self, registry: ToolRegistry, backups: str
    ) -> None:
        result = call(
            registry,
            "ec2_create_snapshot",
            volume_id=backups,
            description="before the upgrade",
            tags={"reason": "upgrade"},
            region=SCRATCH_REGION,
        )
        snapshot = result["snapshot"]
        assert result["dry_run"] is False and snapshot["snapshot_id"].startswith("snap-")
        assert snapshot["volume_id"] == backups and snapshot["description"] == "before the upgrade"
        assert snapshot["snapshot_id"] in result["message"]
        listed = call(registry, "ec2_list_snapshots", tags={"reason": "upgrade"}, region=SCRATCH_REGION)
        assert [s["snapshot_id"] for s in listed["snapshots"]] == [snapshot["snapshot_id"]]

    def test_a_dry_run_asks_ec2_and_creates_nothing(self, registry: ToolRegistry, backups: str) -> None:
        before = call(registry, "ec2_list_snapshots", volume_id=backups, region=SCRATCH_REGION)["count"]
        result = call(registry, "ec2_create_snapshot", volume_id=backups, dry_run=True, region=SCRATCH_REGION)
        assert result["dry_run"] is True and result.get("snapshot") is None
        assert "Dry run succeeded" in result["message"]
        assert (
            call(registry, "ec2_list_snapshots", volume_id=backups, region=SCRATCH_REGION)["count"] == before
        )

    def test_an_unknown_volume_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        outcome = registry.call("ec2_create_snapshot", {"volume_id": "vol-0123456789abcdef0"}, CallContext())
        assert outcome.is_error
        assert "InvalidVolume.NotFound" in outcome.text and "vol-0123456789abcdef0" in outcome.text

    def test_read_only_mode_refuses_it(
        self, settings: Settings, clients: ClientFactory, backups: str
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        assert "ec2_create_snapshot" not in registry.names
        with pytest.raises(ProtocolError, match="ReadOnly"):
            registry.call(
                "ec2_create_snapshot", {"volume_id": backups, "region": SCRATCH_REGION}, CallContext()
            )


@pytest.mark.parametrize(
    ("tool", "operation", "arguments"),
    [
        ("ec2_list_volumes", "describe_volumes", {}),
        ("ec2_list_snapshots", "describe_snapshots", {}),
        ("ec2_create_snapshot", "create_snapshot", {"volume_id": "vol-0123456789abcdef0"}),
    ],
)
def test_access_denied_and_throttling_are_told_apart(
    registry: ToolRegistry, clients: ClientFactory, tool: str, operation: str, arguments: dict[str, Any]
) -> None:
    region = "eu-south-1"
    with Stubber(clients.client("ec2", region)) as stubber:
        stubber.add_client_error(operation, "UnauthorizedOperation", http_status_code=403)
        stubber.add_client_error(operation, "RequestLimitExceeded", http_status_code=503)
        denied = registry.call(tool, {**arguments, "region": region}, CallContext())
        throttled = registry.call(tool, {**arguments, "region": region}, CallContext())
    assert denied.is_error and "denied" in denied.text and "UnauthorizedOperation" in denied.text
    assert throttled.is_error and "transient" in throttled.text and "RequestLimitExceeded" in throttled.text
