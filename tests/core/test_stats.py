"""The one implementation of size-distribution statistics (measure, histogram, pooled batches)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lamella.core.sdk.stats import SUMMARY_COLUMNS, distribution, summary_rows, table_unit


def test_distribution_follows_the_documented_conventions() -> None:
    s = distribution([1.0, 4.0, 9.0, 16.0])
    assert s == pytest.approx({"count": 4, "mean": 7.5, "median": 6.5, "std": math.sqrt(43),
                               "d10": 1.9, "d50": 6.5, "d90": 13.9})
    one = distribution([3.0])
    assert one["count"] == 1 and one["median"] == 3.0 and math.isnan(one["std"])
    none = distribution([])
    assert none["count"] == 0 and all(math.isnan(none[k]) for k in ("mean", "d90"))


def test_summary_rows_name_each_quantity_with_its_unit() -> None:
    rows = summary_rows({"label": [1, 2], "area_nm2": [4.0, 100.0], "ecd_nm": [2.0, 11.0],
                         "centroid_x_nm": [1.0, 2.0], "circularity": [1.0, 0.9],
                         "other": [5.0, 6.0]}, unit="nm")
    assert [(r["quantity"], r["unit"], r["count"]) for r in rows] == [
        ("area", "nm^2", 2), ("ecd", "nm", 2), ("circularity", "", 2)]
    assert list(rows[0]) == list(SUMMARY_COLUMNS) and rows[0]["median"] == 52.0


@pytest.mark.parametrize(("names", "unit"), [
    (["label", "area_nm2", "ecd_nm", "circularity"], "nm"),
    (["label", "area_px2", "ecd_px"], "px"),
    (["class", "pixels", "area_um2", "area_fraction"], "um"),  # 'fraction' is no unit
    (["area_nm2", "ecd_nm", "area_um2", "ecd_um"], None),  # tables in two units joined
    (["label", "circularity"], None),
    (["ecd_nm2"], None),  # a length squared is not a length
])
def test_table_unit(names: list[str], unit: str | None) -> None:
    assert table_unit(names) == unit


def test_statistics_of_floats_from_text_match_numpy() -> None:
    values = np.random.default_rng(3).lognormal(3, 0.5, 501)
    s = distribution(values)
    assert s["median"] == np.median(values) and s["d90"] == np.percentile(values, 90)
