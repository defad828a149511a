"""lamella/bar-chart: phase fractions shown as the right percentages on the right bars."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
chart = import_module_file(MODULE_DIR, "chart")
PHASES = pd.DataFrame({"class": [1, 2, 3], "pixels": [500, 300, 200],
                       "area_fraction": [0.5, 0.3, 0.2]})


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))


def run(tmp_path: Path, table: pd.DataFrame | str, **params) -> tuple[Path, list[str]]:
    path = tmp_path / "table.csv"
    if isinstance(table, str):
        path.write_text(table, encoding="utf-8")
    else:
        table.to_csv(path, index=False)
    result = run_module(MODULE_DIR, tmp_path, inputs={"table": path}, params=params)
    png, svg = result.outputs["plot"]
    assert (png.name, svg.name) == ("plot.png", "plot.svg") and png.stat().st_size > 1000
    return png, svg_texts(svg)


def test_phase_fractions_are_printed_as_percentages(tmp_path: Path) -> None:
    _, texts = run(tmp_path, PHASES)
    assert [t for t in texts if t.endswith("%")] == ["50.0 %", "30.0 %", "20.0 %"]
    assert {"1", "2", "3", "Class", "Area fraction (%)", "Area fraction by class"} <= set(texts)


def test_names_replace_the_class_numbers(tmp_path: Path) -> None:
    _, texts = run(tmp_path, PHASES, names="ferrite, pearlite, martensite", title="Steel")
    assert {"ferrite", "pearlite", "martensite", "Steel"} <= set(texts)


def test_plain_values_and_a_column_with_a_unit(tmp_path: Path) -> None:
    table = pd.DataFrame({"class": [1, 2], "area_um2": [12.5, 1234.5]})
    _, texts = run(tmp_path, table, y="area", percent=False)
    assert {"12.50", "1234", "Area (µm²)"} <= set(texts)


def test_percent_refuses_values_that_are_not_fractions(tmp_path: Path) -> None:
    table = pd.DataFrame({"class": [1, 2], "area_um2": [12.5, 3.0]})
    with pytest.raises(ModuleError) as error:
        run(tmp_path, table, y="area")
    assert str(error.value) == ("parameter 'percent': column 'area_um2' is not a fraction "
                                "(values up to 12.5, fractions are 0..1); turn percent off")


def test_unknown_column_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ModuleError) as error:
        run(tmp_path, PHASES, y="fraction")
    assert str(error.value) == ("parameter 'y': the table has no column 'fraction' or "
                                "'fraction_<unit>'; available columns: class, pixels, "
                                "area_fraction")


def test_wrong_number_of_names(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match=re.escape("parameter 'names': 2 names given for 3 rows")):
        run(tmp_path, PHASES, names="a,b")


def test_empty_table_says_no_data(tmp_path: Path) -> None:
    _, texts = run(tmp_path, "class,area_fraction\n")
    assert "no data" in texts


def test_missing_value_is_shown_as_not_available(tmp_path: Path) -> None:
    _, texts = run(tmp_path, "class,area_fraction\n1,0.25\n2,\n")
    assert {"25.0 %", "n/a"} <= set(texts)


def test_value_text_rounds_to_one_decimal_percent() -> None:
    assert chart.value_text(0.12345, percent=True) == "12.3 %"
