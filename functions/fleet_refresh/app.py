"""Lambda entry points of the resource registry's refresh (FleetRefreshFunction, FleetWorkerFunction).

``schedule``: on the schedule (EventBridge) or on demand (``aws lambda invoke``), one SQS
message per account x region of the registry. ``worker``: each batch of messages, one unit
each, through the unit's account role; failed units reported, so only they are retried
(aws_mcp.fleet.refresh). Settings, the account registry and the clients are made once, at init.
"""

from typing import Any

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import ENV, Settings
from aws_mcp.errors import ConfigurationError
from aws_mcp.fleet.refresh import enqueue, units
from aws_mcp.fleet.refresh import worker as make_worker
from aws_mcp.server import with_accounts

_base = Settings.from_env()
_clients = ClientFactory(_base)
settings = with_accounts(_base, _clients)
if not (settings.fleet_table and settings.fleet_queue_url):
    raise ConfigurationError(f"{ENV.FLEET_TABLE} and {ENV.FLEET_QUEUE_URL} must be set")
_table: str = settings.fleet_table
_queue: str = settings.fleet_queue_url
_worker = make_worker(
    settings.accounts,
    _clients.client,
    _clients.client("dynamodb", settings.tables_region, state=True),
    _table,
)


def schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    work = units(settings.accounts, settings.default_region)
    run_id = enqueue(_clients.client("sqs", settings.tables_region, state=True), _queue, work)
    return {"run_id": run_id, "units": len(work)}


def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _worker(event, context)
