"""Pixel sizes no microscope can have (inf, NaN, 0, negative, 1e300 m, 1e-300 m).

A pixel size must be finite and between 1 pm and 1 m. A file's metadata outside that is
ignored with a warning naming the file (the image stays in pixels, or takes the next
calibration the file holds); a pixel size the user sets outside it is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from lamella.core.sdk import Calibration, read_image
from lamella.core.sdk._calibration_choice import override_calibration
from tests.bad_inputs import BadInput
from tests.core.test_imageio import CZ_SEM, FEI_SFEG, tiff_with_tag, zeiss_text

LAMELLA = str(Path(sys.executable).parent / "lamella")
VALUES = ["inf", "nan", "0", "-2.5e-09", "1e300", "1e-300"]
SHOWN = {"inf": "inf", "nan": "nan", "0": "0", "-2.5e-09": "-2.5e-09", "1e300": "1e+300",
         "1e-300": "1e-300"}
RANGE = "is not a physical size (pixel sizes lie between 1 pm and 1 m)"


def fei_file(path: Path, value: str) -> Path:
    return tiff_with_tag(path, FEI_SFEG, f"[Scan]\r\nPixelWidth={value}\r\nPixelHeight={value}\r\n")


def zeiss_file(path: Path, value: str) -> Path:
    text = zeiss_text(("AP_IMAGE_PIXEL_SIZE", f"Image Pixel Size = {value} m"))
    return tiff_with_tag(path, CZ_SEM, text)


def ome_file(path: Path, value: str) -> Path:
    tifffile.imwrite(path, np.zeros((8, 10), np.uint8), ome=True, metadata={
        "PhysicalSizeX": value, "PhysicalSizeXUnit": "m",
        "PhysicalSizeY": value, "PhysicalSizeYUnit": "m"})
    return path


WRITERS = {"FEI": fei_file, "Zeiss CZ_SEM": zeiss_file, "OME-XML": ome_file}


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("source", sorted(WRITERS))
def test_impossible_sizes_in_metadata_are_ignored_with_a_note(tmp_path: Path, source: str,
                                                              value: str) -> None:
    image = read_image(WRITERS[source](tmp_path / "im.tif", value))
    assert image.calibration is None
    assert image.calibration_notes == (
        f"the {source} metadata gives a pixel size of {SHOWN[value]} m, which {RANGE}",)


def test_a_good_calibration_elsewhere_in_the_file_is_still_used(tmp_path: Path) -> None:
    path = tmp_path / "both.tif"
    tifffile.imwrite(path, np.zeros((8, 10), np.uint8), resolution=(1e4, 1e4), resolutionunit=3,
                     extratags=[(FEI_SFEG, "s", 0, b"[Scan]\r\nPixelWidth=inf\r\n", True)])
    image = read_image(path)
    assert image.calibration is not None
    assert (image.calibration.x, image.calibration.unit, image.calibration.source) == (
        1.0, "um", "TIFF resolution")
    assert image.calibration_notes == (f"the FEI metadata gives a pixel size of inf m, which {RANGE}",)


@pytest.mark.parametrize("size", [1e-12, 1.0, 2.5e-9])
def test_the_limits_themselves_are_physical(size: float) -> None:
    assert Calibration(size, size, "m").x == size


@pytest.mark.parametrize(("given", "message"), [
    ("1e300 m", f"pixel size 1e+300 m {RANGE}; give the size of one pixel, e.g. '2.5 nm'"),
    ("1e-300 m", f"pixel size 1e-300 m {RANGE}; give the size of one pixel, e.g. '2.5 nm'"),
    ("1e-3 pm", f"pixel size 0.001 pm {RANGE}; give the size of one pixel, e.g. '2.5 nm'"),
])
def test_an_impossible_size_given_by_the_user_is_refused(given: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        override_calibration(given, None)
    assert str(info.value) == message


# The whole chain on the command line: load, threshold, measure, as the issue ran it.
CHAIN = """\
lamella: 1
name: extreme
inputs:
  image: {type: image, default: sem.tif}
nodes:
  load: {module: lamella/load-image@1, params: {crop_info_bar: 'off'}, in: {path: $inputs.image}}
  segment: {module: lamella/threshold@1, params: {min_area: 0, smooth: 0}, in: {image: load.image}}
  measure: {module: lamella/measure@1, in: {labels: segment.classes, image: load.image}}
outputs: {sizes: measure.table}
"""
CLI_CASES = [
    BadInput(f"fei-pixel-width-{value}", f"an FEI file with PixelWidth={value}",
             f"! load: input 'path': sem.tif: the FEI metadata gives a pixel size of {SHOWN[value]} "
             f"m, which {RANGE}; it is ignored (set the pixel size by hand if the image has one)", 0)
    for value in ("inf", "1e300", "1e-300")
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_a_run_on_an_impossible_calibration_measures_in_pixels(tmp_path: Path,
                                                              case: BadInput) -> None:
    value = case.id.removeprefix("fei-pixel-width-")
    data = np.zeros((64, 64), np.uint8)
    data[10:30, 10:30] = 200
    data[40:55, 35:60] = 180
    tifffile.imwrite(tmp_path / "sem.tif", data, extratags=[
        (FEI_SFEG, "s", 0, f"[Scan]\r\nPixelWidth={value}\r\nPixelHeight={value}\r\n".encode(), True)])
    (tmp_path / "wf.yaml").write_text(CHAIN)
    done = subprocess.run([LAMELLA, "run", "wf.yaml", "--out", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == case.exit_status, done.stderr
    assert case.line(tmp_path) in done.stdout.splitlines()
    rows = (tmp_path / "out" / "sizes.csv").read_text().splitlines()
    assert rows[0].startswith("label,area_px2,ecd_px,") and len(rows) == 3  # two objects, in pixels
    assert "Traceback" not in done.stderr


BAD_INPUTS = CLI_CASES
