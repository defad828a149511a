"""Checks on what a finished module listed in ``outputs.json``, before anything is stored.

The SDK already refuses bad output names, but a module that writes ``outputs.json`` itself
(a container entry without the SDK) could list any path: the runner would then hash, store
and make read-only a file outside the task folder. :func:`listing_problem` refuses such a
listing using ``lstat`` only, so nothing outside ``outputs/`` is opened, followed or changed.
:func:`content_problem` then checks each file against its port type.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import tifffile

from lamella.core.sdk._task import output_name_problem, shown

__all__ = ["content_problem", "listing_problem"]

_PLAIN = ("; a module writes each output as a plain file directly in outputs/ (the SDK's "
          "task.save_* do)")


def listing_problem(outputs_dir: Path, written: dict[str, list[str]],
                    port_types: dict[str, str]) -> str:
    """Why the listing ``written`` (port -> file names) cannot be taken, or ``''``."""
    for port in written:
        if port not in port_types:
            known = ", ".join(port_types) or "none"
            return (f"outputs.json lists output {shown(port)}, which the module does not declare "
                    f"(outputs: {known})")
    for port in port_types:
        if port not in written:
            return f"module finished without listing output '{port}' in outputs.json"
    for port, files in written.items():
        for name in files:
            problem = _file_problem(outputs_dir, port, name)
            if problem:
                return problem
    return ""


def _file_problem(outputs_dir: Path, port: str, name: str) -> str:
    problem = output_name_problem(name)
    if problem:
        return f"output '{port}': outputs.json lists {shown(name)}, which {problem}{_PLAIN}"
    try:
        mode = os.lstat(outputs_dir / name).st_mode
    except OSError:
        return f"output '{port}': file {shown(name)[1:-1]} listed but not written"
    if stat.S_ISLNK(mode):
        return f"output '{port}': {shown(name)[1:-1]} is a symbolic link, not a file{_PLAIN}"
    if not stat.S_ISREG(mode):
        return f"output '{port}': {shown(name)[1:-1]} is not a regular file{_PLAIN}"
    return ""


# ----- contents against the port type -------------------------------------------------------
class _Bad(Exception):
    """A file does not hold what its port type promises; the message says what it holds."""


def content_problem(outputs_dir: Path, written: dict[str, list[str]],
                    port_types: dict[str, str]) -> str:
    """Why a listed file does not hold its port's type, or ``''``: ``output 'mask' (...): ...``."""
    for port, files in written.items():
        kind = port_types[port].removeprefix("list[").removesuffix("]")
        check = _CHECKS.get(kind)
        if check is None:
            continue
        for name in files:
            try:
                check(outputs_dir / name)
            except _Bad as exc:
                return f"output '{port}' ({shown(name)[1:-1]}): {exc}{_HOW.get(kind, '')}"
        if kind == "plot" and not any(n.lower().endswith(".png") for n in files):
            return f"output '{port}': no PNG file listed; a plot is a PNG, with an optional SVG"
    return ""


_HOW = {"image": "; write it with task.save_image", "labels": "; write it with task.save_labels",
        "mask": "; write it with task.save_mask",
        "probabilities": "; write it with task.save_probabilities",
        "table": "; write it with task.save_table", "plot": "; write it with task.save_plot",
        "json": "; write it with task.save_json",
        "model": "; a model output is the trained model's file"}


def _tiff_dtype(path: Path) -> np.dtype:
    """The first series' dtype, from the headers only; refuse a file cut short."""
    size = path.stat().st_size
    try:
        with _quiet_tifffile(), tifffile.TiffFile(path) as tif:
            pages = [p for p in tif.series[0].pages if p is not None]
            dtype = tif.series[0].dtype
            extents = [(o, c) for page in pages
                       for o, c in zip(page.dataoffsets, page.databytecounts, strict=False)]
    except Exception as exc:  # tifffile raises many types for files that are not TIFF
        raise _Bad(f"not a TIFF file ({_what_it_holds(path, exc)})") from None
    end = max(extents, key=sum, default=(0, 0))
    if sum(end) > size:
        raise _Bad(f"truncated TIFF (its pixel data needs {end[1]} bytes from byte {end[0]}, "
                   f"the file has {size})")
    return dtype


@contextlib.contextmanager
def _quiet_tifffile() -> Iterator[None]:
    """Silence tifffile's log of damaged tags (stderr); the check says it in one line."""
    logger = logging.getLogger("tifffile")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def _read_tiff(path: Path) -> np.ndarray:
    try:
        with _quiet_tifffile():
            return tifffile.imread(path, series=0)
    except Exception as exc:
        raise _Bad(f"not a readable TIFF ({type(exc).__name__})") from None


