"""Reading images and their pixel size from the files microscopes and tools write.

Every fixture is a real file written with tifffile or Pillow, carrying metadata the way the
vendor software writes it (Zeiss SmartSEM text in tag 34118, FEI/Thermo INI text in tags
34680/34682, OME-XML, ImageJ description plus resolution tags).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image as PILImage

from lamella.core.errors import InputFileError
from lamella.core.sdk import Calibration, Image, read_image, write_image

CZ_SEM, FEI_SFEG, FEI_HELIOS = 34118, 34680, 34682


def tiff_with_tag(path: Path, tag: int, text: str, shape: tuple[int, int] = (8, 10)) -> Path:
    # Vendors write 8-bit text: Zeiss writes 'µ' as the single Latin-1 byte 0xB5.
    data = np.zeros(shape, np.uint8)
    tifffile.imwrite(path, data, extratags=[(tag, "s", 0, text.encode("latin-1"), True)])
    return path


def zeiss_text(*entries: tuple[str, str]) -> str:
    lines = ["", "0"]  # SmartSEM starts with unnamed values before the named entries
    for key, line in entries:
        lines += [key, line]
    return "\r\n".join(lines) + "\r\n"


def cal(image: Image) -> tuple[float, float, str, str]:
    assert image.calibration is not None
    c = image.calibration
    return c.x, c.y, c.unit, c.source


# ----- Zeiss SmartSEM ----------------------------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    ("Image Pixel Size = 2.233 nm", (2.233, 2.233, "nm", "Zeiss CZ_SEM")),
    ("Image Pixel Size = 1.116 µm", (1.116, 1.116, "um", "Zeiss CZ_SEM")),
    ("Image Pixel Size = 558.2 pm", (558.2, 558.2, "pm", "Zeiss CZ_SEM")),
    ("Image Pixel Size = 2,233 nm", (2.233, 2.233, "nm", "Zeiss CZ_SEM")),  # decimal comma
])
def test_zeiss_image_pixel_size(tmp_path: Path, line: str, expected: tuple) -> None:
    text = zeiss_text(("AP_IMAGE_PIXEL_SIZE", line), ("AP_MAG", "Mag = 50.00 K X"),
                      ("DP_IMAGE_STORE", "Store resolution = 1024 * 768"))
    path = tiff_with_tag(tmp_path / "zeiss.tif", CZ_SEM, text)
    assert cal(read_image(path)) == expected


def test_zeiss_field_width_divided_by_image_width(tmp_path: Path) -> None:
    text = zeiss_text(("AP_WIDTH", "Width = 2.048 µm"), ("AP_HEIGHT", "Height = 1.536 µm"))
    path = tiff_with_tag(tmp_path / "zeiss.tif", CZ_SEM, text, shape=(12, 512))
    assert cal(read_image(path)) == (4.0, 4.0, "nm", "Zeiss CZ_SEM (Width / pixels)")


def test_zeiss_pixel_size_is_used_only_at_1024_pixels_wide(tmp_path: Path) -> None:
    text = zeiss_text(("AP_PIXEL_SIZE", "Pixel Size = 4.5 nm"))
    at_1024 = tiff_with_tag(tmp_path / "a.tif", CZ_SEM, text, shape=(4, 1024))
    at_2048 = tiff_with_tag(tmp_path / "b.tif", CZ_SEM, text, shape=(4, 2048))
    assert cal(read_image(at_1024)) == (4.5, 4.5, "nm", "Zeiss CZ_SEM (Pixel Size)")
    assert read_image(at_2048).calibration is None  # its reference frame is uncertain


def test_zeiss_tag_without_any_size_gives_no_calibration(tmp_path: Path) -> None:
    text = zeiss_text(("AP_MAG", "Mag = 50.00 K X"),
                      ("AP_IMAGE_PIXEL_SIZE", "Image Pixel Size = ? nm"))
    assert read_image(tiff_with_tag(tmp_path / "z.tif", CZ_SEM, text)).calibration is None


# ----- FEI / Thermo Fisher -----------------------------------------------------------------
FEI_TEXT = (
    "[User]\r\nDate=03/14/2024\r\nUser=supervisor\r\n"
    "[Beam]\r\nHV=5000\r\nBeam=EBeam\r\n"
    "[Scan]\r\nInternalScan=true\r\nDwelltime=1e-06\r\nPixelWidth=2.5e-09\r\n"
    "PixelHeight=2.5e-09\r\nHorFieldsize=2.56e-06\r\n"
    "[Image]\r\nResolutionX=1024\r\nResolutionY=884\r\n"
)


@pytest.mark.parametrize("tag", [FEI_SFEG, FEI_HELIOS])
def test_fei_pixel_width_in_metres(tmp_path: Path, tag: int) -> None:
    path = tiff_with_tag(tmp_path / "fei.tif", tag, FEI_TEXT)
    assert cal(read_image(path)) == (2.5, 2.5, "nm", "FEI")


def test_fei_ion_beam_section_and_missing_height(tmp_path: Path) -> None:
    path = tiff_with_tag(tmp_path / "fib.tif", FEI_HELIOS, "[IScan]\r\nPixelWidth=1.3e-08\r\n")
    assert cal(read_image(path)) == (13.0, 13.0, "nm", "FEI")


# ----- OME-XML, ImageJ, resolution tags ----------------------------------------------------
def test_ome_physical_size(tmp_path: Path) -> None:
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, np.zeros((3, 5, 6), np.uint16), ome=True, metadata={
        "axes": "ZYX", "PhysicalSizeX": 0.65, "PhysicalSizeY": 0.65, "PhysicalSizeXUnit": "µm",
        "PhysicalSizeYUnit": "µm", "PhysicalSizeZ": 2000, "PhysicalSizeZUnit": "nm"})
    image = read_image(path)
    assert cal(image) == (0.65, 0.65, "um", "OME-XML")
    assert image.calibration is not None and image.calibration.z == 2.0
    assert image.axes == "ZYX"


def test_ome_y_in_another_unit_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ome.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), ome=True, metadata={
        "PhysicalSizeX": 650, "PhysicalSizeXUnit": "nm",
        "PhysicalSizeY": 0.7, "PhysicalSizeYUnit": "µm"})
    assert cal(read_image(path)) == (650.0, 700.0, "nm", "OME-XML")


def test_imagej_unit_and_resolution(tmp_path: Path) -> None:
    path = tmp_path / "fiji.tif"
    tifffile.imwrite(path, np.zeros((4, 5, 6), np.uint16), imagej=True, resolution=(4.0, 4.0),
                     metadata={"unit": "micron", "spacing": 0.5, "axes": "ZYX"})
    image = read_image(path)
    assert cal(image) == (0.25, 0.25, "um", "ImageJ")
    assert image.calibration is not None and image.calibration.z == 0.5


def test_imagej_escaped_micro_sign(tmp_path: Path) -> None:
    path = tmp_path / "fiji.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), imagej=True, resolution=(2.0, 2.0),
                     metadata={"unit": "\\u00B5m"})
    assert cal(read_image(path)) == (0.5, 0.5, "um", "ImageJ")


@pytest.mark.parametrize(("unit", "expected"), [("micron", "um"), ("nm", "nm")])
def test_imagej_one_unit_per_pixel_is_a_calibration(tmp_path: Path, unit: str,
                                                    expected: str) -> None:
    path = tmp_path / "fiji.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), imagej=True, resolution=(1.0, 1.0),
                     metadata={"unit": unit})
    assert cal(read_image(path)) == (1.0, 1.0, expected, "ImageJ")


def test_one_pixel_per_inch_is_no_calibration(tmp_path: Path) -> None:
    path = tmp_path / "default.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), resolution=(1.0, 1.0), resolutionunit="INCH")
    assert read_image(path).calibration is None


def test_centimetre_resolution_tags(tmp_path: Path) -> None:
    path = tmp_path / "res.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), resolution=(1 / 6.5e-5, 1 / 6.5e-5),
                     resolutionunit="CENTIMETER")
    assert cal(read_image(path)) == (650.0, 650.0, "nm", "TIFF resolution")


@pytest.mark.parametrize(("resolution", "unit"), [(1e4, "CENTIMETER"), (25400.0, "INCH")])
def test_one_micrometre_resolution_tags_read_as_1_um(tmp_path: Path, resolution: float,
                                                     unit: str) -> None:
    path = tmp_path / "res.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), resolution=(resolution, resolution),
                     resolutionunit=unit)
    x, y, found_unit, _ = cal(read_image(path))
    assert (found_unit, x, y) == ("um", pytest.approx(1.0, rel=1e-12), pytest.approx(1.0, rel=1e-12))


def test_fei_one_micrometre_pixels_read_as_1_um(tmp_path: Path) -> None:
    path = tiff_with_tag(tmp_path / "fei.tif", FEI_HELIOS,
                         "[Scan]\r\nPixelWidth=1e-06\r\nPixelHeight=1e-06\r\n")
    assert cal(read_image(path)) == (1.0, 1.0, "um", "FEI")


@pytest.mark.parametrize(("metres", "size", "unit"), [
    (1e-6, 1.0, "um"), (1e-9, 1.0, "nm"), (2.5e-9, 2.5, "nm"), (999e-9, 999.0, "nm"),
    (1e-12, 1.0, "pm"), (999.9999e-9, 999.9999, "nm"), (1e-3, 1.0, "mm"),
])
def test_readable_unit_keeps_the_size_below_1000(metres: float, size: float, unit: str) -> None:
    readable = Calibration(metres, metres, "m").readable()
    assert (readable.unit, readable.x) == (unit, pytest.approx(size, rel=1e-12))


@pytest.mark.parametrize(("resolution", "unit"), [
    (72.0, "INCH"), (300.0, "INCH"), (28.3465, "CENTIMETER"), (118.11, "CENTIMETER"),
])
def test_print_resolutions_are_not_calibrations(tmp_path: Path, resolution: float,
                                                unit: str) -> None:
    path = tmp_path / "photo.tif"
    tifffile.imwrite(path, np.zeros((5, 6), np.uint8), resolution=(resolution, resolution),
                     resolutionunit=unit)
    assert read_image(path).calibration is None


def test_broken_ome_xml_does_not_hide_the_pixels(tmp_path: Path) -> None:
    path = tmp_path / "bad.ome.tif"
    tifffile.imwrite(path, np.full((4, 5), 7, np.uint8), description="<OME><Image><Pixels",
                     metadata=None)
    image = read_image(path)
    assert image.calibration is None
    assert image.data.tolist() == np.full((4, 5), 7).tolist()


# ----- pixels ------------------------------------------------------------------------------
def test_palette_tiff_and_png_give_the_index_not_the_colours(tmp_path: Path) -> None:
    index = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    colormap = np.zeros((3, 256), np.uint16)
    colormap[0, :3] = [0, 65535, 30000]
    tifffile.imwrite(tmp_path / "p.tif", index, photometric="palette", colormap=colormap)
    png = PILImage.fromarray(index, mode="L").convert("P")
    png.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    png.save(tmp_path / "p.png")
    for name in ("p.tif", "p.png"):
        image = read_image(tmp_path / name)
        assert (image.axes, image.data.tolist()) == ("YX", index.tolist())


@pytest.mark.parametrize(("mode", "axes", "dtype"), [
    ("L", "YX", np.uint8), ("I;16", "YX", np.uint16), ("RGB", "YXS", np.uint8),
    ("RGBA", "YXS", np.uint8), ("LA", "YX", np.uint8), ("1", "YX", np.bool_),
])
def test_png_modes(tmp_path: Path, mode: str, axes: str, dtype: type) -> None:
    PILImage.new(mode, (4, 3)).save(tmp_path / "x.png")
    image = read_image(tmp_path / "x.png")
    assert (image.axes, image.data.dtype, image.calibration) == (axes, np.dtype(dtype), None)
    assert image.data.shape[:2] == (3, 4)


def test_cmyk_jpeg_reads_as_rgb(tmp_path: Path) -> None:
    PILImage.new("RGB", (4, 3), (200, 200, 200)).convert("CMYK").save(tmp_path / "c.jpg")
    image = read_image(tmp_path / "c.jpg")
    assert image.axes == "YXS" and image.data.shape == (3, 4, 3)
    assert abs(int(image.data[1, 1, 0]) - 200) <= 2


def test_zero_pixel_tiff_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.tif"
    with pytest.warns(UserWarning, match="zero-size array"):
        tifffile.imwrite(path, np.zeros((0, 10), np.uint8))
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value) == (f"{path}: the image has no pixels (shape 0 x 10); re-export it "
                               "from the microscope software or Fiji")


@pytest.mark.parametrize(("name", "kind"), [
    ("scan.czi", "'.czi' files"), ("scan", "files without an extension"),
])
def test_unsupported_files(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"not an image")
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value) == (
        f"{path}: {kind} are not supported; use TIFF, OME-TIFF, PNG or JPEG "
        "(Fiji with Bio-Formats converts other microscope formats to OME-TIFF)"
    )


def test_planar_rgb_is_written_interleaved(tmp_path: Path) -> None:
    planes = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    out = write_image(tmp_path / "rgb.ome.tif",
                      Image(planes, "SYX", Calibration(1.0, 1.0, "um")))
    image = read_image(out)
    assert image.axes == "YXS"
    assert np.array_equal(image.data, np.moveaxis(planes, 0, -1))


def test_pages_without_axis_metadata_are_written_as_pages(tmp_path: Path) -> None:
    pages = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    written = read_image(write_image(tmp_path / "pages.ome.tif", Image(pages, "IYX")))
    assert written.axes == "QYX" and np.array_equal(written.data, pages)
