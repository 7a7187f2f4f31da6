"""The composition root: the one place a server is put together from its Settings and AWS clients.

Lambda (``functions/mcp/app.py``), ``aws-mcp serve`` and ``aws-mcp stdio`` all build it here,
so every transport serves the same catalogue through the same guards, audit trail and
dispatcher. Everything below takes its collaborators as arguments; only this module (and
tests) decide which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_mcp.audit.query import AUDIT_STORE, AuditStore
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.auth.confirmation import Confirmations, SecretKeys, StaticKeys
from aws_mcp.auth.oauth import OAuth, TokenCaller
from aws_mcp.auth.roles import STANDARD_SCOPES, Role, Roles
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext, Via
from aws_mcp.errors import AccessDeniedError
from aws_mcp.executor import CLI_EXECUTOR, Executor
from aws_mcp.executor.policy import CliPolicy
from aws_mcp.fleet.bulk import BULK, Bulk
from aws_mcp.fleet.inventory import FLEET_STORE, InventoryStore
from aws_mcp.fleet.refresh import FLEET_REFRESHER, Refresher, drain, worker
from aws_mcp.protocol import Dispatcher
from aws_mcp.resilience import Breakers, Deadlines, Idempotency, Resilience
from aws_mcp.resilience.waiting import WAIT_BUDGET, WaitBudget
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools.answer_cache import COST_CACHE, AnswerCache
from aws_mcp.tools.catalog import Entry, read_manifest
from aws_mcp.tools.contract import ToolSpec
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tracing import Tracing

if TYPE_CHECKING:
    from aws_mcp.aws.clients import ClientFactory

__all__ = [
    "Server",
    "build_confirmations",
    "build_oauth",
    "build_roles",
    "build_server",
    "lambda_handler",
    "with_accounts",
]


@dataclass(frozen=True, slots=True)
class Server:
    settings: Settings
    registry: ToolRegistry
    dispatcher: Dispatcher
    # AuthMode=OAUTH: the bearer-token check and metadata the HTTP app uses.
    oauth: OAuth | None = None


def build_server(
    settings: Settings,
    clients: ClientFactory,
    *,
    logger: Any = None,
    telemetry: Telemetry | None = None,
    tracing: Tracing | None = None,
    tools: Iterable[Entry | ToolSpec] | None = None,
    wait: WaitBudget | None = None,
) -> Server:
    """The server for ``settings``: the catalogue's tools (``catalog.json``, unless ``tools`` are
    given) of the chosen toolsets, mutating ones only when writes are allowed, behind the guards,
    audited, and the dispatcher that answers MCP with them.

    ``wait`` is how long tools may wait for AWS to finish (tests pass one with a fake clock).

    ``logger`` receives the audit lines (a Powertools Logger on stdout by default; stdio
    serving passes one on stderr, since stdout is its protocol channel).
    """
    if logger is None:
        from aws_lambda_powertools import Logger

        logger = Logger(service=settings.server_name)
    if telemetry is None:
        telemetry = Telemetry(
            settings.metrics_namespace, settings.server_name, enabled=settings.metrics_enabled
        )
    if tracing is None:
        tracing = Tracing.for_lambda(settings.server_name) if settings.tracing_enabled else Tracing()
    table = settings.audit_table

    def state_tables() -> Any:
        return clients.client("dynamodb", settings.tables_region, state=True)

    def query_client() -> Any:
        return clients.client("dynamodb", settings.tables_region)

    trail = AuditTrail(
        logger,
        dynamodb=state_tables if table else None,
        table=table,
        retention_days=settings.audit_retention_days,
        write_reads=settings.audit_table_writes == "all",
        telemetry=telemetry,
    )
    breakers = Breakers(settings, state_tables, telemetry)
    resilience = Resilience(
        breakers=breakers,
        idempotency=Idempotency(settings, state_tables),
        deadlines=Deadlines(settings.deadline_margin_ms),
    )
    store = AuditStore(query_client, table) if table else None
    roles = build_roles(settings, clients)
    cost_cache = AnswerCache(query_client, settings.cost_cache_table) if settings.cost_cache_table else None
    registry = ToolRegistry(
        read_manifest() if tools is None else tools,
        settings,
        clients,
        audit=trail,
        resilience=resilience,
        telemetry=telemetry,
        tracing=tracing,
        roles=roles,
        confirmations=build_confirmations(settings, clients),
        account=_account(settings, clients),
        services={
            AUDIT_STORE: store,
            COST_CACHE: cost_cache,
            FLEET_STORE: InventoryStore(query_client, settings.fleet_table) if settings.fleet_table else None,
            FLEET_REFRESHER: _refresher(settings, clients),
            BULK: Bulk(
                state_tables, settings.fleet_table, settings.accounts, clients.client, audit=trail.finish
            )
            if settings.fleet_table
            else None,
            CLI_EXECUTOR: Executor(
                CliPolicy(
                    allows_writes=settings.allows_writes,
                    deny=CliPolicy.deny_list(",".join(settings.cli_deny or ())),
                    writes_how=(
                        "deploy the stack with AccessMode=ReadWrite"
                        if settings.on_lambda
                        else f"set {ENV.ACCESS_MODE}=ReadWrite where the server runs"
                    ),
                ),
                settings.max_result_chars,
                # Each command through its own service's circuit (the Breaker guard knows one per tool).
                breakers=breakers,
                read_timeout=settings.aws_read_timeout,
            ),
            # Room for one last AWS call's attempt after the wait, before the Deadline guard's timeout.
            WAIT_BUDGET: wait
            or WaitBudget(
                settings.query_wait_seconds, slack_s=settings.aws_connect_timeout + settings.aws_read_timeout
            ),
            **_integration_services(settings, clients),
        },
    )
    return Server(settings, registry, Dispatcher(settings, registry), build_oauth(settings, roles))


def build_oauth(settings: Settings, roles: Roles) -> OAuth | None:
    """For AuthMode=OAUTH, the issuer's tokens (a token must give its caller a role), else None."""
    if settings.auth_mode != "OAUTH" or not settings.oauth_issuer:
        return None
    from aws_mcp.auth.oauth import bearer_tokens

    def has_role(token: TokenCaller) -> bool:
        context = CallContext(caller=token.caller, via=Via.BEARER, scopes=token.scopes, groups=token.groups)
        try:
            return roles.policy().role_of(context) is not None
        except AccessDeniedError:  # a bad role configuration: the guard says so on every call
            return True

    issuer = settings.oauth_issuer
    tokens = bearer_tokens(
        issuer,
        settings.oauth_audiences,
        settings.oauth_jwks_url or f"{issuer}/.well-known/jwks.json",
        has_role=has_role,
        least_scope=next(iter(STANDARD_SCOPES)),
    )
    return OAuth(tokens, issuer, tuple(STANDARD_SCOPES), settings.resource_url)


