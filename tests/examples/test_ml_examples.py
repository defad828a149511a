"""The trainable-segmentation examples on bundled data: figures against the truth, model reuse, cache."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lamella.runner import Analysis

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "examples" / "workflows"
DATA = REPO / "examples" / "data"
PIXEL_NM = 2.5  # the bundled particles.tif

pytest.importorskip("torch")
pytest.importorskip("sklearn")


def _truth_inside() -> pd.DataFrame:
    """The bundled sample's particles not cut by the image edge (what the examples keep)."""
    truth = pd.read_csv(DATA / "particles-truth.csv")
    return truth[~truth["border"]]


def _ecd_row(result) -> pd.Series:  # type: ignore[no-untyped-def]
    summary = result.table("summary")
    return summary[summary["quantity"] == "ecd"].iloc[0]


def _node_states(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    record = json.loads(result.record_path.read_text())
    (item,) = record["items"].values()
    return {name: node["status"] for name, node in item["nodes"].items()}


@pytest.mark.slow
def test_pixel_classifier_phase_fractions_match_the_truth(tmp_path: Path) -> None:
    result = Analysis.load(WORKFLOWS / "pixel-classifier.yaml").run(out=tmp_path / "out")
    assert result.ok, [j.error for j in result.failures]
    fractions = result.table("fractions").set_index("class")["area_fraction"]
    truth = pd.read_csv(DATA / "microstructure-truth.csv").set_index("class")["area_fraction"]
    # Measured: 0.539, 0.321, 0.140 against 0.55, 0.30, 0.15 (six 3 px strokes per phase).
    for phase in (1, 2, 3):
        assert abs(fractions[phase] - truth[phase]) <= 0.03, (phase, fractions[phase])
    assert fractions.sum() == pytest.approx(1.0)


@pytest.mark.slow
def test_unet_trained_on_simulated_images_sizes_the_particles_and_its_model_reproduces(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    synthetic = Analysis.load(WORKFLOWS / "particles-unet-synthetic.yaml")
    first = synthetic.run(out=tmp_path / "synthetic", cache_dir=cache)
    assert first.ok, [j.error for j in first.failures]
    inside = _truth_inside()
    ecd = _ecd_row(first)
    # Measured: 446 particles (truth 461), mean ECD 73.2 nm (truth 71.6 nm).
    assert abs(int(ecd["count"]) - len(inside)) <= 0.1 * len(inside)
    assert float(ecd["mean"]) == pytest.approx(inside["ecd_px"].mean() * PIXEL_NM, rel=0.05)
    # The bundled model is this workflow's trained model: applied alone, the same numbers.
    applied = Analysis.load(WORKFLOWS / "particles-unet.yaml").run(
        out=tmp_path / "applied", cache_dir=cache)
    assert applied.ok, [j.error for j in applied.failures]
    pd.testing.assert_frame_equal(applied.table("sizes"), first.table("sizes"))
    # A second run reuses the training; a changed step after it still does.
    again = synthetic.run(out=tmp_path / "again", cache_dir=cache)
    assert _node_states(again) == {name: "cached" for name in _node_states(first)}
    changed = synthetic.run(out=tmp_path / "changed", cache_dir=cache,
                            params={"edge.exclude_border": False})
    states = _node_states(changed)
    assert states["train"] == states["simulate"] == states["predict"] == "cached"
    assert states["edge"] == "finished"
    assert int(_ecd_row(changed)["count"]) > int(ecd["count"])  # edge particles kept now
