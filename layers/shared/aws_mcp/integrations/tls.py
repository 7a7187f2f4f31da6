"""CERTIFICATE auth: the TLS context that presents an integration's client certificate (mTLS).

The certificate (PEM, its chain after it) and private key come from the integration's secret;
``auth.ca_certificate`` (PEM, not a secret) is the CA the counterpart's certificate is checked
against when it is not one the system trusts. Python's ``ssl`` loads a client certificate only
from files, so both are written to a directory only this process may read, loaded, and removed
at once: the context keeps them in memory, nothing stays on disk.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

__all__ = ["client_context"]


def client_context(certificate: str, private_key: str, ca_certificate: str | None) -> ssl.SSLContext:
    """A client TLS context presenting ``certificate``; ``ssl.SSLError`` or ``ValueError`` if the
    PEM cannot be used (their messages never hold the PEM)."""
    context = (
        ssl.create_default_context(cadata=ca_certificate) if ca_certificate else ssl.create_default_context()
    )
    with tempfile.TemporaryDirectory(prefix="aws-mcp-tls-") as folder:
        paths = []
        for name, text in (("certificate.pem", certificate), ("key.pem", private_key)):
            path = Path(folder) / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            paths.append(path)
        context.load_cert_chain(paths[0], paths[1])
    return context
