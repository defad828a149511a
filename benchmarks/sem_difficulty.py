"""How hard the synthetic SEM images are: the best hand-tuned classical workflow on them.

For each mean particle diameter, seeded images are generated with the realistic Zeiss-like
secondary-electron settings (``generate.ZEISS_LIKE`` of the ``lamella/synthetic`` module) and
segmented with every setting of a coarse grid of classical workflows: median denoising
(radius 0-3), a threshold (otsu, li, triangle, yen, or sauvola with a window of 2 or 4 mean
diameters), with or without hole filling, then a distance-transform watershed with
min_distance around the particle radius. The module functions are called directly, as the
modules run them. One setting serves all seeds of a diameter, as a hand-tuned workflow
would; the best one by mean instance F1 is reported, with its foreground IoU.

Instance F1 matches objects at IoU > 0.5 (``tests/matching.py``) after objects touching
the image border are removed from both truth and result: F1 = 2 TP / (truth + predicted).
Foreground IoU compares the mask with the truth's foreground over the whole image.

    .venv/bin/python benchmarks/sem_difficulty.py               # -> sem_difficulty.json, ~10 min
    .venv/bin/python benchmarks/sem_difficulty.py OUT.json --seeds 1 2 3 --diameters 20 40

Real images for comparison: on 40 Zeiss SE images of TiO2 agglomerates (7.3 nm pixels,
particles 15-40 px) the best hand-tuned workflow of this kind reached foreground IoU 0.90
and instance F1 0.59.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from lamella.core.sdk.testing import import_module_file

REPO = Path(__file__).resolve().parents[1]
MODULES = REPO / "modules"
generate = import_module_file(MODULES / "synthetic", "generate")
levels = import_module_file(MODULES / "threshold", "levels")
cleanup = import_module_file(MODULES / "threshold", "cleanup")
smoothing = import_module_file(MODULES / "denoise", "smoothing")
split = import_module_file(MODULES / "watershed", "split")

DIAMETERS = (10.0, 20.0, 30.0, 40.0, 60.0)
SEEDS = (1, 2)  # two 1024 x 768 fields: 250 (60 px) to 9000 (10 px) particles per diameter
SIZE = (1024, 768)
GLOBAL = ("otsu", "li", "triangle", "yen")
SAUVOLA_WINDOWS = (2, 4)  # window side in mean diameters
SAUVOLA_K = 0.2
MEDIAN_RADII = (0, 1, 2, 3)
DISTANCE_SHARES = (0.35, 0.5, 0.75, 1.0, 1.25)  # min_distance as a share of the mean radius
MIN_AREA_SHARE = 0.1  # objects under a tenth of the mean particle area are noise
IOU_MARGIN = 0.1  # masks this far below the best foreground IoU are not split


def load_matching():  # type: ignore[no-untyped-def]
    """tests/matching.py, the matcher the accuracy tests use."""
    spec = importlib.util.spec_from_file_location("matching", REPO / "tests" / "matching.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("matching", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


matching = load_matching()


def drop_border(labels: np.ndarray) -> np.ndarray:
    """Labels with every object touching the image edge set to 0."""
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    out = labels.copy()
    out[np.isin(labels, np.unique(edges[edges > 0]))] = 0
    return out


def instance_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of IoU > 0.5 matches: 2 TP / (truth objects + predicted objects)."""
    found = matching.match(truth, predicted, threshold=0.5)
    total = found.truth_count + found.predicted_count
    return 2 * len(found.pairs) / total if total else 1.0


