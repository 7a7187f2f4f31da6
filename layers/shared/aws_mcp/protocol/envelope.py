"""JSON-RPC bytes in, a decoded message or a parse error out: the one place every transport decodes.

HTTP bodies, stdio lines and :meth:`Dispatcher.handle_bytes` all come through :func:`parse`,
so they agree on what is not JSON-RPC text: bytes that are not UTF-8 (MCP's messages are
UTF-8; a byte order mark is refused as the standard library refuses it in text), a JSON
syntax error, or nesting deeper than the interpreter can recurse (the json module raises
RecursionError there, not ValueError). A lone surrogate escape (``"\\ud800"``) is valid JSON
and parses into a str UTF-8 cannot encode; replies carry it back as an escape
(aws_mcp.jsontext), so it is no parse error.

What a decoded value means (an object, its ``jsonrpc``, ``id`` and ``method``) is the
dispatcher's to judge: :class:`Message` only reads what a transport needs without judging,
the id to echo in an error the transport makes itself. Hand-written: the standard json
module parses; this is the few lines around it that were repeated per transport.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from aws_mcp.errors import PARSE_ERROR

__all__ = ["Message", "ParseError", "parse"]

PARSE_ERROR_MESSAGE: Final = "Parse error: the body is not valid JSON"


@dataclass(frozen=True, slots=True)
class Message:
    """A JSON value decoded from one message; not yet checked to be a JSON-RPC request."""

    value: Any

    @property
    def method(self) -> str | None:
        """The ``method`` when the value is an object naming one, else None."""
        method = self.value.get("method") if isinstance(self.value, dict) else None
        return method if isinstance(method, str) else None

    @property
    def reply_id(self) -> str | int | None:
        """The id to answer with: the message's when it is a valid one, else None (JSON-RPC's "unknown")."""
        request_id = self.value.get("id") if isinstance(self.value, dict) else None
        valid = isinstance(request_id, str | int) and not isinstance(request_id, bool)
        return request_id if valid else None


@dataclass(frozen=True, slots=True)
class ParseError:
    """Bytes that hold no JSON value; answered with JSON-RPC's parse error and no id."""

    reason: str  # for logs: what was wrong with them

    @property
    def body(self) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR, "message": PARSE_ERROR_MESSAGE}}


def parse(raw: bytes | str) -> Message | ParseError:
    """One message's bytes (or text) decoded, or why they cannot be."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return ParseError("not UTF-8")
    try:
        return Message(json.loads(text))
    except RecursionError:
        return ParseError("nested too deeply")
    except ValueError as err:
        return ParseError(str(err))
