"""Lambda entry point: the only module that knows about Lambda. All setup happens at import (init)."""

from mangum import Mangum

from aws_mcp.config import Settings
from aws_mcp.http import create_app

settings = Settings.from_env()
# lifespan="off": Mangum would otherwise run startup/shutdown on every invocation.
handler = Mangum(create_app(settings), lifespan="off")
