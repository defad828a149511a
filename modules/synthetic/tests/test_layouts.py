"""SEM file layouts: Zeiss palette TIFF with CZ_SEM, FEI/Thermo with FEI_HELIOS, data bars."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import tifffile

from lamella.core.errors import ModuleError
from lamella.core.sdk import read_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
layouts = import_module_file(MODULE_DIR, "layouts")
generate = import_module_file(MODULE_DIR, "generate")
load_image_bars = import_module_file(MODULE_DIR.parent / "load-image", "infobar")
PIXEL_NM = 7.344
RESERVED = list(range(9, 244, 9))  # Zeiss overlay colours (9 ... 234) and white (243)


@pytest.fixture(scope="module")
def micrograph() -> np.ndarray:
    image, _, _ = generate.particles(1024, 768, seed=11, mean_diameter=24, **generate.ZEISS_LIKE)
    image[5, :40] = 255  # make sure the top grey levels occur
    image[6, :243] = np.arange(243)
    return image


def write(tmp_path: Path, image: np.ndarray, layout: str, **options):
    path = tmp_path / f"{layout}.tif"
    written = layouts.write_sem_tiff(path, image, layout=layout, pixel_size_nm=PIXEL_NM,
                                     **options)
    return path, written


def remapped(image: np.ndarray) -> np.ndarray:
    """The micrograph as the Zeiss file stores it: reserved values one level down."""
    out = image.copy()
    out[np.isin(out, RESERVED)] -= 1
    return out


def test_zeiss_file_is_a_smartsem_palette_tiff(tmp_path: Path, micrograph: np.ndarray) -> None:
    path, written = write(tmp_path, micrograph, "zeiss")
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        tags = page.tags
        sem = tif.sem_metadata
        assert (page.shape, page.dtype, page.photometric) == ((768, 1024), np.uint8, 3)
        assert tags["XResolution"].value == tags["YResolution"].value == (1, 1)
        assert tags["ResolutionUnit"].value == 1 and "Software" not in tags
        assert tags[34118].dtype == 2  # ASCII, as SmartSEM writes it
        # The tags of SmartSEM's own files, no more, no fewer.
        assert sorted(tags.keys()) == [254, 256, 257, 258, 259, 262, 273, 277, 278, 279, 282,
                                       283, 296, 320, 34118]
        colormap = page.colormap
    assert sem["ap_image_pixel_size"] == ("Image Pixel Size", 7.344, "nm")
    assert sem["ap_pixel_size"] == ("Pixel Size", 7.344, "nm")
    assert sem["dp_image_store"] == ("Store resolution", "1024 * 768")
    assert sem["ap_width"] == ("Width", 7.52026, "µm")
    grey = np.arange(256) * 257
    plain = [i for i in range(256) if i not in RESERVED]
    assert (colormap[:, plain] == grey[plain]).all()
    assert (colormap[:, 243] == 65535).all()
    assert all(len(set(colormap[:, i])) > 1 for i in RESERVED[:-1])  # colours, not greys
    cal = read_image(path).calibration
    assert (cal.x, cal.unit, cal.source) == (7.344, "nm", "Zeiss CZ_SEM")
    assert (written.bar, written.micrograph_rows) == (slice(712, 766), 712)


def test_zeiss_dark_bar_rows_are_exact(tmp_path: Path, micrograph: np.ndarray) -> None:
    path, _ = write(tmp_path, micrograph, "zeiss")
    pixels = tifffile.imread(path)
    bar = pixels[712:766]
    expected = remapped(micrograph)
    assert np.array_equal(pixels[:712], expected[:712])
    assert np.array_equal(pixels[766:], expected[766:])  # two image rows below the bar
    assert not np.isin(pixels[:712], RESERVED).any() and not np.isin(pixels[766:], RESERVED).any()
    values, counts = np.unique(bar, return_counts=True)
    assert values[np.argmax(counts)] == 0 and bar.max() == 243
    assert ((bar == 0).mean(axis=1) > 0.5).all()  # background stays each row's main value
    assert (bar == 243).sum() > 1000  # text and scale bar
    assert (pixels[711] != 0).mean() > 0.9 and (pixels[766] != 0).mean() > 0.9


def test_zeiss_light_bar_has_black_frame_rows(tmp_path: Path, micrograph: np.ndarray) -> None:
    path, written = write(tmp_path, micrograph, "zeiss-light")
    pixels = tifffile.imread(path)
    assert written.bar == slice(691, 767) and written.micrograph_rows == 691
    assert not pixels[691].any() and not pixels[766].any()
    bar = pixels[692:766]
    values, counts = np.unique(bar, return_counts=True)
    assert values[np.argmax(counts)] == 243 and bar.max() == 243
    assert (bar == 0).sum() > 1000  # black text
    expected = remapped(micrograph)
    assert np.array_equal(pixels[:691], expected[:691])
    assert np.array_equal(pixels[767], expected[767])


@pytest.mark.parametrize(("layout", "scale", "dtype"), [("fei", 1, np.uint8),
                                                         ("fei-16", 256, np.uint16)])
def test_fei_file_appends_the_bar_and_states_it(tmp_path: Path, micrograph: np.ndarray,
                                                layout: str, scale: int, dtype) -> None:
    path, written = write(tmp_path, micrograph, layout)
    with tifffile.TiffFile(path) as tif:
        fei = tif.fei_metadata
        pixels = tif.asarray()
        assert tif.pages.first.photometric == 1 and 34682 in tif.pages.first.tags
    assert pixels.dtype == dtype and pixels.shape == (768 + 58, 1024)
    assert fei["Scan"]["PixelWidth"] == fei["Scan"]["PixelHeight"] == 7.344e-9
    assert (fei["Image"]["ResolutionX"], fei["Image"]["ResolutionY"]) == (1024, 768)
    assert fei["PrivateFei"]["DatabarHeight"] == 58
    assert np.array_equal(pixels[:768], micrograph.astype(dtype) * scale)
    assert (pixels[768] == 252 * scale).all() and (pixels[-1] == 252 * scale).all()
    bar = pixels[769:-1]
    assert ((bar == 0).mean(axis=1) > 0.5).all() and (bar == 255 * scale).sum() > 1000
    assert set(np.unique(bar).tolist()) == {0, 252 * scale, 255 * scale}
    cal = read_image(path).calibration
    assert (cal.x, cal.unit, cal.source) == (7.344, "nm", "FEI")
    assert (written.bar, written.micrograph_rows) == (slice(768, 826), 768)
    # The loader's metadata rule finds exactly this bar.
    assert load_image_bars.bar_rows_from_metadata(path, 826)[0] == 58


def test_plain_file_carries_the_pixel_size_in_resolution_tags(tmp_path: Path,
                                                             micrograph: np.ndarray) -> None:
    path, written = write(tmp_path, micrograph, "plain")
    with tifffile.TiffFile(path) as tif:
        assert tif.sem_metadata is None and tif.fei_metadata is None
        assert np.array_equal(tif.asarray(), micrograph)
    cal = read_image(path).calibration
    assert (cal.x, cal.unit) == (7.344, "nm")
    assert written.bar == slice(768, 768)


def test_same_arguments_same_bytes(tmp_path: Path, micrograph: np.ndarray) -> None:
    for layout in layouts.LAYOUTS:
        first = tmp_path / f"a-{layout}.tif"
        second = tmp_path / f"b-{layout}.tif"
        layouts.write_sem_tiff(first, micrograph, layout=layout, pixel_size_nm=PIXEL_NM, seed=3)
        layouts.write_sem_tiff(second, micrograph, layout=layout, pixel_size_nm=PIXEL_NM, seed=3)
        assert first.read_bytes() == second.read_bytes(), layout


def test_file_labels_are_zero_on_the_bar(tmp_path: Path, micrograph: np.ndarray) -> None:
    labels = np.arange(768 * 1024, dtype=np.uint32).reshape(768, 1024) % 5 + 1
    _, zeiss = write(tmp_path, micrograph, "zeiss")
    _, fei = write(tmp_path, micrograph, "fei")
    on_zeiss, on_fei = zeiss.file_labels(labels), fei.file_labels(labels)
    assert on_zeiss.shape == (768, 1024) and on_fei.shape == (826, 1024)
    assert not on_zeiss[712:766].any() and np.array_equal(on_zeiss[766:], labels[766:])
    assert not on_fei[768:].any() and np.array_equal(on_fei[:768], labels)


def test_scale_bar_is_a_round_length() -> None:
    nice = import_module_file(MODULE_DIR, "vendor_bars").nice_length_nm
    assert [nice(7.344, 1024), nice(2.5, 1024), nice(0.9, 512)] == [1000.0, 500.0, 50.0]


@pytest.mark.parametrize(("layout", "pixel", "message"), [
    ("tiff", 5.0, "layout 'tiff' is unknown; use one of plain, zeiss, zeiss-light, fei, fei-16"),
    ("zeiss", None, "layout 'zeiss' needs pixel_size_nm (its metadata carry it)"),
    ("fei", -1.0, "pixel_size_nm must be positive, got -1.0"),
])
def test_bad_arguments_are_explained(tmp_path: Path, layout: str, pixel, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        layouts.write_sem_tiff(tmp_path / "x.tif", np.zeros((32, 32), np.uint8), layout=layout,
                               pixel_size_nm=pixel)


def test_module_writes_the_layout_to_its_file_port(tmp_path: Path) -> None:
    result = run_module(MODULE_DIR, tmp_path, params={
        "width": 320, "height": 240, "mean_diameter": "20 px", "rendering": "se",
        "pixel_size": "7.344 nm", "file_layout": "fei", "info_bar": True})
    path = result.path("sem_file")
    assert path.name == "sem-fei.tif"
    with tifffile.TiffFile(path) as tif:
        assert tif.asarray().shape == (240 + layouts.bar_rows_for("fei", 240, 320).stop - 240,
                                       320)
        assert tif.fei_metadata["Image"]["ResolutionY"] == 240
    image = result.image("image").data
    assert np.array_equal(tifffile.imread(path)[:240], image[:240])  # without the info bar


def test_module_default_file_is_plain(tmp_path: Path) -> None:
    result = run_module(MODULE_DIR, tmp_path, params={"width": 64, "height": 48,
                                                      "mean_diameter": "10 px"})
    with tifffile.TiffFile(result.path("sem_file")) as tif:
        assert tif.sem_metadata is None and tif.fei_metadata is None
        assert np.array_equal(tif.asarray(), result.image("image").data)


def test_vendor_layout_without_pixel_size_is_refused(tmp_path: Path) -> None:
    message = ("parameter 'file_layout': 'zeiss' writes the pixel size into the file; set "
               "'pixel_size' (e.g. '7.344 nm') or use 'plain'")
    with pytest.raises(ModuleError, match=re.escape(message)):
        run_module(MODULE_DIR, tmp_path, params={"width": 64, "height": 48,
                                                 "mean_diameter": "10 px", "pixel_size": None,
                                                 "file_layout": "zeiss"})
