"""(g) The editor: opening a large workflow, UI responsiveness during runs, preview refresh.

Three figures, each in one process with Qt offscreen (no display is needed; rendering to
the offscreen surface still happens):

- **Opening a 200-node workflow** (a chain of 199 denoise steps after a synthetic image,
  with a saved layout): the editor (ruamel.yaml round-trip parse, validation against the
  modules, the canvas drawing every node, port and wire) against raw NodeGraphQt creating
  the same nodes, ports and wires through its own API (no file, no validation): the
  baseline a hand-written NodeGraphQt tool would pay. Ratio per round, median.
- **UI event-loop latency** while a run and while a preview compute: a 10 ms Qt timer in
  the window's event loop; latency is how late each tick fires. 99th percentile.
- **Preview refresh** after a threshold change on a 1024 x 1024 image in a warm session:
  from the parameter change to the new mask in the viewer, including the 250 ms debounce.
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
import time
from pathlib import Path

from _common import CACHES, WORKFLOW, Config, Row, Section, Spread, fresh_dir, synthetic_image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets

NODES, QUICK_NODES = 200, 20
SIZE, QUICK_SIZE = 1024, 256
OPEN_TARGET, LATENCY_TARGET_MS, PREVIEW_TARGET_S = 1.2, 100.0, 1.5


def chain_workflow(path: Path, nodes: int) -> Path:
    """A workflow of one synthetic image and ``nodes - 1`` denoise steps in a chain."""
    lines = ["lamella: 1", "name: long-chain", "nodes:", "  n0: {module: lamella/synthetic@1}"]
    for i in range(1, nodes):
        lines.append(f"  n{i}: {{module: lamella/denoise@1, in: {{image: n{i - 1}.image}}}}")
    lines.append("layout:")
    lines += [f"  n{i}: [{(i % 20) * 220}, {(i // 20) * 160}]" for i in range(nodes)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _app() -> QtWidgets.QApplication:
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])  # type: ignore[return-value]


def open_in_editor(path: Path) -> float:
    """Seconds to open ``path`` in the editor's model and draw it on a canvas."""
    from lamella.core.catalog import Catalog
    from lamella.editor.canvas import Canvas
    from lamella.editor.model import EditorModel

    catalog = Catalog.discover()
    started = time.perf_counter()
    model = EditorModel.open(path, catalog)
    canvas = Canvas(model)
    canvas.widget.show()
    _app().processEvents()
    seconds = time.perf_counter() - started
    assert len(canvas.drawn_wires()) == len(model.wires()) == len(model.node_ids()) - 1
    canvas.widget.close()
    canvas.close()
    return seconds


