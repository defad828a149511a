"""The bundled synthetic samples (examples/data): vendor metadata reads back, truth is consistent,
and the generator still reproduces them (regenerate with make_samples.py if this fails).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from lamella.core.sdk import read_image

DATA = Path(__file__).resolve().parents[3] / "examples" / "data"


def load_script():
    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_particles_carry_fei_metadata_and_a_bar() -> None:
    with tifffile.TiffFile(DATA / "particles.tif") as tif:
        fei = tif.fei_metadata
        assert tif.pages.first.shape == (826, 1024)  # the 1024 x 768 micrograph + 58 bar rows
        bar = tif.asarray()[768:]
    assert fei["Scan"]["PixelWidth"] == fei["Scan"]["PixelHeight"] == 2.5e-9
    assert (fei["Image"]["ResolutionX"], fei["Image"]["ResolutionY"]) == (1024, 768)
    assert fei["PrivateFei"]["DatabarHeight"] == 58
    assert fei["Detectors"]["Mode"] == "SE"
    assert (bar[0] == 252).all() and (bar[-1] == 252).all()  # the bar's separator rows
    cal = read_image(DATA / "particles.tif").calibration
    assert (cal.x, cal.unit, cal.source) == (2.5, "nm", "FEI")


def test_microstructure_carries_zeiss_metadata() -> None:
    with tifffile.TiffFile(DATA / "microstructure.tif") as tif:
        sem = tif.sem_metadata
    assert sem["ap_image_pixel_size"] == ("Image Pixel Size", 12.5, "nm")
    assert sem["ap_width"] == ("Width", 9.6, "µm")
    cal = read_image(DATA / "microstructure.tif").calibration
    assert (cal.x, cal.unit, cal.source) == (12.5, "nm", "Zeiss CZ_SEM")


def test_particle_truth_matches_its_table() -> None:
    labels = read_image(DATA / "particles-truth.tif")
    table = pd.read_csv(DATA / "particles-truth.csv")
    assert labels.data.shape == (768, 1024) and labels.calibration.x == 2.5
    counts = np.bincount(labels.data.ravel())
    assert len(counts) == len(table) + 1 == 495
    assert table["area_px"].tolist() == counts[1:].tolist()
    assert np.allclose(table["ecd_nm"], 2.5 * table["ecd_px"])
    # The realistic SE preset: agglomerated (91 % touching), 45 % of the field covered,
    # 30 px (75 nm) mean diameter: D10 43 nm, D90 103 nm.
    assert 0.85 < table["touching"].mean() < 0.95
    assert abs(np.count_nonzero(labels.data) / labels.data.size - 0.45) < 0.005
    assert np.percentile(table["ecd_nm"], 10) > 40 and np.percentile(table["ecd_nm"], 90) < 110
    assert table["border"].sum() == 33 and "lift_px" in table.columns


def test_microstructure_fractions_are_exact() -> None:
    classes = tifffile.imread(DATA / "microstructure-truth.tif")
    counts = np.bincount(classes.ravel())
    assert np.all(np.abs(counts[1:] - np.array([0.55, 0.30, 0.15]) * classes.size) <= 1)
    assert pd.read_csv(DATA / "microstructure-truth.csv")["pixels"].tolist() == counts[1:].tolist()


def test_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    # Pixels and tables, not file bytes: other zlib builds may compress the same data differently.
    script = load_script()
    script.make_particles(tmp_path)
    script.make_microstructure(tmp_path)
    for name in ("particles", "particles-truth", "microstructure", "microstructure-truth"):
        with tifffile.TiffFile(tmp_path / f"{name}.tif") as new, \
                tifffile.TiffFile(DATA / f"{name}.tif") as old:
            assert np.array_equal(new.asarray(), old.asarray()), name
            assert new.pages.first.description == old.pages.first.description, name
    for name in ("particles", "microstructure"):
        with tifffile.TiffFile(tmp_path / f"{name}.tif") as new, \
                tifffile.TiffFile(DATA / f"{name}.tif") as old:
            assert (new.fei_metadata, new.sem_metadata) == (old.fei_metadata, old.sem_metadata)
        truth = f"{name}-truth.csv"
        assert (tmp_path / truth).read_text() == (DATA / truth).read_text(), truth
