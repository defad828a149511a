"""Tests run the module exactly as a runner would, on a tiny image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import run_module

MODULE_DIR = Path(__file__).resolve().parents[1]


def test_inverts_and_keeps_pixel_size(tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.tif", Image(np.array([[0, 10], [20, 30]], np.uint8), "YX",
                                                    Calibration(2.5, 2.5, "nm")))
    result = run_module(MODULE_DIR, tmp_path, inputs={"image": source})
    out = result.image("image")
    assert out.data.tolist() == [[30, 20], [10, 0]]
    assert (out.calibration.x, out.calibration.unit) == (2.5, "nm")


def test_full_range(tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.tif", Image(np.array([[0, 10]], np.uint8), "YX"))
    result = run_module(MODULE_DIR, tmp_path, inputs={"image": source},
                        params={"keep_range": False})
    assert result.image("image").data.tolist() == [[255, 245]]


def test_refuses_a_stack(tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.tif", Image(np.zeros((2, 3, 3), np.uint8), "ZYX"))
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path, inputs={"image": source})
    assert str(info.value) == ("input 'image' has axes ZYX; this module needs one grey plane (YX): "
                               "pick a plane or channel in load-image")
