"""Write what derives from the tool catalogue: README.md's tools table and template.yaml's tool actions.

Each tool declares its facts once (``aws_mcp.tools.contract.tool``); these files repeat some
of them for readers and for CloudFormation, so they are written from the catalogue, never by
hand. Tools that act only on the server's own resources (``open_world=False``, such as
``audit_query``) get their permissions scoped to those resources by hand in the template.
``events/`` derive from the tools' example calls too (``scripts/make_events.py``); ``make
generate`` writes all of them, and the tests fail while any is stale::

    .venv/bin/python scripts/derive.py          # rewrite README.md and template.yaml
    .venv/bin/python scripts/derive.py --check  # exit 1 if either is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from aws_mcp.tools import CATALOG
from aws_mcp.tools.contract import ToolSpec

__all__ = ["CATALOG", "main", "readme", "template"]

REPO: Final = Path(__file__).resolve().parent.parent
README: Final = REPO / "README.md"
TEMPLATE: Final = REPO / "template.yaml"

TABLE_START: Final = "<!-- tools: written by scripts/derive.py from the tool catalogue -->"
TABLE_END: Final = "<!-- /tools -->"
# template.yaml: the ToolReadActions statement's YAML list, and the ToolWriteActions JSON list.
_READ: Final = re.compile(r"(- Sid: ToolReadActions\n(\s+)Effect: Allow\n\s+Action:\n)((?:\2  - .+\n)+)")
_WRITE: Final = re.compile(
    r'("Sid": "ToolWriteActions",\n(\s+)"Effect": "Allow",\n\s+"Action": \[\n)(.*?)(\n\s+\],)', re.S
)


def _kind(spec: ToolSpec) -> str:
    return "read" if spec.read_only else "write, destructive" if spec.destructive else "write"


def _summary(spec: ToolSpec) -> str:
    first = re.split(r"(?<=[.!?])\s", spec.description, maxsplit=1)[0]
    return first.replace("|", "\\|")


def readme(text: str) -> str:
    rows = ["| tool | what it does | kind |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {_summary(s)} | {_kind(s)} |" for s in sorted(CATALOG, key=lambda s: s.name)]
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    return text[:start] + "\n" + "\n".join(rows) + "\n" + text[end:]


def _actions(read_only: bool) -> list[str]:
    reads = {a for s in CATALOG if s.read_only and s.open_world for a in s.iam_actions}
    if read_only:
        return sorted(reads)
    everything_read = {a for s in CATALOG if s.read_only for a in s.iam_actions}
    return sorted({a for s in CATALOG if not s.read_only for a in s.iam_actions} - everything_read)


def template(text: str) -> str:
    def reads(match: re.Match[str]) -> str:
        indent = match[2] + "  "
        return match[1] + "".join(f"{indent}- {action}\n" for action in _actions(read_only=True))

    def writes(match: re.Match[str]) -> str:
        indent = match[2] + "  "
        return match[1] + ",\n".join(f'{indent}"{action}"' for action in _actions(read_only=False)) + match[4]

    text, found = _READ.subn(reads, text)
    text, found_too = _WRITE.subn(writes, text)
    if (found, found_too) != (1, 1):
        raise SystemExit(
            "scripts/derive.py: template.yaml lost its ToolReadActions or ToolWriteActions statement"
        )
    return text


def main(argv: list[str] | None = None, out: Callable[[str], object] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a derived file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, derive in ((README, readme), (TEMPLATE, template)):
        current = path.read_text(encoding="utf-8")
        wanted = derive(current)
        if wanted != current:
            stale.append(path.name)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check:
        for name in stale:
            out(f"stale: {name} (run .venv/bin/python scripts/derive.py)")
        return 1 if stale else 0
    out(f"derived README.md and template.yaml from the catalogue ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
