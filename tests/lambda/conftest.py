"""The built artifact: one x86_64 `sam build` per session (reused while its sources are unchanged).

The figures the build and the emulator produce (sam build time, layer size,
INIT duration) are printed at the end of the run and kept in
.aws-sam/emulator-report.json.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lambda_emulator  # noqa: E402

# What this session measured, for the terminal summary and the report file.
FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """Figures worth reporting; tests add theirs, the terminal summary prints them."""
    return FIGURES


@pytest.fixture(scope="session")
def x86_build() -> Any:
    """The x86_64 function and layer, built by `sam build` unless the last build is current."""
    try:
        build = lambda_emulator.ensure_build()
    except lambda_emulator.EmulatorError as err:
        pytest.fail(str(err))
    if build.seconds is not None:
        FIGURES["sam_build_x86_64_seconds"] = round(build.seconds, 1)
    FIGURES["layer_x86_64"] = lambda_emulator.layer_size(build.directory / lambda_emulator.LAYER)
    return build


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    lambda_emulator.write_report(**FIGURES)
    terminalreporter.section("Lambda artifact")
    if "sam_build_x86_64_seconds" in FIGURES:
        terminalreporter.write_line(f"sam build (x86_64): {FIGURES['sam_build_x86_64_seconds']} s")
    else:
        terminalreporter.write_line("sam build (x86_64): reused .aws-sam/build-x86_64 (sources unchanged)")
    if "layer_x86_64" in FIGURES:
        size = FIGURES["layer_x86_64"]
        terminalreporter.write_line(
            f"SharedLayer (x86_64): {size['unzipped_bytes'] / 1e6:.1f} MB unzipped, "
            f"{size['zipped_bytes'] / 1e6:.1f} MB zipped, {size['files']} files"
        )
    if "init_duration_ms" in FIGURES:
        terminalreporter.write_line(f"emulator INIT duration (cold start): {FIGURES['init_duration_ms']} ms")
    terminalreporter.write_line(f"(kept in {lambda_emulator.REPORT_FILE.relative_to(REPO)})")
