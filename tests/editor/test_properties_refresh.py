"""Showing a node again (the model answers each edit so) keeps what the user is doing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lamella.editor.panels.properties import LIVE_EDIT_DELAY_MS, PropertiesPanel
from tests.editor.builtin import manifest


@pytest.fixture
def reports(panel) -> list[tuple]:
    got: list[tuple] = []
    panel.param_changed.connect(lambda *args: got.append(args))
    return got


def field(panel: PropertiesPanel, name: str):  # type: ignore[no-untyped-def]
    row = panel.field_row(name)
    assert row is not None, name
    return row.field


def test_a_pending_step_goes_to_its_node_when_another_is_shown(panel, reports) -> None:
    panel.show_node("t1", manifest("threshold"), {"method": "sauvola"})
    field(panel, "window_size").editor.stepBy(1)
    panel.show_node("t2", manifest("threshold"), {})
    assert reports == [("t1", "window_size", 16)]


def test_showing_the_same_node_again_keeps_an_unfinished_edit(panel, qtbot, reports) -> None:
    threshold = manifest("threshold")
    panel.show_node("t", threshold, {"method": "manual"})
    row = panel.field_row("level")
    line = field(panel, "level").editor.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "0.9")  # not finished yet
    panel.show_node("t", threshold, {"method": "manual", "invert": True})  # another change
    assert panel.field_row("level") is row and line.text() == "0.9"
    assert field(panel, "invert").value() is True and not panel.field_row("invert").is_default  # type: ignore[union-attr]
    assert reports == []
    qtbot.keyClick(field(panel, "level").editor, Qt.Key.Key_Return)
    assert reports == [("t", "level", 0.9)]
    panel.show_node("t", threshold, {"method": "manual", "level": 0.3})  # an undo
    assert line.text() == "0.3" and panel.field_row("invert").is_default  # type: ignore[union-attr]
    assert len(reports) == 1


def test_edits_survive_a_model_that_shows_the_node_after_each_change(panel, qtbot) -> None:
    # The window answers every reported edit by showing the node again, from its model.
    threshold, stored = manifest("threshold"), {"method": "sauvola"}
    seen: list[tuple] = []

    def apply(node: str, name: str, value: object) -> None:
        seen.append((name, value))
        stored[name] = value
        panel.show_node(node, threshold, dict(stored))

    panel.param_changed.connect(apply)
    panel.show_node("t", threshold, dict(stored))
    box = field(panel, "k").editor
    box.stepBy(1)
    with qtbot.waitSignal(panel.param_changed, timeout=20 * LIVE_EDIT_DELAY_MS):
        pass
    box.stepBy(1)  # the same spin box: the panel was not rebuilt under the user's hand
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert seen == [("k", 0.21), ("k", 0.22)]
    assert field(panel, "k").editor is box and box.text() == "0.22"
