"""Protocol revisions this server speaks, and the reserved ``_meta`` keys of the modern era."""

from __future__ import annotations

from typing import Final

# Newest first: the order we offer them in.
MODERN_VERSIONS: Final = ("2026-07-28",)
LEGACY_VERSIONS: Final = ("2025-11-25", "2025-06-18", "2025-03-26")
SUPPORTED_VERSIONS: Final = MODERN_VERSIONS + LEGACY_VERSIONS
LATEST_LEGACY: Final = LEGACY_VERSIONS[0]
# Streamable HTTP: a legacy request without MCP-Protocol-Version is 2025-03-26.
LEGACY_DEFAULT: Final = "2025-03-26"

# Features that appeared after the first legacy revision we serve.
WITH_TITLES_AND_STRUCTURED: Final = frozenset({"2025-06-18", "2025-11-25", *MODERN_VERSIONS})

PROTOCOL_VERSION_META: Final = "io.modelcontextprotocol/protocolVersion"
CLIENT_INFO_META: Final = "io.modelcontextprotocol/clientInfo"
CLIENT_CAPABILITIES_META: Final = "io.modelcontextprotocol/clientCapabilities"
SERVER_INFO_META: Final = "io.modelcontextprotocol/serverInfo"


def is_modern(version: str) -> bool:
    return version in MODERN_VERSIONS
