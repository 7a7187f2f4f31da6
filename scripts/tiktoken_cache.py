"""Put tiktoken's o200k_base ranks where tiktoken looks, without reaching its download site.

The token-size test counts ``tools/list`` in o200k_base tokens (the encoding of current OpenAI
models, a fair stand-in for any model's). tiktoken fetches the encoding's ranks from
openaipublic.blob.core.windows.net on first use, which this project's machines and CI cannot
reach; PyPI they can. ``llama-index-core``'s wheel carries tiktoken's own cache of that file
(named, as tiktoken names it, by the SHA-1 of its address), so we take that one file out of the
wheel, without installing the package, into ``TIKTOKEN_CACHE_DIR``. tiktoken checks the file's
SHA-256 against the one it expects before using it, so a wrong file is refused, not counted with.

Run by ``make install`` (the Makefile's venv stamp)::

    .venv/bin/python scripts/tiktoken_cache.py   # -> .venv/tiktoken/<sha1 of the address>
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Final

__all__ = ["CACHE_DIR", "ENCODING_URL", "main"]

ENCODING_URL: Final = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
CACHE_DIR: Final = Path(sys.prefix) / "tiktoken"
# The wheel that carries the file, pinned: its content is what we checked.
CARRIER: Final = "llama-index-core==0.14.25"


def main() -> int:
    name = hashlib.sha1(ENCODING_URL.encode()).hexdigest()  # noqa: S324 - tiktoken's cache key, not security
    target = CACHE_DIR / name
    if target.exists():
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(  # noqa: S603 - fixed command line
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", scratch, CARRIER],
            check=True,
        )
        (wheel,) = Path(scratch).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(f"tiktoken_cache/{name}"))
            data = archive.read(member)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"o200k_base ranks: {target} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