def build_confirmations(settings: Settings, clients: ClientFactory) -> Confirmations:
    """Confirmations signed with the secret the settings name; off Lambda without one, this process's key."""
    if settings.confirmation_secret:
        secret = settings.confirmation_secret
        return Confirmations(
            SecretKeys(lambda: clients.client("secretsmanager", settings.tables_region, state=True), secret)
        )
    if settings.on_lambda:
        # Each instance would draw its own key and refuse the others' tokens: refuse plainly instead.
        return Confirmations(None, unavailable=f"no signing secret is configured ({ENV.CONFIRMATION_SECRET})")
    return Confirmations(StaticKeys())


def _refresher(settings: Settings, clients: ClientFactory) -> Refresher | None:
    """fleet_refresh's: on Lambda it queues units for the worker function; elsewhere no function
    reads the queue, so the call works through it as the worker would."""
    table, queue = settings.fleet_table, settings.fleet_queue_url
    if not (table and queue):
        return None

    def sqs() -> Any:
        return clients.client("sqs", settings.tables_region, state=True)

    if settings.on_lambda:
        return Refresher(sqs, queue)

    def work_through() -> dict[str, int]:
        dynamodb = clients.client("dynamodb", settings.tables_region, state=True)
        return drain(sqs(), queue, worker(settings.accounts, clients.client, dynamodb, table))

    return Refresher(sqs, queue, work_through)


def _account(settings: Settings, clients: ClientFactory) -> Callable[[], str | None]:
    """The account the server acts in, asked of STS once (for plans of destructive changes)."""
    known: list[str] = []

    def account() -> str | None:
        if not known:
            try:
                sts = clients.client("sts", settings.tables_region, state=True)
                known.append(sts.get_caller_identity()["Account"])
            except Exception:  # a plan without the account is still a plan
                return None
        return known[0]

    return account


