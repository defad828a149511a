"""User edits in the properties panel: what is reported, when, and in which type."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lamella.core.manifest import manifest_from_dict
from lamella.editor.panels.properties import LIVE_EDIT_DELAY_MS, PropertiesPanel
from tests.editor.builtin import manifest


@pytest.fixture
def reports(panel) -> list[tuple]:
    got: list[tuple] = []
    panel.param_changed.connect(lambda *args: got.append(args))
    panel.param_reset.connect(lambda *args: got.append(("reset", *args)))
    return got


def field(panel: PropertiesPanel, name: str):  # type: ignore[no-untyped-def]
    row = panel.field_row(name)
    assert row is not None, name
    return row.field


def type_in(qtbot, box, text: str) -> None:  # type: ignore[no-untyped-def]
    """Select what the spin box shows, type ``text`` and press Enter, as a user does."""
    line = box.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_typing_a_float_reports_a_float_once_on_enter(panel, qtbot, reports) -> None:
    panel.show_node("t", manifest("threshold"), {"method": "manual"})
    box = field(panel, "level").editor
    line = box.lineEdit()
    line.selectAll()
    with qtbot.assertNotEmitted(panel.param_changed, wait=3 * LIVE_EDIT_DELAY_MS):
        qtbot.keyClicks(line, "0.75")  # typing alone reports nothing: '0.' is no value to preview
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert reports == [("t", "level", 0.75)]
    assert type(reports[0][2]) is float
    box.editingFinished.emit()  # leaving the field again: the same value is not reported twice
    assert len(reports) == 1
    assert not panel.field_row("level").is_default  # type: ignore[union-attr]


def test_typing_an_int_reports_an_int(panel, qtbot, reports) -> None:
    panel.show_node("s", manifest("synthetic"), {})
    type_in(qtbot, field(panel, "width").editor, "640")
    assert reports == [("s", "width", 640)] and type(reports[0][2]) is int


def test_stepping_reports_after_a_pause_for_live_preview(panel, qtbot, reports) -> None:
    panel.show_node("t", manifest("threshold"), {"method": "sauvola", "k": 0.2})
    box = field(panel, "k").editor
    box.stepBy(1)
    box.stepBy(1)
    assert reports == []  # held arrows: nothing yet, the timer has not run
    with qtbot.waitSignal(panel.param_changed, timeout=20 * LIVE_EDIT_DELAY_MS) as caught:
        pass
    assert caught.args == ["t", "k", 0.22]  # one report for both steps, no 0.22000000000000003
    box.stepBy(1)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter does not wait for the pause
    assert reports[-1] == ("t", "k", 0.23)
    qtbot.wait(2 * LIVE_EDIT_DELAY_MS)
    assert len(reports) == 2  # the pending step was that same value: no second report


def test_quantity_unit_change_converts_and_writes_the_new_unit(panel, qtbot, reports) -> None:
    panel.show_node("w", manifest("watershed"), {"min_distance": "20 nm"})
    quantity = field(panel, "min_distance")
    assert (quantity.number.text(), quantity.unit_box.currentText()) == ("20", "nm")
    quantity.unit_box.setCurrentIndex(quantity.unit_box.findData("um"))  # the user picks µm
    assert quantity.unit_box.currentText() == "µm" and quantity.number.text() == "0.02"
    assert reports == [("w", "min_distance", "0.02 um")]
    quantity.unit_box.setCurrentIndex(quantity.unit_box.findData("mm"))
    assert reports[-1] == ("w", "min_distance", "2e-05 mm")
    type_in(qtbot, quantity.number, "0.5")
    assert reports[-1] == ("w", "min_distance", "0.5 mm")


def test_area_units_convert_by_the_square(panel, reports) -> None:
    panel.show_node("f", manifest("filter-objects"), {"min_area": "500 nm^2"})
    area = field(panel, "min_area")
    assert [area.unit_box.itemText(i) for i in range(area.unit_box.count())] == \
        ["px²", "nm²", "µm²", "mm²"]
    area.unit_box.setCurrentIndex(area.unit_box.findData("um"))
    assert reports == [("f", "min_area", "0.0005 um^2")]


def test_pixels_and_metric_units_keep_the_number(panel, reports) -> None:
    panel.show_node("w", manifest("watershed"), {"smooth": "3 px"})
    smooth = field(panel, "smooth")
    smooth.unit_box.setCurrentIndex(smooth.unit_box.findData("nm"))
    assert reports == [("w", "smooth", "3 nm")]


def test_physical_quantities_offer_no_pixels_and_other_units_are_kept(panel) -> None:
    panel.show_node("l", manifest("load-image"), {"pixel_size": "25 A"})
    size = field(panel, "pixel_size")
    units = [size.unit_box.itemData(i) for i in range(size.unit_box.count())]
    assert "px" not in units and units[-1] == "A" and size.unit_box.currentText() == "Å"
    assert size.value() == "25 A"


def test_auto_box_writes_auto_and_greys_the_number(panel, reports) -> None:
    panel.show_node("w", manifest("watershed"), {"markers": "h-maxima"})
    h = field(panel, "h")
    assert h.value() == "2 px" and h.editor.isEnabled()
    h.auto_box.click()
    assert reports == [("w", "h", "auto")] and not h.editor.isEnabled()
    h.auto_box.click()
    assert reports[-1] == ("w", "h", "2 px") and h.editor.isEnabled()


def test_auto_default_shows_checked_and_unchecking_writes_a_number(panel, reports) -> None:
    panel.show_node("h", manifest("histogram"), {})
    bins = field(panel, "bins")
    assert bins.auto_box.isChecked() and not bins.editor.isEnabled()
    bins.auto_box.click()
    assert reports == [("h", "bins", 1)] and type(reports[0][2]) is int  # the smallest allowed


def test_not_set_box_writes_null(panel, reports) -> None:
    panel.show_node("l", manifest("load-image"), {"channel": 1})
    channel = field(panel, "channel")
    assert not channel.empty_box.isChecked()
    channel.empty_box.click()
    assert reports == [("l", "channel", None)] and not channel.editor.isEnabled()


def test_enum_reports_the_choice_in_its_own_type(panel, qtbot, reports) -> None:
    panel.show_node("w", manifest("watershed"), {})
    combo = field(panel, "connectivity").editor
    assert combo.currentText() == "8"
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    assert reports == [("w", "connectivity", 4)] and type(reports[0][2]) is int


def test_bool_reports_a_bool(panel, reports) -> None:
    panel.show_node("t", manifest("threshold"), {})
    field(panel, "invert").editor.click()
    assert reports == [("t", "invert", True)]


def test_nullable_text_left_empty_is_null(panel, qtbot, reports) -> None:
    panel.show_node("b", manifest("bar-chart"), {"title": "Phases"})
    line = field(panel, "title").line
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert reports == [("b", "title", None)]


def test_reset_asks_for_the_default_and_shows_it(panel, qtbot, reports) -> None:
    panel.show_node("t", manifest("threshold"), {"method": "manual", "level": 0.8})
    row = panel.field_row("level")
    assert row is not None and not row.is_default and row.reset_button.isEnabled()
    qtbot.mouseClick(row.reset_button, Qt.MouseButton.LeftButton)
    assert reports == [("reset", "t", "level")]
    assert row.is_default and row.field.value() == 0.5 and not row.default_marker.isHidden()
    panel.field_row("method").reset_button.click()  # type: ignore[union-attr]
    assert "level" not in panel.shown_fields()  # back to otsu


def test_a_value_the_field_cannot_show_is_named_and_kept(panel, reports) -> None:
    panel.show_node("t", manifest("threshold"), {"method": "manual", "level": "high"})
    row = panel.field_row("level")
    assert row is not None and "'high'" in row.note.text() and not row.note.isHidden()
    row.field.editor.editingFinished.emit()  # leaving the field is not an edit
    panel.show_node("f", manifest("filter-objects"), {"min_area": "-3 px^2"})
    assert "'-3 px^2'" in panel.field_row("min_area").note.text()  # type: ignore[union-attr]
    assert reports == []


PICKER = {
    "id": "lab/apply-model", "version": "1.0.0", "name": "Apply model",
    "category": "Segmentation", "description": "Segment with a trained model.",
    "inputs": {"image": {"type": "image"}}, "outputs": {"mask": {"type": "mask"}},
    "parameters": {
        "weights": {"type": "string", "format": "file", "default": "model.pt",
                    "description": "Trained weights."},
        "cache": {"type": "string", "format": "folder", "default": "",
                  "description": "Where downloads are kept."},
        "name": {"type": "string", "default": "unet", "description": "Model name."},
    },
}


def test_file_and_folder_parameters_get_a_picker(panel, reports) -> None:
    panel.show_node("m", manifest_from_dict(PICKER), {})
    weights, cache, name = (field(panel, n) for n in ("weights", "cache", "name"))
    assert weights.picker is not None and cache.picker is not None and name.picker is None
    assert "file" in weights.picker.toolTip() and "folder" in cache.picker.toolTip()
    weights.choose_path("/data/models/unet-v2.pt")  # what the dialog's answer goes through
    assert reports == [("m", "weights", "/data/models/unet-v2.pt")]
    assert weights.line.text() == "/data/models/unet-v2.pt"


def test_a_required_parameter_says_so_until_set(panel, qtbot, reports) -> None:
    data = {**PICKER, "parameters": {"tiles": {"type": "int", "min": 1, "max": 64,
                                               "description": "Tiles per side."}}}
    panel.show_node("m", manifest_from_dict(data), {})
    row = panel.field_row("tiles")
    assert row is not None and "Required" in row.note.text() and not row.note.isHidden()
    assert not row.reset_button.isEnabled()  # no default to go back to
    type_in(qtbot, row.field.editor, "4")
    assert reports == [("m", "tiles", 4)] and row.note.isHidden()
    panel.show_node("m", manifest_from_dict(data), {"tiles": 4})
    assert row.note.isHidden() and not row.is_default
