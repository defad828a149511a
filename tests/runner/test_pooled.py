"""Pooled batch results: statistics of all images' objects together, and a pooled histogram."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lamella.core.errors import LamellaError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.runner import Analysis
from lamella.runner.cache import CacheStore

LAMELLA = str(Path(sys.executable).parent / "lamella")

# Measure and plot label images made elsewhere: no segmentation, so the objects are exact.
SIZES = """\
lamella: 1
name: pooled
inputs:
  labels: {type: file}
nodes:
  load: {module: lamella/load-labels@1, in: {path: $inputs.labels}}
  measure: {module: lamella/measure@1, in: {labels: load.labels}}
  plot: {module: lamella/histogram@1, params: {column: area, bins: 4}, in: {table: measure.table}}
outputs: {sizes: measure.table, summary: measure.summary, histogram: plot.plot}
"""
NM = Calibration(2.0, 2.0, "nm")


def squares(sides: list[int]) -> np.ndarray:
    """Labels 1..n: squares of the given sides in pixels, in a row."""
    labels = np.zeros((12, 40), np.uint16)
    x = 1
    for value, side in enumerate(sides, start=1):
        labels[1:1 + side, x:x + side] = value
        x += side + 2
    return labels


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """Three good images whose per-image medians are far from the pooled median, one broken.

    a: three 1-px squares (4 nm^2 each); b: one 5-px square (100 nm^2); c: one 9-px square
    (324 nm^2). Pooled: 5 objects, median 4 nm^2; the mean of the per-image medians is 142.7.
    """
    data = tmp_path / "data"
    data.mkdir()
    for name, sides in {"a": [1, 1, 1], "b": [5], "c": [9]}.items():
        write_image(data / f"{name}.ome.tif", Image(squares(sides), "YX", NM))
    (data / "d.ome.tif").write_bytes(b"not a TIFF")
    (tmp_path / "sizes.yaml").write_text(SIZES)
    return tmp_path


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_batch_pools_the_objects_of_its_good_images(images: Path) -> None:
    done = lamella("run", "sizes.yaml", "--batch", "data/*.ome.tif", "--out", "out", "--jobs", "2",
                   "--json-events", cwd=images)
    assert done.returncode == 1  # image d failed; the others still give their results
    out = images / "out"
    per_image = pd.read_csv(out / "summary.csv").set_index(["image", "quantity"])
    objects = pd.read_csv(out / "sizes.csv")
    pooled = pd.read_csv(out / "summary-pooled.csv").set_index("quantity")
    area = pooled.loc["area"]
    counts = per_image.xs("area", level="quantity")["count"]
    assert counts.to_dict() == {"a.ome.tif": 3, "b.ome.tif": 1, "c.ome.tif": 1}
    assert area["count"] == counts.sum() == len(objects) == 5
    assert area["median"] == np.median(objects["area_nm2"]) == 4.0
    medians = per_image.xs("area", level="quantity")["median"]
    assert medians.mean() == pytest.approx(428 / 3)  # what averaging per-image rows would give
    assert area["d90"] == pytest.approx(np.percentile(objects["area_nm2"], 90))
    assert area["std"] == pytest.approx(np.std(objects["area_nm2"], ddof=1))
    assert area["unit"] == "nm^2" and list(pooled.columns) == [
        "unit", "count", "mean", "median", "std", "d10", "d50", "d90"]

    texts = re.findall(r"<text[^>]*>([^<]*)</text>", (out / "histogram-pooled.svg").read_text())
    assert {"n = 5", "median = 4.000 nm²"} <= set(texts)
    assert (out / "histogram-pooled.png").read_bytes()[:4] == b"\x89PNG"

    record = json.loads((out / "run-record.json").read_text())
    section = record["pooled"]
    assert section["images"] == ["a", "b", "c"]
    assert list(section["excluded"]) == ["d"]
    assert section["excluded"]["d"].startswith("node 'load' failed: ")
    assert section["files"] == {"summary": ["summary-pooled.csv"],
                                "histogram": ["histogram-pooled.png", "histogram-pooled.svg"]}
    assert "d: node 'load' failed: " in done.stderr
    assert "1 of 4 images did not finish" in done.stderr

    progress = [json.loads(line)["detail"] for line in done.stdout.splitlines()
                if '"batch_progress"' in line]
    assert [p["done"] for p in progress] == [0, 1, 2, 3, 4]
    assert progress[0]["eta_s"] is None and progress[-1]["eta_s"] == 0
    assert progress[-1]["total"] == 4 and progress[-1]["failed"] == 1

    # A run that makes no pooled results removes the earlier run's, like any other result.
    single = lamella("run", "sizes.yaml", "--input", "labels=data/a.ome.tif", "--out", "out",
                     cwd=images)
    assert single.returncode == 0, single.stderr
    assert not list(out.glob("*-pooled.*"))


@pytest.mark.slow
def test_the_pooled_plot_is_reused_and_the_api_gives_the_pooled_table(
        images: Path, isolated_cache: Path) -> None:
    (images / "data" / "d.ome.tif").unlink()
    analysis = Analysis.load(images / "sizes.yaml")
    first = analysis.run(batch=str(images / "data" / "*.ome.tif"), out=images / "out", jobs=2)
    assert first.ok and first.failed_items == {}
    [pooled_entry] = [e for e in CacheStore(isolated_cache).entries()
                      if e.meta["node"] == "plot (pooled)"]
    assert not (pooled_entry.folder / "used").exists()  # made, never reused yet
    again = analysis.run(batch=str(images / "data" / "*.ome.tif"), out=images / "out", jobs=2)
    assert all(job.status == "cached" for job in again.jobs)
    assert (pooled_entry.folder / "used").exists()  # the pooled plot came from the cache
    assert again.pooled_table("summary").set_index("quantity").loc["ecd", "count"] == 5
    assert [p.name for p in again.pooled["histogram"]] == ["histogram-pooled.png",
                                                           "histogram-pooled.svg"]
    assert again.record["pooled"]["not_pooled"] == {}
    with pytest.raises(LamellaError, match=r"no pooled table 'sizes' in this run \(pooled "
                       r"tables: summary; see record\['pooled'\] for why\)"):
        again.pooled_table("sizes")
