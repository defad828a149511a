"""Helpers to write workflows that use the fixture modules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Calibration, Image, write_image
from lamella.runner import Analysis


@pytest.fixture
def make_analysis(fixture_modules: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(text: str, name: str = "wf.yaml") -> Analysis:
        path = tmp_path / name
        path.write_text(text)
        return Analysis.load(path, modules=[fixture_modules])

    return make


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    return write_image(tmp_path / "input.ome.tif",
                       Image(np.full((4, 4), 10, np.uint16), "YX", Calibration(2.0, 2.0, "nm")))