def build_roles(settings: Settings, clients: ClientFactory) -> Roles:
    """The roles, from the SSM parameter or file the settings name (read on first use, once)."""
    source: Callable[[], str | None] | None = None
    where = "the role configuration"
    if settings.roles_parameter:
        name = settings.roles_parameter
        where = f"the role configuration (SSM parameter {name})"

        def source() -> str | None:
            ssm = clients.client("ssm", settings.tables_region, state=True)
            value: str = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            return value

    elif settings.roles_file:
        path = Path(settings.roles_file)
        where = f"the role configuration ({path})"

        def source() -> str | None:
            return path.read_text(encoding="utf-8")

    return Roles(source, Role.named(settings.local_role), where=where)


def with_accounts(settings: Settings, clients: ClientFactory) -> Settings:
    """``settings`` with the account registry read from its SSM parameter, when one is named (on
    Lambda, at init: a registry that cannot be read stops the function starting, loudly)."""
    name = settings.accounts_parameter
    if not name:
        return settings
    from aws_mcp.accounts import Accounts
    from aws_mcp.errors import ConfigurationError

    ssm = clients.client("ssm", settings.tables_region, state=True)
    try:
        text = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as err:
        raise ConfigurationError(
            f"the account registry, SSM parameter {name!r}, cannot be read: {err}"
        ) from err
    return settings.with_changes(accounts=Accounts.parse(text, source=f"SSM parameter {name}"))


