"""The properties panel on every built-in module: fields, visibility, tooltips, problems, focus."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from lamella.core.manifest import FloatParam, IntParam, load_manifest
from lamella.editor.panels._fields_numbers import NumberBox
from lamella.editor.panels.properties import LIVE_EDIT_DELAY_MS
from tests.editor.builtin import manifest

MODULES = sorted(Path(__file__).parents[2].joinpath("modules").glob("*/module.json"))


def test_there_are_built_in_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.parent.name)
def test_each_module_gets_one_field_per_parameter_in_order(panel, path: Path) -> None:
    module = load_manifest(path)
    panel.show_node("n", module, {})
    assert panel.field_names() == list(module.parameters)
    defaults = module.default_params()
    relevant = [name for name, spec in module.parameters.items()
                if all(defaults.get(k) == v for k, v in (spec.visible_if or {}).items())]
    assert panel.shown_fields() == relevant
    for name, spec in module.parameters.items():
        row = panel.field_row(name)
        assert row is not None and row.is_default
        assert row.field.value() == spec.default, name  # type: ignore[union-attr]
        assert spec.description in row.field.focus_widget().toolTip()
        assert spec.description in row.toolTip()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.parent.name)
def test_spin_box_ranges_are_the_manifest_ranges(panel, path: Path) -> None:
    module = load_manifest(path)
    panel.show_node("n", module, {})
    checked = 0
    for name, spec in module.parameters.items():
        if not isinstance(spec, IntParam | FloatParam):
            continue
        box = panel.field_row(name).field.editor  # type: ignore[union-attr]
        if spec.min is not None:
            assert box.minimum() == spec.min, name
            checked += 1
        if spec.max is not None:
            assert box.maximum() == spec.max, name
            checked += 1
        assert isinstance(box, NumberBox) == isinstance(spec, FloatParam)
    bounded = sum((s.min is not None) + (s.max is not None) for s in module.parameters.values()
                  if isinstance(s, IntParam | FloatParam))
    assert checked == bounded


def test_showing_any_node_reports_nothing(panel, qtbot) -> None:
    values = {"method": "manual", "level": 0.25, "smooth": "auto", "min_area": "30 nm^2",
              "connectivity": 4, "invert": True}
    with qtbot.assertNotEmitted(panel.param_changed, wait=2 * LIVE_EDIT_DELAY_MS), \
            qtbot.assertNotEmitted(panel.param_reset):
        for path in MODULES:
            panel.show_node("n", load_manifest(path), {})
        panel.show_node("t", manifest("threshold"), values)
        panel.set_values({**values, "level": 0.75})
        panel.set_problems({"level": "must be a number"})
    assert panel.field_row("level").field.value() == 0.75  # type: ignore[union-attr]
    assert not panel.field_row("level").is_default  # type: ignore[union-attr]
    assert panel.field_row("classes").is_default  # type: ignore[union-attr]


def test_threshold_level_shows_only_for_the_manual_method(panel, qtbot) -> None:
    panel.show_node("t", manifest("threshold"), {})
    assert "level" not in panel.shown_fields()
    combo = panel.field_row("method").field.editor  # type: ignore[union-attr]
    with qtbot.waitSignal(panel.param_changed) as caught:
        qtbot.keyClick(combo, Qt.Key.Key_End)  # 'manual' is the last method
    assert caught.args == ["t", "method", "manual"]
    assert "level" in panel.shown_fields()
    assert "classes" not in panel.shown_fields()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # sauvola: level hides, window_size and k show
    assert "level" not in panel.shown_fields()
    assert {"window_size", "k"} <= set(panel.shown_fields())


def test_a_field_with_a_problem_is_marked_and_shown_even_when_irrelevant(panel) -> None:
    problems = {"min_area": "must not be negative, got '-3 px^2'", "level": "must be a number",
                "levl": "unknown parameter (did you mean 'level'?)"}
    panel.show_node("t", manifest("threshold"), {"min_area": "-3 px^2"}, problems=problems)
    row = panel.field_row("min_area")
    assert row is not None and row.problem == problems["min_area"]
    assert row.property("problem") is True and "#d32f2f" in row.styleSheet()
    assert not row.problem_label.isHidden() and row.problem_label.text() == problems["min_area"]
    assert "level" in panel.shown_fields()  # method is otsu, but its problem needs fixing
    assert "levl: unknown parameter" in panel.note.text()
    panel.set_problems({})
    assert row.problem is None and row.problem_label.isHidden() and row.styleSheet() == ""
    assert "level" not in panel.shown_fields() and panel.note.isHidden()


def test_focus_field_focuses_the_right_widget(panel, qtbot) -> None:
    panel.show_node("s", manifest("synthetic"), {"rendering": "se"})
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    assert panel.focus_field("noise")
    qtbot.waitUntil(lambda: panel.field_row("noise").field.focus_widget().hasFocus())  # type: ignore[union-attr]
    assert panel.advanced is not None and not panel.advanced.expanded
    assert panel.focus_field("shading")  # advanced: its section unfolds
    qtbot.waitUntil(lambda: panel.field_row("shading").field.focus_widget().hasFocus())  # type: ignore[union-attr]
    assert panel.advanced.expanded
    assert not panel.focus_field("phases")  # only for kind 'phases'
    assert not panel.focus_field("no_such_parameter")


def test_nothing_selected_and_several_selected(panel) -> None:
    panel.show_node("t", manifest("threshold"), {})
    panel.show_nothing("3 nodes selected")
    assert panel.node_id is None and panel.field_names() == []
    assert panel.note.text() == "3 nodes selected"


def test_missing_module_shows_the_raw_values_read_only(panel) -> None:
    panel.show_node("old", None, {"min_distance": "20 nm", "count": 3, "flag": None})
    assert "not installed" in panel.note.text()
    lines = {line.objectName(): line for line in panel.findChildren(QLineEdit)}
    assert lines["raw:min_distance"].text() == '"20 nm"'
    assert lines["raw:count"].text() == "3" and lines["raw:flag"].text() == "null"
    assert all(line.isReadOnly() for line in lines.values())
    assert panel.field_names() == []


def test_advanced_parameters_are_folded_and_counted(panel) -> None:
    panel.show_node("s", manifest("synthetic"), {"rendering": "se"})
    section = panel.advanced
    assert section is not None and not section.expanded and section.box.isHidden()
    assert section.button.text() == "Advanced (6)"  # edge_contrast .. irregular, all relevant
    panel.show_node("s2", manifest("synthetic"), {"kind": "phases"})
    assert panel.advanced is not None and panel.advanced.isHidden()  # none used for phases
    panel.show_node("m", manifest("measure"), {})
    assert panel.advanced is None