def foreground_iou(mask: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of the mask and the truth's foreground."""
    inside = truth > 0
    union = np.count_nonzero(mask | inside)
    return np.count_nonzero(mask & inside) / union if union else 1.0


def threshold_settings(diameter: float) -> list[str]:
    """Threshold methods of the grid: the global ones and sauvola with two windows."""
    windows = [f"sauvola-{odd(share * diameter)}" for share in SAUVOLA_WINDOWS]
    return list(GLOBAL) + windows


def odd(value: float) -> int:
    """The nearest odd whole number of at least 3."""
    return max(3, round(value) // 2 * 2 + 1)


def foreground(image: np.ndarray, method: str, *, fill: bool, min_area: float) -> np.ndarray:
    """Threshold (foreground brighter), optional hole filling, small objects removed."""
    if method.startswith("sauvola-"):
        mask = levels.sauvola_foreground(image, window_size=int(method.split("-")[1]),
                                         k=SAUVOLA_K, dark_objects=False)
    else:
        mask = image > levels.global_level(image, method=method)
    if fill:
        mask = cleanup.fill_holes(mask)
    return cleanup.remove_small_objects(mask, min_area=min_area)


def distances(diameter: float) -> list[int]:
    """min_distance values of the grid, whole pixels around the mean radius."""
    return sorted({max(1, round(share * diameter / 2)) for share in DISTANCE_SHARES})


def score_image(image: np.ndarray, truth: np.ndarray, diameter: float) -> dict[tuple, tuple]:
    """(F1, foreground IoU) of the grid settings on one image.

    Masks whose foreground IoU is more than ``IOU_MARGIN`` below the best mask's are not
    split (F1 0): on these images such masks never gave the best F1, and skipping them
    halves the run time.
    """
    inner_truth = drop_border(truth)
    masks = grid_masks(image, truth, diameter)
    best_iou = max(iou for _, iou in masks.values())
    scores = {}
    for (radius, method, fill), (mask, iou) in masks.items():
        for min_distance in distances(diameter):
            f1 = 0.0
            if iou >= best_iou - IOU_MARGIN:
                labels = split.split_particles(mask, min_distance=min_distance)
                f1 = instance_f1(inner_truth, drop_border(labels))
            scores[(radius, method, fill, min_distance)] = (f1, iou)
    return scores


def grid_masks(image: np.ndarray, truth: np.ndarray, diameter: float) -> dict[tuple, tuple]:
    """Foreground mask and its IoU for every (median radius, threshold, fill) of the grid."""
    min_area = MIN_AREA_SHARE * np.pi * diameter**2 / 4
    masks = {}
    for radius in MEDIAN_RADII:
        data = image if radius == 0 else smoothing.median(image, radius=radius)
        for method, fill in itertools.product(threshold_settings(diameter), (False, True)):
            mask = foreground(data, method, fill=fill, min_area=min_area)
            masks[(radius, method, fill)] = (mask, foreground_iou(mask, truth))
    return masks


def calibrate(diameter: float, seeds: tuple[int, ...], size: tuple[int, int],
              params: dict) -> dict:
    """Best setting by mean F1 over the seeds, with its F1, IoU and the best IoU overall."""
    per_seed = []
    for seed in seeds:
        image, truth, _ = generate.particles(*size, seed=seed, mean_diameter=diameter, **params)
        per_seed.append(score_image(image, truth, diameter))
    mean = {key: tuple(float(np.mean([s[key][i] for s in per_seed])) for i in (0, 1))
            for key in per_seed[0]}
    best = max(mean, key=lambda key: mean[key][0])
    radius, method, fill, min_distance = best
    return {
        "mean_diameter_px": diameter,
        "best_f1": round(mean[best][0], 4),
        "foreground_iou_at_best_f1": round(mean[best][1], 4),
        "best_foreground_iou": round(max(v[1] for v in mean.values()), 4),
        "f1_per_seed": [round(s[best][0], 4) for s in per_seed],
        "best_setting": {"median_radius_px": radius, "threshold": method,
                         "fill_holes": fill, "min_distance_px": min_distance},
        "settings_tried": len(mean),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the grid for every diameter and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path,
                        default=REPO / "benchmarks" / "sem_difficulty.json")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--diameters", type=float, nargs="+", default=list(DIAMETERS))
    parser.add_argument("--size", type=int, nargs=2, default=list(SIZE), metavar=("W", "H"))
    args = parser.parse_args(argv)
    params = dict(generate.ZEISS_LIKE)
    started = time.perf_counter()
    results = []
    for diameter in args.diameters:
        results.append(calibrate(diameter, tuple(args.seeds), tuple(args.size), params))
        row = results[-1]
        print(f"{diameter:5.0f} px  best F1 {row['best_f1']:.3f}  foreground IoU "
              f"{row['foreground_iou_at_best_f1']:.3f}  {row['best_setting']}", flush=True)
    report = {"generator": {"function": "generate.particles", "width": args.size[0],
                            "height": args.size[1], "seeds": args.seeds, **params},
              "grid": grid_description(), "results": results,
              "seconds": round(time.perf_counter() - started, 1)}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def grid_description() -> dict:
    """The grid in words and numbers, for the report."""
    return {"median_radius_px": list(MEDIAN_RADII), "threshold": list(GLOBAL) + [
        f"sauvola (k {SAUVOLA_K}, window {w} x diameter)" for w in SAUVOLA_WINDOWS],
        "fill_holes": [False, True],
        "min_distance": "0.35, 0.5, 0.75, 1, 1.25 x mean radius (whole px)",
        "min_area": f"{MIN_AREA_SHARE} x mean particle area", "markers": "distance-peaks",
        "matching": "IoU > 0.5, border objects removed from truth and result",
        "pruning": f"masks more than {IOU_MARGIN} below the best foreground IoU are not split"}


if __name__ == "__main__":
    main(sys.argv[1:])
