"""The measure module end to end: calibrated tables, summary statistics, phases, bad input."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lamella.core.errors import InputFileError, ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM = Calibration(2.5, 2.5, "nm")
OBJECT_COLUMNS = ["label", "area_{u}2", "ecd_{u}", "perimeter_{u}", "feret_max_{u}",
                  "feret_min_{u}", "aspect_ratio", "circularity", "solidity", "centroid_x_{u}",
                  "centroid_y_{u}"]


def columns_in(unit):
    return [c.format(u=unit) for c in OBJECT_COLUMNS]


def write(tmp_path, name, data, calibration=None, axes="YX"):
    return write_image(tmp_path / f"{name}.ome.tif", Image(np.asarray(data), axes, calibration))


def measure(tmp_path, labels, image=None, **params):
    inputs = {"labels": labels, **({"image": image} if image is not None else {})}
    result = run_module(MODULE_DIR, tmp_path, inputs=inputs, params=params)
    return pd.read_csv(result.path("table")), pd.read_csv(result.path("summary"))


def rectangle_labels():
    labels = np.zeros((20, 12), dtype=np.uint16)
    labels[3:13, 5:9] = 1  # 10 rows x 4 columns
    return labels


def test_rectangle_in_nanometres(tmp_path):
    table, _ = measure(tmp_path, write(tmp_path, "labels", rectangle_labels(), NM))
    assert list(table.columns) == columns_in("nm")
    crofton = math.pi / 8 * (20 + 8 + 52 / math.sqrt(2))  # pixels
    assert table.iloc[0].to_dict() == pytest.approx({
        "label": 1, "area_nm2": 250.0, "ecd_nm": math.sqrt(4 * 250 / math.pi),
        "perimeter_nm": 2.5 * crofton, "feret_max_nm": 2.5 * math.sqrt(116),
        "feret_min_nm": 10.0, "aspect_ratio": 2.5, "circularity": 4 * math.pi * 40 / crofton**2,
        "solidity": 1.0, "centroid_x_nm": 17.5, "centroid_y_nm": 20.0}, abs=1e-9)


def test_micrometre_calibration_names_columns_in_um(tmp_path):
    table, summary = measure(tmp_path, write(tmp_path, "labels", rectangle_labels(),
                                             Calibration(0.5, 0.5, "µm")))
    assert list(table.columns) == columns_in("um")
    assert table["area_um2"].tolist() == [10.0]
    assert summary.set_index("quantity").loc["area", "unit"] == "um^2"


def test_uncalibrated_labels_are_measured_in_pixels(tmp_path):
    table, summary = measure(tmp_path, write(tmp_path, "labels", rectangle_labels()))
    assert list(table.columns) == columns_in("px")
    assert table[["area_px2", "feret_min_px", "centroid_x_px"]].values.tolist() == [[40, 4, 7]]
    units = summary.set_index("quantity")["unit"].fillna("").to_dict()
    assert units == {"area": "px^2", "ecd": "px", "perimeter": "px", "feret_max": "px",
                     "feret_min": "px", "aspect_ratio": "", "circularity": "",
                     "solidity": ""}


def test_mean_intensity_only_with_an_image(tmp_path):
    labels = write(tmp_path, "labels", rectangle_labels(), NM)
    image = np.zeros((20, 12), dtype=np.uint16)
    image[3:13, 5:7] = 100
    table, summary = measure(tmp_path, labels, write(tmp_path, "image", image, NM))
    assert table.columns[-1] == "mean_intensity"
    assert table["mean_intensity"].tolist() == [50.0]
    assert summary["quantity"].tolist()[-1] == "mean_intensity"


def test_summary_statistics_of_four_squares(tmp_path):
    labels = np.zeros((6, 20), dtype=np.uint8)
    for value, (side, x) in enumerate([(1, 0), (2, 2), (3, 5), (4, 9)], start=1):
        labels[:side, x:x + side] = value
    _, summary = measure(tmp_path, write(tmp_path, "labels", labels, NM))
    assert list(summary.columns) == ["quantity", "unit", "count", "mean", "median", "std",
                                     "d10", "d50", "d90"]
    area = summary.set_index("quantity").loc["area"]
    # areas 6.25 x (1, 4, 9, 16) nm^2; D10 at rank 0.3, D90 at rank 2.7 (linear)
    assert area.drop("unit").to_dict() == pytest.approx({
        "count": 4, "mean": 6.25 * 7.5, "median": 6.25 * 6.5, "std": 6.25 * math.sqrt(43),
        "d10": 6.25 * 1.9, "d50": 6.25 * 6.5, "d90": 6.25 * 13.9})
    assert summary.set_index("quantity").loc["feret_min", "d50"] == pytest.approx(2.5 * 2.5)


def test_one_object_has_no_standard_deviation(tmp_path):
    _, summary = measure(tmp_path, write(tmp_path, "labels", rectangle_labels(), NM))
    assert summary["count"].tolist() == [1] * 8
    assert summary["std"].isna().all()
    assert summary.set_index("quantity").loc["ecd", "d90"] == pytest.approx(
        math.sqrt(1000 / math.pi))


def test_empty_labels_give_a_header_and_zero_counts(tmp_path):
    labels = write(tmp_path, "labels", np.zeros((8, 8), np.uint16), NM)
    table, summary = measure(tmp_path, labels)
    assert list(table.columns) == columns_in("nm")
    assert len(table) == 0
    assert summary["count"].tolist() == [0] * 8
    assert summary[["mean", "median", "std", "d10", "d50", "d90"]].isna().all().all()


def test_phase_fractions(tmp_path):
    classes = np.zeros((10, 10), dtype=np.uint8)
    classes.flat[10:60] = 1
    classes.flat[60:85] = 2
    classes.flat[85:] = 3
    image = np.zeros((10, 10), np.float32)
    image.flat[60:85] = 4.0
    table, summary = measure(tmp_path, write(tmp_path, "labels", classes, NM),
                             write(tmp_path, "image", image), labels_are="classes")
    assert list(table.columns) == ["class", "pixels", "area_nm2", "area_fraction",
                                   "labelled_fraction", "mean_intensity"]
    assert table["class"].tolist() == [0, 1, 2, 3]
    assert table["pixels"].tolist() == [10, 50, 25, 15]
    assert table["area_nm2"].tolist() == [62.5, 312.5, 156.25, 93.75]
    assert table["area_fraction"].tolist() == [0.1, 0.5, 0.25, 0.15]
    assert table["labelled_fraction"].tolist()[1:] == pytest.approx([50 / 90, 25 / 90, 15 / 90])
    assert math.isnan(table["labelled_fraction"][0])
    assert table["mean_intensity"].tolist() == [0.0, 0.0, 4.0, 0.0]
    pd.testing.assert_frame_equal(summary, table)


def test_phase_image_without_unlabelled_pixels(tmp_path):
    classes = np.repeat(np.array([[1, 2, 2, 3]], np.uint8), 3, axis=0)
    table, _ = measure(tmp_path, write(tmp_path, "labels", classes), labels_are="classes")
    assert table["class"].tolist() == [1, 2, 3]
    assert table["area_px2"].tolist() == [3, 6, 3]
    assert table["area_fraction"].tolist() == [0.25, 0.5, 0.25]
    assert table["labelled_fraction"].tolist() == [0.25, 0.5, 0.25]


def test_whole_number_float_labels_are_accepted(tmp_path):
    table, _ = measure(tmp_path, write(tmp_path, "labels", rectangle_labels().astype(np.float32)))
    assert table["area_px2"].tolist() == [40]


def failure(tmp_path, labels, image=None, error=ModuleError, **params):
    with pytest.raises(error) as caught:
        measure(tmp_path, labels, image, **params)
    return str(caught.value)


def test_fractional_float_labels_are_refused(tmp_path):
    labels = write(tmp_path, "labels", np.full((4, 4), 0.5, np.float32))
    assert failure(tmp_path, labels, error=InputFileError) == (
        "input 'labels' (labels.ome.tif) holds fractional float32 values, not labels; labels "
        "are whole numbers (0 = background). Threshold a probability map first, or load the "
        "file with load-image")


def test_stack_of_labels_is_refused(tmp_path):
    labels = write(tmp_path, "labels", np.ones((3, 4, 5), np.uint16), axes="ZYX")
    assert failure(tmp_path, labels) == (
        "input 'labels' (labels.ome.tif) has axes ZYX (3 x 4 x 5); measure needs one 2-D plane "
        "(axes YX): pick one plane or channel first")


def test_colour_image_is_refused(tmp_path):
    labels = write(tmp_path, "labels", rectangle_labels())
    image = write(tmp_path, "image", np.zeros((20, 12, 3), np.uint8), axes="YXS")
    assert failure(tmp_path, labels, image) == (
        "input 'image' (image.ome.tif) has axes YXS (20 x 12 x 3); measure needs one 2-D plane "
        "(axes YX): convert it to grey first")


def test_image_of_another_size_is_refused(tmp_path):
    labels = write(tmp_path, "labels", rectangle_labels())
    image = write(tmp_path, "image", np.zeros((16, 16), np.uint8))
    assert failure(tmp_path, labels, image) == (
        "input 'image' (image.ome.tif) is 16 x 16 pixels but 'labels' is 12 x 20; connect the "
        "image the labels were made from")


def test_objects_on_non_square_pixels_are_refused(tmp_path):
    labels = write(tmp_path, "labels", rectangle_labels(), Calibration(2.5, 3.0, "nm"))
    assert failure(tmp_path, labels) == (
        "input 'labels' (labels.ome.tif) has non-square pixels (2.5 x 3 nm); measuring objects "
        "needs square pixels: resample the image or correct its pixel size when loading it "
        "(phase fractions, labels_are 'classes', work on any pixels)")


def test_phase_fractions_on_non_square_pixels(tmp_path):
    classes = np.repeat(np.array([[1, 2, 2, 3]], np.uint8), 3, axis=0)
    labels = write(tmp_path, "labels", classes, Calibration(2.5, 4.0, "nm"))
    table, _ = measure(tmp_path, labels, labels_are="classes")
    assert table["area_nm2"].tolist() == [30.0, 60.0, 30.0]  # 3, 6, 3 pixels of 2.5 x 4 nm
    assert table["area_fraction"].tolist() == [0.25, 0.5, 0.25]


def test_instance_labels_given_as_classes_are_refused(tmp_path):
    labels = write(tmp_path, "labels", np.full((4, 4), 70000, np.uint32))
    message = failure(tmp_path, labels, labels_are="classes")
    assert message == (
        "parameter 'labels_are' is 'classes' but input 'labels' holds values up to 70000; "
        "class images number their classes 1..n (at most 65535): set labels_are to "
        "'instances' for object labels")


def test_unknown_mode_is_refused_before_running(tmp_path):
    labels = write(tmp_path, "labels", rectangle_labels())
    with pytest.raises(ModuleError, match=re.escape("parameter 'labels_are': 'phases' is not one "
                                                    "of 'instances', 'classes'")):
        measure(tmp_path, labels, labels_are="phases")
