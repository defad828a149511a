"""The object a module's ``run(task)`` receives: its inputs, parameters and outputs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from lamella.core.errors import InputFileError, ModuleError
from lamella.core.sdk._calibration_choice import describe_calibration, override_calibration
from lamella.core.sdk._contract import OUTPUTS_DIR, OUTPUTS_FILE, TASK_FILE, TaskSpec
from lamella.core.sdk._image import Calibration, Image
from lamella.core.sdk._imageio import read_image, write_image
from lamella.core.units import parse_quantity

__all__ = ["ProgressCallback", "Task", "check_output_name", "output_name_problem", "shown"]

ProgressCallback = Callable[[float, str], None]


def _ignore_progress(fraction: float, message: str) -> None:
    """Progress sink used when nobody listens (module tests)."""


class Task:
    """One run of a module on one set of inputs.

    Parameters
    ----------
    folder
        The task folder prepared by the runner (holds ``task.json``).
    on_progress
        Called with (fraction 0..1, message) when the module reports progress.

    Examples
    --------
    >>> def run(task):                                    # doctest: +SKIP
    ...     image = task.image("image")
    ...     mask = image.data > task.param("level")
    ...     task.save_mask("mask", mask, like=image)
    """

    def __init__(self, folder: Path, on_progress: ProgressCallback | None = None) -> None:
        self.folder = Path(folder)
        self.spec = TaskSpec.model_validate_json((self.folder / TASK_FILE).read_text("utf-8"))
        self.output_dir = self.folder / OUTPUTS_DIR
        self._on_progress = on_progress or _ignore_progress
        self._written: dict[str, list[str]] = {}
        self._resolved: dict[str, Any] = {}
        self._warnings: list[str] = []
        self._metrics: dict[str, Any] = {}

    # ----- parameters -------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """All parameter values (workflow values over manifest defaults)."""
        return dict(self.spec.params)

    def param(self, name: str) -> Any:
        """One parameter value."""
        if name not in self.spec.params:
            raise KeyError(f"module has no parameter '{name}' (declare it in module.json)")
        return self.spec.params[name]

    def is_auto(self, name: str) -> bool:
        """True if parameter ``name`` is set to 'auto' (the module chooses from the data)."""
        return self.param(name) == "auto"

    def length_in_pixels(self, name: str, image: Image) -> float:
        """A length parameter (``'20 nm'``, ``'3 px'``, bare number = px) in pixels."""
        return self._in_pixels(name, image, power=1)

    def area_in_pixels(self, name: str, image: Image) -> float:
        """An area parameter (``'500 nm^2'``, ``'30 px^2'``, bare number = px²) in pixels²."""
        return self._in_pixels(name, image, power=2)

    def _in_pixels(self, name: str, image: Image, *, power: int) -> float:
        cal = image.calibration
        if self.is_auto(name):
            raise ModuleError(f"parameter '{name}' is 'auto'; the module must estimate it "
                              "before converting it to pixels")
        try:
            quantity = parse_quantity(self.param(name), power=power)
            return quantity.to_pixels(cal.x if cal else None, cal.unit if cal else None,
                                      cal.y if cal else None)
        except ValueError as exc:
            raise ModuleError(f"parameter '{name}': {exc}") from None

    # ----- inputs -----------------------------------------------------------------------
    def has_input(self, name: str) -> bool:
        """True if the input port is connected."""
        return bool(self.spec.inputs.get(name))

    def input_paths(self, name: str) -> list[Path]:
        """All files given to an input port."""
        if not self.has_input(name):
            raise ModuleError(f"input '{name}' is not connected")
        return [self.folder / p for p in self.spec.inputs[name]]

    def input_path(self, name: str) -> Path:
        """The (first) file given to an input port."""
        return self.input_paths(name)[0]

    def image(self, name: str) -> Image:
        """Read an image input with its axes and calibration."""
        # Resolved, so a message names the file itself, not the task folder's passing link.
        return read_image(self.input_path(name).resolve())

    def labels(self, name: str) -> Image:
        """Read a label input; refuse files whose values are not whole numbers >= 0."""
        image = self.image(name)
        return image.like(as_label_array(image.data, f"input '{name}' ({image.name})"))

    def mask(self, name: str) -> Image:
        """Read a mask (or labels) input as a boolean array (non-zero = foreground)."""
        image = self.image(name)
        return image.like(image.data != 0)

    def user_image(self, name: str) -> Image:
        """Read an image file a user supplied, refusing what cannot be analysed.

        Messages name the user's own file, not the task folder's link to it.
        """
        path = self.input_path(name).resolve()
        try:
            image = read_image(path)
        except InputFileError as exc:
            self.fail(f"input '{name}': {exc}")
        if "Y" not in image.axes or "X" not in image.axes:
            self.fail(f"input '{name}': {path} has axes '{image.axes}' without rows and columns "
                      "(Y, X); re-export it as an image from Fiji")
        for note in image.calibration_notes:
            self.warn(f"input '{name}': {path.name}: {note}; it is ignored (set the pixel size "
                      "by hand if the image has one)")
        height, width = image.data.shape[image.axes.index("Y")], image.data.shape[image.axes.index("X")]
        if height < 2 or width < 2:
            self.fail(f"input '{name}': {path} is {width} x {height} pixels; an image must be at "
                      "least 2 x 2 pixels to analyse")
        return image

    def calibration_for(self, image: Image, *, param: str = "pixel_size") -> Calibration | None:
        """The ``param`` override (e.g. ``'2.5 nm'``) if set, else the image's own; logged."""
        try:
            chosen = override_calibration(self.param(param), image.calibration)
        except ValueError as exc:
            self.fail(f"parameter '{param}': {exc}")
        used = chosen or image.calibration
        print(describe_calibration(used, image.calibration, image.name))
        return used

    def json(self, name: str) -> Any:
        """Read a JSON input."""
        return json.loads(self.input_path(name).read_text(encoding="utf-8"))

    # ----- outputs ----------------------------------------------------------------------
    def save_image(self, name: str, data: np.ndarray, *, like: Image | None = None,
                   axes: str | None = None, calibration: Calibration | None = None) -> Path:
        """Write an image output; ``like`` copies calibration (and axes if 2-D match)."""
        return self._save_array(name, data, like, axes, calibration, kinds=("image", "probabilities"))

    def save_labels(self, name: str, data: np.ndarray, *, like: Image | None = None,
                    calibration: Calibration | None = None) -> Path:
        """Write integer labels (0 = background), as uint16 or uint32 as the values need."""
        labels = as_label_array(np.asarray(data), f"output '{name}'")
        dtype = np.uint16 if labels.size == 0 or labels.max() < 2**16 else np.uint32
        return self._save_array(name, labels.astype(dtype, copy=False), like, None, calibration,
                                kinds=("labels",))

    def save_mask(self, name: str, data: np.ndarray, *, like: Image | None = None,
                  calibration: Calibration | None = None) -> Path:
        """Write a binary mask as uint8 0/255 (viewable in any image viewer)."""
        mask = (np.asarray(data) != 0).astype(np.uint8) * np.uint8(255)
        return self._save_array(name, mask, like, None, calibration, kinds=("mask",))

    def save_probabilities(self, name: str, data: np.ndarray, *, like: Image | None = None,
                           calibration: Calibration | None = None) -> Path:
        """Write per-class probabilities (class axis first) as float32."""
        probs = np.asarray(data, dtype=np.float32)
        axes = "CYX" if probs.ndim == 3 else "YX"
        return self._save_array(name, probs, like, axes, calibration, kinds=("probabilities",))

    def save_table(self, name: str, table: Any, *, filename: str | None = None) -> Path:
        """Write a table as CSV: a pandas DataFrame, or a list of dicts with the same keys."""
        path = self._target(name, filename or f"{name}.csv", kinds=("table",))
        if hasattr(table, "to_csv"):
            table.to_csv(path, index=False)
        else:
            _write_rows(path, list(table))
        return self._record(name, path)

    def save_plot(self, name: str, figure: Any, *, formats: Iterable[str] = ("png", "svg"),
                  dpi: int = 150) -> list[Path]:
        """Save a matplotlib figure as PNG (the port's main file) and SVG."""
        paths = []
        for fmt in formats:
            path = self._target(name, f"{name}.{fmt}", kinds=("plot",))
            figure.savefig(path, dpi=dpi, bbox_inches="tight")
            paths.append(self._record(name, path))
        return paths

    def save_json(self, name: str, value: Any) -> Path:
        """Write a JSON output."""
        path = self._target(name, f"{name}.json", kinds=("json",))
        path.write_text(json.dumps(value, indent=2, default=_json_default), encoding="utf-8")
        return self._record(name, path)

    def save_file(self, name: str, source: Path, *, filename: str | None = None) -> Path:
        """Copy any file to an output port (models, reports...)."""
        path = self._target(name, filename or Path(source).name, kinds=None)
        shutil.copyfile(source, path)
        return self._record(name, path)

    # ----- reporting --------------------------------------------------------------------
    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress (0..1) of this run; shown as a progress bar and sent as an event."""
        self._on_progress(min(1.0, max(0.0, float(fraction))), message)

    def warn(self, message: str) -> None:
        """Tell the user something may be wrong, without failing the run.

        The line goes to the log, the run summary and the run record; say what to do, e.g.
        "... if it has one, set crop_info_bar: rows".
        """
        line = " ".join(str(message).split())
        print(f"warning: {line}")
        self._warnings.append(line)

    def resolved(self, name: str, value: Any, why: str) -> None:
        """Report the value chosen for parameter ``name`` set to 'auto', and how it was chosen.

        The value goes to the log and, through ``outputs.json``, to the run record.
        """
        if name not in self.spec.params:
            raise KeyError(f"module has no parameter '{name}' (declare it in module.json)")
        print(f"{name}: auto -> {value} ({why})")
        self._resolved[name] = value

    def metric(self, name: str, value: float | int | str) -> None:
        """Report a number about this run (e.g. objects found); it goes to the run record."""
        self._metrics[str(name)] = value

    def fail(self, message: str) -> NoReturn:
        """Stop the run with a one-line message for the user (no traceback is shown)."""
        raise ModuleError(message)

    def finish(self) -> dict[str, list[str]]:
        """Check every output was written and write ``outputs.json``; called by the runner."""
        missing = [n for n in self.spec.outputs if n not in self._written]
        if missing:
            names = ", ".join(f"'{n}'" for n in missing)
            raise ModuleError(f"module finished without writing output {names}")
        for name, files in self._written.items():
            for filename in files:
                self._check_written(name, filename)
        outputs_file = self.output_dir / OUTPUTS_FILE
        notes = {"outputs": self._written, "resolved": self._resolved, "warnings": self._warnings,
                 "metrics": self._metrics}
        notes = {key: value for key, value in notes.items() if value or key == "outputs"}
        outputs_file.write_text(json.dumps(notes, indent=2, default=_json_default), encoding="utf-8")
        return self._written

    # ----- helpers ----------------------------------------------------------------------
    def _save_array(self, name: str, data: np.ndarray, like: Image | None, axes: str | None,
                    calibration: Calibration | None, *, kinds: tuple[str, ...]) -> Path:
        data = np.asarray(data)
        if axes is None:
            axes = like.axes if like is not None and like.data.ndim == data.ndim else _default_axes(data)
        if calibration is None and like is not None:
            calibration = like.calibration
        path = self._target(name, f"{name}.ome.tif", kinds=kinds)
        write_image(path, Image(data, axes, calibration))
        return self._record(name, path)

    def _target(self, name: str, filename: str, *, kinds: tuple[str, ...] | None) -> Path:
        if name not in self.spec.outputs:
            known = ", ".join(self.spec.outputs) or "none"
            raise ModuleError(f"module wrote to unknown output '{name}' (outputs: {known})")
        port_type = self.spec.outputs[name].removeprefix("list[").removesuffix("]")
        if kinds is not None and port_type not in kinds and port_type != "file":
            raise ModuleError(f"output '{name}' is a {port_type} port; it cannot take a {kinds[0]}")
        check_output_name(name, filename, self.spec.outputs[name])
        path = self.output_dir / filename
        if path.is_symlink() or (path.exists() and not path.is_file()):
            what = "a symbolic link" if path.is_symlink() else "a folder or special file"
            raise ModuleError(f"output '{name}': {filename} is already in outputs/ as {what}; the "
                              "SDK does not write through links (remove it first)")
        return path

    def _record(self, name: str, path: Path) -> Path:
        relative = path.relative_to(self.output_dir).as_posix()
        check_output_name(name, relative, self.spec.outputs[name])
        files = self._written.setdefault(name, [])
        if relative not in files:
            files.append(relative)
        return path


    def _check_written(self, name: str, filename: str) -> None:
        """Each listed file is a plain file in outputs/ (the runner hashes and stores it)."""
        check_output_name(name, filename, self.spec.outputs.get(name, "file"))
        try:
            mode = os.lstat(self.output_dir / filename).st_mode
        except OSError:
            return  # the runner reports a listed file that is missing
        if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
            what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise ModuleError(f"output '{name}': {shown(filename)} in outputs/ is {what}; write "
                              "the file itself there")


def output_name_problem(filename: str) -> str | None:
    """Why ``filename`` is not a plain file name directly inside ``outputs/``; None if it is.

    Plain names keep every output inside the node's own folder: no folder part, no ``..``,
    nothing hidden, no control characters, not the runner's own ``outputs.json``.
    """
    if not filename:
        return "is empty"
    if "/" in filename or "\\" in filename:
        return "holds '/'" if "/" in filename else "holds '\\'"
    if any(ord(char) < 32 or ord(char) == 127 for char in filename):
        return "holds a control character"
    if filename.startswith("."):
        return "starts with '.' (a hidden file)"
    if filename == OUTPUTS_FILE:
        return "is the runner's listing of outputs"
    if len(os.fsencode(filename)) > 255:
        return "is longer than 255 bytes"
    return None


_SUFFIXES = {"image": ".ome.tif", "labels": ".ome.tif", "mask": ".ome.tif",
             "probabilities": ".ome.tif", "table": ".csv", "plot": ".png", "json": ".json"}


def check_output_name(name: str, filename: str, port_type: str = "file") -> None:
    """Raise a one-line ModuleError if ``filename`` cannot be output ``name``'s file."""
    problem = output_name_problem(filename)
    if problem:
        base = port_type.removeprefix("list[").removesuffix("]")
        example = name + (_SUFFIXES.get(base) or _suffix(filename))
        raise ModuleError(f"output '{name}': file name {shown(filename)} {problem}; write it "
                          f"directly in outputs/ under a plain name, e.g. '{example}'")


