"""Lambda entry point: the only module that knows about Lambda. All setup happens at import (init).

Init does what every first request would otherwise pay for, and nothing more: build the app
and read the default region's circuit states (which builds the state tables' client, loads
botocore's shared data and opens the connection to DynamoDB). The garbage collector stays
off meanwhile: init allocates a great many long-lived objects (FastAPI's and the tools'
pydantic models, botocore's) and collecting while they are built only slows the cold start.
Freezing them afterwards keeps every later collection from scanning them again.
"""

import asyncio
import gc
import logging

gc.disable()
# Mangum runs each invocation in an asyncio task; its name ("Task-42") would ride on every log line.
logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # (3.12+; not in typeshed yet)

from mangum import Mangum  # noqa: E402

from aws_mcp.aws.clients import ClientFactory  # noqa: E402
from aws_mcp.config import Settings  # noqa: E402
from aws_mcp.http import create_app  # noqa: E402
from aws_mcp.tools import build_registry  # noqa: E402

settings = Settings.from_env()
registry = build_registry(settings, ClientFactory(settings))
registry.prime()
# Mangum runs every invocation on the current event loop: make it now, at init (Python no longer
# makes one on demand without a DeprecationWarning, and 3.14 not at all).
asyncio.set_event_loop(asyncio.new_event_loop())
# lifespan="off": Mangum would otherwise run startup/shutdown on every invocation.
# one_request_at_a_time: Lambda sends an instance one invocation at a time.
handler = Mangum(create_app(settings, registry=registry, one_request_at_a_time=True), lifespan="off")

gc.freeze()
gc.enable()
