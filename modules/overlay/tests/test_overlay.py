"""lamella/overlay: outlines exactly on object edges, image untouched elsewhere, scale bar."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from skimage.segmentation import find_boundaries

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
compose = import_module_file(MODULE_DIR, "compose")
scalebar = import_module_file(MODULE_DIR, "scalebar")
NM2 = Calibration(2.0, 2.0, "nm")
PLAIN = {"numbers": False, "scale_bar": False}


def scene() -> tuple[np.ndarray, np.ndarray]:
    """Two touching squares and a disc on a 120 x 200 grey ramp."""
    image = np.tile(np.linspace(10, 250, 200), (120, 1)).astype(np.uint16)
    labels = np.zeros((120, 200), dtype=np.uint16)
    labels[20:50, 20:50] = 1
    labels[20:50, 50:80] = 2
    yy, xx = np.mgrid[:120, :200]
    labels[(yy - 70) ** 2 + (xx - 140) ** 2 <= 20**2] = 7
    return image, labels


def run(tmp_path: Path, image: np.ndarray, labels: np.ndarray, cal: Calibration | None = None,
        image_axes: str = "YX", **params) -> tuple[np.ndarray, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    image_path = write_image(tmp_path / "image.ome.tif", Image(image, image_axes, cal))
    labels_path = write_image(tmp_path / "labels.ome.tif", Image(labels, "YX", cal))
    result = run_module(MODULE_DIR, tmp_path, inputs={"image": image_path, "labels": labels_path},
                        params=params)
    png, svg = result.outputs["plot"]
    assert (png.name, svg.name) == ("plot.png", "plot.svg")
    with PILImage.open(png) as picture:
        rgb = np.asarray(picture.convert("RGB"))
    return rgb, svg.read_text(encoding="utf-8")


def test_outlines_are_exactly_the_inner_boundaries(tmp_path: Path) -> None:
    image, labels = scene()
    rgb, _ = run(tmp_path, image, labels, colours="single", colour="#ff0000", **PLAIN)
    edge = find_boundaries(labels, connectivity=1, mode="inner", background=0)
    assert edge.sum() == 116 + 116 + edge[:, 100:].sum() and edge[:, 100:].sum() > 100
    assert (rgb[edge] == [255, 0, 0]).all()
    grey = compose.stretch_to_uint8(image)
    assert (rgb[~edge] == grey[~edge][:, None]).all()  # everything else is the stretched image
    assert grey[:, 0].max() == 0 and grey[:, -1].min() == 255


def test_distinct_colours_one_per_object(tmp_path: Path) -> None:
    image, labels = scene()
    rgb, _ = run(tmp_path, image, labels, **PLAIN)
    edge = find_boundaries(labels, connectivity=1, mode="inner", background=0)
    colours = {}
    for label in (1, 2, 7):
        found = np.unique(rgb[edge & (labels == label)], axis=0)
        assert len(found) == 1
        colours[label] = tuple(found[0])
    assert len(set(colours.values())) == 3


def test_scale_bar_when_calibrated(tmp_path: Path) -> None:
    image, labels = scene()
    rgb, svg = run(tmp_path, image, labels, cal=NM2, numbers=False)
    # 200 px x 2 nm = 400 nm across; a fifth is 80 nm, so the bar is 50 nm = 25 px.
    assert '<g id="scale-bar">' in svg and ">50 nm</text>" in svg
    assert re.search(r'<rect x="[\d.]+" y="[\d.]+" width="25.00" height="2.0" fill="white"/>', svg)
    bar = scalebar.scale_bar(NM2, 200, 120)
    left, _, right, _ = (round(v) for v in bar.box)
    row = rgb[int(bar.y), left:right]
    assert (row[0] == 0).all() and (row[-1] == 0).all()  # on the dark box
    white = np.flatnonzero((row == 255).all(axis=1)) + left
    assert (white.min(), white.max()) == (round(bar.x), round(bar.x) + 24)


def test_no_scale_bar_without_calibration(tmp_path: Path) -> None:
    image, labels = scene()
    _, svg = run(tmp_path, image, labels, numbers=False)
    assert "scale-bar" not in svg


def test_label_numbers_for_few_objects_only(tmp_path: Path) -> None:
    image, labels = scene()
    _, svg = run(tmp_path / "few", image, labels, scale_bar=False)
    assert re.findall(r"<text[^>]*>(\d+)</text>", svg) == ["1", "2", "7"]
    assert '<text x="34.5" y="34.5">1</text>' in svg  # centroid of the first square
    _, svg = run(tmp_path / "many", image, labels, scale_bar=False, max_numbers=2)
    assert "label-numbers" not in svg


def test_svg_embeds_the_overlay_without_extras(tmp_path: Path) -> None:
    image, labels = scene()
    rgb, svg = run(tmp_path, image, labels, cal=NM2)
    data = re.search(r'href="data:image/png;base64,([^"]+)"', svg)[1]
    (tmp_path / "embedded.png").write_bytes(base64.b64decode(data))
    with PILImage.open(tmp_path / "embedded.png") as picture:
        embedded = np.asarray(picture)
    assert embedded.shape == (120, 200, 3)
    assert (embedded == compose.compose(image, labels)).all()
    assert not (embedded == rgb).all()  # the PNG has numbers and bar burnt in
    assert 'width="200" height="120" viewBox="0 0 200 120"' in svg


def test_rgb_image_keeps_its_colours(tmp_path: Path) -> None:
    _, labels = scene()
    colour = np.zeros((120, 200, 3), dtype=np.uint8)
    colour[..., 0], colour[..., 2] = 200, 50
    colour[0, 0] = (0, 0, 0)
    colour[0, 1] = (255, 255, 255)
    rgb, _ = run(tmp_path, colour, labels, image_axes="YXS", **PLAIN)
    edge = find_boundaries(labels, connectivity=1, mode="inner", background=0)
    assert (rgb[~edge][2:] == compose.stretch_to_uint8(colour)[~edge][2:]).all()
    assert rgb[60, 10, 0] > rgb[60, 10, 2]


def test_size_mismatch_is_explained(tmp_path: Path) -> None:
    image, labels = scene()
    with pytest.raises(ModuleError) as error:
        run(tmp_path, image, labels[:100], **PLAIN)
    assert str(error.value) == ("input 'labels' is 200 x 100 pixels but input 'image' is "
                                "200 x 120; connect the labels that were made from this image")


def test_stack_is_refused(tmp_path: Path) -> None:
    image, labels = scene()
    with pytest.raises(ModuleError, match=re.escape("input 'image' has axes ZYX; overlay draws")):
        run(tmp_path, np.stack([image, image]), labels, image_axes="ZYX", **PLAIN)


def test_round_scale_lengths() -> None:
    assert scalebar.nice_length(409.6) == 200
    bar = scalebar.scale_bar(Calibration(2.0, 2.0, "nm"), 8192, 8192)
    assert (bar.value, bar.unit, bar.pixels, bar.text) == (2.0, "um", 1000.0, "2 µm")
    bar = scalebar.scale_bar(Calibration(0.5, 0.5, "um"), 100, 100)
    assert (bar.value, bar.unit, bar.text) == (10.0, "um", "10 µm")


@pytest.mark.parametrize("block_values", [7, 64, 10_000_000])
def test_outlines_in_row_blocks_equal_the_whole_image_result(monkeypatch: pytest.MonkeyPatch,
                                                             block_values: int) -> None:
    # Tiny blocks (one row at a time) must give exactly what one whole-image pass gives.
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 6, size=(37, 29)).astype(np.int32)
    labels[10:25, 5:20] = 9  # one large object spanning many blocks
    monkeypatch.setattr(compose, "_BLOCK_VALUES", block_values)
    expected = find_boundaries(labels, connectivity=1, mode="inner", background=0)
    assert np.array_equal(compose.outlines(labels), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32])
def test_stretch_by_table_or_blocks_equals_direct_arithmetic(monkeypatch: pytest.MonkeyPatch,
                                                             dtype: type) -> None:
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    low, high = (info.min, info.max) if info and info.bits <= 16 else (-3000, 3000)
    data = np.random.default_rng(5).integers(low, high, size=(41, 23), endpoint=True).astype(dtype)
    monkeypatch.setattr(compose, "_BLOCK_VALUES", 50)  # several blocks for the float path
    p_low, p_high = np.percentile(data, compose.STRETCH_PERCENTILES)
    direct = (data.astype(np.float32) - np.float32(p_low)) * np.float32(255.0 / (p_high - p_low))
    expected = np.clip(np.rint(direct), 0, 255).astype(np.uint8)
    stretched = compose.stretch_to_uint8(data)
    assert stretched.dtype == np.uint8
    assert np.array_equal(stretched, expected)
    assert stretched.min() == 0 and stretched.max() == 255


def test_the_png_font_has_the_micro_sign() -> None:
    draw = import_module_file(MODULE_DIR, "draw")
    font = draw._font(20)
    assert Path(font.path) == MODULE_DIR / "fonts" / "DejaVuSans.ttf"
    micro, missing = (np.asarray(font.getmask(text)) for text in ("µ", "\u0378"))
    # A font without the glyph draws its 'missing' box for both.
    assert micro.shape != missing.shape or not np.array_equal(micro, missing)


def test_micrometre_scale_bar_label(tmp_path: Path) -> None:
    image, labels = scene()
    _, svg = run(tmp_path, image, labels, cal=Calibration(0.05, 0.05, "um"), numbers=False)
    # 200 px x 0.05 um = 10 um across; a fifth is 2 um.
    assert ">2 µm</text>" in svg
