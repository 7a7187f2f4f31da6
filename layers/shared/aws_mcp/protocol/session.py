"""A stdio connection's protocol state: the legacy revision its ``initialize`` negotiated.

Over HTTP every legacy request names its revision (or gets 2025-03-26); over stdio the
revision ``initialize`` agreed on holds for the rest of the connection, so it lives here,
beside the dispatcher, and the stdio loop only moves lines.
"""

from __future__ import annotations

from typing import Any

from aws_mcp.context import CallContext
from aws_mcp.protocol.dispatcher import Dispatcher, Reply
from aws_mcp.protocol.envelope import Message, ParseError
from aws_mcp.protocol.versions import LATEST_LEGACY

__all__ = ["StdioSession"]


class StdioSession:
    """Answers one stdio connection's messages under the revision it negotiated."""

    def __init__(self, dispatcher: Dispatcher, context: CallContext) -> None:
        self._dispatcher = dispatcher
        self._context = context
        # Legacy requests run under the revision initialize negotiated (the latest until then).
        self.version: str = LATEST_LEGACY

    def answer(self, parsed: Message | ParseError) -> Reply:
        reply = self._dispatcher.answer(parsed, None, self._context, legacy_version=self.version)
        if isinstance(parsed, Message) and parsed.method == "initialize" and reply.body:
            result: Any = reply.body.get("result")
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self.version = result["protocolVersion"]
        return reply
