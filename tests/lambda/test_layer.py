"""What SharedLayer ships: exactly the pinned wheels for its architecture plus aws_mcp, precompiled.

Most checks read the session's x86_64 build; the last ones run
layers/shared/Makefile directly (as `sam build` does) into a scratch
directory, to check the arm64 + x86_64 fallback and the pin check.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lambda_emulator  # noqa: E402

pytestmark = pytest.mark.slow

LAYER_SOURCE = REPO / "layers" / "shared"
REQUIREMENTS = LAYER_SOURCE / "requirements.txt"
# Installed without their dependencies (they declare botocore, which the runtime provides).
REQUIREMENTS_NO_DEPS = LAYER_SOURCE / "requirements-no-deps.txt"
# ELF e_machine values.
EM_X86_64 = 62
EM_AARCH64 = 183
# What the Lambda runtime provides, and what only the local demo and the client need.
NEVER_IN_LAYER = {
    "boto3",
    "botocore",
    "s3transfer",
    "awslambdaric",
    "moto",
    "aws_mcp_local",
    "aws_mcp_client",
}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    return [
        line.split("#", 1)[0].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.split("#", 1)[0].strip()
    ]


def pins() -> dict[str, str]:
    found = {}
    for path in (REQUIREMENTS, REQUIREMENTS_NO_DEPS):
        for line in requirement_lines(path):
            name, _, version = line.partition("==")
            found[normalized(name)] = version
    return found


def installed(layer_python: Path) -> dict[str, str]:
    found = {}
    for info in layer_python.glob("*.dist-info"):
        meta = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        found[normalized(meta["Name"])] = meta["Version"]
    return found


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def test_requirements_are_exact_pins_without_runtime_packages() -> None:
    lines = requirement_lines(REQUIREMENTS) + requirement_lines(REQUIREMENTS_NO_DEPS)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line) for line in lines), lines
    assert not set(pins()) & {normalized(n) for n in NEVER_IN_LAYER}


def test_layer_holds_exactly_the_pinned_distributions(x86_build: Any) -> None:
    assert installed(x86_build.layer_dir) == pins()


def test_layer_ships_nothing_the_runtime_or_the_demo_provides(x86_build: Any) -> None:
    top_level = {entry.name.split("-")[0].removesuffix(".py") for entry in x86_build.layer_dir.iterdir()}
    assert not top_level & NEVER_IN_LAYER


def test_layer_ships_the_current_aws_mcp_sources(x86_build: Any) -> None:
    source = LAYER_SOURCE / "aws_mcp"
    shipped = x86_build.layer_dir / "aws_mcp"
    expected = {p.relative_to(source) for p in source.rglob("*.py")}
    assert {p.relative_to(shipped) for p in shipped.rglob("*.py")} == expected
    for relative in expected:
        assert (shipped / relative).read_bytes() == (source / relative).read_bytes(), relative


def test_every_module_in_the_layer_has_an_unchecked_hash_pyc(x86_build: Any) -> None:
    tag = sys.implementation.cache_tag
    assert tag == "cpython-313"
    sources = list(x86_build.layer_dir.rglob("*.py"))
    assert len(sources) > 100
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert pyc.exists(), f"no .pyc for {source}"
        header = pyc.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
        # PEP 552 flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is exactly 0b01.
        assert int.from_bytes(header[4:8], "little") == 0b01, pyc


def test_x86_64_layer_has_only_x86_64_native_code(x86_build: Any) -> None:
    natives = list(x86_build.layer_dir.rglob("*.so"))
    assert natives, "pydantic-core ships a native extension"
    assert {elf_machine(path) for path in natives} == {EM_X86_64}


def test_function_artifact_is_only_the_entry_point(x86_build: Any) -> None:
    assert sorted(p.name for p in x86_build.function_dir.iterdir()) == ["app.py"]


# -- the layer Makefile, run as sam build runs it --------------------------------------------------


def run_layer_make(
    artifacts: Path, layer_arch: str | None, requirements: Path = REQUIREMENTS
) -> subprocess.CompletedProcess[str]:
    python = lambda_emulator.find_python313()
    env = {key: value for key, value in os.environ.items() if key != "AWS_MCP_LAYER_ARCH"}
    env.update(ARTIFACTS_DIR=str(artifacts), LAYER_PYTHON=python)
    if layer_arch is not None:
        env["AWS_MCP_LAYER_ARCH"] = layer_arch
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-f",
            str(LAYER_SOURCE / "Makefile"),
            "build-SharedLayer",
            f"REQUIREMENTS={requirements}",
        ],
        cwd=LAYER_SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_layer_without_an_architecture_carries_both(tmp_path: Path) -> None:
    done = run_layer_make(tmp_path, None)
    assert done.returncode == 0, done.stdout + done.stderr
    layer = tmp_path / "python"
    natives = sorted(layer.rglob("*.so"))
    assert {elf_machine(path) for path in natives} == {EM_X86_64, EM_AARCH64}
    assert any("x86_64-linux-gnu" in p.name for p in natives)
    assert any("aarch64-linux-gnu" in p.name for p in natives)
    # A stable-ABI extension: arm64's as name.abi3.so, x86_64's beside it under the name CPython
    # tries first on x86_64 only.
    for abi3 in (p for p in natives if p.name.endswith(".abi3.so")):
        tagged = abi3.with_name(abi3.name.removesuffix(".abi3.so") + ".cpython-313-x86_64-linux-gnu.so")
        assert (elf_machine(abi3), elf_machine(tagged)) == (EM_AARCH64, EM_X86_64), abi3
    assert installed(layer) == pins()
    assert not (tmp_path / ".x86_64").exists()


def test_layer_build_fails_when_a_dependency_is_not_pinned(tmp_path: Path) -> None:
    incomplete = tmp_path / "requirements.txt"
    incomplete.write_text(
        "".join(
            line + "\n" for line in REQUIREMENTS.read_text().splitlines() if not line.startswith("idna==")
        ),
        encoding="utf-8",
    )
    done = run_layer_make(tmp_path / "artifacts", "arm64", incomplete)
    assert done.returncode != 0
    assert "idna==" in done.stderr
    assert "not pinned" in done.stderr


def test_layer_build_refuses_an_unknown_architecture(tmp_path: Path) -> None:
    done = run_layer_make(tmp_path, "riscv64")
    assert done.returncode != 0
    assert "expected arm64 or x86_64" in done.stderr
