"""Route 53 tools against moto's Route 53, through the registry as an agent would call them."""

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
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.route53 import RECORDS
from tests.unit.tools.services.calling import answers_as_declared, call, refused, walk


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("route53",))


def route53() -> Any:
    return boto3.client("route53", region_name="us-east-1")


def make_zone(name: str, records: int = 0) -> str:
    """A public zone holding ``records`` A records (r00..), besides its SOA and NS; its id."""
    zone: str = route53().create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"r{n:02}.{name}",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": f"192.0.2.{n}"}],
            },
        }
        for n in range(records)
    ]
    if changes:
        route53().change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    return zone.rsplit("/", 1)[-1]


class TestExamples:
    """Every example answers as declared (first: the other tests add zones and records)."""

    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "route53_")


class TestListZones:
    def test_lists_the_public_and_the_private_demo_zone(self, registry: ToolRegistry) -> None:
        result = call(registry, "route53_list_zones")
        zones = {z["name"]: z for z in result["zones"]}
        assert zones["shop.example.com."]["private"] is False
        listed = call(registry, "route53_list_records", zone="shop.example.com")["count"]
        assert zones["shop.example.com."]["records"] == listed >= len(RECORDS) + 2  # and its SOA and NS
        assert zones["internal.example."]["records"] == 2
        assert zones["internal.example."]["private"] is True
        assert not zones["shop.example.com."]["id"].startswith("/")

    def test_any_region_answers_the_same_global_zones(self, registry: ToolRegistry) -> None:
        here = call(registry, "route53_list_zones")["zones"]
        assert call(registry, "route53_list_zones", region="eu-west-1")["zones"] == here

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        for n in range(6):
            make_zone(f"paged{n}.example.org")
        first = call(registry, "route53_list_zones", max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        ids = [z["id"] for z in walk(registry, "route53_list_zones", "zones", max_results=5)]
        assert len(ids) == len(set(ids)) == len(route53().list_hosted_zones()["HostedZones"])

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("route53", "us-east-1")) as stubber:
            stubber.add_client_error("list_hosted_zones", "AccessDenied", http_status_code=403)
            text = refused(registry, "route53_list_zones")
        assert "AccessDenied" in text and "a retry will not help" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("route53", "us-east-1")) as stubber:
            stubber.add_client_error("list_hosted_zones", "Throttling", http_status_code=400)
            assert "transient" in refused(registry, "route53_list_zones")


