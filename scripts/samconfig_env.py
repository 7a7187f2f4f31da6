"""One setting of one samconfig.toml environment, printed for the pipeline (.github/workflows/stage.yml).

    python scripts/samconfig_env.py prod parameter_overrides    # Stage=prod AccessMode=ReadOnly ...
    python scripts/samconfig_env.py prod stack_name             # aws-mcp-prod

`sam deploy --parameter-overrides` replaces the environment's whole list rather than adding to it,
so the workflow reads the list here and appends what only it knows (the alarm topic's ARN).
Looked up in the environment's deploy section, then its global one. Exit 2 when it is not there.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

SAMCONFIG = Path(__file__).resolve().parent.parent / "samconfig.toml"


def setting(environment: str, key: str, path: Path = SAMCONFIG) -> Any:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    sections = config.get(environment, {})
    for command in ("deploy", "global"):
        found = sections.get(command, {}).get("parameters", {})
        if key in found:
            return found[key]
    raise KeyError(f"samconfig.toml has no {key} for the environment {environment!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: samconfig_env.py ENVIRONMENT KEY", file=sys.stderr)
        return 2
    try:
        print(setting(argv[0], argv[1]))
    except KeyError as err:
        print(err.args[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
