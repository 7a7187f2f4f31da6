"""Endpoint URLs that carry a secret, kept like the other secrets and shown masked.

Chat webhooks hold their token in the path (Slack ``hooks.slack.com/services/T/B/<token>``,
Discord ``/api/webhooks/<id>/<token>``, Teams ``*.webhook.office.com/...``, Google Chat's
``?key=...&token=...``); other URLs carry one in the query (``?token=``, ``?sig=``) or as
``user:password@``. Such an ``endpoint`` is stored in the integration's Secrets Manager secret
(the key ``endpoint``, beside ``auth``'s secrets) and every answer, log line, tool result, dead
letter and audit record shows only :func:`masked`: scheme and host, then ``…``
(``https://hooks.slack.com/…``), with ``endpoint_secret: true``.

Which endpoints: every http(s) URL with a user, a password or a query string, every URL on a
host below whose paths carry the token, and any URL its configuration marks
``endpoint_secret: true``. Hand-written: a few lines of ``urllib.parse`` over a list of hosts.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

__all__ = ["ENDPOINT_KEY", "MASK", "is_secret", "masked", "scrub"]

# The key of a secret endpoint in the integration's secret (auth's secrets are the others).
ENDPOINT_KEY: Final = "endpoint"
MASK: Final = "…"

# Hosts (and host suffixes, starting with a dot) whose URLs are credentials in themselves.
_TOKEN_HOSTS: Final = (
    "hooks.slack.com",
    "discord.com",
    "discordapp.com",
    "canary.discord.com",
    "ptb.discord.com",
    ".webhook.office.com",
    "outlook.office.com",
    "chat.googleapis.com",
    "hooks.zapier.com",
    "events.pagerduty.com",
    "api.telegram.org",
)


def is_secret(url: str | None, *, marked: bool = False) -> bool:
    """Whether ``url`` is to be kept as a secret (``marked``: its configuration says so)."""
    if not url:
        return False
    if marked:
        return True
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        has_user = parts.username is not None or parts.password is not None
    except ValueError:  # not a URL we could read: its plugin refuses it; keep it from answers meanwhile
        return True
    if parts.scheme not in ("http", "https"):
        return False
    if has_user or parts.query:
        return True
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in _TOKEN_HOSTS)


def masked(url: str) -> str:
    """``url`` as answers show it: scheme and host (and port), the rest ``…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    return f"{parts.scheme}://{host}{port}/{MASK}"


def scrub(text: str, url: str | None) -> str:
    """``text`` (an error message) with ``url`` and the parts of it that carry the secret masked."""
    if not url:
        return text
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, MASK)
    pieces = {url, parts.path, parts.query, parts.password or "", parts.username or ""}
    if "@" in parts.netloc:
        pieces.add(parts.netloc)
    for piece in sorted(pieces - {"", "/"}, key=len, reverse=True):
        text = text.replace(piece, MASK)
    return text
