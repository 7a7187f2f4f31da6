"""RDS tools against moto's RDS, through the registry as an agent would call them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
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
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import call, refused, walk
from tests.unit.tools.test_paging import valid_output

# Where tests build databases of their own, apart from the demo's and from each other's.
PAGING_REGION = "ap-northeast-1"
CROWDED_REGION = "ca-central-1"
PASSWORD = "Sup3r-s3cret-passw0rd"  # set outside the tools: no answer may hold it
_names = itertools.count()

Make = Callable[..., str]


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("rds",))


def rds_in(region: str) -> Any:
    return boto3.client("rds", region_name=region)


def make_instance(region: str = SCRATCH_REGION, name: str | None = None, **settings: Any) -> str:
    """An instance of a test's own, created outside the tools with a password in the clear."""
    name = name or f"scratch-{next(_names)}"
    rds_in(region).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="dbadmin",
        MasterUserPassword=PASSWORD,
        **settings,
    )
    return name


def status_of(name: str, region: str = SCRATCH_REGION) -> str:
    return str(
        rds_in(region).describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]
    )


class TestListInstances:
    def test_lists_the_demo_databases_with_their_settings(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_instances")
        assert result["region"] == "us-east-1" and result.get("next_cursor") is None
        by_id = {i["instance_id"]: i for i in result["instances"]}
        assert set(by_id) == {"orders-db", "legacy-mysql", "catalog-1"}
        orders = by_id["orders-db"]
        assert (orders["engine"], orders["engine_version"], orders["instance_class"]) == (
            "postgres",
            "16.3",
            "db.m6g.large",
        )
        assert orders["endpoint"].endswith(".rds.amazonaws.com:5432")
        assert (orders["storage_gb"], orders["storage_type"], orders["backup_retention_days"]) == (
            100,
            "gp3",
            7,
        )
        assert orders["multi_az"] and orders["encrypted"] and orders["deletion_protection"]
        assert orders["publicly_accessible"] is False and orders.get("cluster_id") is None
        mysql = by_id["legacy-mysql"]
        assert mysql["status"] == "stopped" and mysql["encrypted"] is False and mysql["publicly_accessible"]
        assert by_id["catalog-1"]["cluster_id"] == "catalog"

    def test_lists_another_region_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_instances", region="eu-west-1")
        assert [i["instance_id"] for i in result["instances"]] == ["reporting-eu"]

    def test_filters_by_engine(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_instances", engine="mysql")
        assert [i["instance_id"] for i in result["instances"]] == ["legacy-mysql"]

    def test_fields_choose_the_columns_of_a_compact_answer(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_instances", fields=["status", "endpoint"])
        assert all(set(i) == {"instance_id", "status", "endpoint"} for i in result["instances"])

    def test_pages_follow_rds_markers_bound_to_the_engine_asked(self, registry: ToolRegistry) -> None:
        for n in range(25):
            make_instance(PAGING_REGION, f"paged-{n:02}")
        first = call(registry, "rds_list_instances", region=PAGING_REGION, max_results=20)
        assert first["count"] == 20 and first.get("next_cursor")
        second = call(registry, "rds_list_instances", region=PAGING_REGION, cursor=first.get("next_cursor"))
        ids = [i["instance_id"] for i in first["instances"] + second["instances"]]
        assert sorted(ids) == [f"paged-{n:02}" for n in range(25)] and second.get("next_cursor") is None
        text = refused(
            registry,
            "rds_list_instances",
            region=PAGING_REGION,
            engine="postgres",
            cursor=first.get("next_cursor"),
        )
        assert "other filters" in text

    def test_a_page_over_the_budget_is_cut_at_an_instance_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        for n in range(22):
            make_instance(CROWDED_REGION, f"crowded-{n:02}-" + "z" * 40)
        registry = build_server(settings.with_changes(max_result_chars=2000), clients).registry
        first = registry.call("rds_list_instances", {"region": CROWDED_REGION}, CallContext())
        assert first.structured is not None and len(first.text) <= 2000
        assert "Cut to" in first.structured["truncated"]
        every = walk(registry, "rds_list_instances", "instances", region=CROWDED_REGION)
        ids = [i["instance_id"] for i in every if i["instance_id"].startswith("crowded-")]
        assert len(ids) == len(set(ids)) == 22

    @pytest.mark.parametrize(
        "arguments",
        [{"max_results": 19}, {"max_results": 101}, {"engine": "Postgres!"}, {"fields": ["password"]}],
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "rds_list_instances", **arguments)


class TestAwsRefusals:
    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("rds", "us-east-1")) as stubber:
            stubber.add_client_error("describe_db_instances", "AccessDenied", http_status_code=403)
            text = refused(registry, "rds_list_instances")
        assert "AccessDenied" in text and "a retry will not help" in text

    def test_throttling_is_transient_and_enough_of_it_opens_the_breaker(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        region = "ap-south-1"
        breaking = settings.with_changes(breaker_table=table_names()["breaker"], breaker_failure_threshold=3)
        registry = build_server(breaking, clients).registry
        with Stubber(clients.client("rds", region)) as stubber:
            for _ in range(3):
                stubber.add_client_error("describe_db_clusters", "Throttling", http_status_code=400)
            for _ in range(3):
                assert "transient" in refused(registry, "rds_list_clusters", region=region)
            blocked = refused(registry, "rds_list_clusters", region=region)
            stubber.assert_no_pending_responses()
        assert "No call was made" in blocked and "rds" in blocked


class TestListClusters:
    def test_lists_the_aurora_cluster_with_its_writer(self, registry: ToolRegistry) -> None:
        (cluster,) = call(registry, "rds_list_clusters")["clusters"]
        assert (cluster["cluster_id"], cluster["engine"], cluster["status"]) == (
            "catalog",
            "aurora-postgresql",
            "available",
        )
        assert cluster["members"] == [{"instance_id": "catalog-1", "writer": True}]
        assert cluster["writer_endpoint"].endswith(":5432") and ".cluster-ro-" in cluster["reader_endpoint"]
        assert cluster["encrypted"] and cluster["backup_retention_days"] == 7

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        rds = rds_in(PAGING_REGION)
        for n in range(22):
            rds.create_db_cluster(
                DBClusterIdentifier=f"cluster-{n:02}",
                Engine="aurora-mysql",
                MasterUsername="dbadmin",
                MasterUserPassword=PASSWORD,
            )
        first = call(registry, "rds_list_clusters", region=PAGING_REGION, max_results=20)
        assert first["count"] == 20 and first.get("next_cursor")
        second = call(registry, "rds_list_clusters", region=PAGING_REGION, cursor=first.get("next_cursor"))
        ids = [c["cluster_id"] for c in first["clusters"] + second["clusters"]]
        assert sorted(ids) == [f"cluster-{n:02}" for n in range(22)] and second.get("next_cursor") is None
        assert "other filters" in refused(registry, "rds_list_clusters", cursor=first.get("next_cursor"))

    def test_a_page_over_the_budget_is_cut_at_a_cluster_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        for n in range(8):
            rds_in(CROWDED_REGION).create_db_cluster(
                DBClusterIdentifier=f"crowded-cluster-{n}-" + "c" * 40,
                Engine="aurora-postgresql",
                MasterUsername="dbadmin",
                MasterUserPassword=PASSWORD,
            )
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        first = registry.call("rds_list_clusters", {"region": CROWDED_REGION}, CallContext())
        assert first.structured is not None and "Cut to" in first.structured["truncated"]
        clusters = walk(registry, "rds_list_clusters", "clusters", region=CROWDED_REGION)
        assert len(clusters) == len({c["cluster_id"] for c in clusters}) == 8

    def test_clusters_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_clusters", fields=["engine", "members"])
        assert result["clusters"] == [
            {
                "cluster_id": "catalog",
                "engine": "aurora-postgresql",
                "members": [{"instance_id": "catalog-1", "writer": True}],
            }
        ]
        valid_output(registry, "rds_list_clusters", result)


class TestListSnapshots:
    def test_lists_the_manual_snapshots_of_instances(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_snapshots", snapshot_type="manual")
        by_id = {s["snapshot_id"]: s for s in result["snapshots"]}
        assert set(by_id) == {"orders-db-before-v2-migration", "legacy-mysql-before-stop"}
        orders = by_id["orders-db-before-v2-migration"]
        assert (orders["source_id"], orders["type"], orders["status"], orders["size_gb"]) == (
            "orders-db",
            "manual",
            "available",
            100,
        )
        assert orders["created_at"].endswith("+00:00") and orders["encrypted"] is True

    def test_lists_the_snapshots_of_clusters_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_snapshots", of="cluster", snapshot_type="manual")
        assert [(s["snapshot_id"], s["source_id"]) for s in result["snapshots"]] == [
            ("catalog-before-reindex", "catalog")
        ]

    def test_filters_by_source_and_type(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_snapshots", source_id="orders-db")
        assert {s["source_id"] for s in result["snapshots"]} == {"orders-db"}
        assert {s["type"] for s in result["snapshots"]} == {"manual", "automated"}
        automated = call(registry, "rds_list_snapshots", snapshot_type="automated")
        assert {s["type"] for s in automated["snapshots"]} == {"automated"}

    def test_pages_follow_the_cursor_bound_to_the_kind_asked(self, registry: ToolRegistry) -> None:
        name = make_instance(PAGING_REGION)
        for n in range(21):
            rds_in(PAGING_REGION).create_db_snapshot(
                DBInstanceIdentifier=name, DBSnapshotIdentifier=f"snap-{n:02}"
            )
        arguments = {"region": PAGING_REGION, "source_id": name, "snapshot_type": "manual", "max_results": 20}
        first = call(registry, "rds_list_snapshots", **arguments)
        assert first["count"] == 20 and first.get("next_cursor")
        second = call(registry, "rds_list_snapshots", **arguments, cursor=first.get("next_cursor"))
        ids = [s["snapshot_id"] for s in first["snapshots"] + second["snapshots"]]
        assert sorted(ids) == [f"snap-{n:02}" for n in range(21)] and second.get("next_cursor") is None
        other = refused(
            registry, "rds_list_snapshots", **{**arguments, "of": "cluster"}, cursor=first.get("next_cursor")
        )
        assert "other filters" in other

    def test_a_page_over_the_budget_is_cut_at_a_snapshot_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        name = make_instance(CROWDED_REGION)
        for n in range(12):
            rds_in(CROWDED_REGION).create_db_snapshot(
                DBInstanceIdentifier=name, DBSnapshotIdentifier=f"crowded-snap-{n:02}-" + "s" * 40
            )
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        arguments = {"region": CROWDED_REGION, "source_id": name, "snapshot_type": "manual"}
        first = registry.call("rds_list_snapshots", arguments, CallContext())
        assert first.structured is not None and "Cut to" in first.structured["truncated"]
        snapshots = walk(registry, "rds_list_snapshots", "snapshots", **arguments)
        assert len(snapshots) == len({s["snapshot_id"] for s in snapshots}) == 12

    def test_an_unknown_kind_is_refused(self, registry: ToolRegistry) -> None:
        assert "Invalid arguments" in refused(registry, "rds_list_snapshots", of="proxy")

    def test_snapshots_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "rds_list_snapshots", snapshot_type="manual", fields=["source_id"])
        assert sorted(result["snapshots"], key=lambda s: s["snapshot_id"]) == [
            {"snapshot_id": "legacy-mysql-before-stop", "source_id": "legacy-mysql"},
            {"snapshot_id": "orders-db-before-v2-migration", "source_id": "orders-db"},
        ]
        valid_output(registry, "rds_list_snapshots", result)


class TestCreateSnapshot:
    def test_snapshots_an_instance_under_the_name_given(self, registry: ToolRegistry) -> None:
        name = make_instance()
        result = call(
            registry,
            "rds_create_snapshot",
            region=SCRATCH_REGION,
            instance_id=name,
            snapshot_id=f"{name}-before",
        )
        assert (result["snapshot_id"], result["instance_id"]) == (f"{name}-before", name)
        listed = call(
            registry, "rds_list_snapshots", region=SCRATCH_REGION, source_id=name, snapshot_type="manual"
        )
        assert [s["snapshot_id"] for s in listed["snapshots"]] == [f"{name}-before"]

    def test_without_a_name_the_snapshot_is_named_for_the_instance_and_the_time(
        self, registry: ToolRegistry
    ) -> None:
        name = make_instance()
        result = call(registry, "rds_create_snapshot", region=SCRATCH_REGION, instance_id=name)
        assert result["snapshot_id"].startswith(f"{name}-20")

    def test_an_unknown_instance_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "rds_create_snapshot", instance_id="no-such-db")
        assert "DBInstanceNotFound" in text and "no-such-db" in text


class TestStartStopAndReboot:
    def test_stop_then_start_an_instance(self, registry: ToolRegistry) -> None:
        name = make_instance()
        stopped = call(registry, "rds_stop_instance", region=SCRATCH_REGION, instance_id=name)
        assert (stopped["changed"], stopped["previous_status"]) == (True, "available")
        assert status_of(name) == "stopped"
        started = call(registry, "rds_start_instance", region=SCRATCH_REGION, instance_id=name)
        assert (started["changed"], started["previous_status"]) == (True, "stopped")
        assert status_of(name) == "available"

    @pytest.mark.parametrize(
        ("tool", "already"), [("rds_start_instance", "available"), ("rds_stop_instance", "stopped")]
    )
    def test_an_instance_already_there_is_left_alone(
        self, registry: ToolRegistry, tool: str, already: str
    ) -> None:
        name = make_instance()
        if already == "stopped":
            rds_in(SCRATCH_REGION).stop_db_instance(DBInstanceIdentifier=name)
        result = call(registry, tool, region=SCRATCH_REGION, instance_id=name)
        assert (result["changed"], result["status"]) == (False, already)
        assert "nothing to" in result["message"]

    @pytest.mark.parametrize("tool", ["rds_start_instance", "rds_stop_instance", "rds_reboot_instance"])
    def test_an_unknown_instance_is_a_tool_error(self, registry: ToolRegistry, tool: str) -> None:
        assert "DBInstanceNotFound" in refused(registry, tool, instance_id="no-such-db")

    def test_reboot_asks_for_a_failover_when_told(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        name = make_instance(MultiAZ=True)
        asked: list[dict[str, Any]] = []
        clients.client("rds", SCRATCH_REGION).meta.events.register(
            "provide-client-params.rds.RebootDBInstance", lambda params, **_: asked.append(dict(params))
        )
        result = call(
            registry, "rds_reboot_instance", region=SCRATCH_REGION, instance_id=name, force_failover=True
        )
        assert result["changed"] and asked == [{"DBInstanceIdentifier": name, "ForceFailover": True}]

    def test_stop_is_destructive_and_start_is_not(self, registry: ToolRegistry) -> None:
        hints = {d["name"]: d["annotations"] for d in registry.definitions()}
        assert hints["rds_stop_instance"]["destructiveHint"] and hints["rds_stop_instance"]["idempotentHint"]
        assert not hints["rds_start_instance"]["destructiveHint"]
        assert not hints["rds_reboot_instance"]["destructiveHint"]

    @pytest.mark.parametrize(
        "tool", ["rds_stop_instance", "rds_start_instance", "rds_reboot_instance", "rds_create_snapshot"]
    )
    def test_changes_are_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None, tool: str
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call(tool, {"instance_id": "orders-db"}, CallContext())
        assert "ReadOnly" in raised.value.message
        assert status_of("orders-db", "us-east-1") == "available"


class TestCreateInstance:
    def test_creates_with_the_safe_defaults_as_rds_stored_them(self, registry: ToolRegistry) -> None:
        result = call(
            registry,
            "rds_create_instance",
            region=SCRATCH_REGION,
            instance_id="created-by-tool",
            engine="postgres",
            instance_class="db.t4g.micro",
            storage_gb=50,
            db_name="orders",
        )
        assert result["instance_id"] == "created-by-tool" and result["master_username"] == "dbadmin"
        stored = rds_in(SCRATCH_REGION).describe_db_instances(DBInstanceIdentifier="created-by-tool")[
            "DBInstances"
        ][0]
        assert stored["StorageEncrypted"] is True
        assert stored["PubliclyAccessible"] is False
        assert stored["BackupRetentionPeriod"] == 7
        assert stored["DeletionProtection"] is True
        assert stored["AllocatedStorage"] == 50 and stored["StorageType"] == "gp3"
        assert stored["MasterUserSecret"]["SecretArn"] == result["master_user_secret_arn"]
        said = ("encrypted", "publicly_accessible", "backup_retention_days", "deletion_protection")
        assert [result[k] for k in said] == [True, False, 7, True]

    def test_the_generated_password_stays_in_secrets_manager(self, registry: ToolRegistry) -> None:
        outcome = registry.call(
            "rds_create_instance",
            {
                "region": SCRATCH_REGION,
                "instance_id": "secret-keeper",
                "engine": "mysql",
                "instance_class": "db.t4g.micro",
            },
            CallContext(),
        )
        assert not outcome.is_error and outcome.structured
        secret = boto3.client("secretsmanager", region_name=SCRATCH_REGION).get_secret_value(
            SecretId=outcome.structured["master_user_secret_arn"]
        )
        password = json.loads(secret["SecretString"])["password"]
        assert password and password not in outcome.text

    @pytest.mark.parametrize(
        "change",
        [
            {"master_user_password": "hunter2hunter2"},
            {"password": "hunter2hunter2"},
            {"publicly_accessible": True},
            {"storage_encrypted": False},
            {"engine": "oracle-ee"},
            {"engine": "aurora-postgresql"},
            {"storage_gb": 19},
            {"storage_gb": 2001},
            {"instance_class": "m5.large"},
            {"instance_id": "1starts-with-a-digit"},
            {"instance_id": "x" * 64},
        ],
    )
    def test_a_password_or_an_unsafe_setting_is_refused(
        self, registry: ToolRegistry, change: dict[str, Any]
    ) -> None:
        arguments = {
            "instance_id": "refused",
            "engine": "postgres",
            "instance_class": "db.t4g.micro",
            **change,
        }
        assert "Invalid arguments" in refused(
            registry, "rds_create_instance", region=SCRATCH_REGION, **arguments
        )

    def test_its_schema_offers_no_password(self, registry: ToolRegistry) -> None:
        (definition,) = [d for d in registry.definitions() if d["name"] == "rds_create_instance"]
        assert not [p for p in definition["inputSchema"]["properties"] if "password" in p.lower()]

    def test_an_unknown_subnet_group_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(
            registry,
            "rds_create_instance",
            region=SCRATCH_REGION,
            instance_id="nowhere",
            engine="postgres",
            instance_class="db.t4g.micro",
            subnet_group="no-such-group",
        )
        assert "DBSubnetGroupNotFoundFault" in text

    def test_is_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError):
            registry.call(
                "rds_create_instance",
                {"instance_id": "read-only", "engine": "postgres", "instance_class": "db.t4g.micro"},
                CallContext(),
            )


class TestDeleteInstance:
    def test_a_protected_instance_is_refused_and_kept(self, registry: ToolRegistry) -> None:
        name = make_instance(DeletionProtection=True)
        text = refused(registry, "rds_delete_instance", region=SCRATCH_REGION, instance_id=name)
        assert "deletion protection" in text and "disable_deletion_protection=true" in text
        assert status_of(name) == "available"

    def test_protection_is_lifted_when_asked_and_a_final_snapshot_taken(self, registry: ToolRegistry) -> None:
        name = make_instance(DeletionProtection=True)
        result = call(
            registry,
            "rds_delete_instance",
            region=SCRATCH_REGION,
            instance_id=name,
            disable_deletion_protection=True,
        )
        assert result["deletion_protection_disabled"] is True and result["status"] == "deleting"
        assert result["final_snapshot_id"].startswith(f"{name}-final-")
        listed = call(
            registry, "rds_list_snapshots", region=SCRATCH_REGION, source_id=name, snapshot_type="manual"
        )
        assert [s["snapshot_id"] for s in listed["snapshots"]] == [result["final_snapshot_id"]]

    def test_the_final_snapshot_is_named_or_skipped_when_asked(self, registry: ToolRegistry) -> None:
        named, skipped = make_instance(), make_instance()
        result = call(
            registry,
            "rds_delete_instance",
            region=SCRATCH_REGION,
            instance_id=named,
            final_snapshot_id="last-one",
        )
        assert result["final_snapshot_id"] == "last-one" and result["deletion_protection_disabled"] is False
        result = call(
            registry,
            "rds_delete_instance",
            region=SCRATCH_REGION,
            instance_id=skipped,
            skip_final_snapshot=True,
        )
        assert result.get("final_snapshot_id") is None and "no final snapshot" in result["message"]
        listed = call(
            registry, "rds_list_snapshots", region=SCRATCH_REGION, source_id=skipped, snapshot_type="manual"
        )
        assert listed["count"] == 0

    def test_an_aurora_member_leaves_its_data_to_the_cluster(self, registry: ToolRegistry) -> None:
        rds = rds_in(SCRATCH_REGION)
        rds.create_db_cluster(
            DBClusterIdentifier="aurora-scratch",
            Engine="aurora-postgresql",
            MasterUsername="dbadmin",
            MasterUserPassword=PASSWORD,
        )
        rds.create_db_instance(
            DBInstanceIdentifier="aurora-scratch-1",
            DBClusterIdentifier="aurora-scratch",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
        result = call(registry, "rds_delete_instance", region=SCRATCH_REGION, instance_id="aurora-scratch-1")
        assert result.get("final_snapshot_id") is None and "cluster aurora-scratch" in result["message"]

    def test_an_unknown_instance_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "DBInstanceNotFound" in refused(registry, "rds_delete_instance", instance_id="no-such-db")

    def test_is_destructive_and_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        assert "rds_delete_instance" not in registry.names
        with pytest.raises(ProtocolError):
            registry.call("rds_delete_instance", {"instance_id": "orders-db"}, CallContext())
        spec = build_server(settings, clients).registry.catalog.get("rds_delete_instance")
        assert spec is not None and spec.destructive


def test_no_read_tool_returns_a_password(registry: ToolRegistry) -> None:
    """Instances, clusters and snapshots made with a password in the clear: none of it comes back."""
    name = make_instance(CROWDED_REGION, "with-password")
    rds_in(CROWDED_REGION).create_db_snapshot(
        DBInstanceIdentifier=name, DBSnapshotIdentifier="with-password-snap"
    )
    for tool, arguments in (
        ("rds_list_instances", {}),
        ("rds_list_clusters", {}),
        ("rds_list_snapshots", {}),
        ("rds_list_snapshots", {"of": "cluster"}),
    ):
        call(registry, tool, region=CROWDED_REGION, **arguments)  # `call` checks the password is absent
