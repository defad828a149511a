"""The editor model keeps the YAML: open then save writes the same workflow (and bytes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.core.catalog import Catalog
from lamella.core.workflow import load_workflow
from lamella.editor.model import EditorModel

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.yaml"))

COMMENTED = """\
# Sizes of particles: a short chain.
lamella: 1
name: sizes   # used for folder names
inputs:
  image: {type: image, default: ../data/particles.tif}
nodes:
  # read the file
  load: {module: lamella/load-image@1, in: {path: $inputs.image}}  # SEM image
  segment:
    module: lamella/threshold@1
    params: {method: li}  # li keeps small particles
  # sizes of each particle
  measure: {module: lamella/measure@1, in: {labels: segment.classes, image: load.image}}
# what the run publishes
outputs: {sizes: measure.table}
"""


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_save_unchanged_byte_for_byte(example: Path, tmp_path: Path, catalog: Catalog) -> None:
    copy = shutil.copy(example, tmp_path / example.name)
    model = EditorModel.open(copy, catalog)
    assert model.problems() == [] and not model.dirty
    saved = model.save(tmp_path / "saved.yaml")
    assert saved.read_bytes() == example.read_bytes()
    assert load_workflow(saved) == load_workflow(example)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_written_from_the_document_are_the_same_bytes(example: Path, tmp_path: Path,
                                                               catalog: Catalog) -> None:
    # Two edits that cancel out (not an undo): the text is written from the document.
    model = EditorModel.open(shutil.copy(example, tmp_path / example.name), catalog)
    node, name, original = next((n, key, value) for n in model.node_ids()
                                for key, value in model.params(n).items() if isinstance(value, str))
    model.set_param(node, name, original + "-changed")
    model.set_param(node, name, original)
    assert model.dirty
    assert model.save().read_bytes() == example.read_bytes()


def test_a_file_written_by_the_editor_is_a_fixed_point(tmp_path: Path, catalog: Catalog) -> None:
    model = EditorModel(catalog)
    model.set_workflow_input("image", default=str(tmp_path / "data" / "a.tif"))
    load = model.add_node("lamella/load-image@1", (0, 0))
    segment = model.add_node("lamella/threshold@1", (260.4, -10.6))
    assert model.connect("$inputs", "image", load, "path") is None
    assert model.connect(load, "image", segment, "image") is None
    model.set_param(segment, "method", "manual")
    model.set_param(segment, "level", 1e-5)
    model.set_output("mask", "threshold.mask")
    model.add_group("find", [load, segment], note="Find particles", color="#3a6ea5")
    first = model.save(tmp_path / "wf.yaml").read_text()
    assert first == (
        "lamella: 1\n"
        "name: untitled\n"
        "inputs:\n"
        "  image: {type: image, default: data/a.tif}\n"
        "nodes:\n"
        "  load-image:\n"
        "    module: lamella/load-image@1\n"
        "    in: {path: $inputs.image}\n"
        "  threshold:\n"
        "    module: lamella/threshold@1\n"
        "    params: {method: manual, level: 1.0e-05}\n"
        "    in: {image: load-image.image}\n"
        "outputs:\n"
        "  mask: threshold.mask\n"
        "layout:\n"
        "  load-image: [0, 0]\n"
        "  threshold: [260, -11]\n"
        "groups:\n"
        "  find: {nodes: [load-image, threshold], note: Find particles, color: '#3a6ea5'}\n")
    again = EditorModel.open(tmp_path / "wf.yaml", catalog)
    again.move("threshold", 0, 0)
    again.move("threshold", 260, -11)  # same place again: written from the document
    assert again.save().read_text() == first
    workflow = load_workflow(tmp_path / "wf.yaml")
    assert workflow == again.to_workflow()
    assert workflow.nodes["threshold"].params == {"method": "manual", "level": 1e-05}
    assert workflow.groups["find"].nodes == ["load-image", "threshold"]
    assert workflow.resolve_path(workflow.inputs["image"].default or "") == tmp_path / "data" / "a.tif"


def test_comments_survive_edits(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(COMMENTED)
    model = EditorModel.open(path, catalog)
    assert model.has_comments()
    model.set_param("segment", "method", "otsu")
    model.rename_node("segment", "threshold")
    model.add_node("lamella/histogram@1", (10, 10))
    model.remove_nodes(["load"])
    text = model.save().read_text()
    assert text == (
        "# Sizes of particles: a short chain.\n"
        "lamella: 1\n"
        "name: sizes   # used for folder names\n"
        "inputs:\n"
        "  image: {type: image, default: ../data/particles.tif}\n"
        "nodes:\n"
        "  # read the file\n"
        "  threshold:\n"
        "    module: lamella/threshold@1\n"
        "    params: {method: otsu} # li keeps small particles\n"
        "  # sizes of each particle\n"
        "  measure: {module: lamella/measure@1, in: {labels: threshold.classes}}\n"
        "  histogram:\n"
        "    module: lamella/histogram@1\n"
        "# what the run publishes\n"
        "outputs: {sizes: measure.table}\n"
        "layout:\n"
        "  histogram: [10, 10]\n")
    assert load_workflow(path).nodes["measure"].inputs == {"labels": "threshold.classes"}


def test_comment_lines_after_a_removed_node_stay(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text("lamella: 1\nname: x\nnodes:\n  a: {module: lamella/load-image@1}  # first\n"
                    "  # about b\n  b: {module: lamella/load-image@1}\n")
    model = EditorModel.open(path, catalog)
    model.remove_nodes(["a"])
    assert model.save().read_text() == (
        "lamella: 1\nname: x\nnodes:\n  # about b\n  b: {module: lamella/load-image@1}\n")


def test_a_file_without_comments_says_so(catalog: Catalog) -> None:
    assert not EditorModel.open(EXAMPLES[0], catalog).has_comments()


def test_windows_line_ends_are_kept(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "wf.yaml"
    path.write_bytes(EXAMPLES[0].read_bytes().replace(b"\n", b"\r\n"))
    model = EditorModel.open(path, catalog)
    model.set_param("segment", "method", "otsu")
    saved = model.save().read_bytes()
    assert saved.count(b"\r\n") == saved.count(b"\n") and b"method: otsu" in saved


def test_save_is_atomic_keeps_permissions_and_leaves_no_temporary(tmp_path: Path,
                                                                 catalog: Catalog) -> None:
    path = Path(shutil.copy(EXAMPLES[0], tmp_path / "wf.yaml"))
    path.chmod(0o640)
    model = EditorModel.open(path, catalog)
    model.set_param("segment", "method", "otsu")
    model.save()
    assert [p.name for p in tmp_path.iterdir()] == ["wf.yaml"]
    assert path.stat().st_mode & 0o777 == 0o640
    assert load_workflow(path).nodes["segment"].params["method"] == "otsu"


def test_save_as_elsewhere_keeps_input_defaults_pointing_at_the_same_file(tmp_path: Path,
                                                                          catalog: Catalog) -> None:
    model = EditorModel.open(EXAMPLES[0], catalog)
    image = load_workflow(EXAMPLES[0]).resolve_path("../data/particles.tif")
    (tmp_path / "deeper").mkdir()
    saved = model.save(tmp_path / "deeper" / "wf.yaml")
    workflow = load_workflow(saved)
    assert workflow.resolve_path(workflow.inputs["image"].default or "") == image
    assert model.path == saved and not model.dirty


def test_the_model_imports_no_qt() -> None:
    code = ("import sys; import lamella.editor.model; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'NodeGraphQt')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
