"""Write what derives from the tool catalogue: catalog.json, the README's tools, the template's grants.

Each tool declares its facts once (``aws_mcp.tools.contract.tool``); these files repeat some
of them for the server's cold start (``catalog.json``, see :mod:`aws_mcp.tools.catalog`), for
readers and for CloudFormation (the Toolsets parameter's names, a condition per toolset, and
each toolset's read and write actions under it), so they are written from the catalogue, never
by hand. Tools that act only on the server's own resources (``open_world=False``, such as
``audit_query``) get their permissions scoped to those resources by hand in the template.
``events/`` derive from the tools' example calls too (``scripts/make_events.py``); ``make
generate`` writes all of them, and the tests fail while any is stale::

    .venv/bin/python scripts/derive.py          # rewrite them
    .venv/bin/python scripts/derive.py --check  # exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

import orjson

from aws_mcp.tools import CATALOG
from aws_mcp.tools.catalog import CORE, MANIFEST, Entry
from aws_mcp.tools.contract import ToolSpec

__all__ = ["CATALOG", "main", "manifest", "readme", "template"]

REPO: Final = Path(__file__).resolve().parent.parent
README: Final = REPO / "README.md"
TEMPLATE: Final = REPO / "template.yaml"

TABLE_START: Final = "<!-- tools: written by scripts/derive.py from the tool catalogue -->"
TABLE_END: Final = "<!-- /tools -->"
# template.yaml: the blocks between these comment lines, and the Toolsets parameter's pattern.
_BLOCKS: Final = ("toolsets", "tool reads", "tool writes")
_PATTERN: Final = re.compile(r"(\n  Toolsets:\n(?:    .*\n)*?    AllowedPattern: ).*")


def _kind(spec: ToolSpec) -> str:
    return "read" if spec.read_only else "write, destructive" if spec.destructive else "write"


def _summary(spec: ToolSpec) -> str:
    first = re.split(r"(?<=[.!?])\s", spec.description, maxsplit=1)[0]
    return first.replace("|", "\\|")


def manifest(text: str) -> str:
    entries = [Entry.of(spec).to_json() for spec in sorted(CATALOG, key=lambda s: s.name)]
    return orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode() + "\n"


def readme(text: str) -> str:
    rows = ["| toolset | tool | what it does | kind |", "| --- | --- | --- | --- |"]
    for toolset, specs in _toolsets(open_world_only=False).items():
        rows += [f"| {toolset} | `{s.name}` | {_summary(s)} | {_kind(s)} |" for s in specs]
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    return text[:start] + "\n" + "\n".join(rows) + "\n" + text[end:]


def _toolsets(*, open_world_only: bool = True) -> dict[str, list[ToolSpec]]:
    """The tools of every toolset by name, ``core`` first, the others by name (for the template,
    open-world tools only: the others' statements are scoped to the server's own resources by hand)."""
    found: dict[str, list[ToolSpec]] = {CORE: []}
    for spec in sorted(CATALOG, key=lambda s: s.name):
        if spec.open_world or not open_world_only:
            found.setdefault(Entry.of(spec).toolset, []).append(spec)
    return {CORE: found.pop(CORE), **dict(sorted(found.items()))}


def _any_of(conditions: list[str]) -> str:
    """``!Or`` of ``conditions``, nested where there are more than the 10 a Fn::Or takes."""
    if len(conditions) == 1:
        return conditions[0]
    if len(conditions) > _MAX_OR:
        size = -(-len(conditions) // _MAX_OR)
        conditions = [_any_of(conditions[i : i + size]) for i in range(0, len(conditions), size)]
    return f"!Or [{', '.join(conditions)}]"


# CloudFormation's limit on the conditions of one Fn::Or (or Fn::And).
_MAX_OR: Final = 10


def _condition(toolset: str) -> str:
    return "Serve" + "".join(word.capitalize() for word in re.split(r"[^a-z0-9]+", toolset))


def _toolset_grants() -> dict[str, tuple[list[str], list[str]]]:
    """Per toolset, the actions its reads need, and those only its changes need."""
    grants = {}
    core_reads = set()
    for toolset, specs in _toolsets().items():
        reads = {a for s in specs if s.read_only for a in s.iam_actions}
        if toolset == CORE:
            core_reads = reads
        writes = {a for s in specs if not s.read_only for a in s.iam_actions} - reads - core_reads
        grants[toolset] = (sorted(reads), sorted(writes))
    return grants


def _blocks() -> dict[str, list[str]]:
    grants = _toolset_grants()
    # Every toolset has its condition, also one whose tools act only on the server's own resources
    # (its statements are written by hand, under that condition).
    chosen = [t for t in _toolsets(open_world_only=False) if t != CORE]
    listed = '!Join ["", [",", !Ref Toolsets, ","]]'  # ",compute,network,": each name between commas
    conditions = []
    for toolset in chosen:
        conditions += [
            f"{_condition(toolset)}: !Or",
            "  - !Equals [!Ref Toolsets, all]",
            "  - !Not",
            "    - !Equals",
            f'      - !Join ["", !Split [",{toolset},", {listed}]]',
            f"      - {listed}",
        ]
    writers = [t for t in chosen if t in grants and grants[t][1]]
    if not writers:
        raise SystemExit("scripts/derive.py: no toolset has a mutating tool; GrantWrites would be empty")
    served = [f"!Condition {_condition(t)}" for t in writers]
    either = _any_of(served)
    conditions.append(f"GrantWrites: !And [!Condition AllowWrites, {either}]")
    reads = []
    for toolset, (actions, _) in grants.items():
        if not actions:
            continue
        sid = "ToolRead" + _condition(toolset).removeprefix("Serve")
        statement = [f"- Sid: {sid}", "  Effect: Allow", "  Action:", *(f"    - {a}" for a in actions)]
        statement.append('  Resource: "*"')
        if toolset == CORE:
            reads += statement
        else:
            reads += ["- !If", f"  - {_condition(toolset)}", *(f"  {line}" for line in statement)]
            reads.append("  - !Ref AWS::NoValue")
    writes = []
    for toolset in writers:
        quoted = "'" + ", ".join(f'"{a}"' for a in grants[toolset][1]) + "'"
        # With one writing toolset GrantWrites says it is served: an If would be dead (cfn-lint W1028).
        writes.append(
            f"- {quoted}"
            if len(writers) == 1
            else f"- !If [{_condition(toolset)}, {quoted}, !Ref AWS::NoValue]"
        )
    return {"toolsets": conditions, "tool reads": reads, "tool writes": writes}


def _fill(text: str, name: str, lines: list[str]) -> str:
    """``text`` with ``lines`` between its ``# name: written by ...`` and ``# /name`` comments,
    indented as the closing comment."""
    block = re.compile(
        rf"(\n[ -]*# {name}: written by scripts/derive.py from the tool catalogue).*?\n( *)(# /{name}\n)",
        re.S,
    )
    found = block.search(text)
    if found is None:
        raise SystemExit(f"scripts/derive.py: template.yaml lost its '# {name}:' block")
    indent = found[2]
    filled = found[1] + "".join(f"\n{indent}{line}" for line in lines) + f"\n{indent}{found[3]}"
    return text[: found.start()] + filled + text[found.end() :]


def template(text: str) -> str:
    for name, lines in _blocks().items():
        text = _fill(text, name, lines)
    names = "|".join(t for t in _toolsets(open_world_only=False) if t != CORE)
    text, found = _PATTERN.subn(lambda m: m[1] + f'"^all$|^({names})(,({names}))*$"', text)
    if found != 1:
        raise SystemExit("scripts/derive.py: template.yaml lost its Toolsets parameter")
    return text


def main(argv: list[str] | None = None, out: Callable[[str], object] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a derived file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, derive in ((MANIFEST, manifest), (README, readme), (TEMPLATE, template)):
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        wanted = derive(current)
        if wanted != current:
            stale.append(path.name)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check:
        for name in stale:
            out(f"stale: {name} (run .venv/bin/python scripts/derive.py)")
        return 1 if stale else 0
    out(f"derived catalog.json, README.md and template.yaml from the catalogue ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