class TestListRecords:
    def test_lists_a_zone_named_by_its_domain(self, registry: ToolRegistry) -> None:
        result = call(registry, "route53_list_records", zone="shop.example.com")
        shown = {(r["name"], r["type"]): r for r in result["records"]}
        for name, kind, values in RECORDS:
            assert shown[(name, kind)]["values"] == list(values) and shown[(name, kind)]["ttl"] == 300
        assert ("shop.example.com.", "SOA") in shown and result.get("next_cursor") is None

    def test_a_zone_named_by_its_id_answers_as_by_its_domain(self, registry: ToolRegistry) -> None:
        by_name = call(registry, "route53_list_records", zone="shop.example.com.")
        assert call(registry, "route53_list_records", zone=by_name["zone_id"]) == by_name
        assert call(registry, "route53_list_records", zone=f"/hostedzone/{by_name['zone_id']}") == by_name

    def test_only_the_records_of_one_name_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "route53_list_records", zone="shop.example.com", name="WWW.shop.example.com")
        assert [(r["name"], r["type"]) for r in result["records"]] == [("www.shop.example.com.", "A")]
        assert result.get("next_cursor") is None

    def test_an_unknown_zone_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "NoSuchHostedZone" in refused(registry, "route53_list_records", zone="Z0NOSUCHZONE")
        text = refused(registry, "route53_list_records", zone="nowhere.example.com")
        assert "NoSuchHostedZone" in text and "nowhere.example.com." in text

    def test_pages_follow_the_cursor_by_name_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        zone = make_zone("records.example.org", records=12)
        first = call(registry, "route53_list_records", zone=zone, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        seen = [
            (r["name"], r["type"])
            for r in walk(registry, "route53_list_records", "records", zone=zone, max_results=5)
        ]
        assert len(seen) == len(set(seen)) == 14
        assert "other filters" in refused(
            registry, "route53_list_records", zone="shop.example.com", cursor=first.get("next_cursor")
        )

    def test_a_page_over_the_budget_is_cut_at_a_record_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        zone = make_zone("crowded.example.org", records=40)
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        first = registry.call("route53_list_records", {"zone": zone}, CallContext())
        assert first.structured is not None and len(first.text) <= 1500
        assert "Cut to" in first.structured["truncated"]
        seen = [(r["name"], r["type"]) for r in walk(registry, "route53_list_records", "records", zone=zone)]
        assert len(seen) == len(set(seen)) == 42

    def test_records_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(
            registry,
            "route53_list_records",
            zone="shop.example.com",
            name="www.shop.example.com",
            fields=["type"],
        )
        assert result["records"] == [{"name": "www.shop.example.com.", "type": "A"}]
        zones = call(registry, "route53_list_zones", fields=["private"])["zones"]
        assert all(set(z) == {"id", "private"} for z in zones)

    def test_a_malformed_cursor_says_to_start_again(self, registry: ToolRegistry) -> None:
        assert "Invalid cursor" in refused(
            registry, "route53_list_records", zone="shop.example.com", cursor="x"
        )


class TestChangeRecord:
    def test_an_upsert_creates_then_replaces_and_says_it_is_pending(self, registry: ToolRegistry) -> None:
        zone = make_zone("upsert.example.org")
        made = call(
            registry,
            "route53_change_record",
            zone=zone,
            action="UPSERT",
            name="api.upsert.example.org",
            type="A",
            values=["10.0.0.1"],
        )
        assert made["status"] in ("PENDING", "INSYNC") and made["change_id"]
        call(
            registry,
            "route53_change_record",
            zone=zone,
            action="UPSERT",
            name="api.upsert.example.org",
            type="A",
            values=["10.0.0.2"],
            ttl=60,
        )
        (record,) = call(registry, "route53_list_records", zone=zone, name="api.upsert.example.org")[
            "records"
        ]
        assert record["values"] == ["10.0.0.2"] and record["ttl"] == 60

    def test_an_upsert_without_values_is_refused(self, registry: ToolRegistry) -> None:
        text = refused(
            registry,
            "route53_change_record",
            zone="shop.example.com",
            action="UPSERT",
            name="x.shop.example.com",
            type="A",
        )
        assert "UPSERT needs values" in text

    def test_a_delete_reads_the_record_and_deletes_it_as_it_stands(self, registry: ToolRegistry) -> None:
        zone = make_zone("delete.example.org", records=2)
        gone = call(
            registry,
            "route53_change_record",
            zone=zone,
            action="DELETE",
            name="r01.delete.example.org",
            type="A",
        )
        assert gone["record"]["values"] == ["192.0.2.1"]
        names = [r["name"] for r in call(registry, "route53_list_records", zone=zone)["records"]]
        assert "r01.delete.example.org." not in names and "r00.delete.example.org." in names

    def test_a_delete_whose_values_do_not_match_deletes_nothing(self, registry: ToolRegistry) -> None:
        text = refused(
            registry,
            "route53_change_record",
            zone="shop.example.com",
            action="DELETE",
            name="legacy.shop.example.com",
            type="CNAME",
            values=["elsewhere.example.net"],
        )
        assert "not deleted" in text and "old-shop.example.net" in text
        still = call(
            registry, "route53_list_records", zone="shop.example.com", name="legacy.shop.example.com"
        )
        assert still["count"] == 1

    def test_deleting_a_record_that_is_not_there_says_so(self, registry: ToolRegistry) -> None:
        text = refused(
            registry,
            "route53_change_record",
            zone="shop.example.com",
            action="DELETE",
            name="www.shop.example.com",
            type="TXT",
        )
        assert "has no TXT record named www.shop.example.com." in text

    def test_changes_are_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        arguments = {
            "zone": "shop.example.com",
            "action": "DELETE",
            "name": "www.shop.example.com",
            "type": "A",
        }
        with pytest.raises(ProtocolError) as raised:
            registry.call("route53_change_record", arguments, CallContext())
        assert "ReadOnly" in raised.value.message
        assert (
            call(
                build_server(settings, clients).registry,
                "route53_list_records",
                zone="shop.example.com",
                name="www.shop.example.com",
            )["count"]
            == 1
        )

    def test_repeating_a_call_with_its_key_replays_it(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(
            settings.with_changes(idempotency_table=table_names()["idempotency"]), clients
        ).registry
        zone = make_zone("replay.example.org")
        sent: list[int] = []
        clients.client("route53", "us-east-1").meta.events.register(
            "after-call.route53.ChangeResourceRecordSets", lambda **_: sent.append(1)
        )
        arguments = {
            "zone": zone,
            "action": "UPSERT",
            "name": "a.replay.example.org",
            "type": "A",
            "values": ["10.1.1.1"],
            "idempotency_key": "dns-1",
        }
        first, again = (call(registry, "route53_change_record", **arguments) for _ in range(2))
        assert "replayed" not in first and again["replayed"]["idempotency_key"] == "dns-1"
        assert again["change_id"] == first["change_id"] and sent == [1]

    def test_the_change_tool_is_destructive(self, registry: ToolRegistry) -> None:
        hints = {d["name"]: d["annotations"] for d in registry.definitions()}
        assert (
            hints["route53_change_record"]["destructiveHint"]
            and hints["route53_change_record"]["idempotentHint"]
        )
