"""A small U-Net trained on the CPU, scored against known truth: SEM particles and nuclei.

SEM: the model is trained by ``lamella/unet-train`` (three-class target, seeded, a fixed
number of iterations) on nine simulated secondary-electron images (``generate.ZEISS_LIKE``,
the calibration of ``benchmarks/sem_difficulty.json``: as hard as real Zeiss images) of
20, 30 and 40 px particles, seeds 100-108. It is scored on six held-out images of the same
kind, other seeds (11, 12), 384 x 384 px. Instances come from ``lamella/unet-predict``
through ``lamella/watershed`` in two ways:

- boundary-aware markers: ``dark-cores`` on the predicted boundary probability (seeds in
  its low basins inside the mask, regions grown over it), as the issue asks of part 7;
- the example workflows' setting (``particles-unet*.yaml``): ``distance-peaks`` markers on
  the mask's distance map, regions flooded over the boundary probability.

The baseline is the best hand-tuned threshold + distance-watershed workflow on the same
images, found with the benchmark's own grid (``benchmarks/sem_difficulty.py``: median 0-3,
six thresholds, hole filling, five marker distances; one setting per particle size serves
both seeds), pruned harder to keep the test short: masks more than 0.03 (not 0.1) below the
best foreground IoU are not split (on the benchmark's images the best-F1 mask was never more
than 0.018 below it). Scoring as in the benchmark: objects touching the image edge are
removed from truth and result, matches at IoU > 0.5, F1 = 2 TP / (truth + found).

Nuclei: the bundled DSB2018 sample (``examples/data/nuclei-dsb2018``), trained on its left
half with its instance labels (three-class), scored on the right half (the halves' cut
edge counts as an image edge).

Figures measured here (CPU, torch 2.13, 2 threads) are in docs/unet.md; run with
``-s`` to print them:

    .venv/bin/python -m pytest -q -s -p no:cacheprovider --durations=0 \
        tests/accuracy/test_unet_accuracy.py
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Calibration, Image, read_image, write_image
from lamella.core.sdk.testing import ModuleRun, import_module_file, run_module

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "modules"
NUCLEI = REPO / "examples" / "data" / "nuclei-dsb2018"
generate = import_module_file(MODULES / "synthetic", "generate")
split = import_module_file(MODULES / "watershed", "split")
benchmark = import_module_file(REPO / "benchmarks", "sem_difficulty")

PIXEL = Calibration(7.344, 7.344, "nm")  # the calibration's Zeiss pixel size
DIAMETERS = (20.0, 30.0, 40.0)  # the real TiO2 images' 15-40 px particles
TRAIN_SEEDS = tuple(range(100, 109))  # nine 256 x 256 images, three per diameter
TRAIN_SIZE = 256
HELD_OUT_SEEDS = (11, 12)
HELD_OUT_SIZE = 384
IOU_MARGIN = 0.03  # hand-tuned grid: masks this far below the best IoU are not split

# Sized to train in about 30 s on two CPU cores; docs/unet.md says how figures grow with more.
TRAINING = {"target": "three-class", "boundary_width": 2, "depth": 3, "width": 8,
            "patch_size": 96, "batch_size": 8, "validate_every": 50, "seed": 0, "onnx": False}
SEM_ITERATIONS = 300
NUCLEI_ITERATIONS = 200
TILES = {"tile_size": 256, "tile_overlap": 64}

BOUNDARY_AWARE = "boundary-aware"  # dark-cores markers on the boundary probability
EXAMPLE = "example"  # distance-peaks markers, flooded over the boundary probability

REQUIRED_IOU = 0.88
REQUIRED_GAIN = 0.15  # instance F1 over the best hand-tuned workflow
NUCLEI_F1_FLOOR = 0.88  # measured 0.915 (boundary-aware) and 0.889 (example's setting)


@dataclass(frozen=True)
class Field:
    """One held-out simulated SEM image and its truth."""

    diameter: float
    seed: int
    image: np.ndarray
    truth: np.ndarray

    @property
    def name(self) -> str:
        return f"d{self.diameter:g}-s{self.seed}"


@dataclass(frozen=True)
class Scored:
    """The U-Net's foreground IoU and instance F1 (per watershed setting) on one image."""

    foreground_iou: float
    f1: dict[str, float]


