"""Each output of a real run of the nanoparticle example opens in the right viewer."""

from __future__ import annotations

import csv
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QGraphicsPixmapItem

from lamella.core.sdk import read_image
from lamella.editor.viewers import (
    ImageViewer,
    OutputViewer,
    PlotViewer,
    TableViewer,
    TextViewer,
    viewer_for,
)
from lamella.editor.viewers._hover import format_value
from lamella.runner import Analysis

pytestmark = pytest.mark.qt

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"


class Run:
    """The published results and the cached output files of each node of one run."""

    def __init__(self, out: Path, record: dict) -> None:
        self.out = out
        (self.nodes,) = (item["nodes"] for item in record["items"].values())

    def output(self, node: str, port: str) -> Path:
        return Path(self.nodes[node]["outputs"][port][0]["path"])


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    folder = tmp_path_factory.mktemp("example")
    result = Analysis.load(EXAMPLE).run(out=folder / "out", cache_dir=folder / "cache")
    assert result.ok, result.failures
    return Run(result.out_dir, result.record)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), read without Qt."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_the_plot_viewer_shows_the_histogram(run, qtbot):
    viewer = viewer_for("plot", [run.out / "histogram.png", run.out / "histogram.svg"])
    qtbot.addWidget(viewer)
    assert isinstance(viewer, PlotViewer)
    width, height = png_size(run.out / "histogram.png")
    assert (viewer.png_size().width(), viewer.png_size().height()) == (width, height)
    assert viewer.showing() == "svg"
    assert viewer.message() == ""
    assert viewer.status_text() == (f"histogram.png  {width} x {height} px; SVG beside it "
                                    "(histogram.svg); showing the SVG")
    viewer.show_format("png")
    assert viewer.showing() == "png"
    assert viewer.view.scene().items()[0].boundingRect().width() == width


def test_a_broken_svg_falls_back_to_the_png(run, qtbot, tmp_path):
    broken = tmp_path / "histogram.svg"
    broken.write_text("<svg><g>")
    viewer = PlotViewer()
    qtbot.addWidget(viewer)
    viewer.set_plot(run.out / "histogram.png", broken)
    assert viewer.message() == "histogram.svg: not a readable SVG; showing the PNG"
    assert viewer.showing() == "png"