def _what_it_holds(path: Path, exc: Exception) -> str:
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    head = path.read_bytes()[:4096] if size <= 4096 else path.open("rb").read(4096)
    if _is_text(head):
        return f"the module wrote {size} bytes of text"
    return f"the module wrote {size} bytes that are not TIFF ({type(exc).__name__})"


def _is_text(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return b"\0" not in head


def _image(path: Path) -> None:
    _tiff_dtype(path)


def _labels(path: Path) -> None:
    # The header's dtype is enough: whole numbers. Negative values are not looked for.
    dtype = _tiff_dtype(path)
    if dtype.kind not in "iub":
        raise _Bad(f"holds {dtype} values, not integer labels")


# Masks and probabilities need their pixels read. On a 2048 x 2048 image, file in the page
# cache, 2-core machine: 12 ms for a uint8 mask (read and histogram), 2 ms for float32
# probabilities (read, min, max); labels and images, headers only, 0.1 ms. Best of 5 calls
# of _mask/_probabilities/_labels on random data; a threshold step on that image takes ~1 s.
def _mask(path: Path) -> None:
    dtype = _tiff_dtype(path)
    if dtype.kind not in "iub":
        raise _Bad(f"holds {dtype} values, not a binary mask (0 and 255)")
    data = _read_tiff(path)
    if data.dtype.kind == "b":
        return
    values = _values(data)
    if not (set(values) <= {0, 255} or set(values) <= {0, 1}):
        listed = ", ".join(str(v) for v in values[:3]) + (" ..." if len(values) > 3 else "")
        raise _Bad(f"not a binary mask (values {listed}, not only 0 and 255 or 0 and 1)")


def _values(data: np.ndarray) -> list[int]:
    """The distinct values, cheaply: a histogram for 8 and 16-bit unsigned data."""
    if data.dtype in (np.uint8, np.uint16):
        return np.flatnonzero(np.bincount(data.ravel())).tolist()
    return np.unique(data).tolist()


def _probabilities(path: Path) -> None:
    dtype = _tiff_dtype(path)
    if dtype.kind != "f":
        raise _Bad(f"holds {dtype} values, not float probabilities")
    data = _read_tiff(path)
    if data.size == 0:
        return
    low, high = float(data.min()), float(data.max())  # NaN anywhere makes both NaN
    if not (np.isfinite(low) and np.isfinite(high)):
        raise _Bad("probabilities must lie in [0, 1], found NaN or infinite values")
    if low < 0 or high > 1:
        raise _Bad(f"probabilities must lie in [0, 1], found values from {low:g} to {high:g}")


def _table(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head:
        raise _Bad("empty file, a table needs a header row")
    if not _is_text(head):
        raise _Bad("not a CSV text file (binary data)")
    first = head.decode("utf-8", "ignore").splitlines()[0] if head.strip() else ""
    # A table of no rows and no columns (the SDK's save_table of an empty list) is one
    # line break; any other table starts with its column names.
    if not first.strip() and head.strip():
        raise _Bad("the first line is empty; a CSV table starts with a header row")
    if first and not all(name.strip() for name in next(csv.reader([first]))):
        raise _Bad("the header row has an empty column name")


_PNG = b"\x89PNG\r\n\x1a\n"


def _plot(path: Path) -> None:
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(4096)
    if suffix == ".png":
        if head[:8] != _PNG or head[12:16] != b"IHDR":
            holds = f"the module wrote {len(head) if len(head) < 4096 else path.stat().st_size} bytes"
            raise _Bad(f"not a PNG file ({holds}{' of text' if _is_text(head) else ''})")
    elif suffix == ".svg":
        if not _is_text(head) or b"<svg" not in head:
            raise _Bad("not an SVG file (no <svg> element at its start)")
    else:
        raise _Bad(f"a plot is a PNG, with an optional SVG, not {shown(suffix or path.name)}")


def _json(path: Path) -> None:
    try:
        json.loads(path.read_bytes())
    except UnicodeDecodeError:
        raise _Bad("not valid JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise _Bad(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def _model(path: Path) -> None:
    # A model's format is the module's own (no manifest field names it), so the honest
    # check is that the file holds something.
    if path.stat().st_size == 0:
        raise _Bad("empty file (0 bytes)")


_CHECKS: dict[str, Callable[[Path], None]] = {
    "image": _image, "labels": _labels, "mask": _mask, "probabilities": _probabilities,
    "table": _table, "plot": _plot, "json": _json, "model": _model,
}
