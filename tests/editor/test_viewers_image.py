"""The image viewer's rendered pixels: overlays, opacity, contrast, channels, zoom."""

from __future__ import annotations

import numpy as np
import pytest

from lamella.core.sdk import Calibration, Image
from lamella.editor.viewers import ImageViewer
from lamella.editor.viewers._colours import MASK_COLOUR, PROBABILITY_LUT, label_colours
from lamella.modules.overlay.compose import outline_colours

pytestmark = pytest.mark.qt

GREY = 100
LABELS = np.array([[0, 0, 1, 1],
                   [0, 0, 1, 1],
                   [2, 2, 0, 0],
                   [2, 2, 0, 0]], dtype=np.uint16)


def pixel(viewer: ImageViewer, x: int, y: int) -> tuple[int, int, int]:
    colour = viewer.rendered_image().pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def grey_image(value: int = GREY, shape: tuple[int, int] = (4, 4)) -> Image:
    return Image(np.full(shape, value, dtype=np.uint8), "YX", name="grey.tif")


@pytest.fixture
def viewer(qtbot) -> ImageViewer:
    widget = ImageViewer()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    return widget


def test_label_zero_is_transparent_and_two_labels_differ(viewer):
    viewer.set_image(grey_image())
    viewer.set_overlay(LABELS, "labels", opacity=0.5)
    assert pixel(viewer, 0, 0) == (GREY, GREY, GREY)
    assert pixel(viewer, 3, 3) == (GREY, GREY, GREY)
    one, two = pixel(viewer, 2, 0), pixel(viewer, 0, 2)
    assert one != two
    assert (GREY, GREY, GREY) not in (one, two)
    for (x, y), label in (((2, 0), 1), ((0, 2), 2)):
        expected = np.rint(GREY * 0.5 + label_colours([label])[0] * 0.5)
        assert np.abs(np.array(pixel(viewer, x, y)) - expected).max() <= 1


def test_full_opacity_shows_the_saved_overlay_colours(viewer):
    viewer.set_image(grey_image())
    viewer.set_overlay(LABELS, "labels", opacity=1.0)
    assert pixel(viewer, 2, 1) == tuple(outline_colours(np.array([1]))[0])
    assert pixel(viewer, 1, 3) == tuple(outline_colours(np.array([2]))[0])


def test_opacity_zero_shows_the_image_unchanged(viewer):
    ramp = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    viewer.set_image(Image(ramp, "YX"))
    viewer.set_overlay(LABELS, "labels", opacity=0.7)
    assert pixel(viewer, 2, 0) != (ramp[0, 2],) * 3
    viewer.set_opacity(0.0)
    for y in range(4):
        for x in range(4):
            assert pixel(viewer, x, y) == (ramp[y, x],) * 3
    assert viewer.overlay_controls.slider.value() == 0


def test_mask_is_one_colour_where_set(viewer):
    viewer.set_image(grey_image())
    mask = (LABELS > 0).astype(np.uint8) * 255
    viewer.set_overlay(mask, "mask", opacity=1.0)
    assert pixel(viewer, 2, 0) == pixel(viewer, 0, 3) == MASK_COLOUR
    assert pixel(viewer, 0, 0) == (GREY, GREY, GREY)


def test_probabilities_use_the_colour_map_per_class(viewer):
    probabilities = np.zeros((2, 4, 4), dtype=np.float32)
    probabilities[0, 0, 0], probabilities[0, 0, 1] = 0.0, 1.0
    probabilities[1, 0, 0] = 0.5
    viewer.set_image(grey_image())
    viewer.set_overlay(probabilities, "probabilities", opacity=1.0)
    assert pixel(viewer, 0, 0) == (68, 1, 84)
    assert pixel(viewer, 1, 0) == (253, 231, 37)
    assert viewer.overlay_controls.classes.count() == 2
    assert "probability 0 (dark purple) to 1 (yellow)" in viewer.overlay_controls.legend.text()
    viewer.overlay_controls.classes.setCurrentIndex(1)
    assert pixel(viewer, 0, 0) == tuple(PROBABILITY_LUT[128])
    assert "probability 0.5" in viewer.hover_text_at(0, 0)


def test_labels_alone_are_coloured_on_black(viewer):
    viewer.set_overlay(LABELS, "labels", opacity=1.0)
    assert pixel(viewer, 0, 0) == (0, 0, 0)
    assert pixel(viewer, 2, 0) == tuple(label_colours([1])[0])
    assert viewer.hover_text_at(2, 0) == "x 2, y 0; label 1"


def test_sixteen_bit_display_range_maps_known_values(viewer):
    values = np.array([[0, 1000, 2000, 3000, 4000, 65535]], dtype=np.uint16)
    viewer.set_image(Image(values, "YX"))
    viewer.set_display_range(1000, 3000)
    shown = [pixel(viewer, x, 0)[0] for x in range(6)]
    assert shown == [0, 0, 128, 255, 255, 255]
    assert viewer.contrast.low.value() == 1000
    assert not viewer.contrast.auto.isChecked()


def test_sixteen_bit_starts_with_percentile_contrast(viewer):
    ramp = (np.arange(1000 * 10, dtype=np.uint16) % 1000 + 1000).reshape(100, 100)
    viewer.set_image(Image(ramp, "YX"))
    low, high = viewer.display_range()
    assert low == pytest.approx(1000 + 0.005 * 999, abs=0.01)
    assert high == pytest.approx(1000 + 0.995 * 999, abs=0.01)
    assert viewer.contrast.auto.isChecked()
    dark, bright = np.unravel_index(ramp.argmin(), ramp.shape), np.unravel_index(ramp.argmax(), ramp.shape)
    assert pixel(viewer, int(dark[1]), int(dark[0]))[0] == 0
    assert pixel(viewer, int(bright[1]), int(bright[0]))[0] == 255


