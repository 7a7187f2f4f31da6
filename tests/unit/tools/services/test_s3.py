"""S3 tools against moto's S3, through the registry as an agent would call them.

The seeded buckets stay as seeded until the last class (the tools' own examples): tests that
change something work on buckets of their own, never named acme-*.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
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
from aws_mcp_local.demo import seed
from tests.unit.tools.services.calling import answers_as_declared, call, refused
from tests.unit.tools.test_paging import valid_output

PRIVATE, PUBLIC, EU_LOGS = "acme-web-assets", "acme-public-downloads", "acme-eu-logs"
STUBBED = "sa-east-1"  # a region whose client is stubbed
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("s3",))


def s3(region: str = "us-east-1") -> Any:
    return boto3.client("s3", region_name=region)


def new_bucket(prefix: str = "test", **create: Any) -> str:
    """A bucket of the test's own in us-east-1, bare (no configuration at all)."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    s3().create_bucket(Bucket=name, **create)
    return name


def posture_of(registry: ToolRegistry, bucket: str) -> dict[str, Any]:
    (found,) = call(registry, "s3_list_buckets", prefix=bucket, posture=True)["buckets"]
    return dict(found["posture"])


def stub_bucket(name: str) -> dict[str, Any]:
    return {"Name": name, "CreationDate": datetime(2026, 1, 1, tzinfo=UTC), "BucketRegion": "sa-east-1"}


