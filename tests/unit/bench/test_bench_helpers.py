"""The benchmark harness's arithmetic and parsing (the benchmarks themselves never run in tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench.cold_start import _IMPORT_LINE
from bench.report import Table, percentile, ratio, summarize


def test_percentile_is_a_measured_value_by_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile([3.0, 1.0, 2.0], 99) == 3.0
    assert percentile([7.0], 1) == 7.0


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_summary_gives_median_and_extremes() -> None:
    summary = summarize([4.0, 1.0, 3.0, 2.0])
    assert (summary.n, summary.p50, summary.low, summary.high) == (4, 2.5, 1.0, 4.0)


def test_ratio_to_a_zero_floor_is_not_a_number() -> None:
    assert ratio(3.0, 2.0) == "1.50x"
    assert ratio(3.0, 0.0) == "-"


def test_table_renders_markdown_with_pipes_escaped() -> None:
    table = Table("T", ["a", "b"])
    table.add("x|y", 2)
    table.notes.append("why")
    assert table.markdown().splitlines() == [
        "### T",
        "",
        "| a | b |",
        "| --- | --- |",
        "| x\\|y | 2 |",
        "",
        "- why",
    ]


def test_importtime_lines_parse_with_their_nesting() -> None:
    found = _IMPORT_LINE.match("import time:       612 |      88301 |     boto3")
    assert found is not None
    assert (found["self"], found["cumulative"], found["name"]) == ("612", "88301", "    boto3")
    assert _IMPORT_LINE.match("import time: self [us] | cumulative | imported package") is None
