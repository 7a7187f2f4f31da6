"""What we ship: the layer and the function as ``sam build`` makes them (x86_64), and what fills the layer.

Zipped sizes are deflate archives made the way SAM packages a directory. boto3 and
botocore come with the Lambda python3.13 runtime; the check below says whether the
build carries its own copy anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.emulated import Target
from bench.paths import lambda_emulator
from bench.report import Table, megabytes, ratio

RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
LARGEST = 8
LAYER_ZIPPED_TARGET = 10_000_000


@dataclass(frozen=True)
class Size:
    files: int
    unzipped_bytes: int
    zipped_bytes: int


@dataclass(frozen=True)
class PackageSize:
    layer: Size
    function: Size
    floor_function: Size
    bundled: list[str]  # runtime-provided packages found in the build
    largest: list[tuple[str, Size]]  # the layer's biggest top-level entries


def _size(root: Path) -> Size:
    figures = lambda_emulator.layer_size(root)
    return Size(figures["files"], figures["unzipped_bytes"], figures["zipped_bytes"])


def measure(ours: Target, floor: Target) -> PackageSize:
    layer_python = ours.build.layer_dir
    bundled = [
        f"{where.name}/{name}"
        for where in (layer_python, ours.build.function_dir)
        for name in RUNTIME_PROVIDED
        if (where / name).exists()
    ]
    entries = [p for p in layer_python.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")]
    by_bytes = sorted(entries, key=lambda p: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()))
    return PackageSize(
        layer=_size(layer_python.parent),
        function=_size(ours.build.function_dir),
        floor_function=_size(floor.build.function_dir),
        bundled=bundled,
        largest=[(p.name, _size(p)) for p in reversed(by_bytes[-LARGEST:])],
    )


def tables(result: PackageSize, ours: str) -> list[Table]:
    shipped = Table(
        "What we ship (sam build, x86_64)",
        ["artifact", "files", "unzipped", "zipped", "zipped x floor function"],
    )
    floor_zipped = result.floor_function.zipped_bytes
    for name, size in (
        ("SharedLayer", result.layer),
        (ours, result.function),
        ("floor function", result.floor_function),
    ):
        shipped.add(
            name,
            size.files,
            megabytes(size.unzipped_bytes),
            megabytes(size.zipped_bytes),
            ratio(size.zipped_bytes, floor_zipped),
        )
    shipped.notes.append(
        "boto3/botocore bundled: "
        + (f"yes ({', '.join(result.bundled)})" if result.bundled else "no, the runtime's copies are used")
    )
    shipped.notes.append(
        "A plain `sam build` (no AWS_MCP_LAYER_ARCH) ships both architectures' native "
        "extensions in the layer and is larger; `make build` and this build ship one."
    )
    largest = Table(
        f"The layer's {LARGEST} largest packages",
        ["package", "files", "unzipped", "zipped", "share of layer zipped"],
    )
    for name, size in result.largest:
        largest.add(
            name,
            size.files,
            megabytes(size.unzipped_bytes),
            megabytes(size.zipped_bytes),
            f"{size.zipped_bytes / result.layer.zipped_bytes:.0%}",
        )
    return [shipped, largest]
