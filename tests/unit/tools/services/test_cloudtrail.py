"""cloudtrail_lookup_events through the registry, as an agent would call it.

moto has no LookupEvents (it raises NotImplementedError): every answer here is botocore's
Stubber answering as CloudTrail does, and one test shows what the demo answers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed
from tests.unit.tools.services.calling import call, refused

REGION = "us-east-1"
AT = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    """The server's tables only: the demo has no CloudTrail events to seed (moto keeps none)."""
    seed(endpoint_url=None, parts=())


def event(
    n: int, *, request_id: str | None = None, name: str = "StopInstances", **extra: Any
) -> dict[str, Any]:
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops/alice"},
        "sourceIPAddress": "203.0.113.7",
        "requestID": request_id or f"req-{n}",
        "requestParameters": {"secret": "never shown"},
        **extra,
    }
    return {
        "EventId": f"ev-{n:04}",
        "EventName": name,
        "ReadOnly": "false",
        "EventTime": AT - timedelta(minutes=n),
        "EventSource": "ec2.amazonaws.com",
        "Username": "alice",
        "Resources": [{"ResourceType": "AWS::EC2::Instance", "ResourceName": "i-0123456789abcdef0"}],
        "CloudTrailEvent": json.dumps(record),
    }


def stubbed(clients: ClientFactory, region: str = REGION) -> Stubber:
    return Stubber(clients.client("cloudtrail", region))


