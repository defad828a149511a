"""Write ``microstructure-annotations.tif``: a few painted strokes per phase, as a user would.

Run from the repository root (seeded: the same command always gives the same pixels)::

    .venv/bin/python examples/data/make_annotations.py            # writes into examples/data/
    .venv/bin/python examples/data/make_annotations.py --out DIR  # anywhere else

The strokes are short straight brush lines (3 px wide, 30-60 px long) placed inside each
phase of ``microstructure-truth.tif``, at least 4 px from its boundaries (a careful user does
not paint on the blurred edges): 0 = unlabelled, 1..3 = the phase painted. Six strokes per
phase; the example workflow ``examples/workflows/pixel-classifier.yaml`` trains on them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage.draw import line

HERE = Path(__file__).resolve().parent
STROKES = {"per_class": 6, "seed": 11, "length_px": (30, 60), "width_px": 3, "margin_px": 4}
PIXEL_NM = 12.5
ANNOTATIONS_UUID = "6c1f3a52-9d0e-4b7e-8a55-0f2d7c3e1a11"


def strokes_for(truth: np.ndarray, *, per_class: int, seed: int, length_px: tuple[int, int],
                width_px: int, margin_px: int) -> np.ndarray:
    """Painted strokes (0 = unlabelled) inside each class of ``truth``, away from its edges."""
    rng = np.random.default_rng(seed)
    painted = np.zeros(truth.shape, np.uint8)
    brush = np.ones((width_px, width_px), bool)
    for value in np.unique(truth):
        inside = ndi.binary_erosion(truth == value, iterations=margin_px)
        centres = np.argwhere(inside)
        for y, x in centres[rng.choice(len(centres), per_class, replace=False)]:
            angle, half = rng.uniform(0, math.pi), rng.uniform(*length_px) / 2
            dy, dx = half * math.sin(angle), half * math.cos(angle)
            rows, cols = line(*_clipped(y - dy, x - dx, truth.shape), *_clipped(y + dy, x + dx, truth.shape))
            stroke = np.zeros(truth.shape, bool)
            stroke[rows, cols] = True
            painted[ndi.binary_dilation(stroke, brush) & inside] = value
    return painted


def _clipped(y: float, x: float, shape: tuple[int, ...]) -> tuple[int, int]:
    return int(np.clip(round(y), 0, shape[0] - 1)), int(np.clip(round(x), 0, shape[1] - 1))


def main() -> None:
    """Read the truth next to this script, write the annotations to --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    truth = tifffile.imread(HERE / "microstructure-truth.tif")
    painted = strokes_for(truth, **STROKES)  # type: ignore[arg-type]
    # OME-TIFF with the pixel size, zlib-compressed (strokes are mostly 0: 600 kB -> a few
    # kB); a fixed UUID so rerunning writes the same bytes.
    tifffile.imwrite(out / "microstructure-annotations.tif", painted, ome=True,
                     photometric="minisblack", compression="zlib",
                     metadata={"axes": "YX", "PhysicalSizeX": PIXEL_NM, "PhysicalSizeXUnit": "nm",
                               "PhysicalSizeY": PIXEL_NM, "PhysicalSizeYUnit": "nm",
                               "UUID": f"urn:uuid:{ANNOTATIONS_UUID}"})
    counts = {int(v): int(np.count_nonzero(painted == v)) for v in np.unique(painted) if v}
    print(f"wrote {out / 'microstructure-annotations.tif'}: painted pixels per class {counts}")


if __name__ == "__main__":
    main()
