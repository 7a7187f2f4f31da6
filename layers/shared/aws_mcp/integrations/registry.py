"""The integration registry: plugin types, and the integrations they serve (the seed's ``registry``).

What the seed's examples call works as written::

    await registry.register_plugin_type(IntegrationType.CUSTOM, CustomIntegration)
    registry.auth_providers[AuthType.CUSTOM] = CustomAuthProvider
    integration_id = await registry.register_integration(config)

Everything that reads or changes an integration goes through here, for the REST API, the MCP tools,
the scheduled health checks and the delivery alike: configurations are checked by their type's
plugin before anything is stored, secrets go to the vault, every write is conditional on the
revision it replaces (``store``), and status moves follow ``lifecycle``. Storage calls are
blocking boto3 calls, made in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from aws_mcp.config import ENV
from aws_mcp.errors import ConfigurationError, InvalidIntegrationError, RevisionConflictError
from aws_mcp.integrations import lifecycle
from aws_mcp.integrations.endpoints import ENDPOINT_KEY
from aws_mcp.integrations.integration import CheckResult, Integration, PluginContext
from aws_mcp.integrations.model import (
    CUSTOM_HEADERS,
    HEADER_PREFIX,
    SECRET_FIELDS,
    AuthType,
    IntegrationConfig,
    IntegrationRecord,
    IntegrationStatus,
    IntegrationType,
    IntegrationUpdate,
)
from aws_mcp.integrations.secrets import SecretVault
from aws_mcp.integrations.store import HistoryKind, IntegrationStore, Page, new_id

__all__ = ["CheckOutcome", "IntegrationRegistry"]

logger = logging.getLogger(__name__)

# A check's result is stored even when other writes keep coming: this many tries at the revision race.
_WRITE_TRIES: Final = 5


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    integration: IntegrationRecord
    result: CheckResult
    moved_to: IntegrationStatus | None

    def answer(self) -> dict[str, Any]:
        """The outcome as the REST API, the MCP tools and the health function answer it."""
        return {
            "id": self.integration.id,
            "name": self.integration.name,
            "healthy": self.result.healthy,
            "error": self.result.error,
            "latency_ms": self.result.latency_ms,
            "status_code": self.result.status_code,
            "status": self.integration.status.value,
            "moved_to": self.moved_to.value if self.moved_to else None,
        }


class IntegrationRegistry:
    def __init__(
        self,
        store: IntegrationStore,
        vault: SecretVault,
        context: PluginContext,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.vault = vault
        self.context = context
        self._now = now
        self._plugin_types: dict[IntegrationType, type[Integration]] = {}
        # The seed's custom authentication providers: a class per auth type, built with the
        # integration's AuthConfig; its authenticate(request) sees each request (integration.py).
        self.auth_providers: dict[AuthType, Any] = {}

    # -- plugin types --------------------------------------------------------------------------

    async def register_plugin_type(
        self, integration_type: IntegrationType, plugin: type[Integration]
    ) -> None:
        if not (isinstance(plugin, type) and issubclass(plugin, Integration)):
            raise TypeError(f"{plugin!r} is not a subclass of Integration")
        self._plugin_types[IntegrationType(integration_type)] = plugin

    def load_plugins(self, specs: Iterable[str]) -> IntegrationRegistry:
        """Run each of ``specs``' registration on this registry: ``module`` (its ``register``) or
        ``module:function``, a function of the registry as the seed's examples write them (async,
        as there, or not). How a deployment adds its own types and auth providers
        (``AWS_MCP_INTEGRATION_PLUGINS``); one that cannot be loaded stops the start, named."""
        for spec in specs:
            module, _, function = spec.partition(":")
            try:
                register = getattr(importlib.import_module(module), function or "register")
                said = register(self)
                if inspect.isawaitable(said):
                    # In a thread of its own: this may be called while an event loop runs.
                    with ThreadPoolExecutor(1) as thread:
                        thread.submit(asyncio.run, _awaited(said)).result()
            except Exception as err:
                raise ConfigurationError(
                    f"{ENV.INTEGRATION_PLUGINS}: {spec!r} could not register ({type(err).__name__}: {err})"
                ) from err
        return self

    def register_built_in(self) -> IntegrationRegistry:
        from aws_mcp.integrations.plugins import BUILT_IN

        self._plugin_types.update(BUILT_IN)
        return self

    def plugin_type(self, integration_type: IntegrationType) -> type[Integration]:
        found = self._plugin_types.get(integration_type)
        if found is None:
            known = ", ".join(sorted(t.value for t in self._plugin_types))
            raise InvalidIntegrationError(
                f"No plugin is registered for {integration_type.value} integrations; registered: {known}",
                registered=sorted(t.value for t in self._plugin_types),
            )
        return found

    def validate(self, config: IntegrationConfig) -> None:
        self.plugin_type(config.type).validate(config)

    async def plugin(self, integration: IntegrationRecord) -> Integration:
        """The integration's plugin, initialized, with its secrets."""
        secrets = await asyncio.to_thread(self.vault.read, integration.secret_arn, integration.secret_version)
        config = integration.config_for(secrets)
        plugin = self.plugin_type(integration.type)(config, self.context)
        if (provider := self.auth_providers.get(config.auth.type)) is not None:
            plugin.auth_provider = provider(config.auth)
        await plugin.initialize()
        return plugin

    async def _listening(self, integration: IntegrationRecord, start: bool) -> None:
        """Tell the plugin its integration starts (or stops) taking inbound events. A failure is
        logged and does not undo the change: the integration's status and checks say the rest."""
        try:
            plugin = await self.plugin(integration)
            await (plugin.start_listening() if start else plugin.stop_listening())
        except Exception:
            logger.warning(
                "integration %s: %s failed", integration.id, "start_listening" if start else "stop_listening"
            )

    # -- integrations --------------------------------------------------------------------------

    async def register_integration(self, config: IntegrationConfig, *, caller: str = "local") -> str:
        return (await self.create(config, caller=caller)).id

    async def create(self, config: IntegrationConfig, *, caller: str) -> IntegrationRecord:
        self.validate(config)
        _secrets_given(config, config.secrets(), provided=config.auth.type in self.auth_providers)
        now = self._now()
        record = IntegrationRecord.new(new_id(now), config, caller=caller, now=now)
        values = config.secrets()
        if values:
            arn, version = await asyncio.to_thread(self.vault.store, record.id, values, None)
            record = record.model_copy(update={"secret_arn": arn, "secret_version": version})
        try:
            await asyncio.to_thread(self.store.create, record)
        except Exception:
            await asyncio.to_thread(self.vault.delete, record.secret_arn)
            raise
        if _takes_events(record):
            await self._listening(record, start=True)
        return record

    async def get(self, integration_id: str) -> IntegrationRecord:
        return await asyncio.to_thread(self.store.get, integration_id)

    async def page(self, **query: Any) -> Page:
        return await asyncio.to_thread(lambda: self.store.page(**query))

    async def update(
        self, integration_id: str, update: IntegrationUpdate, *, caller: str
    ) -> IntegrationRecord:
        config = update.config()
        current = await self.get(integration_id)
        if current.endpoint_secret and config.endpoint == current.endpoint:
            # The masked endpoint an answer showed, sent back: the stored one stays.
            stored = await asyncio.to_thread(self.vault.read, current.secret_arn, current.secret_version)
            config = config.model_copy(update={"endpoint": stored.get(ENDPOINT_KEY), "endpoint_secret": True})
        self.validate(config)
        if current.revision != update.revision:
            raise RevisionConflictError(
                f"Integration {integration_id} is at revision {current.revision}, not {update.revision}: "
                "read it again and repeat the change on the current revision.",
                current_revision=current.revision,
            )
        if current.type is not config.type:
            raise InvalidIntegrationError("An integration's type cannot change: create a new one")
        now = self._now()
        changed = current.reconfigured(config, caller=caller, now=now)
        kept = set(current.auth.secrets_set) - set(update.clear_secrets)
        if not config.auth.custom_headers and CUSTOM_HEADERS not in update.clear_secrets:
            kept |= {f"{HEADER_PREFIX}{h}" for h in current.auth.custom_headers}  # left out: kept
        given = config.secrets()
        _secrets_given(config, kept | set(given), provided=config.auth.type in self.auth_providers)
        if given or update.clear_secrets or current.endpoint_secret:
            old = await asyncio.to_thread(self.vault.read, current.secret_arn, current.secret_version)
            values = {k: v for k, v in old.items() if k in kept} | given
            arn, version = await asyncio.to_thread(self.vault.store, current.id, values, current.secret_arn)
            changed = changed.model_copy(update={"secret_arn": arn, "secret_version": version})
            kept = set(values)
        names = kept | set(given)
        changed = changed.model_copy(
            update={
                "auth": changed.auth.model_copy(
                    update={
                        "secrets_set": [n for n in SECRET_FIELDS if n in names],
                        "custom_headers": sorted(
                            n.removeprefix(HEADER_PREFIX) for n in names if n.startswith(HEADER_PREFIX)
                        ),
                    }
                )
            }
        )
        transitions = []
        if update.status is not None and update.status is not current.status:
            cause = f"set by {caller}" + (f": {update.status_reason}" if update.status_reason else "")
            changed, transition = lifecycle.move(changed, update.status, cause, now, by_hand=True)
            transitions.append(transition)
        replaced = await asyncio.to_thread(self.store.replace, changed, current.revision, transitions)
        if _takes_events(replaced) != _takes_events(current):
            await self._listening(replaced, start=_takes_events(replaced))
        return replaced

    async def delete(self, integration_id: str, revision: int | None) -> IntegrationRecord:
        if _takes_events(current := await self.get(integration_id)):
            await self._listening(current, start=False)  # while its secrets are still there
        deleted = await asyncio.to_thread(self.store.delete, integration_id, revision)
        await asyncio.to_thread(self.vault.delete, deleted.secret_arn)
        return deleted

    # -- health --------------------------------------------------------------------------------

    async def check(self, integration_id: str, *, trigger: str) -> CheckOutcome:
        """Run the integration's health check now and store the result, moving its status."""
        integration = await self.get(integration_id)
        result = await self.probe(integration)
        return await self.record_check(integration_id, result, trigger=trigger)

    async def probe(self, integration: IntegrationRecord) -> CheckResult:
        """The check's result, within its timeout; nothing stored."""
        timeout = integration.health_check.timeout_seconds
        started = asyncio.get_running_loop().time()
        plugin: Integration | None = None
        try:
            plugin = await self.plugin(integration)
            healthy = await asyncio.wait_for(plugin.health_check(), timeout=timeout)
        except TimeoutError:
            return CheckResult(False, timeout * 1000.0, f"no answer within {timeout} s")
        except Exception as err:  # a plugin's failure is the integration's ill health, said as such
            from aws_mcp.integrations.integration import describe_failure

            elapsed = (asyncio.get_running_loop().time() - started) * 1000
            said = plugin.failure(err) if plugin is not None else describe_failure(err)
            return CheckResult(False, round(elapsed, 1), said)
        return plugin.last_check or CheckResult(healthy, 0.0)

    async def record_check(self, integration_id: str, result: CheckResult, *, trigger: str) -> CheckOutcome:
        for _ in range(_WRITE_TRIES):
            current = await self.get(integration_id)
            now = self._now()
            checked, transitions = lifecycle.after_check(
                current, result.healthy, result.error, result.latency_ms, now
            )
            entry = {
                "at": now.isoformat(),
                "healthy": result.healthy,
                "error": result.error,
                "latency_ms": result.latency_ms,
                "status_code": result.status_code,
                "trigger": trigger,
            }
            checked = checked.model_copy(update={"updated_at": now})
            try:
                stored = await asyncio.to_thread(
                    self.store.replace, checked, current.revision, transitions, [(HistoryKind.HEALTH, entry)]
                )
            except RevisionConflictError:
                continue
            return CheckOutcome(stored, result, transitions[-1].to_status if transitions else None)
        raise RevisionConflictError(
            f"Integration {integration_id} kept changing; the check's result was not stored"
        )

    async def health(self, integration_id: str, *, limit: int = 10) -> dict[str, Any]:
        integration = await self.get(integration_id)
        checks, transitions = await asyncio.gather(
            asyncio.to_thread(self.store.history, integration_id, HistoryKind.HEALTH, limit),
            asyncio.to_thread(self.store.history, integration_id, HistoryKind.TRANSITION, limit),
        )
        return {
            "id": integration.id,
            "name": integration.name,
            "status": integration.status.value,
            "enabled": integration.enabled,
            "health": integration.health.model_dump(mode="json"),
            "recent_checks": checks,
            "transitions": transitions,
        }

    # -- inbound -------------------------------------------------------------------------------

    async def receive(self, integration_id: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        integration = await self.get(integration_id)
        if not integration.direction.receives:
            raise InvalidIntegrationError(
                f"Integration {integration_id} is {integration.direction.value}: it takes no events"
            )
        if not _takes_events(integration):
            raise InvalidIntegrationError(
                f"Integration {integration_id} is not taking events ({integration.status.value})"
            )
        plugin = await self.plugin(integration)
        accepted = await plugin.receive(body, headers)
        now = self._now()
        entry = {"at": now.isoformat(), "id": new_id(now), **accepted}
        await asyncio.to_thread(self.store.add_history, integration_id, HistoryKind.EVENT, entry, now)
        return entry


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _takes_events(integration: IntegrationRecord) -> bool:
    return (
        integration.direction.receives
        and integration.enabled
        and integration.status not in (IntegrationStatus.INACTIVE, IntegrationStatus.DEPRECATED)
    )


def _secrets_given(config: IntegrationConfig, names: Any, *, provided: bool = False) -> None:
    """The secrets its auth type cannot do without are among ``names`` (given now or stored);
    ``provided``: a registered auth provider authenticates instead (CUSTOM needs no headers)."""
    names = set(names)
    if (
        config.auth.type is AuthType.CUSTOM
        and not provided
        and not any(n.startswith(HEADER_PREFIX) for n in names)
    ):
        raise InvalidIntegrationError(
            "auth type CUSTOM sends auth.custom_headers ({header name: secret value}): give at least one"
        )
    if config.auth.type is AuthType.OAUTH1 and "consumer_secret" not in names:
        raise InvalidIntegrationError("auth type OAUTH1 needs auth.consumer_secret")
    if config.auth.type is AuthType.CERTIFICATE and not {"certificate", "private_key"} <= names:
        from aws_mcp.integrations.integration import CERTIFICATE_NEEDS

        raise InvalidIntegrationError(CERTIFICATE_NEEDS)