class TestLookupEvents:
    def test_says_who_changed_a_resource(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        expected = {
            "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "i-0123456789abcdef0"}],
            "MaxResults": 25,
        }
        with stubbed(clients) as stubber:
            stubber.add_response(
                "lookup_events", {"Events": [event(1, errorCode="UnauthorizedOperation")]}, expected
            )
            result = call(registry, "cloudtrail_lookup_events", resource="i-0123456789abcdef0")
        assert result["region"] == REGION and result.get("next_cursor") is None
        (found,) = result["events"]
        assert found == {
            "event_id": "ev-0001",
            "time": "2026-11-28T07:59:00+00:00",
            "name": "StopInstances",
            "user": "alice",
            "source": "ec2.amazonaws.com",
            "resources": ["AWS::EC2::Instance:i-0123456789abcdef0"],
            "request_id": "req-1",
            "error": "UnauthorizedOperation",
            "read_only": False,
            "source_ip": "203.0.113.7",
        }
        # The record's request parameters never leave the server.
        assert "never shown" not in json.dumps(result)

    def test_filters_by_user_or_event_name_one_at_a_time(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            stubber.add_response(
                "lookup_events",
                {"Events": []},
                {
                    "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "alice"}],
                    "MaxResults": 25,
                },
            )
            stubber.add_response(
                "lookup_events",
                {"Events": []},
                {
                    "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "DeleteBucket"}],
                    "MaxResults": 25,
                },
            )
            assert call(registry, "cloudtrail_lookup_events", user="alice")["count"] == 0
            assert call(registry, "cloudtrail_lookup_events", event_name="DeleteBucket")["count"] == 0
        text = refused(registry, "cloudtrail_lookup_events", user="alice", event_name="DeleteBucket")
        assert "one of resource, user or event_name" in text

    def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            stubber.add_response(
                "lookup_events",
                {"Events": [event(n) for n in range(5)], "NextToken": "t2"},
                {"MaxResults": 5},
            )
            stubber.add_response(
                "lookup_events",
                {"Events": [event(n) for n in range(5, 8)]},
                {"MaxResults": 5, "NextToken": "t2"},
            )
            first = call(registry, "cloudtrail_lookup_events", max_results=5)
            second = call(registry, "cloudtrail_lookup_events", cursor=first.get("next_cursor"))
        assert first["count"] == 5 and second["count"] == 3 and second.get("next_cursor") is None
        ids = [e["event_id"] for e in first["events"] + second["events"]]
        assert ids == [f"ev-{n:04}" for n in range(8)]
        # The cursor is bound to its filters.
        assert "other filters" in refused(
            registry, "cloudtrail_lookup_events", user="bob", cursor=first.get("next_cursor")
        )

    def test_a_page_over_the_budget_is_cut_at_an_event_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=2000), clients).registry
        many = {"Events": [event(n, name="Put" + "x" * 150) for n in range(12)]}
        with stubbed(clients) as stubber:
            stubber.add_response("lookup_events", many, {"MaxResults": 25})
            first = registry.call("cloudtrail_lookup_events", {}, CallContext())
            assert first.structured is not None and len(first.text) <= 2000
            assert "Cut to" in first.structured["truncated"]
            seen = [e["event_id"] for e in first.structured["events"]]
            cursor = first.structured.get("next_cursor")
            while cursor:
                stubber.add_response("lookup_events", many, {"MaxResults": 25})
                page = call(registry, "cloudtrail_lookup_events", cursor=cursor)
                seen += [e["event_id"] for e in page["events"]]
                cursor = page.get("next_cursor")
        assert seen == [f"ev-{n:04}" for n in range(12)]

    def test_finds_the_event_of_an_audit_records_request_id(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        window = {"StartTime": AT, "EndTime": AT + timedelta(minutes=15), "MaxResults": 50}
        with stubbed(clients) as stubber:
            stubber.add_response(
                "lookup_events", {"Events": [event(n) for n in range(50)], "NextToken": "t2"}, window
            )
            stubber.add_response(
                "lookup_events",
                {"Events": [event(60, request_id="ABC-123")], "NextToken": "t3"},
                {**window, "NextToken": "t2"},
            )
            result = call(
                registry, "cloudtrail_lookup_events", request_id="ABC-123", since="2026-11-28T08:00:00.000Z"
            )
        assert [e["event_id"] for e in result["events"]] == ["ev-0060"]
        assert result.get("next_cursor") is None and result.get("note") is None

    def test_a_request_id_not_in_the_window_says_why(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            stubber.add_response(
                "lookup_events", {"Events": [event(1)]}, {"StartTime": ANY, "EndTime": ANY, "MaxResults": 50}
            )
            result = call(
                registry, "cloudtrail_lookup_events", request_id="nope", since="2026-11-28T08:00:00Z"
            )
        assert result["count"] == 0 and result.get("next_cursor") is None
        assert "5 minutes" in result["note"] and "management events only" in result["note"]

    def test_a_long_window_is_read_on_with_the_cursor(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            for n in range(10):
                stubber.add_response("lookup_events", {"Events": [event(n)], "NextToken": f"t{n + 1}"})
            result = call(
                registry, "cloudtrail_lookup_events", request_id="late", since="2026-11-28T08:00:00Z"
            )
            assert result["count"] == 0 and "next_cursor" in result["note"]
            stubber.add_response(
                "lookup_events",
                {"Events": [event(99, request_id="late")]},
                {"StartTime": ANY, "EndTime": ANY, "MaxResults": 50, "NextToken": "t10"},
            )
            found = call(
                registry,
                "cloudtrail_lookup_events",
                request_id="late",
                since="2026-11-28T08:00:00Z",
                cursor=result.get("next_cursor"),
            )
        assert [e["event_id"] for e in found["events"]] == ["ev-0099"]

    def test_a_request_id_needs_since(self, registry: ToolRegistry) -> None:
        assert "needs since" in refused(registry, "cloudtrail_lookup_events", request_id="ABC-123")

    @pytest.mark.parametrize(
        "arguments", [{"max_results": 51}, {"resource": "x" * 2049}, {"cursor": "garbage"}, {"colour": "red"}]
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        text = refused(registry, "cloudtrail_lookup_events", **arguments)
        assert "Invalid arguments" in text or "Invalid cursor" in text

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            stubber.add_client_error("lookup_events", "AccessDeniedException", http_status_code=400)
            text = refused(registry, "cloudtrail_lookup_events")
        assert "AccessDeniedException" in text and "a retry will not help" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with stubbed(clients) as stubber:
            stubber.add_client_error("lookup_events", "ThrottlingException", http_status_code=400)
            assert "transient" in refused(registry, "cloudtrail_lookup_events")

    def test_an_unknown_event_source_is_a_clear_error(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with stubbed(clients) as stubber:
            stubber.add_client_error(
                "lookup_events",
                "InvalidLookupAttributesException",
                "Invalid attribute value",
                http_status_code=400,
            )
            text = refused(registry, "cloudtrail_lookup_events", event_name="Nope")
        assert "InvalidLookupAttributesException" in text

    def test_the_demo_has_no_events_and_says_which_tool_failed(self, registry: ToolRegistry) -> None:
        assert "cloudtrail_lookup_events" in refused(
            registry, "cloudtrail_lookup_events", resource="storefront-web"
        )
