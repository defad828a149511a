"""Write small real modules into a test's folder, for behaviour no fixture module has."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path


def write_module(folder: Path, name: str, code: str, *, inputs: tuple[str, ...] = ("image",),
                 outputs: dict[str, str] | None = None) -> Path:
    """A module ``test/<name>@1.0.0`` in ``folder/<name>`` whose ``run(task)`` is ``code``."""
    module = folder / name
    module.mkdir(parents=True)
    manifest = {
        "id": f"test/{name}", "version": "1.0.0", "name": name.title(), "category": "Other",
        "description": f"{name}, for runner tests.",
        "inputs": {port: {"type": "image", "description": "Input."} for port in inputs},
        "outputs": {port: {"type": kind, "description": "Output."}
                    for port, kind in (outputs or {"table": "table"}).items()},
    }
    (module / "module.json").write_text(json.dumps(manifest))
    (module / "main.py").write_text(textwrap.dedent(code))
    return module


CLOBBER = """\
def run(task):
    print("about to write to my input")
    with open(task.input_path("image"), "wb") as handle:
        handle.write(b"CLOBBERED")
    task.save_table("table", [{"done": 1}])
"""