class TestListBuckets:
    def test_lists_buckets_of_every_region_with_their_region(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_list_buckets", prefix="acme-")
        assert [(b["name"], b["region"]) for b in result["buckets"]] == [
            (EU_LOGS, "eu-west-1"),
            (PUBLIC, "us-east-1"),
            (PRIVATE, "us-east-1"),
        ]
        assert all(b["created"].endswith("+00:00") and "posture" not in b for b in result["buckets"])

    def test_filters_by_region(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_list_buckets", prefix="acme-", bucket_region="eu-west-1")
        assert [b["name"] for b in result["buckets"]] == [EU_LOGS]

    def test_posture_finds_the_public_bucket(self, registry: ToolRegistry) -> None:
        posture = posture_of(registry, PUBLIC)
        assert posture["verdict"] == (
            "public: policy allows anyone; public access block off; encrypted (AES256); versioning off"
        )
        assert posture["policy_public"] is True and not any(posture["public_access_block"].values())

    def test_posture_clears_the_private_bucket(self, registry: ToolRegistry) -> None:
        posture = posture_of(registry, PRIVATE)
        assert posture == {
            "verdict": "private: public access blocked; encrypted (AES256); versioned",
            "versioning": "Enabled",
            "encryption": "AES256",
            "public_access_block": {
                "block_public_acls": True,
                "ignore_public_acls": True,
                "block_public_policy": True,
                "restrict_public_buckets": True,
            },
        }

    def test_missing_configurations_read_as_none_not_errors(self, registry: ToolRegistry) -> None:
        posture = posture_of(registry, new_bucket("bare"))
        assert posture["verdict"] == "at risk: public access block off; no default encryption; versioning off"
        assert (posture.get("encryption"), posture.get("policy_public"), posture["versioning"]) == (
            None,
            None,
            "Off",
        )

    def test_a_partial_block_names_the_flags_that_are_off(self, registry: ToolRegistry) -> None:
        bucket = new_bucket("partial")
        s3().put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False}
        )
        assert posture_of(registry, bucket)["verdict"].startswith(
            "at risk: public access block partly off (block_public_policy)"
        )

    def test_a_public_policy_under_restrict_public_buckets_is_not_public(
        self, registry: ToolRegistry
    ) -> None:
        bucket = new_bucket("restricted")
        client = s3()
        client.put_bucket_policy(
            Bucket=bucket,
            Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
            f'"Action": "s3:GetObject", "Resource": "arn:aws:s3:::{bucket}/*"}}]}}',
        )
        client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)
        verdict = posture_of(registry, bucket)["verdict"]
        assert verdict.startswith("private: public access blocked; policy allows anyone, but restrict_public")

    def test_posture_pages_are_short(self, registry: ToolRegistry) -> None:
        text = refused(registry, "s3_list_buckets", posture=True, max_results=21)
        assert "Invalid arguments" in text and "at most 20" in text

    def test_pages_follow_the_continuation_token(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        buckets = [stub_bucket(f"bucket-{n}") for n in range(6)]
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_response(
                "list_buckets", {"Buckets": buckets[:5], "ContinuationToken": "t-1"}, {"MaxBuckets": 5}
            )
            stubber.add_response(
                "list_buckets", {"Buckets": buckets[5:]}, {"MaxBuckets": 5, "ContinuationToken": "t-1"}
            )
            first = call(registry, "s3_list_buckets", region=STUBBED, max_results=5)
            second = call(
                registry, "s3_list_buckets", region=STUBBED, max_results=5, cursor=first.get("next_cursor")
            )
            stubber.assert_no_pending_responses()
        assert first["count"] == 5 and second["count"] == 1 and second.get("next_cursor") is None
        assert [b["name"] for b in first["buckets"] + second["buckets"]] == [f"bucket-{n}" for n in range(6)]

    def test_a_cursor_is_bound_to_its_filters(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_response("list_buckets", {"Buckets": [], "ContinuationToken": "t-1"})
            cursor = call(registry, "s3_list_buckets", region=STUBBED).get("next_cursor")
        for other in ({"prefix": "acme-"}, {"posture": True}, {"bucket_region": "eu-west-1"}):
            assert "other filters" in refused(
                registry, "s3_list_buckets", region=STUBBED, cursor=cursor, **other
            )

    def test_a_token_s3_refuses_is_an_invalid_cursor(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_response("list_buckets", {"Buckets": [], "ContinuationToken": "t-1"})
            stubber.add_client_error(
                "list_buckets", "InvalidArgument", "The continuation token provided is incorrect"
            )
            cursor = call(registry, "s3_list_buckets", region=STUBBED).get("next_cursor")
            assert "Invalid cursor" in refused(registry, "s3_list_buckets", region=STUBBED, cursor=cursor)

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_client_error("list_buckets", "AccessDenied", "Access Denied", http_status_code=403)
            text = refused(registry, "s3_list_buckets", region=STUBBED)
        assert "denied" in text and "retry will not help" in text

    def test_throttling_says_it_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_client_error(
                "list_buckets", "SlowDown", "Please reduce your request rate", http_status_code=503
            )
            text = refused(registry, "s3_list_buckets", region=STUBBED)
        assert "SlowDown" in text and "transient" in text

    def test_buckets_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_list_buckets", prefix="acme-", fields=["region"])
        assert result["buckets"] == [
            {"name": EU_LOGS, "region": "eu-west-1"},
            {"name": PUBLIC, "region": "us-east-1"},
            {"name": PRIVATE, "region": "us-east-1"},
        ]
        valid_output(registry, "s3_list_buckets", result)

    def test_fields_without_posture_ask_for_no_posture(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            # Only the listing is answered: a posture call would fail the stubber loudly.
            stubber.add_response("list_buckets", {"Buckets": [stub_bucket("bucket-0")]})
            result = call(registry, "s3_list_buckets", region=STUBBED, posture=True, fields=["region"])
        assert result["buckets"] == [{"name": "bucket-0", "region": "sa-east-1"}]


class TestResultBudget:
    def test_cut_pages_continue_without_gaps_or_repeats(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        for n in range(25):
            s3().create_bucket(Bucket=f"crowd-{n:02}-" + "x" * 40)
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        seen: list[str] = []
        cursor = None
        cuts = 0
        for _ in range(26):
            outcome = registry.call(
                "s3_list_buckets", {"prefix": "crowd-", "max_results": 50, "cursor": cursor}, CallContext()
            )
            assert not outcome.is_error, outcome.text
            assert len(outcome.text) <= 1500 and outcome.structured is not None
            if outcome.structured.get("next_cursor"):
                assert "Cut to" in outcome.structured["truncated"]
                cuts += 1
            seen += [b["name"] for b in outcome.structured["buckets"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 25 and cuts >= 2


class TestListObjects:
    def test_lists_objects_under_a_prefix(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_list_objects", bucket=PRIVATE, prefix="assets/css/")
        assert [o["key"] for o in result["objects"]] == ["assets/css/print.css", "assets/css/site.css"]
        site = result["objects"][1]
        assert site["size"] == len(b"body { margin: 0 }\n") and site["storage_class"] == "STANDARD"
        assert site["last_modified"].endswith("+00:00") and "folder" not in site

    def test_folders_group_deeper_keys(self, registry: ToolRegistry) -> None:
        top = call(registry, "s3_list_objects", bucket=PRIVATE, folders=True)["objects"]
        assert [(o["key"], o.get("folder")) for o in top] == [("assets/", True), ("index.html", None)]
        days = call(registry, "s3_list_objects", bucket=EU_LOGS, prefix="logs/2026/07/", folders=True)
        assert [o["key"] for o in days["objects"]] == [f"logs/2026/07/0{d}/" for d in (1, 2, 3)]

    def test_pages_follow_the_continuation_token(self, registry: ToolRegistry) -> None:
        first = call(registry, "s3_list_objects", bucket=EU_LOGS, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(
            registry, "s3_list_objects", bucket=EU_LOGS, max_results=5, cursor=first.get("next_cursor")
        )
        keys = [o["key"] for o in first["objects"] + second["objects"]]
        assert second.get("next_cursor") is None and len(keys) == len(set(keys)) == 6

    def test_a_cursor_is_bound_to_its_bucket_and_filters(self, registry: ToolRegistry) -> None:
        cursor = call(registry, "s3_list_objects", bucket=EU_LOGS, max_results=5).get("next_cursor")
        for other in (
            {"bucket": PRIVATE},
            {"bucket": EU_LOGS, "prefix": "logs/"},
            {"bucket": EU_LOGS, "folders": True},
        ):
            assert "other filters" in refused(registry, "s3_list_objects", cursor=cursor, **other)

    def test_a_page_over_the_budget_is_cut_and_continues(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=700), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            result = call(registry, "s3_list_objects", bucket=EU_LOGS, cursor=cursor)
            seen += [o["key"] for o in result["objects"]]
            cursor = result.get("next_cursor")
            if cursor is None:
                break
            assert "Cut to" in result["truncated"]
        assert len(seen) == len(set(seen)) == 6

    def test_an_unknown_bucket_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "NoSuchBucket" in refused(registry, "s3_list_objects", bucket="no-such-bucket-here")

    @pytest.mark.parametrize(
        "arguments",
        [
            {"bucket": "UPPER"},
            {"bucket": "ab"},
            {"bucket": PRIVATE, "prefix": "p" * 1025},
            {"bucket": PRIVATE, "max_results": 1001},
        ],
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "s3_list_objects", **arguments)

    def test_objects_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_list_objects", bucket=PRIVATE, prefix="assets/css/", fields=["size"])
        assert result["objects"] == [
            {"key": "assets/css/print.css", "size": result["objects"][0]["size"]},
            {"key": "assets/css/site.css", "size": len(b"body { margin: 0 }\n")},
        ]
        valid_output(registry, "s3_list_objects", result)


class TestHeadObject:
    def test_shows_metadata_and_only_the_names_of_user_metadata(self, registry: ToolRegistry) -> None:
        outcome = registry.call(
            "s3_head_object", {"bucket": PRIVATE, "object_key": "assets/css/site.css"}, CallContext()
        )
        assert outcome.structured is not None
        found = outcome.structured["object"]
        assert found["content_type"] == "text/css" and found["size"] == len(b"body { margin: 0 }\n")
        assert found["encryption"] == "AES256" and found["storage_class"] == "STANDARD"
        assert found["version_id"] and found["etag"] and '"' not in found["etag"]
        assert found["metadata_keys"] == ["build"] and "2026.07.1" not in outcome.text

    def test_reads_an_older_version(self, registry: ToolRegistry) -> None:
        client = s3()
        bucket = new_bucket("versions")
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        old = client.put_object(Bucket=bucket, Key="a.txt", Body=b"one")["VersionId"]
        client.put_object(Bucket=bucket, Key="a.txt", Body=b"three")
        found = call(registry, "s3_head_object", bucket=bucket, object_key="a.txt", version_id=old)["object"]
        assert found["version_id"] == old and found["size"] == 3

    def test_a_missing_object_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "s3_head_object", bucket=PRIVATE, object_key="assets/missing.css")
        assert "NoSuchKey" in text and "assets/missing.css" in text and PRIVATE in text

    def test_a_missing_bucket_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "NoSuchBucket" in refused(
            registry, "s3_head_object", bucket="no-such-bucket-here", object_key="a"
        )


class TestCreateBucket:
    def test_creates_a_locked_down_bucket_in_the_region(self, registry: ToolRegistry) -> None:
        name = f"made-eu-{uuid.uuid4().hex[:8]}"
        result = call(registry, "s3_create_bucket", bucket=name, versioning=True, region="eu-west-1")
        assert result["region"] == "eu-west-1" and "public access blocked" in result["message"]
        client = s3("eu-west-1")
        assert client.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
        ownership = client.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        assert (
            posture_of(registry, name)["verdict"]
            == "private: public access blocked; encrypted (AES256); versioned"
        )

    def test_in_us_east_1_no_location_constraint_is_sent(self, registry: ToolRegistry) -> None:
        name = f"made-us-{uuid.uuid4().hex[:8]}"
        call(registry, "s3_create_bucket", bucket=name)
        assert s3().get_bucket_location(Bucket=name)["LocationConstraint"] is None
        assert posture_of(registry, name)["versioning"] == "Off"

    def test_a_kms_key_replaces_sse_s3(self, registry: ToolRegistry) -> None:
        name = f"made-kms-{uuid.uuid4().hex[:8]}"
        key = "arn:aws:kms:us-east-1:123456789012:key/0b5d1f2e-1111-4c3d-9e8f-000000000001"
        result = call(registry, "s3_create_bucket", bucket=name, kms_key_id=key)
        assert key in result["message"]
        assert posture_of(registry, name)["encryption"] == f"aws:kms ({key})"

    def test_a_bucket_you_own_is_refused_and_left_as_it_was(self, registry: ToolRegistry) -> None:
        text = refused(registry, "s3_create_bucket", bucket=PUBLIC)
        assert "BucketAlreadyOwnedByYou" in text and "nothing was changed" in text
        assert (
            posture_of(registry, PUBLIC)["policy_public"] is True
        )  # not locked down behind the owner's back

    def test_a_failure_after_creating_says_the_bucket_exists(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_client_error("head_bucket", "404", "Not Found", http_status_code=404)
            stubber.add_response("create_bucket", {"Location": "/half-made"})
            stubber.add_client_error(
                "put_public_access_block", "AccessDenied", "Access Denied", http_status_code=403
            )
            text = refused(registry, "s3_create_bucket", bucket="half-made", region=STUBBED)
        assert "half-made was created, but securing it failed" in text and "delete the bucket" in text

    @pytest.mark.parametrize("bucket", ["Has-Upper", "ab", "-leading", "x" * 64, "under_score"])
    def test_an_invalid_name_is_refused_before_aws(self, registry: ToolRegistry, bucket: str) -> None:
        assert "Invalid arguments" in refused(registry, "s3_create_bucket", bucket=bucket)


class TestSetVersioning:
    def test_enables_then_suspends_and_says_what_it_was(self, registry: ToolRegistry) -> None:
        bucket = new_bucket("versioning")
        enabled = call(registry, "s3_set_versioning", bucket=bucket, status="Enabled")
        assert (enabled["previous"], enabled["versioning"]) == ("Off", "Enabled")
        suspended = call(registry, "s3_set_versioning", bucket=bucket, status="Suspended")
        assert (suspended["previous"], suspended["versioning"]) == ("Enabled", "Suspended")
        assert s3().get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"

    def test_setting_the_status_it_has_changes_nothing(self, registry: ToolRegistry) -> None:
        result = call(registry, "s3_set_versioning", bucket=PRIVATE, status="Enabled")
        assert result["previous"] == "Enabled" and "nothing changed" in result["message"]

    def test_an_unknown_bucket_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "NoSuchBucket" in refused(
            registry, "s3_set_versioning", bucket="no-such-bucket-here", status="Enabled"
        )

    def test_only_enabled_or_suspended(self, registry: ToolRegistry) -> None:
        assert "Invalid arguments" in refused(
            registry, "s3_set_versioning", bucket=PRIVATE, status="Disabled"
        )


class TestDeleteBucket:
    def test_a_non_empty_bucket_is_refused_and_kept(self, registry: ToolRegistry) -> None:
        text = refused(registry, "s3_delete_bucket", bucket=PRIVATE)
        assert "BucketNotEmpty" in text and "empty_first=true" in text and "nothing was deleted" in text
        assert call(registry, "s3_head_object", bucket=PRIVATE, object_key="index.html")["object"]["size"]

    def test_deletes_an_empty_bucket(self, registry: ToolRegistry) -> None:
        bucket = new_bucket("empty")
        result = call(registry, "s3_delete_bucket", bucket=bucket)
        assert result["deleted"] is True and result["objects_deleted"] == 0
        assert "NoSuchBucket" in refused(registry, "s3_list_objects", bucket=bucket)

    def test_empty_first_deletes_every_version_and_delete_marker(self, registry: ToolRegistry) -> None:
        client = s3()
        bucket = new_bucket("versioned")
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        client.put_object(Bucket=bucket, Key="a.txt", Body=b"one")
        client.put_object(Bucket=bucket, Key="a.txt", Body=b"two")
        client.delete_object(Bucket=bucket, Key="a.txt")  # a delete marker
        result = call(registry, "s3_delete_bucket", bucket=bucket, empty_first=True)
        assert result["deleted"] is True and result["objects_deleted"] == 3
        assert bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}

    def test_more_than_a_thousand_objects_are_refused_before_any_delete(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("s3", STUBBED)) as stubber:
            stubber.add_response("list_object_versions", {"IsTruncated": True, "Versions": []})
            text = refused(
                registry, "s3_delete_bucket", bucket="big-bucket", empty_first=True, region=STUBBED
            )
            stubber.assert_no_pending_responses()  # nothing was deleted: no other call was made
        assert "more than 1000" in text and "nothing was deleted" in text

    def test_an_unknown_bucket_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "NoSuchBucket" in refused(registry, "s3_delete_bucket", bucket="no-such-bucket-here")


class TestReadOnlyMode:
    @pytest.mark.parametrize(
        ("tool", "arguments"),
        [
            ("s3_create_bucket", {"bucket": "never-made-here"}),
            ("s3_set_versioning", {"bucket": PUBLIC, "status": "Enabled"}),
            ("s3_delete_bucket", {"bucket": PUBLIC, "empty_first": True}),
        ],
    )
    def test_write_tools_are_refused(
        self, clients: ClientFactory, estate: None, tool: str, arguments: dict[str, Any]
    ) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError, match="ReadOnly"):
            registry.call(tool, arguments, CallContext())
        assert posture_of(registry, PUBLIC)["versioning"] == "Off"


class TestExamples:
    """Every example answers as declared (run last: the examples change the demo as an agent would)."""

    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "s3_")