def instance_f1(truth: np.ndarray, found: np.ndarray) -> float:
    """The benchmark's F1: border objects removed from both, matches at IoU > 0.5."""
    return benchmark.instance_f1(benchmark.drop_border(truth), benchmark.drop_border(found))


@pytest.fixture(scope="module")
def fields() -> list[Field]:
    out = []
    for diameter in DIAMETERS:
        for seed in HELD_OUT_SEEDS:
            image, truth, _ = generate.particles(HELD_OUT_SIZE, HELD_OUT_SIZE, seed=seed,
                                                 mean_diameter=diameter, **generate.ZEISS_LIKE)
            out.append(Field(diameter, seed, image, truth))
    return out


@pytest.fixture(scope="module")
def sem_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sem-train")
    images, labels = [], []
    for index, seed in enumerate(TRAIN_SEEDS):
        image, truth, _ = generate.particles(TRAIN_SIZE, TRAIN_SIZE, seed=seed,
                                             mean_diameter=DIAMETERS[index % 3],
                                             **generate.ZEISS_LIKE)
        images.append(write_image(folder / f"image-{seed}.ome.tif", Image(image, "YX", PIXEL)))
        labels.append(write_image(folder / f"labels-{seed}.ome.tif",
                                  Image(truth.astype(np.uint16), "YX", PIXEL)))
    run = run_module(MODULES / "unet-train", folder, inputs={"images": images,
                                                              "label_images": labels},
                     params={**TRAINING, "iterations": SEM_ITERATIONS}, node="train")
    return run.path("model")