def _suffix(filename: str) -> str:
    suffix = Path(filename.replace("\\", "/")).suffix
    return suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ""


def shown(text: str, limit: int = 120) -> str:
    """``text`` quoted for a one-line message: control characters escaped, cut to ``limit``."""
    quoted = repr(str(text))
    return quoted if len(quoted) <= limit else quoted[:limit - 4] + "...'"


def as_label_array(data: np.ndarray, what: str) -> np.ndarray:
    """Return ``data`` as integer labels, or raise a clear error naming ``what``."""
    if data.dtype == bool:
        return data.astype(np.uint8)
    if np.issubdtype(data.dtype, np.floating):
        finite = np.isfinite(data).all()
        if not finite or not np.array_equal(data, np.round(data)):
            raise InputFileError(
                f"{what} holds fractional {data.dtype} values, not labels; labels are whole "
                "numbers (0 = background). Threshold a probability map first, or load the "
                "file with load-image"
            )
        data = data.astype(np.int64)
    if not np.issubdtype(data.dtype, np.integer):
        raise InputFileError(f"{what} holds {data.dtype} values; labels must be whole numbers")
    if data.size and data.min() < 0:
        raise InputFileError(f"{what} holds negative values; labels must be 0 or more")
    return data


def _default_axes(data: np.ndarray) -> str:
    return {2: "YX", 3: "ZYX", 4: "CZYX"}.get(data.ndim, "")


def _write_rows(path: Path, rows: list[Mapping[str, Any]]) -> None:
    columns = list(rows[0].keys()) if rows else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
