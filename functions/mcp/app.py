"""Lambda entry point: all setup happens at import (init), in the composition root.

The garbage collector stays off meanwhile: init allocates a great many long-lived objects
(the app's and the tools' pydantic models, botocore's) and collecting while they are built
only slows the cold start. Freezing them afterwards keeps every later collection from
scanning them again.
"""

import gc
import logging

gc.disable()
# Mangum runs each invocation in an asyncio task; its name ("Task-42") would ride on every log line.
logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # (3.12+; not in typeshed yet)

from aws_mcp.server import lambda_handler  # noqa: E402

# What template.yaml's Handler (app.handler) names.
handler = lambda_handler()

gc.freeze()
gc.enable()
