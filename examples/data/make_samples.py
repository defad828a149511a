"""Write the bundled synthetic sample images, their ground truth and vendor metadata.

Run from the repository root (seeded: the same command always gives the same pixels)::

    .venv/bin/python examples/data/make_samples.py            # writes into examples/data/
    .venv/bin/python examples/data/make_samples.py --out DIR  # anywhere else

Files written (see README.md next to this script):

* ``particles.tif``: SEM-like nanoparticles, 1024 x 768 micrograph + 60-row data bar, 8-bit,
  2.5 nm/pixel in FEI/Thermo metadata (tag 34682, FEI_HELIOS, INI text as Thermo writes it).
  ``particles-truth.tif`` (labels of the 1024 x 768 micrograph, bar excluded) and
  ``particles-truth.csv`` (one row per particle).
* ``microstructure.tif``: a 3-phase microstructure, 768 x 768, 8-bit, 12.5 nm/pixel in Zeiss
  SmartSEM metadata (tag 34118, CZ_SEM). ``microstructure-truth.tif`` (classes 1..3) and
  ``microstructure-truth.csv`` (pixels and area fraction per class).

The generator is the ``lamella/synthetic`` module's ``generate.py``, so these files are
exactly what that module makes with the same parameters (plus the vendor tags).
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

PARTICLES = {"width": 1024, "height": 768, "seed": 2026, "pixel_nm": 2.5,
             "mean_diameter_nm": 36.0, "size_spread": 0.3, "coverage": 0.3,
             "agglomeration": 0.45, "blur": 0.6, "noise": 0.08}
MICROSTRUCTURE = {"width": 768, "height": 768, "seed": 7, "pixel_nm": 12.5,
                  "fractions": (0.55, 0.30, 0.15), "feature_size_px": 40.0, "blur": 1.2,
                  "noise": 0.06}
FEI_HELIOS, CZ_SEM = 34682, 34118
_DATE = "01/15/2026"  # fixed, so the files are reproducible


def make_particles(out: Path) -> None:
    """particles.tif (FEI metadata, data bar), its ground-truth labels and table."""
    p = PARTICLES
    image, labels, rows = generate.particles(
        p["width"], p["height"], seed=p["seed"], mean_diameter=p["mean_diameter_nm"] / p["pixel_nm"],
        size_spread=p["size_spread"], coverage=p["coverage"], agglomeration=p["agglomeration"],
        blur=p["blur"], noise=p["noise"], with_info_bar=True)
    bar = image.shape[0] - p["height"]
    metadata = fei_metadata(p["width"], p["height"], p["pixel_nm"] * 1e-9, bar)
    tifffile.imwrite(out / "particles.tif", image, photometric="minisblack",
                     compression="zlib", extratags=[(FEI_HELIOS, "s", 0, metadata, True)])
    write_truth_labels(out / "particles-truth.tif", labels[:p["height"]], p["pixel_nm"])
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


def fei_metadata(width: int, height: int, pixel_m: float, bar_rows: int) -> str:
    """INI text as FEI/Thermo instruments write into tag 34682 (a representative subset)."""
    return "\r\n".join([
        "[User]", f"Date={_DATE}", "Time=10:24:31 AM", "User=user",
        "UserText=Lamella synthetic sample (generated, not an acquisition)",
        "[System]", "Type=SEM", "Software=Lamella make_samples.py",
        "[Beam]", "HV=5000", "Spot=2.0", "WD=0.0041",
        "[Scan]", "InternalScan=true", "Dwelltime=3e-06",
        f"PixelWidth={pixel_m:.6g}", f"PixelHeight={pixel_m:.6g}",
        f"HorFieldsize={pixel_m * width:.6g}", f"VerFieldsize={pixel_m * height:.6g}",
        "[Image]", "DigitalContrast=1", "DigitalBrightness=0",
        f"ResolutionX={width}", f"ResolutionY={height}",
        "[PrivateFei]", f"DatabarHeight={bar_rows}", "",
    ])


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
