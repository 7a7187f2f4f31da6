"""Integrations stored, changed and deleted through the registry: revisions, secrets, conflicts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from aws_mcp.config import ENV, Settings
from aws_mcp.errors import (
    ConfigurationError,
    IllegalTransitionError,
    IntegrationNotFoundError,
    InvalidIntegrationError,
    RevisionConflictError,
)
from aws_mcp.integrations.model import (
    AuthType,
    IntegrationConfig,
    IntegrationStatus,
    IntegrationType,
    IntegrationUpdate,
)
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import REGION, UNREACHABLE, Clock

SECRET = "s3cr3t-value-never-shown"


def config(**changes: Any) -> IntegrationConfig:
    base: dict[str, Any] = {
        "name": "ops-webhook",
        "type": "WEBHOOK",
        "direction": "OUTBOUND",
        "endpoint": UNREACHABLE,
        "auth": {"type": "BEARER_TOKEN", "token": SECRET},
        "tags": {"team": "ops"},
    }
    return IntegrationConfig.model_validate(base | changes)


def update(current: Any, **changes: Any) -> IntegrationUpdate:
    data = current.model_dump(mode="json", include=set(IntegrationConfig.model_fields))
    data["auth"] = {k: v for k, v in data["auth"].items() if k != "secrets_set"}
    return IntegrationUpdate.model_validate(data | {"revision": current.revision} | changes)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_new_integration_is_configuring_at_revision_one_with_the_seed_defaults(
    registry: IntegrationRegistry,
) -> None:
    created = run(registry.create(config(), caller="arn:aws:iam::123456789012:user/ops"))
    stored = run(registry.get(created.id))
    assert stored.status is IntegrationStatus.CONFIGURING
    assert stored.revision == 1
    assert stored.created_by == "arn:aws:iam::123456789012:user/ops"
    assert (stored.health_check.interval_seconds, stored.retry.max_attempts, stored.timeout_seconds) == (
        300,
        3,
        30,
    )
    assert stored.rate_limit_per_minute == 60


def test_secrets_go_to_secrets_manager_and_the_record_only_names_them(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any]
) -> None:
    created = run(registry.create(config(), caller="me"))
    assert created.auth.secrets_set == ["token"]
    assert SECRET not in created.model_dump_json()
    item = aws_clients("dynamodb", REGION).scan(TableName=registry.store.table)["Items"]
    assert SECRET not in repr(item)
    stored = aws_clients("secretsmanager", REGION).get_secret_value(SecretId=created.secret_arn)
    assert SECRET in stored["SecretString"]


def test_an_update_keeps_secrets_left_out_and_drops_the_ones_cleared(registry: IntegrationRegistry) -> None:
    created = run(
        registry.create(
            config(auth={"type": "API_KEY", "api_key": "k1", "signing_secret": "sig"}), caller="me"
        )
    )
    kept = run(registry.update(created.id, update(created, description="more"), caller="me"))
    assert kept.auth.secrets_set == ["api_key", "signing_secret"]
    assert run(registry.plugin(kept)).secret("api_key") == "k1"
    cleared = run(registry.update(created.id, update(kept, clear_secrets=["signing_secret"]), caller="me"))
    assert cleared.auth.secrets_set == ["api_key"]
    plugin = run(registry.plugin(cleared))
    assert (plugin.secret("api_key"), plugin.secret("signing_secret")) == ("k1", None)


def test_each_revision_reads_the_secret_version_it_was_stored_with(registry: IntegrationRegistry) -> None:
    created = run(registry.create(config(), caller="me"))
    changed = run(
        registry.update(
            created.id, update(created, auth={"type": "BEARER_TOKEN", "token": "new"}), caller="me"
        )
    )
    assert run(registry.plugin(created)).secret("token") == SECRET
    assert run(registry.plugin(changed)).secret("token") == "new"


def test_an_update_on_an_old_revision_is_a_conflict_naming_the_current_one(
    registry: IntegrationRegistry,
) -> None:
    created = run(registry.create(config(), caller="me"))
    run(registry.update(created.id, update(created, description="first"), caller="a"))
    with pytest.raises(RevisionConflictError) as conflict:
        run(registry.update(created.id, update(created, description="second"), caller="b"))
    assert conflict.value.extra == {"current_revision": 2}
    assert run(registry.get(created.id)).description == "first"


def test_of_concurrent_updates_on_one_revision_exactly_one_wins_and_nothing_is_lost_silently(
    registry: IntegrationRegistry,
) -> None:
    created = run(registry.create(config(), caller="me"))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def writer(n: int) -> None:
        barrier.wait()
        try:
            run(registry.update(created.id, update(created, description=f"writer {n}"), caller=f"w{n}"))
            outcomes.append(f"won {n}")
        except RevisionConflictError as conflict:
            outcomes.append(f"409 at {conflict.extra['current_revision']}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("409 at 2") == 7
    stored = run(registry.get(created.id))
    assert stored.revision == 2
    assert stored.description == "writer " + winners[0].split()[1]


def test_a_status_set_by_hand_is_recorded_with_its_cause(registry: IntegrationRegistry) -> None:
    created = run(registry.create(config(), caller="me"))
    inactive = run(
        registry.update(
            created.id, update(created, status="INACTIVE", status_reason="maintenance"), caller="ops"
        )
    )
    assert inactive.status is IntegrationStatus.INACTIVE
    health = run(registry.health(created.id))
    assert health["transitions"][0]["cause"] == "set by ops: maintenance"
    with pytest.raises(IllegalTransitionError):
        run(registry.update(created.id, update(inactive, status="ACTIVE"), caller="ops"))


def test_the_type_cannot_change_and_configurations_the_type_cannot_use_are_refused(
    registry: IntegrationRegistry,
) -> None:
    created = run(registry.create(config(), caller="me"))
    with pytest.raises(InvalidIntegrationError, match="type cannot change"):
        run(registry.update(created.id, update(created, type="REST_API"), caller="me"))
    with pytest.raises(InvalidIntegrationError, match="endpoint"):
        run(registry.create(config(endpoint="ftp://example"), caller="me"))
    with pytest.raises(InvalidIntegrationError, match="No plugin is registered for DATABASE"):
        run(registry.create(config(type="DATABASE"), caller="me"))


def test_deleting_removes_the_record_and_schedules_the_secret_deletion(
    registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any]
) -> None:
    created = run(registry.create(config(), caller="me"))
    with pytest.raises(RevisionConflictError):
        run(registry.delete(created.id, 7))
    run(registry.delete(created.id, 1))
    with pytest.raises(IntegrationNotFoundError):
        run(registry.get(created.id))
    described = aws_clients("secretsmanager", REGION).describe_secret(SecretId=created.secret_arn)
    assert "DeletedDate" in described


def test_lists_filter_by_type_status_and_tag_and_page_in_creation_order(
    registry: IntegrationRegistry, clock: Clock
) -> None:
    made = []
    for n in range(7):
        clock.advance(1)
        kind = "REST_API" if n % 2 else "WEBHOOK"
        made.append(
            run(registry.create(config(name=f"i{n}", type=kind, tags={"n": str(n % 3)}), caller="me")).id
        )
    first = run(registry.page(limit=3))
    assert [i.id for i in first.items] == made[:3] and first.after == made[2]
    rest = run(registry.page(limit=10, after=first.after))
    assert [i.id for i in rest.items] == made[3:] and rest.after is None
    assert [i.name for i in run(registry.page(limit=10, itype="REST_API")).items] == ["i1", "i3", "i5"]
    assert [i.name for i in run(registry.page(limit=10, tag=("n", "0"))).items] == ["i0", "i3", "i6"]
    assert run(registry.page(limit=10, status="ACTIVE")).items == []
    paged = run(registry.page(limit=1, itype="REST_API", after=made[1]))
    assert [i.name for i in paged.items] == ["i3"] and paged.after == made[3]


class TestLoadPlugins:
    """AWS_MCP_INTEGRATION_PLUGINS: a deployment's modules register types and auth providers."""

    @pytest.fixture
    def plugins(self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
        (tmp_path / "acme_plugins.py").write_text(
            "from aws_mcp.integrations.integration import AuthType, Integration, IntegrationType\n"
            "class Acme(Integration):\n"
            "    pass\n"
            "class AcmeAuth:\n"
            "    def __init__(self, config):\n"
            "        self.config = config\n"
            "    async def authenticate(self, request):\n"
            "        request.headers['X-Acme'] = '1'\n"
            "async def register(registry):\n"
            "    await registry.register_plugin_type(IntegrationType.CUSTOM, Acme)\n"
            "def register_auth(registry):\n"
            "    registry.auth_providers[AuthType.CUSTOM] = AcmeAuth\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        return "acme_plugins"

    def test_each_module_or_function_named_registers_what_it_holds(
        self, registry: IntegrationRegistry, plugins: str
    ) -> None:
        registry.load_plugins([plugins, f"{plugins}:register_auth"])
        assert registry.plugin_type(IntegrationType.CUSTOM).__name__ == "Acme"
        assert registry.auth_providers[AuthType.CUSTOM].__name__ == "AcmeAuth"

    def test_it_works_while_an_event_loop_runs(self, registry: IntegrationRegistry, plugins: str) -> None:
        async def inside() -> None:
            registry.load_plugins([plugins])

        asyncio.run(inside())
        assert registry.plugin_type(IntegrationType.CUSTOM).__name__ == "Acme"

    @pytest.mark.parametrize("spec", ["no_such_module_here", "acme_plugins:nope", "json:dumps"])
    def test_one_that_cannot_register_stops_the_start_naming_it(
        self, registry: IntegrationRegistry, plugins: str, spec: str
    ) -> None:
        with pytest.raises(
            ConfigurationError, match=f"AWS_MCP_INTEGRATION_PLUGINS: '{spec}' could not register"
        ):
            registry.load_plugins([spec])

    def test_the_setting_is_a_comma_list_of_modules_or_functions(self) -> None:
        env = {ENV.INTEGRATION_PLUGINS: " acme.plugins , acme.auth:register_auth ,"}
        assert Settings.from_env(env).integration_plugins == ("acme.plugins", "acme.auth:register_auth")
        with pytest.raises(ConfigurationError, match="not module or module:function"):
            Settings.from_env({ENV.INTEGRATION_PLUGINS: "acme plugins"})

    def test_the_server_builds_its_registries_with_them(
        self, plugins: str, settings: Settings, clients: Any
    ) -> None:
        from aws_mcp.server import build_integrations

        built = build_integrations(
            settings.with_changes(integrations_table="t", integration_plugins=(plugins,)), clients
        )
        assert built.plugin_type(IntegrationType.CUSTOM).__name__ == "Acme"
