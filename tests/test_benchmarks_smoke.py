"""The benchmark driver runs end to end on tiny images and reports every figure.

No timing is asserted: the figures of a --quick run on a shared machine mean nothing. What
must hold is that every benchmark ran and put numbers in the report.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TARGETS = {  # benchmark -> figures with a target, as they appear in the summary table
    "overhead": ["runner / plain wall time"],
    "warm": ["warm / cold, CLI", "warm / cold, API in-process"],
    "batch": ["speed-up, jobs 2 vs jobs 1"],
    "memory": ["peak RSS sum over process tree, --jobs 1",
               "peak RSS sum over process tree, --jobs 2"],
    "session": ["re-run overhead in a warm session (wall − node compute)"],
    "backends": [],  # context figures only: isolated versus local has no target
}
CONTAINER_TARGETS = {  # these need a Docker engine and the module images
    "docker": ["per node above the floor"],
    "two-engines": ["throughput, two engines / one"],
}
ML_TARGETS = {  # these need the ml extra, MONAI (the dev extra) and Qt
    "ml": ["U-Net tiled prediction 128 x 128, throughput Lamella (torch) / MONAI",
           "U-Net 128 x 128, throughput Lamella ONNX Runtime / MONAI (and within 0.0001 of torch)",
           "U-Net 128 x 128 prediction, peak RSS above the process before it, torch",
           "pixel classifier 128 x 128, training time Lamella / plain",
           "pixel classifier 128 x 128, prediction time Lamella / plain",
           "live retrain-and-show after a stroke, editor, 128 x 128, whole image in view "
           "(opening fit, 128 x 128)"],
}
NUMBER = re.compile(r"^-?\d+(\.\d+)?( ?(%|x|s|GB))?( \(.*\))?$")


def summary_rows(report: str, benchmarks: dict[str, list[str]] = TARGETS
                 ) -> dict[tuple[str, str], tuple[str, str]]:
    """(benchmark, figure) -> (measured, result) from the report's summary table."""
    summary = report.split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in summary.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in benchmarks:
            rows[(cells[0], cells[1])] = (cells[2], cells[4])
    return rows


def quick_report(tmp_path: Path, benchmarks: dict[str, list[str]], timeout_s: float) -> str:
    """Run ``benchmarks`` with --quick into a report of the test's own; return its text."""
    results = tmp_path / "RESULTS.md"
    only = [arg for name in benchmarks for arg in ("--only", name)]
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run_all.py"), "--quick", *only,
         "--results", str(results), "--work", str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = results.read_text()
    rows = summary_rows(report, benchmarks)
    for benchmark, figures in benchmarks.items():
        assert f"python benchmarks/run_all.py --only {benchmark}" in report
        for figure in figures:
            measured, result = rows[(benchmark, figure)]
            assert NUMBER.match(measured), (benchmark, figure, measured)
            assert result in ("pass", "FAIL")
    return report


@pytest.mark.slow
@pytest.mark.docker
def test_quick_run_reports_the_container_benchmarks(tmp_path: Path) -> None:
    from tests.docker_engine import docker_client

    docker_client()  # skip without an engine (fail in CI), as every Docker test does
    report = quick_report(tmp_path, CONTAINER_TARGETS, 600)
    assert "| sizes.csv and summary.csv identical | yes |" in report


@pytest.mark.slow
def test_quick_run_reports_every_benchmark(tmp_path: Path) -> None:
    committed = REPO / "benchmarks" / "RESULTS.md"
    before = committed.read_bytes() if committed.exists() else None
    report = quick_report(tmp_path, {**TARGETS, "editor": []}, 300)
    assert "| images in combined sizes.csv (jobs 1 / jobs 2) | 4 / 4 |" in report
    assert "| sizes.csv and summary.csv identical | yes |" in report
    assert "| threshold files identical to the plain script's | yes |" in report
    assert "| node | local (s) | isolated (s) | isolated − local (s) |" in report
    assert report.count("| sizes.csv and summary.csv identical | yes |") == 2  # both backends too
    assert (committed.read_bytes() if committed.exists() else None) == before  # left alone


@pytest.mark.slow
def test_quick_run_reports_the_ml_benchmark(tmp_path: Path) -> None:
    for package in ("torch", "sklearn", "onnxruntime", "monai", "PySide6"):
        pytest.importorskip(package)
    report = quick_report(tmp_path, ML_TARGETS, 300)
    assert "| tiles per image, Lamella / MONAI | 9 / 9 |" in report.replace("|   ", "| ")
    assert "| plain features − Lamella's, max abs difference (256 x 256 crop) | 0.0e+00 |" in \
        report.replace("|   ", "| ")