def open_raw(nodes: int) -> float:
    """Seconds for NodeGraphQt alone to create the same nodes, ports and wires."""
    from NodeGraphQt import BaseNode, NodeGraph

    class Step(BaseNode):  # type: ignore[misc]
        __identifier__ = "bench"
        NODE_NAME = "step"

    started = time.perf_counter()
    graph = NodeGraph()
    graph.register_node(Step)
    made = []
    for i in range(nodes):
        node = graph.create_node("bench.Step", name=f"n{i}", selected=False,
                                 pos=[(i % 20) * 220, (i // 20) * 160], push_undo=False)
        if i:
            node.add_input("image")
        node.add_output("image")
        # Ports added to a created node leave its item at the size of a node without
        # ports: redrawing it is part of drawing the same node (the editor does the same).
        node.view.draw_node()
        made.append(node)
    for before, after in itertools.pairwise(made):
        before.outputs()["image"].connect_to(after.inputs()["image"], push_undo=False, emit_signal=False)
    graph.widget.show()
    _app().processEvents()
    seconds = time.perf_counter() - started
    graph.widget.close()
    return seconds


class _Ticks:
    """A 10 ms timer; records how late each tick fires (ms)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._last = time.perf_counter()
        self._timer = QtCore.QTimer(interval=10)
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, (now - self._last) * 1000 - 10))
        self._last = now

    def stop(self) -> float:
        """The 99th percentile lateness in ms."""
        self._timer.stop()
        ordered = sorted(self.late)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else 0.0


def _wait(condition, seconds: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the editor did not finish in time")
        _app().processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)


def in_window(config: Config, image: Path, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """(run latencies, preview latencies, preview refresh seconds) from one editor window."""
    from lamella.core.catalog import Catalog
    from lamella.editor._runs import RunController
    from lamella.editor.model import EditorModel
    from lamella.editor.window import EditorWindow

    cache = fresh_dir(config.work / CACHES / "editor")
    settings = QtCore.QSettings(str(config.work / "editor-settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = EditorWindow(EditorModel.open(WORKFLOW, Catalog.discover()),
                          controller=RunController(cache_dir=cache), settings=settings)
    window.show()
    window.inputs.set_path(image)
    window.runs.out_dir = fresh_dir(config.work / "editor-results")
    done: list[str] = []
    window.controller.finished.connect(lambda kind, result, error: done.append(kind))
    shown: list[object] = []
    window.preview.ready.connect(shown.append)
    run_late, preview_late, refresh = [], [], []
    try:
        for _ in range(rounds):
            ticks = _Ticks()
            window.runs.start()
            _wait(lambda: "run" in done)
            done.clear()
            run_late.append(ticks.stop())
        window.preview.view("segment")
        _wait(lambda: len(shown) == 1)  # warm: workers up, upstream cached
        for i in range(rounds):
            before = len(shown)
            ticks = _Ticks()
            started = time.perf_counter()
            window.model.set_param("segment", "smooth", f"{2.0 + 0.01 * (i + 1):.2f} px")
            _wait(lambda before=before: len(shown) > before)
            refresh.append(time.perf_counter() - started)
            preview_late.append(ticks.stop())
    finally:
        window.files.ask = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        window.close()
        window.controller.close()
    return run_late, preview_late, refresh


def run(config: Config) -> Section:
    """Measure the three editor figures."""
    _app()
    nodes = QUICK_NODES if config.quick else NODES
    size = QUICK_SIZE if config.quick else SIZE
    workflow = chain_workflow(fresh_dir(config.work / "editor") / f"chain-{nodes}.yaml", nodes)
    ours, raw, ratios = [], [], []
    open_in_editor(workflow)  # untimed: imports and Qt's first paint
    open_raw(nodes)
    for _ in range(config.rounds):
        # The last round's thousands of Qt objects are collected first, not inside a timing.
        gc.collect()
        ours.append(open_in_editor(workflow))
        gc.collect()
        raw.append(open_raw(nodes))
        ratios.append(ours[-1] / raw[-1])
    image = synthetic_image(config.work / "data", size)
    run_late, preview_late, refresh = in_window(config, image, config.rounds)
    ratio, run_p99, preview_p99, refresh_s = (Spread(tuple(v))
                                              for v in (ratios, run_late, preview_late, refresh))
    rows = [
        Row(f"opening a {nodes}-node workflow, editor / raw NodeGraphQt", ratio.text(2),
            f"<= {OPEN_TARGET}", ratio.median <= OPEN_TARGET),
        Row("  editor (parse, validate, draw)", Spread(tuple(ours)).text(3, " s")),
        Row("  raw NodeGraphQt (nodes, ports, wires)", Spread(tuple(raw)).text(3, " s")),
        Row("UI event-loop latency during a run, 99th percentile", run_p99.text(1, " ms"),
            f"< {LATENCY_TARGET_MS:.0f} ms", run_p99.median < LATENCY_TARGET_MS),
        Row("UI event-loop latency during a preview, 99th percentile", preview_p99.text(1, " ms"),
            f"< {LATENCY_TARGET_MS:.0f} ms", preview_p99.median < LATENCY_TARGET_MS),
        Row(f"preview refresh after a threshold change, {size} x {size}, warm session",
            refresh_s.text(2, " s"), f"< {PREVIEW_TARGET_S} s", refresh_s.median < PREVIEW_TARGET_S),
    ]
    return Section(
        "editor", "(g) The editor", __doc__.split("\n\n", 1)[1].strip(),
        [".venv/bin/python benchmarks/run_all.py --only editor"], rows,
        notes=[f"mean tick lateness during runs {statistics.mean(run_late or [0]):.1f} ms"],
    )