def test_without_svg_widgets_the_svg_is_painted_once(run, qtbot, monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtSvgWidgets", None)  # import now fails
    viewer = PlotViewer()
    qtbot.addWidget(viewer)
    viewer.set_plot(run.out / "histogram.png", run.out / "histogram.svg")
    assert viewer.showing() == "svg" and viewer.message() == ""
    (item,) = viewer.view.scene().items()
    assert isinstance(item, QGraphicsPixmapItem) and item.scale() == 0.5
    assert item.pixmap().width() == 2 * QSvgRenderer(str(run.out / "histogram.svg")).defaultSize().width()


def test_without_qtsvg_the_png_is_shown_and_the_viewer_says_why(run, qtbot, monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtSvg", None)
    viewer = PlotViewer()
    qtbot.addWidget(viewer)
    viewer.set_plot(run.out / "histogram.png", run.out / "histogram.svg")
    assert viewer.message() == "SVG cannot be shown (this PySide6 has no QtSvg); showing the PNG"
    assert viewer.showing() == "png"


def test_a_corrupt_png_is_one_line(qtbot, tmp_path):
    bad = tmp_path / "plot.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    viewer = viewer_for("plot", [bad])
    qtbot.addWidget(viewer)
    assert viewer.message() == "plot.png: not a readable PNG (missing, truncated or corrupt)"
    assert viewer.showing() is None


def test_each_port_type_gets_its_viewer(run, qtbot):
    cases = {
        "image": ([run.output("load", "image")], ImageViewer),
        "list[image]": ([run.output("load", "image")], ImageViewer),
        "labels": ([run.output("edge", "labels")], ImageViewer),
        "mask": ([run.output("segment", "mask")], ImageViewer),
        "table": ([run.out / "sizes.csv"], TableViewer),
        "plot": ([run.out / "overlay.png", run.out / "overlay.svg"], PlotViewer),
        "json": ([run.out / "run-record.json"], TextViewer),
        "model": ([run.out / "logs" / "measure.log"], TextViewer),
        "file": ([run.out / "summary.csv"], TextViewer),
    }
    for port_type, (files, expected) in cases.items():
        viewer = viewer_for(port_type, files)
        qtbot.addWidget(viewer)
        assert type(viewer) is expected, port_type
        assert viewer.message() == "", port_type


def test_the_table_viewer_holds_every_particle(run, qtbot):
    viewer = viewer_for("table", [run.out / "sizes.csv"])
    qtbot.addWidget(viewer)
    with (run.out / "sizes.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert viewer.row_count() == len(rows) > 100
    viewer.sort_by("area_nm2")
    areas = [float(r[1]) for r in viewer.shown_rows()]
    assert areas == sorted(float(r["area_nm2"]) for r in rows)


def test_labels_over_the_image_with_sizes_on_hover(run, qtbot):
    image = read_image(run.output("load", "image"))
    labels = read_image(run.output("edge", "labels")).data
    viewer = viewer_for("labels", [run.output("edge", "labels")], image_for_overlay=image,
                        table=run.out / "sizes.csv")
    qtbot.addWidget(viewer)
    assert viewer.message() == ""
    assert "1024 x 768 px, uint8  pixel 2.5 nm  scale" in viewer.status_text()
    with (run.out / "sizes.csv").open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["label"] == "3")
    y, x = (int(v[0]) for v in np.nonzero(labels == 3))
    text = viewer.hover_text_at(x, y)
    assert f"value {image.data[y, x]}; label 3: area {format_value(float(row['area_nm2']))} nm²" in text
    assert f"Feret {format_value(float(row['feret_min_nm']))} to " in text
    background = tuple(int(v[0]) for v in np.nonzero(labels == 0))
    grey = viewer.rendered_image().pixelColor(background[1], background[0])
    assert grey.red() == grey.green() == grey.blue()
    coloured = viewer.rendered_image().pixelColor(x, y)
    assert not coloured.red() == coloured.green() == coloured.blue()


def test_labels_alone_when_no_image_is_given(run, qtbot):
    viewer = viewer_for("labels", [run.output("edge", "labels")])
    qtbot.addWidget(viewer)
    assert viewer.overlay_controls.slider.value() == 100
    assert viewer.hover_text_at(0, 0).startswith("x 0, y 0")


def test_a_corrupt_tiff_shows_the_message(qtbot, tmp_path):
    bad = tmp_path / "labels.ome.tif"
    bad.write_bytes(b"II*\x00" + b"\x13" * 64)
    for port_type in ("image", "labels", "probabilities"):
        viewer = viewer_for(port_type, [bad])
        qtbot.addWidget(viewer)
        assert viewer.message().startswith(f"{bad}: not a readable TIFF (")
        assert "\n" not in viewer.message()
        assert viewer.rendered_image().isNull()


def test_no_file_yet(qtbot):
    viewer = viewer_for("table", [])
    qtbot.addWidget(viewer)
    assert viewer.message() == "this output has no file yet; run the node to make one"


def test_text_view_shows_the_first_200_kb(qtbot, tmp_path):
    big = tmp_path / "values.json"
    big.write_text('{"values": [' + ", ".join(["1.5"] * 100_000) + "]}")
    viewer = viewer_for("json", [big])
    qtbot.addWidget(viewer)
    assert viewer.message() == "showing the first 200 kB of 500 kB"
    assert len(viewer.text.toPlainText()) == 200_000
    assert str(big) in viewer.path_label.text()
    model = tmp_path / "model.pt"
    model.write_bytes(b"PK\x03\x04\x00\x00binary")
    viewer.set_file(model)
    assert viewer.message() == "model.pt is a binary file (12 bytes); it is not shown as text"


def test_output_viewer_reuses_its_viewers(run, qtbot):
    stack = OutputViewer()
    qtbot.addWidget(stack)
    first = stack.show_output("image", [run.output("load", "image")])
    table = stack.show_output("table", [run.out / "sizes.csv"])
    again = stack.show_output("labels", [run.output("edge", "labels")])
    assert again is first and stack.current() is first
    assert isinstance(table, TableViewer)
    stack.show_output("list[plot]", [run.out / "histogram.png", run.out / "histogram.svg",
                                     run.out / "overlay.png", run.out / "overlay.svg"])
    assert [stack.files.itemText(i) for i in range(stack.files.count())] == ["histogram.png", "overlay.png"]
    stack.files.setCurrentIndex(1)
    plot = stack.current()
    assert isinstance(plot, PlotViewer)
    assert plot.status_text().startswith("overlay.png") and "(overlay.svg)" in plot.status_text()
