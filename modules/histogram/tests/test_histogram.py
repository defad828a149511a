"""lamella/histogram: the printed statistics are the right numbers in the right unit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image as PILImage

from lamella.core.errors import ModuleError
from lamella.core.sdk import columns
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
stats = import_module_file(MODULE_DIR, "stats")
plot = import_module_file(MODULE_DIR, "plot")


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))


def run(tmp_path: Path, table: pd.DataFrame | str, **params):
    path = tmp_path / "table.csv"
    if isinstance(table, str):
        path.write_text(table, encoding="utf-8")
    else:
        table.to_csv(path, index=False)
    result = run_module(MODULE_DIR, tmp_path, inputs={"table": path}, params=params)
    png, svg = result.outputs["plot"]
    return png, svg


def test_statistics_are_printed_with_the_unit(tmp_path: Path) -> None:
    table = pd.DataFrame({"label": [1, 2, 3, 4], "ecd_px": [5.0, 10, 15, 20],
                          "ecd_nm": [10.0, 20, 30, 40], "area_nm2": [1.0, 2, 3, 4]})
    png, svg = run(tmp_path, table)
    assert png.name == "plot.png" and svg.name == "plot.svg"
    with PILImage.open(png) as image:
        assert image.size[0] > 400
    texts = svg_texts(svg)
    # ddof=1 std of 10..40 is 12.91; type-7 percentiles give D10 = 13, D90 = 37.
    for line in ("n = 4", "mean = 25.00 nm", "median = 25.00 nm", "std = 12.91 nm", "D10 = 13.00 nm",
                 "D50 = 25.00 nm", "D90 = 37.00 nm", "ECD (nm)", "ECD distribution"):
        assert line in texts, line


def test_area_column_gets_a_squared_unit_and_a_title(tmp_path: Path) -> None:
    table = pd.DataFrame({"area_um2": [0.5, 1.5, 2.5]})
    _, svg = run(tmp_path, table, column="area", bins=3, title="Grain areas")
    texts = svg_texts(svg)
    assert {"mean = 1.500 µm²", "Area (µm²)", "Grain areas", "n = 3"} <= set(texts)


def test_uncalibrated_column_prints_pixels(tmp_path: Path) -> None:
    _, svg = run(tmp_path, pd.DataFrame({"ecd_px": [4.0, 4.0, 7.0]}))
    assert {"ECD (px)", "mean = 5.000 px", "std = 1.732 px"} <= set(svg_texts(svg))


def test_single_object_has_no_std(tmp_path: Path) -> None:
    _, svg = run(tmp_path, pd.DataFrame({"ecd_nm": [42.0]}), log_scale=True)
    assert {"n = 1", "std = n/a", "D90 = 42.00 nm"} <= set(svg_texts(svg))


def test_empty_table_gives_a_no_objects_plot(tmp_path: Path) -> None:
    png, svg = run(tmp_path, "label,ecd_nm\n")
    assert "no objects" in svg_texts(svg)
    assert png.stat().st_size > 1000


def test_table_without_header_gives_a_no_objects_plot(tmp_path: Path) -> None:
    _, svg = run(tmp_path, "\n")
    assert "no objects" in svg_texts(svg)


def test_unknown_column_lists_the_available_ones(tmp_path: Path) -> None:
    table = pd.DataFrame({"label": [1], "ecd_nm": [3.0], "feret_min_nm": [2.0]})
    with pytest.raises(ModuleError) as error:
        run(tmp_path, table, column="feret")
    assert str(error.value) == (
        "parameter 'column': the table has no column 'feret' or 'feret_<unit>'; "
        "available columns: label, ecd_nm, feret_min_nm")


def test_text_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match=re.escape("column 'shape' holds text, not numbers")):
        run(tmp_path, pd.DataFrame({"shape": ["ellipse", "irregular"]}), column="shape")


def test_log_scale_refuses_non_positive_values(tmp_path: Path) -> None:
    message = ("parameter 'log_scale': column 'ecd_nm' has 1 values <= 0, which a log axis "
               "cannot show; turn log_scale off or filter them out")
    with pytest.raises(ModuleError, match=re.escape(message)):
        run(tmp_path, pd.DataFrame({"ecd_nm": [0.0, 3.0]}), log_scale=True)


def test_bins_must_be_a_count_or_auto(tmp_path: Path) -> None:
    message = "parameter 'bins': must be a whole number or 'auto', got 'many'"
    with pytest.raises(ModuleError, match=re.escape(message)):
        run(tmp_path, pd.DataFrame({"ecd_nm": [1.0]}), bins="many")


def test_physical_unit_is_preferred_over_pixels() -> None:
    names = ["ecd_px", "ecd_analytic_px", "ecd_um"]
    assert columns.find_column(names, "ecd") == "ecd_um"
    assert columns.find_column(names, "ecd_analytic") == "ecd_analytic_px"
    assert columns.find_column(["circularity"], "circularity") == "circularity"
    assert columns.axis_label("feret_min_nm") == "Feret min (nm)"


def test_log_bins_are_equal_on_a_log_axis() -> None:
    edges = plot.bin_edges(np.array([1.0, 10.0, 100.0]), 2, log_scale=True)
    assert np.allclose(edges, [1.0, 10.0, 100.0])


def test_empty_cells_are_skipped(tmp_path: Path) -> None:
    _, svg = run(tmp_path, "label,ecd_nm\n1,1.0\n2,\n3,3.0\n")
    assert {"n = 2", "mean = 2.000 nm", "D50 = 2.000 nm"} <= set(svg_texts(svg))


def test_statistics_of_nothing_are_undefined() -> None:
    s = stats.statistics(np.array([]))
    assert s["n"] == 0 and np.isnan(s["mean"]) and np.isnan(s["D90"])
