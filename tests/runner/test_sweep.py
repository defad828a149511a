"""Parameter sweeps: one run over a grid of values, folders per point, combined tables, cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import LamellaError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.runner import Analysis
from lamella.runner._arguments import ArgumentError
from lamella.runner._sweep import folder_names
from tests.conftest import REPO
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")

# Objects whose ECD is the image's value plus 0, 1, 2...: one object per image row.
SIZES = """\
def run(task):
    data = task.image("image").data
    task.save_table("sizes", [{"label": i + 1, "ecd_nm": float(data[0, 0]) + i}
                              for i in range(data.shape[0])])
"""

GRID = """\
lamella: 1
name: grid
nodes:
  gen: {module: test/gen@1, params: {value: 3, size: 2}}
  add: {module: test/add@1, params: {amount: 0}, in: {image: gen.image}}
  sizes: {module: test/sizes@1, in: {image: add.image}}
outputs: {sizes: sizes.sizes, image: add.image}
"""

IMAGES = """\
lamella: 1
name: images
inputs:
  image: {type: image}
nodes:
  add: {module: test/add@1, in: {image: $inputs.image}}
  stats: {module: test/stats@1, in: {image: add.image}}
outputs: {table: stats.table}
"""


@pytest.fixture
def modules(fixture_modules: Path, tmp_path: Path) -> list[Path]:
    write_module(tmp_path / "mods", "sizes", SIZES, outputs={"sizes": "table"})
    return [fixture_modules, tmp_path / "mods"]


@pytest.fixture
def grid(modules: list[Path], tmp_path: Path) -> Analysis:
    (tmp_path / "grid.yaml").write_text(GRID)
    return Analysis.load(tmp_path / "grid.yaml", modules=modules)


def statuses(record: dict, node: str) -> dict[str, str]:
    return {item: nodes["nodes"][node]["status"] for item, nodes in record["items"].items()}


def test_one_folder_per_point_and_a_combined_table(grid: Analysis, tmp_path: Path) -> None:
    result = grid.run(sweep={"add.amount": [0, 10, 20]}, out=tmp_path / "out")
    assert result.ok
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "add.amount=0", "add.amount=10", "add.amount=20", "logs", "run-record.json", "sizes.csv"]
    assert sorted(p.name for p in (tmp_path / "out" / "add.amount=10").iterdir()) == [
        "image.ome.tif", "sizes.csv"]
    assert (tmp_path / "out" / "sizes.csv").read_text().splitlines() == [
        "add.amount,label,ecd_nm", "0,1,3.0", "0,2,4.0", "10,1,13.0", "10,2,14.0",
        "20,1,23.0", "20,2,24.0"]
    table = result.table("sizes")
    assert list(table.columns) == ["add.amount", "label", "ecd_nm"]
    one = result.table("sizes", point={"add.amount": 10})
    assert one.to_dict("records") == [{"add.amount": 10, "label": 1, "ecd_nm": 13.0},
                                      {"add.amount": 10, "label": 2, "ecd_nm": 14.0}]
    assert result.path("image", point={"add.amount": 20}) == (
        tmp_path / "out" / "add.amount=20" / "image.ome.tif")


def test_unchanged_upstream_steps_run_once(grid: Analysis, tmp_path: Path) -> None:
    result = grid.run(sweep={"add.amount": [0, 10, 20]}, out=tmp_path / "out")
    record = result.record
    assert statuses(record, "gen") == {"add.amount=0": "finished", "add.amount=10": "cached",
                                       "add.amount=20": "cached"}
    assert statuses(record, "add") == dict.fromkeys(record["items"], "finished")
    reason = record["items"]["add.amount=10"]["nodes"]["gen"]["cache"]["reason"]
    assert reason == "reused: same module, parameters and inputs as an item earlier in this run"
    # Without the cache, what the points share still runs once within the run.
    fresh = grid.run(sweep={"add.amount": [0, 10]}, out=tmp_path / "out", use_cache=False)
    assert statuses(fresh.record, "gen") == {"add.amount=0": "finished", "add.amount=10": "cached"}
    assert statuses(fresh.record, "sizes") == {"add.amount=0": "finished",
                                               "add.amount=10": "finished"}


def test_several_sweeps_make_a_grid(grid: Analysis, tmp_path: Path) -> None:
    result = grid.run(sweep={"add.amount": [0, 10], "gen.size": [2, 3]}, params={"gen.value": 5},
                      out=tmp_path / "out")
    folders = ["add.amount=0,gen.size=2", "add.amount=0,gen.size=3", "add.amount=10,gen.size=2",
               "add.amount=10,gen.size=3"]
    assert [p["folder"] for p in result.record["sweep"]["points"]] == folders
    assert all((tmp_path / "out" / f / "sizes.csv").is_file() for f in folders)
    table = result.table("sizes")
    assert list(table.columns) == ["add.amount", "gen.size", "label", "ecd_nm"]
    assert len(table) == 2 + 3 + 2 + 3
    assert table.groupby(["add.amount", "gen.size"])["ecd_nm"].min().to_dict() == {
        (0, 2): 5.0, (0, 3): 5.0, (10, 2): 15.0, (10, 3): 15.0}
    assert result.record["overrides"] == {"gen.value": 5}
    assert result.record["sweep"]["grid"] == {"add.amount": [0, 10], "gen.size": [2, 3]}
    assert result.record["sweep"]["points"][3] == {
        "params": {"add.amount": 10, "gen.size": 3}, "folder": "add.amount=10,gen.size=3",
        "items": ["add.amount=10,gen.size=3"]}
    node = result.record["items"]["add.amount=10,gen.size=3"]["nodes"]
    assert (node["gen"]["params"], node["add"]["params"]["amount"]) == ({"value": 5, "size": 3}, 10)
    with pytest.raises(ArgumentError) as info:
        result.table("sizes", point={"add.amount": 10})
    assert str(info.value) == "point: give a value for every swept parameter; missing 'gen.size'"


def test_comparison_counts_and_averages_the_size_column(grid: Analysis, tmp_path: Path) -> None:
    result = grid.run(sweep={"gen.size": [2, 4]}, out=tmp_path / "out")
    assert result.comparison().to_dict("records") == [
        {"gen.size": 2, "count": 2, "mean_ecd_nm": 3.5, "d50_ecd_nm": 3.5, "folder": "gen.size=2"},
        {"gen.size": 4, "count": 4, "mean_ecd_nm": 4.5, "d50_ecd_nm": 4.5, "folder": "gen.size=4"}]


def test_batch_times_grid(modules: list[Path], tmp_path: Path) -> None:
    for name, value in (("a", 10), ("b", 20)):
        write_image(tmp_path / f"{name}.ome.tif",
                    Image(np.full((4, 4), value, np.uint16), "YX", Calibration(2.0, 2.0, "nm")))
    (tmp_path / "images.yaml").write_text(IMAGES)
    analysis = Analysis.load(tmp_path / "images.yaml", modules=modules)
    result = analysis.run(batch=str(tmp_path / "*.ome.tif"), sweep={"add.amount": [1, 2]},
                          out=tmp_path / "out")
    assert result.ok and len(result.record["items"]) == 4
    assert sorted(p.relative_to(tmp_path / "out").as_posix()
                  for p in (tmp_path / "out").glob("add.amount=*/*/table.csv")) == [
        "add.amount=1/a/table.csv", "add.amount=1/b/table.csv", "add.amount=2/a/table.csv",
        "add.amount=2/b/table.csv"]
    assert (tmp_path / "out" / "table.csv").read_text().splitlines() == [
        "add.amount,image,mean,pixel_nm", "1,a.ome.tif,11.0,2.0", "1,b.ome.tif,21.0,2.0",
        "2,a.ome.tif,12.0,2.0", "2,b.ome.tif,22.0,2.0"]
    assert result.record["sweep"]["points"][1]["items"] == ["add.amount=2/a", "add.amount=2/b"]
    assert result.table("table", point={"add.amount": 2}, item="b")["mean"].tolist() == [22.0]
    assert result.table("table", point={"add.amount": 2})["image"].tolist() == ["a.ome.tif",
                                                                               "b.ome.tif"]
    assert (tmp_path / "out" / "logs" / "add.amount=2" / "b" / "add.log").read_text() == "adding 2\n"
    assert result.comparison().to_dict("records") == [{"add.amount": 1, "folder": "add.amount=1"},
                                                      {"add.amount": 2, "folder": "add.amount=2"}]


def test_a_failed_point_leaves_the_others(modules: list[Path], tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(GRID.replace("test/add@1, params: {amount: 0}",
                                                   "test/crash@1, params: {mode: ok}"))
    result = Analysis.load(tmp_path / "wf.yaml", modules=modules).run(
        sweep={"add.mode": ["ok", "raise"]}, out=tmp_path / "out")
    assert not result.ok and [j.id for j in result.failures] == ["add.mode=raise/add"]
    assert result.table("sizes")["add.mode"].tolist() == ["ok", "ok"]
    with pytest.raises(LamellaError) as info:
        result.table("sizes", point={"add.mode": "raise"})
    assert str(info.value) == ("no 'sizes' table at add.mode=raise: its run did not finish "
                               "(see result.failures)")
    assert result.comparison()["count"].tolist()[0] == 2
    assert np.isnan(result.comparison()["count"].tolist()[1])


def test_a_later_run_replaces_the_sweep_folders(grid: Analysis, tmp_path: Path) -> None:
    grid.run(sweep={"add.amount": [0, 10]}, out=tmp_path / "out")
    grid.run(out=tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "image.ome.tif", "logs", "run-record.json", "sizes.csv"]  # no staging folder left
    record = json.loads((tmp_path / "out" / "run-record.json").read_text())
    assert (record["overrides"], record["sweep"]) == ({}, None)


def test_point_errors_name_the_point(grid: Analysis, tmp_path: Path) -> None:
    result = grid.run(sweep={"add.amount": [0, 10]}, out=tmp_path / "out")
    cases = [({"add.amount": 5}, "point['add.amount']: 5 was not swept (values: 0, 10)"),
             ({"gen.size": 2}, "point['gen.size']: not swept in this run (swept: add.amount)"),
             ("add.amount=0", "point: expected a mapping of swept 'node.param' to one of its "
                              "values, e.g. {'add.amount': 0}, got 'add.amount=0'")]
    for point, message in cases:
        with pytest.raises(ArgumentError) as info:
            result.table("sizes", point=point)
        assert str(info.value) == message
    with pytest.raises(LamellaError) as info:
        result.path("image")
    assert str(info.value) == "this sweep has 2 points; pass point=, e.g. point={'add.amount': 0}"


@pytest.mark.parametrize(("combos", "folders"), [
    ([{"separate.min_distance": "8 nm"}, {"separate.min_distance": "auto"}],
     ["separate.min_distance=8_nm", "separate.min_distance=auto"]),
    ([{"segment.min_area": "500 nm^2"}], ["segment.min_area=500_nm_2"]),
    ([{"a.b": True, "c.d": None}, {"a.b": False, "c.d": 0.5}],
     ["a.b=true,c.d=null", "a.b=false,c.d=0.5"]),
    ([{"a.t": "x/y"}, {"a.t": "x y"}, {"a.t": "X_Y"}], ["a.t=x_y", "a.t=x_y-2", "a.t=X_Y-3"]),
    ([{"a.t": "é" * 3 + "z" * 50}], ["a.t=_" + "z" * 39]),
])
def test_folder_names_are_safe_and_unique(combos: list[dict], folders: list[str]) -> None:
    assert folder_names(combos) == folders


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_cli_prints_the_comparison(modules: list[Path], tmp_path: Path) -> None:
    (tmp_path / "grid.yaml").write_text(GRID)
    done = lamella("run", "grid.yaml", "--modules", str(modules[0]), "--modules", str(modules[1]),
                   "-o", "out", "--sweep", "gen.size=2,4", "--set", "gen.value=3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = lines.index("Sweep of 2 points (sizes, ecd_nm):")
    assert [line.split() for line in lines[start + 1:]] == [
        ["gen.size", "count", "mean", "D50", "results"],
        ["2", "2", "3.5", "3.5", "gen.size=2/"],
        ["4", "4", "4.5", "4.5", "gen.size=4/"]]
    assert "  sizes        sizes.csv (all points)" in lines
    assert "  per point    2 folders gen.size=<value>/" in lines
    record = json.loads((tmp_path / "out" / "run-record.json").read_text())
    assert record["overrides"] == {"gen.value": 3}


def test_cli_without_a_size_table_says_so(fixture_modules: Path, tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(GRID.replace("test/sizes@1", "test/stats@1")
                                      .replace("sizes.sizes", "sizes.table"))
    done = lamella("run", "wf.yaml", "--modules", str(fixture_modules), "-o", "out",
                   "--sweep", "add.amount=[1, 2]", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = lines.index("Sweep of 2 points (no size table: no table output has an ecd_* column):")
    assert [line.split() for line in lines[start + 1:]] == [
        ["add.amount", "results"], ["1", "add.amount=1/"], ["2", "add.amount=2/"]]


@pytest.mark.slow
def test_nanoparticle_example_sweeps_the_threshold_method(tmp_path: Path) -> None:
    analysis = Analysis.load(REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml")
    result = analysis.run(sweep={"segment.method": ["otsu", "li"]}, out=tmp_path / "out")
    assert result.ok
    for node in ("load",):
        assert statuses(result.record, node) == {"segment.method=otsu": "finished",
                                                 "segment.method=li": "cached"}
    assert statuses(result.record, "segment") == {"segment.method=otsu": "finished",
                                                  "segment.method=li": "finished"}
    sizes = result.table("sizes")
    assert list(sizes.columns[:2]) == ["segment.method", "label"]
    counts = sizes.groupby("segment.method").size().to_dict()
    assert set(counts) == {"otsu", "li"} and min(counts.values()) > 100
    compared = result.comparison()
    assert compared["count"].tolist() == [counts["otsu"], counts["li"]]
    assert compared["d50_ecd_nm"].tolist() == [
        sizes[sizes["segment.method"] == m]["ecd_nm"].median() for m in ("otsu", "li")]