def test_typing_a_range_then_auto_again(viewer):
    ramp = np.linspace(0.0, 1.0, 64, dtype=np.float32).reshape(8, 8)
    viewer.set_image(Image(ramp, "YX"))
    viewer.contrast.high.setValue(0.5)
    assert viewer.display_range()[1] == pytest.approx(0.5)
    assert pixel(viewer, 7, 7)[0] == 255 and pixel(viewer, 0, 4)[0] == 255
    viewer.contrast.auto.setChecked(True)
    assert viewer.display_range()[1] == pytest.approx(np.percentile(ramp, 99.5))


def test_eight_bit_shows_full_range(viewer):
    viewer.set_image(Image(np.array([[0, 17, 255]], dtype=np.uint8), "YX"))
    assert viewer.display_range() == (0.0, 255.0)
    assert [pixel(viewer, x, 0)[0] for x in range(3)] == [0, 17, 255]


def test_channels_are_chosen_not_mixed(viewer):
    data = np.stack([np.full((3, 5), 10, np.uint8), np.full((3, 5), 200, np.uint8)])
    viewer.set_image(Image(data, "CYX"))
    combo = viewer.planes.combos["C"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["Channel 0", "Channel 1"]
    assert pixel(viewer, 0, 0) == (10, 10, 10)
    combo.setCurrentIndex(1)
    assert pixel(viewer, 4, 2) == (200, 200, 200)
    assert "value 200" in viewer.hover_text_at(4, 2)


def test_rgb_is_shown_in_colour(viewer):
    data = np.zeros((2, 2, 3), dtype=np.uint8)
    data[0, 0] = (255, 0, 0)
    data[1, 1] = (0, 0, 255)
    viewer.set_image(Image(data, "YXS"))
    assert pixel(viewer, 0, 0) == (255, 0, 0) and pixel(viewer, 1, 1) == (0, 0, 255)
    assert viewer.planes.combos == {}
    assert "value (255, 0, 0)" in viewer.hover_text_at(0, 0)


def test_status_shows_pixel_size_and_scale(viewer):
    image = Image(np.zeros((200, 300), np.uint16), "YX", Calibration(2.5, 2.5, "nm"), name="p.tif")
    viewer.set_image(image)
    viewer.view.actual_size()
    assert viewer.status_text() == ("p.tif  300 x 200 px, uint16  pixel 2.5 nm  "
                                    "scale 200 nm = 80 screen px  zoom 100%")
    viewer.set_image(Image(np.zeros((20, 30), np.uint8), "YX"))
    assert "no pixel size" in viewer.status_text()


def test_wheel_zooms_and_one_to_one_resets(viewer, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.set_image(Image(np.zeros((64, 64), np.uint8), "YX"))
    viewer.view.actual_size()
    centre = QPointF(viewer.view.viewport().rect().center())
    event = QWheelEvent(centre, viewer.view.mapToGlobal(centre), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewer.view.viewport(), event)
    assert viewer.view.zoom() == pytest.approx(1.25 ** 2)
    assert "zoom 156%" in viewer.status_text()
    viewer.view.actual_size()
    assert viewer.view.zoom() == 1.0


def test_an_overlay_of_another_size_is_refused_in_one_line(viewer):
    viewer.set_image(grey_image(shape=(4, 4)))
    viewer.set_overlay(np.zeros((5, 4), np.uint16), "labels")
    assert viewer.message() == ("the labels overlay is 4 x 5 px but the image is 4 x 4 px; "
                                "show the labels made from this image")
    assert pixel(viewer, 0, 0) == (GREY, GREY, GREY)
    viewer.set_overlay(np.full((4, 4), 0.5), "labels")
    assert "fractional" in viewer.message()


def test_a_large_image_renders_whole(viewer):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 60000, (2048, 2048), dtype=np.uint16)
    labels = np.zeros((2048, 2048), np.uint32)
    labels[1000:1100, 1500:1600] = 70000
    viewer.set_image(Image(data, "YX"))
    viewer.set_overlay(labels, "labels", opacity=1.0)
    assert viewer.rendered_image().width() == viewer.rendered_image().height() == 2048
    assert pixel(viewer, 1550, 1050) == tuple(label_colours([70000])[0])


def test_a_rerun_of_the_same_output_keeps_the_users_range_and_channel(viewer):
    data = np.zeros((2, 4, 4), dtype=np.uint16)
    viewer.set_image(Image(data, "CYX"))
    viewer.set_plane("C", 1)
    viewer.set_display_range(10, 500)
    viewer.set_image(Image(data + 7, "CYX"))
    assert viewer.display_range() == (10.0, 500.0)
    assert viewer.planes.combos["C"].currentIndex() == 1
    assert viewer.display.position == {"C": 1}
    viewer.set_image(Image(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4), "YX"))
    assert viewer.contrast.auto.isChecked()
    assert viewer.planes.combos == {}


def test_an_image_without_rows_and_columns_is_one_line(viewer):
    viewer.set_image(Image(np.zeros((3, 4), np.uint8), "ZC", name="odd.tif"))
    assert viewer.message() == "odd.tif: the image has axes 'ZC' without rows and columns (Y, X)"
    assert viewer.rendered_image().isNull()
