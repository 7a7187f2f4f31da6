"""The README's client examples are the seeds' examples that tests/e2e/client/test_seed_examples.py runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Client\n") : README.index("## Deploying to your account")]
RUN = (ROOT / "tests/e2e/client/test_seed_examples.py").read_text()
EXAMPLES = re.findall(r"^```(?:python|json)\n(.*?)^```", SECTION, re.S | re.M)


def indented(block: str, by: int) -> str:
    return "\n".join(" " * by + line if line.strip() else "" for line in block.rstrip("\n").splitlines())


def test_the_client_section_shows_the_seeds_examples() -> None:
    assert len(EXAMPLES) >= 7


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.splitlines()[0][:40])
def test_each_example_in_the_readme_is_run_as_written(example: str) -> None:
    assert any(indented(example, by) in RUN for by in (0, 4, 8)), "not in test_seed_examples.py"
