"""Write the bundled synthetic sample images, their ground truth and vendor metadata.

Run from the repository root (seeded: the same command always gives the same pixels)::

    .venv/bin/python examples/data/make_samples.py            # writes into examples/data/
    .venv/bin/python examples/data/make_samples.py --out DIR  # anywhere else

Files written (see README.md next to this script):

* ``particles.tif``: a secondary-electron (SE) SEM image of agglomerated nanoparticles, the
  generator's realistic Zeiss-like look (``generate.ZEISS_LIKE``, 30 px mean diameter), written
  in the FEI/Thermo layout by ``layouts.write_sem_tiff``: 1024 x 768 micrograph + 58-row data
  bar, 8-bit, 2.5 nm/pixel in tag 34682 (FEI_HELIOS, INI text as Thermo writes it).
  ``particles-truth.tif`` (labels of the 1024 x 768 micrograph, bar excluded) and
  ``particles-truth.csv`` (one row per particle).
* ``microstructure.tif``: a 3-phase microstructure, 768 x 768, 8-bit, 12.5 nm/pixel in Zeiss
  SmartSEM metadata (tag 34118, CZ_SEM). ``microstructure-truth.tif`` (classes 1..3) and
  ``microstructure-truth.csv`` (pixels and area fraction per class).

The generator is the ``lamella/synthetic`` module's ``generate.py`` and the FEI file its
``layouts.py``, so these files are exactly what that module makes with the same parameters
(rendering 'se', file_layout 'fei'; the microstructure adds Zeiss tags here).
"""

from __future__ import annotations

import argparse
import csv
import uuid
from pathlib import Path

import numpy as np
import tifffile

from lamella.core.sdk.testing import import_module_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
generate = import_module_file(REPO / "modules" / "synthetic", "generate")
layouts = import_module_file(REPO / "modules" / "synthetic", "layouts")

# The realistic SE preset at 30 px (75 nm) mean diameter, in an FEI file with 2.5 nm pixels.
PARTICLES = {"width": 1024, "height": 768, "seed": 2026, "pixel_nm": 2.5, "layout": "fei",
             "mean_diameter_px": 30.0, "look": generate.ZEISS_LIKE}
MICROSTRUCTURE = {"width": 768, "height": 768, "seed": 7, "pixel_nm": 12.5,
                  "fractions": (0.55, 0.30, 0.15), "feature_size_px": 40.0, "blur": 1.2,
                  "noise": 0.06}
CZ_SEM = 34118


def make_particles(out: Path) -> None:
    """particles.tif (FEI layout: data bar, metadata), its ground-truth labels and table."""
    p = PARTICLES
    image, labels, rows = generate.particles(p["width"], p["height"], seed=p["seed"],
                                             mean_diameter=p["mean_diameter_px"], **p["look"])
    layouts.write_sem_tiff(out / "particles.tif", image, layout=p["layout"],
                           pixel_size_nm=p["pixel_nm"], seed=p["seed"])
    write_truth_labels(out / "particles-truth.tif", labels, p["pixel_nm"])
    generate.add_physical_columns(rows, p["pixel_nm"], "nm")
    write_csv(out / "particles-truth.csv", rows)


def make_microstructure(out: Path) -> None:
    """microstructure.tif (Zeiss metadata), its ground-truth classes and fractions."""
    m = MICROSTRUCTURE
    image, classes, rows = generate.phases(
        m["width"], m["height"], seed=m["seed"], count=len(m["fractions"]),
        fractions=np.array(m["fractions"]), feature_size=m["feature_size_px"], blur=m["blur"],
        noise=m["noise"])
    metadata = zeiss_metadata(m["width"], m["height"], m["pixel_nm"])
    tifffile.imwrite(out / "microstructure.tif", image, photometric="minisblack",
                     compression="zlib", extratags=[(CZ_SEM, "B", len(metadata), metadata, True)])
    write_truth_labels(out / "microstructure-truth.tif", classes, m["pixel_nm"])
    write_csv(out / "microstructure-truth.csv", rows)


def zeiss_metadata(width: int, height: int, pixel_nm: float) -> bytes:
    """CZ_SEM text as Zeiss SmartSEM writes into tag 34118 (cp1252, 'µ' as byte 0xB5)."""
    field_um = f"{width * pixel_nm / 1000:.3f}"
    lines = [
        "0", "0", "0", "0",
        "AP_PIXEL_SIZE", f"Pixel Size = {pixel_nm} nm",
        "AP_IMAGE_PIXEL_SIZE", f"Image Pixel Size = {pixel_nm} nm",
        "AP_WIDTH", f"Width = {field_um} µm",
        "AP_HEIGHT", f"Height = {height * pixel_nm / 1000:.3f} µm",
        "DP_IMAGE_STORE", f"Store resolution = {width} * {height}",
        "AP_MANUALKV", "EHT Target = 15.00 kV",
        "DP_DETECTOR_CHANNEL", "Signal A = BSD",
        "AP_DATE", "Date :15 Jan 2026",
        "SV_USER_TEXT", "User Text = Lamella synthetic sample (generated)", "",
    ]
    return "\r\n".join(lines).encode("cp1252")


def write_truth_labels(path: Path, labels: np.ndarray, pixel_nm: float) -> None:
    """Ground-truth labels as a compressed OME-TIFF carrying the same pixel size.

    The OME UUID is derived from the file name (tifffile would draw a new one per write),
    so rerunning the script reproduces the files byte for byte.
    """
    metadata = {"axes": "YX", "PhysicalSizeX": pixel_nm, "PhysicalSizeXUnit": "nm",
                "PhysicalSizeY": pixel_nm, "PhysicalSizeYUnit": "nm",
                "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"lamella-sample/{path.name}"))}
    tifffile.imwrite(path, labels, ome=True, photometric="minisblack", compression="zlib",
                     metadata=metadata)


def write_csv(path: Path, rows: list[dict]) -> None:
    """One row per dict, the keys of the first as the header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write all samples into --out (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    make_particles(out)
    make_microstructure(out)
    for name in sorted(p.name for p in out.iterdir() if p.name.startswith(("particles", "micro"))):
        print(f"{name:28s} {(out / name).stat().st_size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