def lambda_handler(settings: Settings | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """The API Gateway proxy handler, ready for its first event (what Lambda init builds).

    Init does what every first request would otherwise pay for: build the app and read the
    default region's circuit states (which builds the state tables' client, loads botocore's
    shared data and opens the connection to DynamoDB).

    Under SnapStart (template.yaml's SnapStart parameter) init runs once per published
    version and every cold start resumes its snapshot, maybe hours later: the circuit states
    read then are stale and the connection is gone, so a restore reads them again (a runtime
    hook; the Lambda runtime's snapshot_restore_py runs it, and ignores it without SnapStart).
    """
    import asyncio

    from mangum import Mangum

    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.http import create_app
    from aws_mcp.http.lambda_events import answer_events

    settings = settings or Settings.from_env()
    clients = ClientFactory(settings)
    server = build_server(with_accounts(settings, clients), clients)
    server.registry.prime()
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:  # not on Lambda's runtime (awslambdaric brings it), so never restored
        pass
    else:
        register_after_restore(server.registry.prime)
    # Mangum runs every invocation on the current event loop: make it now, at init (Python no
    # longer makes one on demand without a DeprecationWarning, and 3.14 not at all).
    asyncio.set_event_loop(asyncio.new_event_loop())
    # lifespan="off": Mangum would otherwise run startup/shutdown on every invocation.
    # one_request_at_a_time: Lambda sends an instance one invocation at a time.
    app = create_app(settings, server.dispatcher, one_request_at_a_time=True, oauth=server.oauth)
    return answer_events(Mangum(app, lifespan="off"))


# -- integrations (aws_mcp.integrations) ---------------------------------------------------------
# Built here like the server; the REST API's FastAPI is imported inside integrations_app only, so
# the MCP function, which imports this module, never loads it.


def build_integrations(settings: Settings, clients: ClientFactory) -> Any:
    """The integration registry (``IntegrationRegistry``) over the integrations table, with every
    built-in plugin type and what the deployment's plugins register; None when ``settings``
    name no integrations table."""
    if not settings.integrations_table:
        return None
    from aws_mcp.integrations.integration import PluginContext
    from aws_mcp.integrations.registry import IntegrationRegistry
    from aws_mcp.integrations.secrets import SecretVault
    from aws_mcp.integrations.store import IntegrationStore

    region = settings.tables_region
    store = IntegrationStore(
        lambda: clients.client("dynamodb", region, state=True), settings.integrations_table
    )
    vault = SecretVault(
        lambda: clients.client("secretsmanager", region, state=True), settings.integrations_secret_prefix
    )
    context = PluginContext(aws=clients.client, default_region=settings.default_region)
    return (
        IntegrationRegistry(store, vault, context)
        .register_built_in()
        .load_plugins(settings.integration_plugins)
    )


def _integration_services(settings: Settings, clients: ClientFactory) -> dict[str, Any]:
    """What the integrations tools are given: the store, and how to run a check now (the health
    function on Lambda, in process locally); None each without an integrations table."""
    from aws_mcp.integrations.checks import INTEGRATION_CHECKS, INTEGRATION_STORE, LocalChecks, RemoteChecks

    table = settings.integrations_table
    if not table:
        return {INTEGRATION_STORE: None, INTEGRATION_CHECKS: None}
    from aws_mcp.integrations.store import IntegrationStore

    store = IntegrationStore(lambda: clients.client("dynamodb", settings.tables_region), table)
    function = settings.integrations_health_function
    checks = (
        RemoteChecks(lambda: clients.client("lambda", settings.tables_region), function)
        if function
        else LocalChecks(build_integrations(settings, clients))
    )
    return {INTEGRATION_STORE: store, INTEGRATION_CHECKS: checks}


def integrations_app(settings: Settings, clients: ClientFactory) -> Any:
    """The integrations REST API (a FastAPI app) for ``settings``."""
    from aws_mcp.integrations.api import create_api
    from aws_mcp.integrations.ratelimit import RateLimiter

    registry = build_integrations(settings, clients)
    if registry is None:
        from aws_mcp.config import ENV
        from aws_mcp.errors import ConfigurationError

        raise ConfigurationError(f"{ENV.INTEGRATIONS_TABLE} is not set: the integrations API has no table")
    limiter = RateLimiter(registry.store.client, registry.store.table)
    # The MCP endpoint's roles and (AuthMode=OAUTH) token rules: one caller, one role, both doors.
    roles = build_roles(settings, clients)
    return create_api(
        registry,
        limiter,
        roles=roles,
        oauth=build_oauth(settings, roles),
        rate_limit_per_minute=settings.integrations_api_rate_limit,
        version=settings.server_version,
    )


def integrations_lambda_handler(settings: Settings | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """The API Gateway proxy handler of the integrations REST API (its own function)."""
    import asyncio

    from mangum import Mangum

    from aws_mcp.aws.clients import ClientFactory

    settings = settings or Settings.from_env()
    asyncio.set_event_loop(asyncio.new_event_loop())
    handler: Callable[[Any, Any], dict[str, Any]] = Mangum(
        integrations_app(settings, ClientFactory(settings)), lifespan="off"
    )
    return handler


def integrations_health_handler(settings: Settings | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """The health function's handler: scheduled runs check what is due, ``{"integration_id"}`` one now."""
    from datetime import UTC, datetime

    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.integrations.health import handle

    settings = settings or Settings.from_env()
    registry = build_integrations(settings, ClientFactory(settings))
    if registry is None:
        from aws_mcp.config import ENV
        from aws_mcp.errors import ConfigurationError

        raise ConfigurationError(f"{ENV.INTEGRATIONS_TABLE} is not set: the health checks have no table")

    def handler(event: Any, context: Any) -> dict[str, Any]:
        return handle(registry, event, datetime.now(UTC))

    return handler


def integrations_delivery_handler(settings: Settings | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """The delivery function's handler: a batch of the audit table's stream, delivered to subscribers."""
    import asyncio

    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.config import ENV
    from aws_mcp.errors import ConfigurationError
    from aws_mcp.integrations.delivery import DeadLetters, Delivery, events_from_stream
    from aws_mcp.integrations.ratelimit import RateLimiter

    settings = settings or Settings.from_env()
    clients = ClientFactory(settings)
    registry = build_integrations(settings, clients)
    queue = settings.integrations_dead_letter_queue
    if registry is None or not queue:
        raise ConfigurationError(
            f"{ENV.INTEGRATIONS_TABLE} and {ENV.INTEGRATIONS_DEAD_LETTER_QUEUE} must be set for delivery"
        )
    telemetry = Telemetry(settings.metrics_namespace, settings.server_name, enabled=settings.metrics_enabled)
    delivery = Delivery(
        registry,
        RateLimiter(registry.store.client, registry.store.table),
        DeadLetters(lambda: clients.client("sqs", settings.tables_region, state=True), queue),
        count=telemetry.count,
    )

    def handler(event: Any, context: Any) -> dict[str, Any]:
        # Time kept back for the dead letters of what is still pending when the clock runs out.
        def time_left() -> float:
            return float(context.get_remaining_time_in_millis()) / 1000 - 5.0

        report = asyncio.run(delivery.deliver(events_from_stream(event), time_left=time_left))
        return {
            "delivered": report.delivered,
            "retried": report.retried,
            "dead_lettered": report.dead_lettered,
        }

    return handler
