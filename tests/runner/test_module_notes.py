"""Warnings and values chosen for 'auto' parameters reach the summary, events and record."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import LamellaError
from lamella.core.sdk import Image, write_image
from lamella.runner import Analysis

NOTES = """\
def run(task):
    data = task.image("image").data
    if task.is_auto("level"):
        task.resolved("level", int(data.max()) // 2, "half the brightest pixel")
    task.warn("the image is very dark;   check the exposure")
    task.save_table("table", [{"n": int(data.size)}])
"""

WORKFLOW = """\
lamella: 1
name: notes
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  look: {module: test/notes@1, in: {image: $inputs.image}}
outputs: {table: look.table}
"""


def write_notes_module(folder: Path) -> None:
    module = folder / "notes"
    module.mkdir(parents=True)
    (module / "module.json").write_text(json.dumps({
        "id": "test/notes", "version": "1.0.0", "name": "Notes", "category": "Other",
        "description": "Reports a warning and an automatic level.",
        "inputs": {"image": {"type": "image", "description": "Input."}},
        "outputs": {"table": {"type": "table", "description": "Output."}},
        "parameters": {"level": {"type": "int", "min": 0, "auto": True, "default": "auto",
                                 "description": "A level, or 'auto'."}},
    }))
    (module / "main.py").write_text(NOTES)


def setup(tmp_path: Path) -> Path:
    write_notes_module(tmp_path / "mods")
    write_image(tmp_path / "input.ome.tif", Image(np.full((4, 4), 40, np.uint8), "YX"))
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    return tmp_path / "wf.yaml"


def test_notes_are_in_the_record_and_survive_a_cached_rerun(tmp_path: Path) -> None:
    analysis = Analysis.load(setup(tmp_path), modules=[tmp_path / "mods"])
    for expected_status in ("finished", "cached"):
        events = []
        result = analysis.run(out=tmp_path / "out", on_event=events.append)
        node = result.record["items"]["notes"]["nodes"]["look"]
        assert node["status"] == expected_status
        assert node["resolved_params"] == {"level": 20}
        assert node["warnings"] == ["the image is very dark; check the exposure"]
        assert result.warnings == [("look", "the image is very dark; check the exposure")]
        done = [e for e in events if e.kind in ("node_finished", "node_cached")]
        assert done[0].detail["resolved"] == {"level": 20}
    log = (tmp_path / "out" / "logs" / "look.log").read_text()
    assert "level: auto -> 20 (half the brightest pixel)" in log
    assert "warning: the image is very dark; check the exposure" in log


def test_the_cli_summary_shows_warnings(tmp_path: Path) -> None:
    setup(tmp_path)
    run = subprocess.run([sys.executable, "-m", "lamella.runner.cli", "run", "wf.yaml",
                          "--modules", "mods", "--out", "out"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "! look: the image is very dark; check the exposure" in run.stdout


def test_an_auto_value_is_refused_where_the_manifest_does_not_allow_it(tmp_path: Path) -> None:
    setup(tmp_path)
    (tmp_path / "wf.yaml").write_text(WORKFLOW.replace(
        "in: {image: $inputs.image}", "params: {level: '12'}, in: {image: $inputs.image}"))
    analysis = Analysis.load(tmp_path / "wf.yaml", modules=[tmp_path / "mods"])
    with pytest.raises(LamellaError, match=re.escape("must be a whole number or 'auto', got '12'")):
        analysis.validate()
