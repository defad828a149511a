"""Where a training step's image and annotations come from in the workflow, and wiring them.

A training step is a node whose module takes an ``image`` (image) and ``annotations``
(labels) input, such as ``lamella/pixel-classifier-train``. Its annotations are read by a
``lamella/load-labels`` node whose ``path`` is a workflow input of type ``file``::

    inputs:
      annotations: {type: file, default: microstructure-annotations.tif}
    nodes:
      load-annotations: {module: lamella/load-labels@1, params: {kind: labels},
                         in: {path: $inputs.annotations, like: load.image}}
      train: {module: lamella/pixel-classifier-train@1,
              in: {image: load.image, annotations: load-annotations.labels}}

(or, as some workflows do, the file input wired straight into ``annotations``).
:func:`ensure_labels_file` makes what is missing of that, through the editor model (so the
edits are undoable and saved with the workflow), and names a new file beside the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lamella.core.workflow import Workflow
from lamella.editor.model import INPUTS_NODE, EditorModel
from lamella.editor.model._nodes import unique_id

__all__ = ["ANNOTATIONS", "CLASS_NAMES", "IMAGE", "LOAD_LABELS", "LabelsSource", "ensure_labels_file",
           "is_training_node", "labels_source", "upstream_workflow"]

IMAGE, ANNOTATIONS, CLASS_NAMES = "image", "annotations", "class_names"
LOAD_LABELS = "lamella/load-labels"
_LOADER_OFFSET = (-240.0, 140.0)  # a new loader sits below-left of the training step


def is_training_node(model: EditorModel, node: str) -> bool:
    """True if ``node`` trains from painted annotations (an image and a labels input)."""
    manifest = model.manifest(node) if node in model.node_ids() else None
    if manifest is None:
        return False
    image, labels = manifest.inputs.get(IMAGE), manifest.inputs.get(ANNOTATIONS)
    return image is not None and image.type == "image" and labels is not None and labels.type == "labels"


@dataclass(frozen=True)
class LabelsSource:
    """Where the annotations of a training step come from.

    ``loader`` is the load-labels node (None when the file input is wired straight in or
    nothing is wired), ``input`` the workflow input naming the file, ``path`` that file made
    absolute (None: no default yet), and ``problem`` why the editor cannot save there.
    """

    loader: str | None = None
    input: str | None = None
    path: Path | None = None
    problem: str = ""


def labels_source(model: EditorModel, node: str) -> LabelsSource:
    """Follow the wires into ``node.annotations`` back to the file they read."""
    wire = model.wire_into(node, ANNOTATIONS)
    if wire is None:
        return LabelsSource()
    source, port = wire
    loader = None
    if source != INPUTS_NODE:
        if not model.module_ref(source).startswith(LOAD_LABELS + "@"):
            return LabelsSource(problem=f"{node}.{ANNOTATIONS} comes from {source}.{port}, not from a "
                                f"label file; wire a {LOAD_LABELS} node into it to paint annotations")
        loader, wire = source, model.wire_into(source, "path")
        if wire is None:
            return LabelsSource(loader)
        source, port = wire
        if source != INPUTS_NODE:
            return LabelsSource(loader, problem=f"{loader}.path comes from {source}.{port}; wire a "
                                "workflow input of type file into it to paint annotations")
    spec = model.workflow_inputs().get(port, {})
    default = spec.get("default")
    path = _resolved(model, default) if isinstance(default, str) and default else None
    return LabelsSource(loader, port, path)


def ensure_labels_file(model: EditorModel, node: str) -> Path:
    """The label file to save ``node``'s annotations in, wiring and naming it if needed.

    Edits the model only where the path is missing: a workflow input ``annotations`` of type
    file with a new default ``<workflow>-annotations.tif`` beside the workflow file, a
    load-labels node reading it (``kind: labels``, ``like`` the training image) wired into
    ``node.annotations``. ValueError in one line when it cannot (an unsaved workflow, the
    annotations made by another step).
    """
    found = labels_source(model, node)
    if found.problem:
        raise ValueError(found.problem)
    if found.path is not None:
        return found.path
    if model.path is None:
        raise ValueError("save the workflow first (File ▸ Save): its annotations are saved beside it")
    target = _new_file(model)
    name = found.input or unique_id(ANNOTATIONS, model.workflow_inputs()).replace("-", "_")
    kind = model.workflow_inputs().get(name, {}).get("type", "file")
    model.set_workflow_input(name, str(kind), default=str(target),
                             description="Painted annotations (0 = unlabelled, 1..K = classes)")
    if found.input is None:
        loader = found.loader or _add_loader(model, node)
        model.connect(INPUTS_NODE, name, loader, "path")
    return target


def upstream_workflow(workflow: Workflow, node: str) -> Workflow:
    """``workflow`` cut to ``node`` and the steps and inputs it reads (for computing its image).

    The rest of the workflow may be unfinished (a training step still without annotations)
    or read files that do not exist yet; none of that stops the image from being computed.
    """
    needed, queue = set(), [node]
    while queue:
        current = queue.pop()
        if current in needed:
            continue
        needed.add(current)
        queue += [w.node for w in workflow.nodes[current].wires().values() if w.node is not None]
    used = {w.port for n in needed for w in workflow.nodes[n].wires().values() if w.is_workflow_input}
    cut = workflow.model_copy(update={
        "nodes": {k: v for k, v in workflow.nodes.items() if k in needed},
        "inputs": {k: v for k, v in workflow.inputs.items() if k in used},
        "outputs": {}, "layout": {}, "groups": {}})
    return cut.with_source(workflow.source)


def _add_loader(model: EditorModel, node: str) -> str:
    x, y = model.position(node) or (0.0, 0.0)
    loader = model.add_node(f"{LOAD_LABELS}@1", (x + _LOADER_OFFSET[0], y + _LOADER_OFFSET[1]),
                            node_id=unique_id("load-annotations", model.node_ids()))
    model.set_param(loader, "kind", "labels")  # one class painted is still classes, not a mask
    image = model.wire_into(node, IMAGE)
    if image is not None and image[0] != INPUTS_NODE:
        model.connect(image[0], image[1], loader, "like")
    problem = model.connect(loader, "labels", node, ANNOTATIONS)
    if problem:
        raise ValueError(f"cannot wire {loader}.labels to {node}.{ANNOTATIONS}: {problem}")
    return loader


def _new_file(model: EditorModel) -> Path:
    """``<workflow stem>-annotations.tif`` beside the workflow, numbered past existing files."""
    assert model.path is not None
    folder, stem = model.path.resolve().parent, model.path.stem
    target, number = folder / f"{stem}-annotations.tif", 2
    while target.exists():  # someone else's file: never written over
        target, number = folder / f"{stem}-annotations-{number}.tif", number + 1
    return target


def _resolved(model: EditorModel, default: str) -> Path:
    path = Path(default).expanduser()
    if path.is_absolute() or model.path is None:
        return path
    return (model.path.resolve().parent / path).resolve()