def segment(folder: Path, image: np.ndarray, model: Path, name: str,
            calibration: Calibration | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """unet-predict's foreground mask and watershed's instances for each setting."""
    path = write_image(folder / f"{name}.ome.tif", Image(image, "YX", calibration))
    predicted = run_module(MODULES / "unet-predict", folder, inputs={"image": path, "model": model},
                           params=TILES, node=f"predict-{name}")
    mask = predicted.image("labels").data > 0
    return mask, {kind: separate(folder, predicted, kind, name).image("labels").data
                  for kind in (BOUNDARY_AWARE, EXAMPLE)}


def separate(folder: Path, predicted: ModuleRun, kind: str, name: str) -> ModuleRun:
    """Watershed of unet-predict's class map along its boundary probability."""
    inputs = {"mask": predicted.path("labels")}
    if kind == BOUNDARY_AWARE:
        inputs["image"] = predicted.path("boundary")
        params = {"markers": "dark-cores"}
    else:
        inputs["boundaries"] = predicted.path("boundary")
        params = {"markers": "distance-peaks", "min_distance": "auto"}
    return run_module(MODULES / "watershed", folder, inputs=inputs, params=params,
                      node=f"{kind}-{name}")


@pytest.fixture(scope="module")
def unet(fields: list[Field], sem_model: Path,
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scored]:
    folder = tmp_path_factory.mktemp("sem-predict")
    scores = {}
    for field in fields:
        mask, instances = segment(folder, field.image, sem_model, field.name, PIXEL)
        scores[field.name] = Scored(benchmark.foreground_iou(mask, field.truth),
                                    {k: instance_f1(field.truth, v) for k, v in instances.items()})
    return scores


@pytest.fixture(scope="module")
def hand_tuned(fields: list[Field]) -> dict[str, float]:
    """Per image, the F1 of the grid setting with the best mean F1 over its diameter's seeds."""
    best = {}
    for diameter in DIAMETERS:
        group = [f for f in fields if f.diameter == diameter]
        grids = [_grid_f1(f) for f in group]
        setting = max(grids[0], key=lambda key: float(np.mean([g[key] for g in grids])))
        best.update({f.name: g[setting] for f, g in zip(group, grids, strict=True)})
    return best


def _grid_f1(field: Field) -> dict[tuple, float]:
    """F1 of every (median, threshold, fill, min_distance) of the benchmark's grid."""
    masks = benchmark.grid_masks(field.image, field.truth, field.diameter)
    best_iou = max(iou for _, iou in masks.values())
    scores = {}
    for key, (mask, iou) in masks.items():
        for distance in benchmark.distances(field.diameter):
            f1 = 0.0
            if iou >= best_iou - IOU_MARGIN:
                f1 = instance_f1(field.truth, split.split_particles(mask, min_distance=distance))
            scores[(*key, distance)] = f1
    return scores


def _mean(values: Callable[[str], float], names: list[str]) -> float:
    return float(np.mean([values(n) for n in names]))


@pytest.fixture(scope="module")
def table(fields: list[Field], unet: dict[str, Scored], hand_tuned: dict[str, float]) -> str:
    lines = ["| image | U-Net foreground IoU | U-Net F1, boundary-aware | U-Net F1, example's "
             "setting | best hand-tuned F1 |", "|---|---|---|---|---|"]
    for f in fields:
        s = unet[f.name]
        lines.append(f"| {f.name} | {s.foreground_iou:.3f} | {s.f1[BOUNDARY_AWARE]:.3f} | "
                     f"{s.f1[EXAMPLE]:.3f} | {hand_tuned[f.name]:.3f} |")
    names = [f.name for f in fields]
    lines.append(f"| mean | {_mean(lambda n: unet[n].foreground_iou, names):.3f} | "
                 f"{_mean(lambda n: unet[n].f1[BOUNDARY_AWARE], names):.3f} | "
                 f"{_mean(lambda n: unet[n].f1[EXAMPLE], names):.3f} | "
                 f"{_mean(hand_tuned.__getitem__, names):.3f} |")
    text = "\n".join(lines)
    print("\n" + text)
    return text


@pytest.mark.slow
def test_unet_foreground_iou_on_held_out_sem_images(fields, unet, table) -> None:
    for field in fields:
        assert unet[field.name].foreground_iou >= REQUIRED_IOU, (field.name, table)


@pytest.mark.slow
def test_unet_instances_beat_the_best_hand_tuned_workflow_by_0_15_in_f1(fields, unet,
                                                                          hand_tuned,
                                                                          table) -> None:
    names = [f.name for f in fields]
    baseline = _mean(hand_tuned.__getitem__, names)
    assert 0.45 < baseline < 0.75, table  # the calibration's difficulty (real images: 0.59)
    gain = _mean(lambda n: unet[n].f1[BOUNDARY_AWARE], names) - baseline
    assert gain >= REQUIRED_GAIN, table
    for diameter in DIAMETERS:  # and at every particle size
        group = [f.name for f in fields if f.diameter == diameter]
        assert (_mean(lambda n: unet[n].f1[BOUNDARY_AWARE], group)
                - _mean(hand_tuned.__getitem__, group)) >= REQUIRED_GAIN, (diameter, table)


@pytest.mark.slow
def test_the_example_watershed_setting_beats_hand_tuning_but_splits_worse(fields, unet,
                                                                          hand_tuned,
                                                                          table) -> None:
    """distance-peaks seeds ignore the predicted boundaries: fewer particles separated."""
    names = [f.name for f in fields]
    example = _mean(lambda n: unet[n].f1[EXAMPLE], names)
    assert example - _mean(hand_tuned.__getitem__, names) >= 0.1, table
    assert _mean(lambda n: unet[n].f1[BOUNDARY_AWARE], names) >= example + 0.05, table


@pytest.mark.slow
def test_nuclei_trained_on_the_left_half_found_on_the_right(tmp_path: Path) -> None:
    image = read_image(NUCLEI / "image.tif").data
    labels = read_image(NUCLEI / "labels.tif").data
    half = image.shape[1] // 2
    left = write_image(tmp_path / "left.ome.tif", Image(image[:, :half], "YX"))
    left_labels = write_image(tmp_path / "left-labels.ome.tif", Image(labels[:, :half], "YX"))
    trained = run_module(MODULES / "unet-train", tmp_path,
                         inputs={"image": left, "labels": left_labels},
                         params={**TRAINING, "iterations": NUCLEI_ITERATIONS}, node="train")
    truth = labels[:, half:]
    mask, instances = segment(tmp_path, image[:, half:], trained.path("model"), "right", None)
    f1 = {kind: instance_f1(truth, found) for kind, found in instances.items()}
    iou = benchmark.foreground_iou(mask, truth)
    print(f"\nnuclei, right half: foreground IoU {iou:.3f}, instance F1 boundary-aware "
          f"{f1[BOUNDARY_AWARE]:.3f}, example's setting {f1[EXAMPLE]:.3f}")
    assert iou >= 0.8
    assert f1[BOUNDARY_AWARE] >= NUCLEI_F1_FLOOR
    assert f1[EXAMPLE] >= NUCLEI_F1_FLOOR - 0.02
