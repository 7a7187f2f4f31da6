"""ECS tools against moto's ECS, through the registry as an agent would call them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.paging import bind
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.ecs import STOPPED_REASONS
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import call, refused, walk
from tests.unit.tools.test_paging import valid_output

ACCOUNT = "123456789012"
# Where tests build clusters of their own, apart from the demo's and from each other's.
PAGING_REGION = "ap-northeast-1"
CROWDED_REGION = "ca-central-1"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("ecs",))


def ecs_in(region: str) -> Any:
    return boto3.client("ecs", region_name=region)


def make_service(region: str, cluster: str, service: str, *, tasks: int = 0) -> None:
    """A cluster (if new), a service in it, and ``tasks`` tasks of its task definition."""
    ecs = ecs_in(region)
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=service,
        containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}],
        networkMode="bridge",  # moto runs these without a network of their own
    )
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=service, desiredCount=1)
    if tasks:
        ecs.run_task(cluster=cluster, taskDefinition=service, launchType="FARGATE", count=tasks)


class TestListClusters:
    def test_lists_the_demo_cluster_with_its_task_counts(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_clusters")
        assert result["region"] == "us-east-1" and result.get("next_cursor") is None
        (storefront,) = result["clusters"]
        assert storefront["name"] == "storefront" and storefront["status"] == "ACTIVE"
        assert storefront["running_tasks"] == 2 and storefront["pending_tasks"] == 0

    def test_lists_another_region_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_clusters", region="eu-west-1")
        assert [c["name"] for c in result["clusters"]] == ["reporting"]

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        for n in range(7):
            ecs_in(PAGING_REGION).create_cluster(clusterName=f"paged-{n}")
        first = call(registry, "ecs_list_clusters", region=PAGING_REGION, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(registry, "ecs_list_clusters", region=PAGING_REGION, cursor=first.get("next_cursor"))
        assert second["count"] == 2 and second.get("next_cursor") is None
        names = [c["name"] for c in first["clusters"] + second["clusters"]]
        assert sorted(names) == [f"paged-{n}" for n in range(7)]
        # The cursor is bound to its region.
        assert "other filters" in refused(registry, "ecs_list_clusters", cursor=first.get("next_cursor"))

    def test_a_page_over_the_budget_is_cut_at_a_cluster_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        for n in range(30):
            ecs_in(CROWDED_REGION).create_cluster(clusterName=f"crowded-{n:02}-" + "x" * 200)
        registry = build_server(settings.with_changes(max_result_chars=2000), clients).registry
        first = registry.call("ecs_list_clusters", {"region": CROWDED_REGION}, CallContext())
        assert first.structured is not None and len(first.text) <= 2000
        assert "Cut to" in first.structured["truncated"]
        names = [c["name"] for c in walk(registry, "ecs_list_clusters", "clusters", region=CROWDED_REGION)]
        assert len(names) == len(set(names)) == 30

    @pytest.mark.parametrize(
        "arguments", [{"max_results": 4}, {"max_results": 101}, {"cursor": "x" * 5000}, {"colour": "red"}]
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "ecs_list_clusters", **arguments)

    def test_a_malformed_cursor_says_to_start_again(self, registry: ToolRegistry) -> None:
        assert "Invalid cursor" in refused(registry, "ecs_list_clusters", cursor="garbage")
        forged = bind({"t": 5, "n": 25}, {"region": "us-east-1"})
        assert "Invalid cursor" in refused(registry, "ecs_list_clusters", cursor=forged)

    def test_clusters_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_clusters", fields=["running_tasks"])
        assert result["clusters"] == [{"name": "storefront", "running_tasks": 2}]
        valid_output(registry, "ecs_list_clusters", result)


class TestAwsRefusals:
    """AWS's refusals reach the agent as tool errors saying whether a retry may help."""

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("ecs", "us-east-1")) as stubber:
            stubber.add_client_error("list_clusters", "AccessDeniedException", http_status_code=400)
            text = refused(registry, "ecs_list_clusters")
        assert "AccessDeniedException" in text and "a retry will not help" in text

    def test_throttling_is_transient_and_enough_of_it_opens_the_breaker(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        region = "ap-south-1"
        breaking = settings.with_changes(breaker_table=table_names()["breaker"], breaker_failure_threshold=3)
        registry = build_server(breaking, clients).registry
        with Stubber(clients.client("ecs", region)) as stubber:
            for _ in range(3):
                stubber.add_client_error("list_clusters", "ThrottlingException", http_status_code=400)
            for _ in range(3):
                assert "transient" in refused(registry, "ecs_list_clusters", region=region)
            # Open: no AWS call (the stubber has nothing queued and would fail loudly).
            blocked = refused(registry, "ecs_list_clusters", region=region)
            stubber.assert_no_pending_responses()
        assert "No call was made" in blocked and region in blocked


class TestListServices:
    def test_lists_the_storefront_service_with_its_counts(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_services", cluster="storefront")
        assert result["cluster"] == "storefront" and result.get("next_cursor") is None
        assert result["services"] == [
            {
                "name": "web",
                "status": "ACTIVE",
                "desired_count": 2,
                "running_count": 2,
                "pending_count": 0,
                "launch_type": "FARGATE",
                "task_definition": "storefront-web:1",
            }
        ]

    def test_a_cluster_given_by_arn_answers_as_by_name(self, registry: ToolRegistry) -> None:
        arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/storefront"
        assert call(registry, "ecs_list_services", cluster=arn)["cluster"] == "storefront"

    def test_an_unknown_cluster_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "ClusterNotFoundException" in refused(registry, "ecs_list_services", cluster="no-such-cluster")

    def test_pages_follow_the_cursor_and_describe_past_ten_services(self, registry: ToolRegistry) -> None:
        # DescribeServices takes ten services a call: a page of twelve needs two.
        for n in range(17):
            make_service(PAGING_REGION, "many-services", f"svc-{n:02}")
        first = call(
            registry, "ecs_list_services", region=PAGING_REGION, cluster="many-services", max_results=12
        )
        assert first["count"] == 12 and first.get("next_cursor")
        second = call(
            registry,
            "ecs_list_services",
            region=PAGING_REGION,
            cluster="many-services",
            cursor=first.get("next_cursor"),
        )
        names = [s["name"] for s in first["services"] + second["services"]]
        assert sorted(names) == [f"svc-{n:02}" for n in range(17)] and second.get("next_cursor") is None
        other = refused(
            registry,
            "ecs_list_services",
            region=PAGING_REGION,
            cluster="storefront",
            cursor=first.get("next_cursor"),
        )
        assert "other filters" in other

    def test_a_page_over_the_budget_is_cut_at_a_service_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        for n in range(12):
            make_service(CROWDED_REGION, "wide", f"wide-{n:02}-" + "y" * 180)
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        names = [
            s["name"]
            for s in walk(registry, "ecs_list_services", "services", region=CROWDED_REGION, cluster="wide")
        ]
        assert len(names) == len(set(names)) == 12

    def test_services_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(
            registry, "ecs_list_services", cluster="storefront", fields=["desired_count", "running_count"]
        )
        assert result["services"] == [{"name": "web", "desired_count": 2, "running_count": 2}]
        valid_output(registry, "ecs_list_services", result)


def add_events(region: str, cluster: str, service: str, count: int) -> None:
    """Service events (moto records none of its own), oldest first as ECS never orders them."""
    from moto.ecs.models import ecs_backends

    start = datetime(2026, 1, 1, tzinfo=UTC)
    backend = ecs_backends[ACCOUNT][region]
    backend.services[f"{cluster}:{service}"].events = [
        {
            "id": f"event-{n}",
            "createdAt": start + timedelta(minutes=n),
            "message": f"(service {service}) event {n}",
        }
        for n in range(count)
    ]


class TestDescribeService:
    def test_shows_counts_deployments_and_load_balancers(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_describe_service", cluster="storefront", service="web")
        service = result["service"]
        assert (service["name"], service["cluster"], service["desired_count"], service["running_count"]) == (
            "web",
            "storefront",
            2,
            2,
        )
        (deployment,) = service["deployments"]
        assert deployment["status"] == "PRIMARY" and deployment["task_definition"] == "storefront-web:1"
        assert deployment["rollout_state"] and deployment["created_at"].endswith("+00:00")
        (balancer,) = service["load_balancers"]
        assert balancer["container_name"] == "web" and balancer["container_port"] == 80
        assert balancer["target_group_arn"].endswith("targetgroup/storefront-web/6d0ecf831eec9f09")

    def test_the_ten_most_recent_events_come_newest_first(self, registry: ToolRegistry) -> None:
        make_service(SCRATCH_REGION, "eventful", "chatty")
        add_events(SCRATCH_REGION, "eventful", "chatty", 14)
        service = call(
            registry, "ecs_describe_service", region=SCRATCH_REGION, cluster="eventful", service="chatty"
        )
        messages = [e["message"] for e in service["service"]["events"]]
        assert messages == [f"(service chatty) event {n}" for n in range(13, 3, -1)]
        assert service["service"]["events"][0]["at"] == "2026-01-01T00:13:00+00:00"

    def test_an_unknown_service_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "ecs_describe_service", cluster="storefront", service="no-such-service")
        assert "ServiceNotFoundException" in text and "no-such-service" in text

    def test_an_unknown_cluster_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(registry, "ecs_describe_service", cluster="no-such-cluster", service="web")
        assert "ClusterNotFoundException" in text

    def test_a_service_too_large_for_the_budget_is_refused_with_how_to_ask_for_less(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=300), clients).registry
        text = refused(registry, "ecs_describe_service", cluster="storefront", service="web")
        assert "AWS_MCP_MAX_RESULT_CHARS" in text


class TestListTasks:
    def test_a_stopped_task_says_why(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_tasks", cluster="storefront", desired_status="STOPPED")
        assert result["count"] == 2
        assert sorted(t["stopped_reason"] for t in result["tasks"]) == sorted(STOPPED_REASONS)
        for task in result["tasks"]:
            assert task["last_status"] == "STOPPED" and task["task_definition"] == "storefront-web:1"
            assert [c["name"] for c in task["containers"]] == ["web"]
            assert "exit_code" in task["containers"][0]

    def test_running_tasks_are_listed_by_default(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_tasks", cluster="storefront")
        assert result["count"] == 2
        assert {t["desired_status"] for t in result["tasks"]} == {"RUNNING"}
        assert {t.get("stopped_reason") for t in result["tasks"]} == {None}

    def test_the_tasks_of_one_service_are_asked_of_ecs_by_its_name(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        asked: list[dict[str, Any]] = []
        clients.client("ecs", "us-east-1").meta.events.register(
            "provide-client-params.ecs.ListTasks", lambda params, **_: asked.append(dict(params))
        )
        arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/storefront/web"
        result = call(registry, "ecs_list_tasks", cluster="storefront", service=arn)
        assert result["count"] == 2 and asked[0]["serviceName"] == "web"

    def test_fields_choose_the_columns_of_a_compact_answer(self, registry: ToolRegistry) -> None:
        result = call(registry, "ecs_list_tasks", cluster="storefront", fields=["last_status"])
        assert all(set(t) == {"task_id", "last_status"} for t in result["tasks"])

    def test_no_environment_value_or_secret_reaches_the_answer(self, registry: ToolRegistry) -> None:
        ecs = ecs_in(SCRATCH_REGION)
        make_service(SCRATCH_REGION, "secretive", "vault")
        ecs.register_task_definition(
            family="vault",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "nginx",
                    "memory": 128,
                    "environment": [{"name": "DB_PASSWORD", "value": "hunter2-in-definition"}],
                    "secrets": [
                        {"name": "API_KEY", "valueFrom": "arn:aws:ssm:ap-southeast-2:1:parameter/key"}
                    ],
                }
            ],
            networkMode="bridge",
        )
        overrides = {
            "containerOverrides": [{"name": "app", "environment": [{"name": "T", "value": "hunter2"}]}]
        }
        ecs.run_task(cluster="secretive", taskDefinition="vault", launchType="FARGATE", overrides=overrides)
        outcome = registry.call(
            "ecs_list_tasks", {"region": SCRATCH_REGION, "cluster": "secretive"}, CallContext()
        )
        assert not outcome.is_error and outcome.structured and outcome.structured["count"] == 1
        for secret in ("hunter2", "DB_PASSWORD", "API_KEY", "parameter/key"):
            assert secret not in outcome.text

    def test_pages_follow_the_cursor_bound_to_the_status_asked(self, registry: ToolRegistry) -> None:
        make_service(PAGING_REGION, "busy", "worker", tasks=7)
        first = call(registry, "ecs_list_tasks", region=PAGING_REGION, cluster="busy", max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(
            registry, "ecs_list_tasks", region=PAGING_REGION, cluster="busy", cursor=first.get("next_cursor")
        )
        ids = [t["task_id"] for t in first["tasks"] + second["tasks"]]
        assert len(ids) == len(set(ids)) == 7 and second.get("next_cursor") is None
        text = refused(
            registry,
            "ecs_list_tasks",
            region=PAGING_REGION,
            cluster="busy",
            desired_status="STOPPED",
            cursor=first.get("next_cursor"),
        )
        assert "other filters" in text

    def test_a_page_over_the_budget_is_cut_at_a_task_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        make_service(CROWDED_REGION, "crowded-tasks", "batch", tasks=20)
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        first = registry.call(
            "ecs_list_tasks", {"region": CROWDED_REGION, "cluster": "crowded-tasks"}, CallContext()
        )
        assert first.structured is not None and "Cut to" in first.structured["truncated"]
        tasks = walk(registry, "ecs_list_tasks", "tasks", region=CROWDED_REGION, cluster="crowded-tasks")
        ids = [t["task_id"] for t in tasks]
        assert len(ids) == len(set(ids)) == 20

    def test_an_unknown_cluster_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "ClusterNotFoundException" in refused(registry, "ecs_list_tasks", cluster="no-such-cluster")

    @pytest.mark.parametrize(
        "arguments",
        [
            {"cluster": "storefront", "desired_status": "PENDING"},
            {"cluster": "a b"},
            {"cluster": "c" * 321},
            {"cluster": "storefront", "fields": ["environment"]},
        ],
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "ecs_list_tasks", **arguments)


class TestUpdateService:
    """Each test changes a service of its own in the scratch region: the demo stays as seeded."""

    @pytest.fixture
    def service(self, estate: None) -> Callable[[], str]:
        made: list[int] = []

        def one() -> str:
            name = f"scalable-{len(made)}-{datetime.now(UTC).strftime('%H%M%S%f')}"
            made.append(1)
            make_service(SCRATCH_REGION, "changes", name)
            return name

        return one

    def test_sets_the_desired_count(self, registry: ToolRegistry, service: Callable[[], str]) -> None:
        name = service()
        result = call(
            registry,
            "ecs_update_service",
            region=SCRATCH_REGION,
            cluster="changes",
            service=name,
            desired_count=3,
        )
        assert (result["service"], result["desired_count"]) == (name, 3)
        assert "Desired count set to 3" in result["message"]
        after = call(registry, "ecs_describe_service", region=SCRATCH_REGION, cluster="changes", service=name)
        assert after["service"]["desired_count"] == 3

    def test_forcing_a_new_deployment_starts_one(
        self, registry: ToolRegistry, service: Callable[[], str]
    ) -> None:
        name = service()
        before = call(
            registry, "ecs_describe_service", region=SCRATCH_REGION, cluster="changes", service=name
        )
        result = call(
            registry,
            "ecs_update_service",
            region=SCRATCH_REGION,
            cluster="changes",
            service=name,
            force_new_deployment=True,
        )
        assert (
            result["deployment_id"] and result["deployment_id"] != before["service"]["deployments"][0]["id"]
        )
        assert "new deployment started" in result["message"].lower()

    def test_something_to_change_is_required(self, registry: ToolRegistry) -> None:
        text = refused(registry, "ecs_update_service", cluster="storefront", service="web")
        assert "desired_count" in text and "force_new_deployment" in text

    @pytest.mark.parametrize("count", [-1, 1001])
    def test_the_desired_count_is_bounded(self, registry: ToolRegistry, count: int) -> None:
        text = refused(
            registry, "ecs_update_service", cluster="storefront", service="web", desired_count=count
        )
        assert "Invalid arguments" in text

    def test_an_unknown_service_is_a_tool_error(self, registry: ToolRegistry) -> None:
        text = refused(
            registry, "ecs_update_service", cluster="storefront", service="no-such", desired_count=1
        )
        assert "ServiceNotFoundException" in text

    def test_is_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call(
                "ecs_update_service",
                {"cluster": "storefront", "service": "web", "desired_count": 0},
                CallContext(),
            )
        assert "ReadOnly" in raised.value.message
        assert (
            call(registry, "ecs_describe_service", cluster="storefront", service="web")["service"][
                "desired_count"
            ]
            == 2
        )

    def test_its_description_warns_that_zero_stops_every_task(self, registry: ToolRegistry) -> None:
        (definition,) = [d for d in registry.definitions() if d["name"] == "ecs_update_service"]
        assert "0 stops every task" in definition["description"]
        assert definition["annotations"]["destructiveHint"] is False
