"""(j) Trainable segmentation: U-Net inference, the pixel classifier, live retraining.

All in this process, with the modules' thread grant (2, from their ``module.json``) as
PyTorch's intra-op threads and scikit-learn's ``n_jobs``; ONNX Runtime keeps its own default
(one thread per core), as ``unet-predict`` leaves it.

- **U-Net tiled inference**: ``unet-predict``'s path (``predict_ensemble`` over blended tiles,
  one model, the module's default tile size, overlap and batch size) against MONAI's
  ``sliding_window_inference`` (``mode="gaussian"``, ``sigma_scale=0.125``) with the same
  network (``unet-train``'s default depth and width, three classes, seeded random weights:
  a throughput figure), the same tiles, batch size and softmax, torch eager. MONAI's overlap
  is a fraction of the tile: tile overlap / tile size gives the same pixel overlap (its scan
  interval ``int(tile x (1 - fraction))`` = tile - overlap). Throughput ratio = MONAI's time /
  Lamella's, per round. The fastest engine ``unet-predict`` offers, ONNX Runtime (the graph
  ``unet-train`` stores, exported once, untimed), against the same MONAI run.
- **Memory**: the same prediction in a fresh interpreter, its RSS sampled every 20 ms with
  psutil (and the kernel's own peak, ``VmHWM``), above its RSS before predicting.
- **Pixel classifier**: training (``train_pixel_forest``) and prediction
  (``PixelForest.predict``), the library calls of ``pixel-classifier-train`` and
  ``-predict``, against a plain scikit-image + scikit-learn script with the same features
  (FeatureBank's plan, the same filters and scales, the whole image at once) and the same
  ``RandomForestClassifier`` settings on the same strokes.
- **Live retraining** in the editor's painting window (Qt offscreen): from a stroke painted
  through ``AnnotateWindow.paint`` to the prediction of the area in view drawn on the UI
  thread (its worker thread trains a ``LiveClassifier`` with the features already computed);
  and ``LiveClassifier.train`` + ``predict(area in view)`` alone.

Run alone, ``python benchmarks/bench_ml.py unet-memory IMAGE ...`` is the memory figure's
predicting process, and ``python benchmarks/bench_ml.py live [--rounds N]`` measures only the
live-retraining figures and prints them, ``unet`` the U-Net tiling and memory figures
(RESULTS.md is not written).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from _common import (
    REPO,
    SEM_LIKE,
    Config,
    Row,
    Section,
    Spread,
    alternate,
    bench_env,
    fresh_dir,
    generate,
    ratios,
    shown,
    synthetic_image,
)

UNET_SIZE, QUICK_UNET_SIZE = 2048, 128
QUICK_TILE, QUICK_OVERLAP = 64, 16  # a few tiles on the quick image
CLASSES = 3  # a three-class model (background, interior, boundary), as the examples train
PIXEL_SIZE, QUICK_PIXEL_SIZE = 2048, 128
LIVE_SIZE, QUICK_LIVE_SIZE = 1024, 128
STROKE_FRACTION = 0.02  # of the pixels, for training the pixel classifier
LIVE_FRACTION = 0.005  # painted before the timed strokes: a few thousand pixels
LIVE_STROKES = 3  # timed strokes per view per round
BACKGROUND, PARTICLE = 1, 2
# Strokes as examples/data/make_annotations.py paints them: short straight brush lines
# inside a class, at least 2 px from its boundary.
STROKE_LENGTH_PX, BRUSH_PX, MARGIN_PX = (10, 20), 3, 2
UNET_TARGET, FASTEST_TARGET, AGREEMENT = 1.0, 1.5, 1e-4
MEMORY_FACTOR = 2.0  # room for the tiles' blending sums, the ensemble's mean and spread
PIXEL_TARGET, LIVE_TARGET_S = 1.15, 1.0
SAMPLE_S = 0.02
# U-Net rounds per configured round: half a minute each, and the ratio is close to 1, so
# more rounds make its median steadier.
UNET_ROUNDS = 2


def _module(name: str) -> dict[str, Any]:
    return json.loads((REPO / "modules" / name / "module.json").read_text(encoding="utf-8"))


def defaults(name: str) -> dict[str, Any]:
    """A module's parameter defaults."""
    return {key: spec.get("default") for key, spec in _module(name)["parameters"].items()}


def threads(name: str) -> int:
    """The threads a module's step is granted (``resources.threads``)."""
    return int(_module(name)["resources"]["threads"])


# ----- data -------------------------------------------------------------------------------
def scene(folder: Path, size: int) -> tuple[Path, np.ndarray, np.ndarray]:
    """(OME-TIFF, image, classes) of the seeded SE image: 1 = background, 2 = particle.

    The image is ``synthetic_image``'s (the other benchmarks' data); its truth comes from the
    same seeded generator, kept beside it.
    """
    from lamella.core.sdk import read_image

    path = synthetic_image(folder, size)
    truth_path = path.with_name(path.name.replace(".ome.tif", "-classes.npy"))
    if not truth_path.exists():
        _, truth, _ = generate.particles(size, size, seed=1, **SEM_LIKE)
        np.save(truth_path, np.where(truth > 0, PARTICLE, BACKGROUND).astype(np.uint8))
    return path, read_image(path).data, np.load(truth_path)


class Painter:
    """Brush strokes inside each class of a truth, as a careful user paints them."""

    def __init__(self, classes: np.ndarray, seed: int) -> None:
        from scipy import ndimage as ndi

        self.shape = classes.shape
        self.rng = np.random.default_rng(seed)
        self.inside = {v: ndi.binary_erosion(classes == v, iterations=MARGIN_PX)
                       for v in (BACKGROUND, PARTICLE)}
        self.centres = {v: np.argwhere(mask) for v, mask in self.inside.items()}

    def stroke(self, value: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
        """(rows, columns) a stroke of class ``value`` paints, and its ends as (x, y).

        The line lies wholly inside the class shrunk by the margin, so the brush stays in it.
        """
        from skimage.draw import line

        reach = BRUSH_PX // 2
        while True:
            y, x = self.centres[value][self.rng.integers(len(self.centres[value]))]
            angle, half = self.rng.uniform(0, math.pi), self.rng.uniform(*STROKE_LENGTH_PX) / 2
            ends = [self._clip(y - half * math.sin(angle), x - half * math.cos(angle)),
                    self._clip(y + half * math.sin(angle), x + half * math.cos(angle))]
            rows, cols = line(*ends[0], *ends[1])
            if self.inside[value][rows, cols].all():
                break
        dy, dx = (d.ravel() for d in np.mgrid[-reach:reach + 1, -reach:reach + 1])
        rows = np.clip(rows[:, None] + dy, 0, self.shape[0] - 1).ravel()
        cols = np.clip(cols[:, None] + dx, 0, self.shape[1] - 1).ravel()
        return rows, cols, [(int(c), int(r)) for r, c in ends]

    def _clip(self, y: float, x: float) -> tuple[int, int]:
        return (int(np.clip(round(y), 0, self.shape[0] - 1)),
                int(np.clip(round(x), 0, self.shape[1] - 1)))

    def paint(self, fraction: float) -> np.ndarray:
        """Strokes of both classes in turn until ``fraction`` of the pixels are painted."""
        painted = np.zeros(self.shape, np.uint8)
        count, target, value = 0, fraction * painted.size, BACKGROUND
        while count < target:
            rows, cols, _ = self.stroke(value)
            where = np.unique(rows * self.shape[1] + cols)  # the brush covers pixels repeatedly
            count += int(np.count_nonzero(painted.flat[where] == 0))
            painted.flat[where] = value
            value = PARTICLE if value == BACKGROUND else BACKGROUND
        return painted


def foreground_iou(classes: np.ndarray, truth: np.ndarray) -> float:
    """IoU of the particle class against the truth's."""
    found, true = classes == PARTICLE, truth == PARTICLE
    return float(np.count_nonzero(found & true) / max(1, np.count_nonzero(found | true)))


# ----- U-Net: the network and the ways to run it ------------------------------------------
@dataclass(frozen=True)
class Tiles:
    """Tile side, pixel overlap and batch size, and the model's size multiple."""

    tile: int
    overlap: int
    batch: int
    multiple: int

    @property
    def monai_overlap(self) -> float:
        """MONAI's overlap fraction giving the same scan interval, tile - overlap."""
        return self.overlap / self.tile


def unet_model():  # type: ignore[no-untyped-def]
    """``unet-train``'s default network (depth, width), three classes, seeded weights."""
    import torch

    from lamella.core.sdk.ml.unet.model import UNet, UNetSpec

    train = defaults("unet-train")
    torch.manual_seed(0)
    return UNet(UNetSpec(in_channels=1, classes=CLASSES, depth=train["depth"],
                         width=train["width"])).eval()


def lamella_predict(plane: np.ndarray, forward: Callable[[np.ndarray], np.ndarray],
                    tiles: Tiles) -> np.ndarray:
    """``unet-predict``'s path for one model: ``predict_ensemble`` over blended tiles."""
    from lamella.core.sdk.ml.unet.predict import TileSettings, predict_ensemble

    mean, _ = predict_ensemble(plane, [forward], multiple=tiles.multiple,
                               tiles=TileSettings(tiles.tile, tiles.overlap, tiles.batch))
    return mean


def monai_predict(plane: np.ndarray, model: Any, tiles: Tiles) -> np.ndarray:
    """MONAI's Gaussian sliding window over the same network, softmax applied per batch."""
    import torch
    from monai.inferers import sliding_window_inference

    def network(batch: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(batch), dim=1)

    with torch.no_grad():
        out = sliding_window_inference(torch.from_numpy(plane[None]), (tiles.tile, tiles.tile),
                                       tiles.batch, network, overlap=tiles.monai_overlap,
                                       mode="gaussian", sigma_scale=0.125)
    return out[0].numpy()


def default_layout_forward(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``torch_forward`` in PyTorch's default layout (contiguous NCHW) under ``torch.no_grad``.

    What ``unet-predict`` ran before it switched to channels-last: measured to show the gain.
    """
    import copy

    import torch

    network = copy.deepcopy(model).to(memory_format=torch.contiguous_format).eval()

    def forward(tiles: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = network(torch.from_numpy(np.ascontiguousarray(tiles)))
            return torch.softmax(logits, dim=1).numpy()

    return forward


@dataclass
class TimedRuns:
    """Times (s) per named way of doing one piece of work."""

    times: dict[str, list[float]] = field(default_factory=dict)

    def measure(self, name: str, run: Callable[[], Any], keep: dict[str, Any]) -> Callable[[], float]:
        """A measure for ``alternate``: time ``run``, keep its output in ``keep[name]``."""
        def timed() -> float:
            gc.collect()
            started = time.perf_counter()
            keep[name] = run()
            seconds = time.perf_counter() - started
            self.times.setdefault(name, []).append(seconds)
            return seconds
        return timed

    def spread(self, name: str) -> Spread:
        return Spread(tuple(self.times[name]))


@dataclass
class UNetRuns(TimedRuns):
    """Times (s) per way of predicting, and each way's last output."""

    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    tile_counts: dict[str, int] = field(default_factory=dict)

    def throughput(self, name: str, baseline: str = "monai") -> Spread:
        """Per round: baseline time / ``name``'s time."""
        return ratios(self.times[baseline], self.times[name])


def counted(forward: Callable[[np.ndarray], Any], counts: dict[str, int], name: str
            ) -> Callable[[np.ndarray], Any]:
    """``forward`` that adds the tiles it is given to ``counts[name]``."""
    def wrapped(tiles: Any) -> Any:
        counts[name] = counts.get(name, 0) + len(tiles)
        return forward(tiles)
    return wrapped


def unet_runs(plane: np.ndarray, tiles: Tiles, rounds: int) -> UNetRuns:
    """Each way of predicting once untimed (tile counts, warm caches), then ``rounds`` times."""
    import torch
    from monai.inferers import sliding_window_inference  # noqa: F401  (imported untimed)

    from lamella.core.sdk.ml.unet.onnx_io import export_onnx, onnx_forward
    from lamella.core.sdk.ml.unet.predict import torch_forward

    torch.set_num_threads(threads("unet-predict"))
    model = unet_model()
    graph = export_onnx(model)  # unet-train stores it in the model file: not the step's time
    runs = UNetRuns()
    cpu = torch.device("cpu")
    ways: dict[str, Callable[[Callable[[Any], Any]], np.ndarray]] = {
        "lamella": lambda wrap: lamella_predict(plane, wrap(torch_forward(model, cpu)), tiles),
        "monai": lambda wrap: monai_predict(plane, wrap(model), tiles),
        "onnx": lambda wrap: lamella_predict(plane, wrap(onnx_forward(graph)), tiles),
        "batch 1": lambda wrap: lamella_predict(
            plane, wrap(torch_forward(model, cpu)), Tiles(tiles.tile, tiles.overlap, 1, tiles.multiple)),
        "default layout": lambda wrap: lamella_predict(plane, wrap(default_layout_forward(model)),
                                                       tiles),
    }
    for name, way in ways.items():  # untimed: oneDNN's kernels for these shapes, the tiles
        way(lambda forward, name=name: counted(forward, runs.tile_counts, name))
    measures = [runs.measure(name, lambda way=way: way(lambda forward: forward), runs.outputs)
                for name, way in ways.items()]
    alternate(rounds, *measures)
    return runs


def interior(tiles: Tiles, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The image less a tile's width at every edge, where the windows' edge rules differ."""
    margin = min(tiles.tile, (min(shape[-2:]) - 1) // 2)
    return slice(margin, shape[-2] - margin), slice(margin, shape[-1] - margin)


def max_difference(a: np.ndarray, b: np.ndarray, where: tuple[slice, slice] | None = None) -> float:
    """Largest absolute difference of two (K, H, W) maps, in ``where`` if given."""
    if where is not None:
        a, b = a[:, where[0], where[1]], b[:, where[0], where[1]]
    return float(np.abs(a.astype(np.float64) - b).max())


# ----- U-Net: memory ----------------------------------------------------------------------
def activation_peak(model: Any, tiles: Tiles) -> int:
    """Bytes of activations alive at once in one batch's forward pass.

    Every layer's output (and every decoder block's joined input) is counted from the moment
    it is made until Python frees it; the largest sum is the peak.
    """
    import torch

    state = {"live": 0, "peak": 0}
    seen: set[int] = set()

    def track(tensor: torch.Tensor) -> None:
        key = tensor.untyped_storage().data_ptr()
        if key in seen:  # an in-place ReLU hands back its input
            return
        size = tensor.untyped_storage().nbytes()
        seen.add(key)
        state["live"] += size
        state["peak"] = max(state["peak"], state["live"])

        def freed() -> None:
            state["live"] -= size
            seen.discard(key)
        weakref.finalize(tensor, freed)

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda m, i, o: track(o)) for m in leaves]
    hooks += [block.register_forward_pre_hook(lambda m, i: track(i[0])) for block in model.decoder]
    batch = torch.zeros(tiles.batch, model.spec.in_channels, tiles.tile, tiles.tile)
    track(batch)
    try:
        with torch.no_grad():
            track(torch.softmax(model(batch), dim=1))
    finally:
        for hook in hooks:
            hook.remove()
    return state["peak"]


def memory_bound(model: Any, shape: tuple[int, int], tiles: Tiles) -> dict[str, int]:
    """Bytes the prediction cannot do without: image, probabilities, weights, one batch."""
    height, width = shape
    return {"image": 4 * height * width * model.spec.in_channels,
            "probabilities": 4 * height * width * model.spec.classes,
            "weights": sum(v.numel() * v.element_size() for v in model.state_dict().values()),
            "batch": activation_peak(model, tiles)}


def memory_command(image: Path, tiles: Tiles, engine: str) -> list[str]:
    """The predicting process of the memory figure."""
    return [sys.executable, str(Path(__file__).resolve()), "unet-memory", str(image),
            "--tile", str(tiles.tile), "--overlap", str(tiles.overlap), "--batch",
            str(tiles.batch), "--engine", engine]


def sampled_memory(command: list[str]) -> dict[str, float]:
    """Run the predicting process; its RSS before predicting, and its peak (bytes)."""
    process = subprocess.Popen(command, env=bench_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(SAMPLE_S)
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{shown(command)} failed:\n{err[-2000:]}")
    report = json.loads(out.strip().splitlines()[-1])
    return {"before": report["before"], "peak": max(peak, report["maxrss"]),
            "sampled": peak, "maxrss": report["maxrss"]}


def peak_rss() -> int:
    """This process's peak RSS in bytes, as the kernel keeps it (``VmHWM``).

    Not ``ru_maxrss``: that one carries over the parent's peak through fork and exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    return 0


def memory_child(argv: list[str]) -> int:
    """Predict IMAGE as ``unet-predict`` does; print the RSS before and the peak as JSON."""
    import torch

    from lamella.core.sdk import read_image
    from lamella.core.sdk.ml.unet.normalise import normalise
    from lamella.core.sdk.ml.unet.onnx_io import export_onnx, onnx_forward
    from lamella.core.sdk.ml.unet.predict import torch_forward

    parser = argparse.ArgumentParser(prog="bench_ml.py unet-memory")
    parser.add_argument("image", type=Path)
    for option in ("--tile", "--overlap", "--batch"):
        parser.add_argument(option, type=int, required=True)
    parser.add_argument("--engine", choices=("torch", "onnxruntime"), default="torch")
    args = parser.parse_args(argv)
    torch.set_num_threads(threads("unet-predict"))
    model = unet_model()
    forward = (onnx_forward(export_onnx(model)) if args.engine == "onnxruntime"
               else torch_forward(model, torch.device("cpu")))
    plane = read_image(args.image).data[None]
    gc.collect()
    before = psutil.Process().memory_info().rss
    normalised = normalise(plane)
    lamella_predict(normalised, forward, Tiles(args.tile, args.overlap, args.batch,
                                               model.spec.multiple))
    print(json.dumps({"before": before, "maxrss": peak_rss()}))
    return 0


# ----- pixel classifier: the plain script ----------------------------------------------------
def plain_features(plane: np.ndarray, sigmas: tuple[float, ...]) -> np.ndarray:
    """(H, W, F) float32: ilastik's features as a script writes them with scipy and scikit-image.

    The whole image at once, in FeatureBank's order (intensity, then per scale: Gaussian,
    difference of Gaussians, Laplacian of Gaussian, gradient magnitude, Hessian and
    structure-tensor eigenvalues, local entropy, Gabor energy).
    """
    from scipy import ndimage as ndi
    from scipy.signal import fftconvolve
    from skimage.feature import hessian_matrix_eigvals, structure_tensor_eigenvalues
    from skimage.filters import gabor_kernel
    from skimage.filters.rank import entropy
    from skimage.morphology import disk

    planes = [plane]
    quantised = np.rint(np.clip(plane, 0.0, 1.0) * 31).astype(np.uint8)
    for s in sigmas:
        smooth = ndi.gaussian_filter(plane, s)
        planes += [smooth, smooth - ndi.gaussian_filter(plane, 1.6 * s),
                   ndi.gaussian_laplace(plane, s), ndi.gaussian_gradient_magnitude(plane, s)]
        hessian = [ndi.gaussian_filter(plane, s, order=o) for o in ((2, 0), (1, 1), (0, 2))]
        planes += list(hessian_matrix_eigvals(hessian))
        dy = ndi.gaussian_filter(plane, s / 2, order=(1, 0))
        dx = ndi.gaussian_filter(plane, s / 2, order=(0, 1))
        tensor = [ndi.gaussian_filter(a * b, s) for a, b in ((dy, dy), (dy, dx), (dx, dx))]
        planes += list(structure_tensor_eigenvalues(tensor))
        planes.append(entropy(quantised, disk(max(1, round(2 * s)))))
        energy = np.zeros(plane.shape)
        for k in range(4):
            kernel = gabor_kernel(1 / max(2 * s, 2.5), theta=math.pi * k / 4, sigma_x=s,
                                  sigma_y=s, n_stds=3)
            padded = np.pad(plane, [(n // 2, n // 2) for n in kernel.shape], mode="symmetric")
            energy += np.abs(fftconvolve(padded, kernel, mode="valid"))
        planes.append(energy / 4)
    return np.stack([np.asarray(p, np.float32) for p in planes], axis=-1)


@dataclass
class PlainModel:
    """What the plain script keeps between training and prediction."""

    forest: Any
    low: float
    high: float


def plain_normalised(image: np.ndarray, low: float, high: float) -> np.ndarray:
    return ((image.astype(np.float32) - np.float32(low)) / np.float32(high - low)).astype(np.float32)


def plain_train(image: np.ndarray, strokes: np.ndarray, sigmas: tuple[float, ...],
                settings: dict[str, Any]) -> PlainModel:
    """Normalise (1st-99th percentile), features, a forest on the painted pixels."""
    from sklearn.ensemble import RandomForestClassifier

    low, high = (float(v) for v in np.percentile(image, (1.0, 99.0)))
    features = plain_features(plain_normalised(image, low, high), sigmas)
    painted = strokes > 0
    forest = RandomForestClassifier(**settings).fit(features[painted], strokes[painted])
    return PlainModel(forest, low, high)


def plain_predict(model: PlainModel, image: np.ndarray, sigmas: tuple[float, ...],
                  feature_seconds: list[float]) -> np.ndarray:
    """The class of every pixel; the seconds the features took go to ``feature_seconds``."""
    started = time.perf_counter()
    features = plain_features(plain_normalised(image, model.low, model.high), sigmas)
    feature_seconds.append(time.perf_counter() - started)
    table = features.reshape(-1, features.shape[-1])
    probabilities = model.forest.predict_proba(table)
    return model.forest.classes_[probabilities.argmax(axis=1)].reshape(image.shape)


# ----- pixel classifier: the measurement ------------------------------------------------------
@dataclass
class PixelRuns(TimedRuns):
    """Times, models and class maps of the pixel-classifier comparison."""

    models: dict[str, Any] = field(default_factory=dict)
    classes: dict[str, np.ndarray] = field(default_factory=dict)


def forest_settings() -> dict[str, Any]:
    """``pixel-classifier-train``'s forest: its defaults, its threads, out-of-bag scoring."""
    train = defaults("pixel-classifier-train")
    return {"n_estimators": train["n_estimators"], "max_depth": train["max_depth"],
            "random_state": train["seed"], "n_jobs": threads("pixel-classifier-train"),
            "oob_score": True, "bootstrap": True}


def pixel_runs(image: np.ndarray, strokes: np.ndarray, rounds: int) -> PixelRuns:
    """Training, then prediction, Lamella and plain alternating, each ``rounds`` times."""
    from lamella.core.sdk.ml.features import FeatureBank
    from lamella.core.sdk.ml.pixel_training import train_pixel_forest

    bank, settings = FeatureBank(), forest_settings()
    channels = image[np.newaxis]  # channels_of: a grey YX image as (1, Y, X)
    runs = PixelRuns()

    def lamella_train() -> Any:
        return train_pixel_forest(channels, strokes, bank=bank, n_estimators=settings["n_estimators"],
                                  seed=settings["random_state"], n_jobs=settings["n_jobs"],
                                  max_depth=settings["max_depth"])

    alternate(rounds, runs.measure("lamella train", lamella_train, runs.models),
              runs.measure("plain train", lambda: plain_train(image, strokes, bank.sigmas, settings),
                           runs.models))
    lamella_model, plain_model = runs.models["lamella train"], runs.models["plain train"]
    alternate(rounds, runs.measure("lamella predict", lambda: lamella_model.predict(channels).classes,
                                   runs.classes),
              runs.measure("plain predict", lambda: plain_predict(
                  plain_model, image, bank.sigmas, runs.times.setdefault("plain features", [])),
                  runs.classes))
    return runs


def features_agree(image: np.ndarray, crop: int = 256) -> float:
    """Largest difference of the plain script's features from Lamella's, on a crop."""
    from lamella.core.sdk.ml.features import FeatureBank, Normalisation, compute_features

    bank, part = FeatureBank(), image[:crop, :crop]
    normalisation = Normalisation.of(part[np.newaxis])
    ours = compute_features(normalisation.apply(part[np.newaxis]), bank)
    theirs = plain_features(plain_normalised(part, normalisation.low[0], normalisation.high[0]),
                            bank.sigmas)
    if ours.shape != theirs.shape:
        raise RuntimeError(f"the plain script makes {theirs.shape[-1]} features, FeatureBank "
                           f"{ours.shape[-1]}: its plan changed")
    return float(np.abs(ours.astype(np.float64) - theirs).max())


# ----- live retraining ------------------------------------------------------------------------
Region = tuple[slice, slice]


@dataclass
class LiveRuns:
    """Seconds per stroke, per way of measuring and view."""

    times: dict[str, list[float]] = field(default_factory=dict)
    prepare_s: float = 0.0
    painted: dict[str, int] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    zooms: dict[str, float] = field(default_factory=dict)  # screen pixels per image pixel

    def add(self, key: str, seconds: float) -> None:
        self.times.setdefault(key, []).append(seconds)

    def spread(self, key: str) -> Spread:
        return Spread(tuple(self.times[key]))


def live_workflow(folder: Path, image: Path) -> Path:
    """A workflow with a pixel-classifier training step on ``image``, for the painting window."""
    path = folder / "live-training.yaml"
    path.write_text(
        "lamella: 1\nname: live-training\ninputs:\n"
        f"  image: {{type: image, default: '{image}'}}\n"
        "nodes:\n"
        "  load: {module: lamella/load-image@1, in: {path: $inputs.image}}\n"
        "  train:\n    module: lamella/pixel-classifier-train@1\n"
        "    params: {class_names: 'background, particle'}\n    in: {image: load.image}\n",
        encoding="utf-8")
    return path


def _app() -> Any:
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def _wait(condition: Callable[[], bool], seconds: float = 600) -> None:
    """Run the window's event loop until ``condition`` holds.

    In a ``QEventLoop``, as the editor's own loop runs: it sleeps between events without the
    GIL, so the training thread runs as it does in the editor (a loop calling
    ``processEvents`` without waiting would hold the GIL and slow that thread down).
    """
    from PySide6 import QtCore

    if condition():
        return
    loop, deadline = QtCore.QEventLoop(), time.monotonic() + seconds
    timer = QtCore.QTimer(interval=10)  # polls the condition; parts are timed in their slot
    timer.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise RuntimeError("the painting window did not finish in time")


class Window:
    """The editor's painting window on an image, offscreen, with every prediction part timed."""

    def __init__(self, folder: Path, image_path: Path) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from lamella.core.catalog import Catalog
        from lamella.core.sdk import read_image
        from lamella.editor.model import EditorModel
        from lamella.editor.viewers.annotate_window import AnnotateWindow

        _app()
        model = EditorModel.open(live_workflow(folder, image_path), Catalog.discover())
        self.window = AnnotateWindow(model, "train", read_image(image_path))
        self.window.show()
        _app().processEvents()
        self.received: list[tuple[float, Any]] = []
        # Connected after the window's own slot, so a part is timed once it is drawn.
        self.window.trainer.predicted.connect(
            lambda part: self.received.append((time.perf_counter(), part)))

    def retrain(self, labels: np.ndarray) -> float:
        """Train on ``labels`` (the first time: features too); seconds until all is shown."""
        self.window.annotations.labels[...] = labels
        started = time.perf_counter()
        assert self.window.retrain()
        return self._shown(self.window.trainer.generation) - started

    def stroke(self, ends: list[tuple[int, int]], value: int) -> tuple[float, float, float]:
        """Paint a stroke; seconds until the area in view is shown (at the screen's
        resolution if the view is zoomed out), shown at full resolution, and the whole image."""
        started = time.perf_counter()
        self.window.paint(ends, value=value, size=BRUSH_PX)
        generation = self.window.trainer.generation
        first = self._shown(generation, lambda part: True, idle=False)
        full = self._shown(generation, lambda part: not getattr(part, "coarse", False), idle=False)
        whole = self._shown(generation)
        return first - started, full - started, whole - started

    def _shown(self, generation: int, which: Callable[[Any], bool] = lambda part: part.final,
               *, idle: bool = True) -> float:
        def arrived() -> list[float]:
            return [t for t, part in self.received if part.generation == generation and which(part)]
        _wait(lambda: bool(arrived()) and (not idle or not self.window.trainer.busy))
        return arrived()[0]

    def zoom(self) -> float:
        """Screen pixels per image pixel (the view's zoom times the device pixel ratio)."""
        view = self.window.view
        return float(view.zoom() * view.devicePixelRatioF())

    def visible(self) -> Region:
        region = self.window.view.visible_region()
        assert region is not None
        return region

    def close(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
        self.window.close()
        self.window.trainer.close()


def _region_text(region: Region) -> str:
    return f"{region[0].stop - region[0].start} x {region[1].stop - region[1].start}"


def _screen_text(region: Region, zoom: float) -> str:
    """', shown in H x W screen pixels, predicted at that resolution first' below 1:1."""
    from lamella.editor.viewers._paint_grid import screen_grid

    grid = screen_grid(region, zoom)
    if grid is None:
        return ""
    return f" in {len(grid[0])} x {len(grid[1])} screen pixels, predicted at that resolution first"


def live_runs(folder: Path, image_path: Path, image: np.ndarray, truth: np.ndarray,
              strokes: int) -> LiveRuns:
    """The painting window at its opening fit and at 1:1, then ``LiveClassifier`` alone."""
    runs, painter = LiveRuns(), Painter(truth, seed=7)
    base = painter.paint(LIVE_FRACTION)
    window = Window(folder, image_path)
    try:
        runs.add("editor first training (features, train, whole image)", window.retrain(base))
        for view in ("fit", "1:1"):
            if view == "1:1":
                window.window.view.actual_size()
                _app().processEvents()
            runs.regions[view], runs.zooms[view] = window.visible(), window.zoom()
            for i in range(strokes):
                _, _, ends = painter.stroke((BACKGROUND, PARTICLE)[i % 2])
                in_view, full, whole = window.stroke(ends, (BACKGROUND, PARTICLE)[i % 2])
                runs.add(f"editor {view}", in_view)
                runs.add(f"editor {view} full resolution", full)
                runs.add(f"editor {view} whole", whole)
        runs.painted["editor"] = int(np.count_nonzero(window.window.annotations.labels))
    finally:
        window.close()
    _classifier_alone(runs, image, painter, base, strokes)
    return runs


def _classifier_alone(runs: LiveRuns, image: np.ndarray, painter: Painter, base: np.ndarray,
                      strokes: int) -> None:
    """``LiveClassifier``: the first feature pass, then train + predict(area in view) per stroke.

    The area in view as the editor predicts it first: at the screen's resolution
    (``predict_grid``) when the view shows it smaller than 1:1.
    """
    from lamella.core.sdk.ml.live import LiveClassifier
    from lamella.editor.viewers._paint_grid import screen_grid

    live = LiveClassifier(image, channel_axis=False, pixel_size=(2.5, "nm"))
    runs.prepare_s = live.prepare()
    labels = base.copy()
    live.train(labels)  # untimed: the forest's first fit, as the editor's first training
    for view, region in runs.regions.items():
        grid = screen_grid(region, runs.zooms[view])
        for i in range(strokes):
            rows, cols, _ = painter.stroke((BACKGROUND, PARTICLE)[i % 2])
            labels[rows, cols] = (BACKGROUND, PARTICLE)[i % 2]
            started = time.perf_counter()
            live.train(labels)
            if grid is None:
                live.predict(region)
            else:
                live.predict_grid(*grid)
            runs.add(f"classifier {view}", time.perf_counter() - started)
    more = painter.paint(STROKE_FRACTION)  # context: the pixel classifier's 2 % of strokes
    runs.painted["classifier 2 %"] = int(np.count_nonzero(more))
    for i in range(strokes):
        rows, cols, _ = painter.stroke((BACKGROUND, PARTICLE)[i % 2])
        more[rows, cols] = (BACKGROUND, PARTICLE)[i % 2]
        started = time.perf_counter()
        live.train(more)
        live.predict(runs.regions["fit"])
        runs.add("classifier fit 2 %", time.perf_counter() - started)


# ----- the section ------------------------------------------------------------------------------
@dataclass
class Sizes:
    """Image sizes and tiles of a run (full or quick)."""

    unet: int
    pixel: int
    live: int
    tiles: Tiles

    @classmethod
    def of(cls, config: Config) -> Sizes:
        predict = defaults("unet-predict")
        multiple = 2 ** (defaults("unet-train")["depth"] - 1)
        if config.quick:
            return cls(QUICK_UNET_SIZE, QUICK_PIXEL_SIZE, QUICK_LIVE_SIZE,
                       Tiles(QUICK_TILE, QUICK_OVERLAP, predict["batch_size"], multiple))
        return cls(UNET_SIZE, PIXEL_SIZE, LIVE_SIZE,
                   Tiles(predict["tile_size"], predict["tile_overlap"], predict["batch_size"], multiple))


def live_strokes(config: Config) -> int:
    """Timed strokes per view: one with ``--quick``."""
    return 1 if config.quick else LIVE_STROKES * config.rounds


def unet_part(config: Config, sizes: Sizes) -> tuple[UNetRuns, dict[str, dict[str, float]],
                                                     dict[str, int]]:
    """The U-Net timings, each engine's memory samples, and the memory bound."""
    from lamella.core.sdk.ml.unet.normalise import normalise

    path, image, _ = scene(config.work / "data", sizes.unet)
    unet = unet_runs(normalise(image[None]), sizes.tiles, UNET_ROUNDS * config.rounds)
    engines = ("torch",) if config.quick else ("torch", "onnxruntime")  # --quick: seconds
    memory = {engine: sampled_memory(memory_command(path, sizes.tiles, engine)) for engine in engines}
    return unet, memory, memory_bound(unet_model(), image.shape, sizes.tiles)


def run(config: Config) -> Section:
    """The U-Net, memory, pixel-classifier and live-retraining figures."""

    sizes, data = Sizes.of(config), config.work / "data"
    folder = fresh_dir(config.work / "ml")
    unet, memory, bound = unet_part(config, sizes)

    _, pixel_image, pixel_truth = scene(data, sizes.pixel)
    strokes = Painter(pixel_truth, seed=3).paint(STROKE_FRACTION)
    agreement = features_agree(pixel_image)
    pixel = pixel_runs(pixel_image, strokes, config.rounds)

    live_path, live_image, live_truth = scene(data, sizes.live)
    live = live_runs(folder, live_path, live_image, live_truth, live_strokes(config))
    return _section(config, sizes, unet, memory, bound, pixel,
                    {"strokes": strokes, "truth": pixel_truth, "features": agreement}, live)


def _section(config: Config, sizes: Sizes, unet: UNetRuns, memory: dict[str, dict[str, float]],
             bound: dict[str, int], pixel: PixelRuns, painted: dict[str, Any],
             live: LiveRuns) -> Section:
    rows = (_unet_rows(sizes, unet) + _memory_rows(sizes, memory, bound)
            + _pixel_rows(sizes, pixel, painted) + _live_rows(sizes, live))
    tiles = sizes.tiles
    return Section(
        key="ml", title="(j) Trainable segmentation: U-Net and pixel classifier",
        method=_method(config, sizes),
        commands=[
            "in Python: predict_ensemble(plane, [torch_forward(model, cpu)], multiple=8, "
            f"tiles=TileSettings({tiles.tile}, {tiles.overlap}, {tiles.batch}))   # unet-predict's path",
            "in Python: sliding_window_inference(x, "
            f"({tiles.tile}, {tiles.tile}), {tiles.batch}, softmax(model(.)), "
            f"overlap={tiles.monai_overlap:g}, mode='gaussian', sigma_scale=0.125)   # MONAI",
            "in Python: predict_ensemble(plane, [onnx_forward(export_onnx(model))], ...)",
            shown(memory_command(Path("X"), tiles, "torch")),
            "in Python: train_pixel_forest(channels, strokes, bank=FeatureBank(), "
            "n_estimators=100, seed=0, n_jobs=2); model.predict(channels)",
            "in Python, Qt offscreen: AnnotateWindow(...).paint([(x0, y0), (x1, y1)], value=1, size=3)",
        ],
        rows=rows, notes=_notes(sizes, unet, memory, pixel, live))


def _method(config: Config, sizes: Sizes) -> str:
    tiles, train = sizes.tiles, defaults("unet-train")
    strokes = live_strokes(config)
    return (
        f"Seeded synthetic SEM images (the other benchmarks' generator and preset) in one "
        f"process; PyTorch {threads('unet-predict')} intra-op threads, scikit-learn n_jobs "
        f"{threads('pixel-classifier-train')}, ONNX Runtime its default (one thread per core). "
        f"**U-Net**: a {sizes.unet} x {sizes.unet} image (normalised as unet-predict does), "
        f"`unet-train`'s default network (depth {train['depth']}, width {train['width']}, "
        f"{CLASSES} classes, seeded random weights: a throughput figure), tiles of "
        f"{tiles.tile} px overlapping {tiles.overlap} px in batches of {tiles.batch} (the "
        f"module's defaults); MONAI's `sliding_window_inference` with overlap "
        f"{tiles.monai_overlap:g} (= {tiles.overlap} / {tiles.tile}: the same scan interval, "
        f"{tiles.tile - tiles.overlap} px), `mode='gaussian'`, `sigma_scale=0.125`, the same "
        "network, batch size and softmax, under `torch.no_grad()`. Each way once untimed, then "
        f"{UNET_ROUNDS * config.rounds} rounds, the order reversing every round; throughput ratio = MONAI's "
        "time / the other's, per round, median (range). **Memory**: the torch prediction in a "
        "fresh interpreter (reading the OME-TIFF, normalising, predicting), its RSS sampled "
        f"every {SAMPLE_S * 1000:.0f} ms with psutil and the kernel's peak (`VmHWM`), above its RSS "
        f"just before. **Pixel classifier**: a {sizes.pixel} x {sizes.pixel} image, strokes "
        f"drawn from the truth ({STROKE_LENGTH_PX[0]}-{STROKE_LENGTH_PX[1]} px lines, "
        f"{BRUSH_PX} px brush, {MARGIN_PX} px inside each class, as "
        "`examples/data/make_annotations.py`); `train_pixel_forest` and `PixelForest.predict` "
        "(the modules' library calls; default features: 61, 512 px tiles with a halo) against a "
        "plain script computing the same features on the whole image with scipy and "
        "scikit-image and fitting `RandomForestClassifier(n_estimators=100, random_state=0, "
        "n_jobs=2, oob_score=True)` on the painted pixels; training pairs, then prediction "
        "pairs, order alternating. **Live retraining**: the editor's painting window "
        f"(`AnnotateWindow`, 1200 x 800, Qt offscreen) on a {sizes.live} x {sizes.live} image "
        f"with strokes on {LIVE_FRACTION:.1%} of the pixels trained once (features computed); "
        f"then {strokes} strokes per view, each timed from `paint()` until the prediction of "
        "the area in view is drawn (the window's worker thread trains a `LiveClassifier` of "
        "32 trees, depth 14, then predicts the area in view first: in a view showing the image "
        "smaller than 1:1, first only the pixels under the screen pixels' centres, spread to "
        "every pixel, then every pixel), and until the area in view is drawn at full "
        "resolution and the whole image, at the window's opening fit (the whole image in view) "
        "and at 1:1; and `LiveClassifier.train` + `predict(area in view)` (`predict_grid` at "
        "the screen's resolution when zoomed out) alone for the same areas.")


def _unet_rows(sizes: Sizes, unet: UNetRuns) -> list[Row]:
    torch_out = unet.outputs["lamella"]
    inside = interior(sizes.tiles, torch_out.shape)
    lamella, onnx = unet.throughput("lamella"), unet.throughput("onnx")
    onnx_error = max_difference(unet.outputs["onnx"], torch_out)
    size = f"{sizes.unet} x {sizes.unet}"
    counts = unet.tile_counts
    return [
        Row(f"U-Net tiled prediction {size}, throughput Lamella (torch) / MONAI", lamella.text(3),
            f">= {UNET_TARGET}", lamella.median >= UNET_TARGET),
        Row("  Lamella, unet-predict's path, torch", unet.spread("lamella").text(2, " s")),
        Row("  MONAI sliding_window_inference, torch", unet.spread("monai").text(2, " s")),
        Row("  tiles per image, Lamella / MONAI", f"{counts['lamella']} / {counts['monai']}"),
        Row("  max abs difference Lamella − MONAI, interior (a tile from the edges)",
            f"{max_difference(torch_out, unet.outputs['monai'], inside):.1e}"),
        Row("  max abs difference Lamella − MONAI, whole image",
            f"{max_difference(torch_out, unet.outputs['monai']):.1e}"),
        Row(f"U-Net {size}, throughput Lamella ONNX Runtime / MONAI (and within "
            f"{AGREEMENT:g} of torch)", onnx.text(3),
            f">= {FASTEST_TARGET}, max diff <= {AGREEMENT:g}",
            onnx.median >= FASTEST_TARGET and onnx_error <= AGREEMENT),
        Row("  Lamella, unet-predict's path, engine onnxruntime", unet.spread("onnx").text(2, " s")),
        Row("  max abs difference ONNX Runtime − torch", f"{onnx_error:.1e}"),
        Row("  torch, batch_size 1 (a unet-predict option): throughput / MONAI (batch 4)",
            unet.throughput("batch 1").text(3)),
        Row("  torch in the default layout (NCHW, no_grad; unet-predict before channels-last): "
            "throughput / MONAI", unet.throughput("default layout").text(3)),
        Row("  max abs difference default layout − channels-last",
            f"{max_difference(unet.outputs['default layout'], torch_out):.1e}"),
    ]


def _gb(value: float) -> str:
    return f"{value / 1e9:.3f} GB"


def _memory_rows(sizes: Sizes, memory: dict[str, dict[str, float]], bound: dict[str, int]) -> list[Row]:
    expected = sum(bound.values())
    limit = MEMORY_FACTOR * expected
    torch_rise = _rise(memory, "torch")
    parts = ", ".join(f"{name} {value / 1e6:.1f} MB" for name, value in bound.items())
    return [
        Row(f"U-Net {sizes.unet} x {sizes.unet} prediction, peak RSS above the process before it, torch",
            _gb(torch_rise), f"<= {_gb(limit)} ({MEMORY_FACTOR:g} x bound)", torch_rise <= limit),
        Row("  bound: image + probabilities + weights + one batch's activations",
            f"{_gb(expected)} ({parts})"),
        Row("  peak RSS of the process, torch (sampled / kernel VmHWM)",
            f"{_gb(memory['torch']['sampled'])} / {_gb(memory['torch']['maxrss'])}"),
        Row("  RSS before predicting (interpreter, PyTorch, model, image)", _gb(memory["torch"]["before"])),
        Row("  peak RSS above the process before it, engine onnxruntime",
            _gb(_rise(memory, "onnxruntime")) if "onnxruntime" in memory else "not with --quick"),
    ]


def _rise(memory: dict[str, dict[str, float]], engine: str) -> float:
    return memory[engine]["peak"] - memory[engine]["before"]


def _pixel_rows(sizes: Sizes, pixel: PixelRuns, painted: dict[str, Any]) -> list[Row]:
    train = ratios(pixel.times["lamella train"], pixel.times["plain train"])
    predict = ratios(pixel.times["lamella predict"], pixel.times["plain predict"])
    strokes, truth = painted["strokes"], painted["truth"]
    ours, theirs = pixel.classes["lamella predict"], pixel.classes["plain predict"]
    size = f"{sizes.pixel} x {sizes.pixel}"
    return [
        Row(f"pixel classifier {size}, training time Lamella / plain", train.text(3),
            f"<= {PIXEL_TARGET}", train.median <= PIXEL_TARGET),
        Row("  Lamella train_pixel_forest", pixel.spread("lamella train").text(1, " s")),
        Row("  plain script", pixel.spread("plain train").text(1, " s")),
        Row(f"pixel classifier {size}, prediction time Lamella / plain", predict.text(3),
            f"<= {PIXEL_TARGET}", predict.median <= PIXEL_TARGET),
        Row("  Lamella PixelForest.predict", pixel.spread("lamella predict").text(1, " s")),
        Row("  plain script", pixel.spread("plain predict").text(1, " s")),
        Row("  painted pixels (strokes)",
            f"{np.count_nonzero(strokes):,} ({np.count_nonzero(strokes) / strokes.size:.2%})"),
        Row("  plain features − Lamella's, max abs difference (256 x 256 crop)",
            f"{painted['features']:.1e}"),
        Row("  class maps equal, Lamella vs plain", f"{np.mean(ours == theirs):.2%} of the pixels"),
        Row("  particle IoU against the truth, Lamella / plain",
            f"{foreground_iou(ours, truth):.3f} / {foreground_iou(theirs, truth):.3f}"),
    ]


def _live_rows(sizes: Sizes, live: LiveRuns) -> list[Row]:
    fit, actual = live.regions["fit"], live.regions["1:1"]
    fit_s, actual_s = live.spread("editor fit"), live.spread("editor 1:1")
    size = f"{sizes.live} x {sizes.live}"
    return [
        Row(f"live retrain-and-show after a stroke, editor, {size}, whole image in view "
            f"(opening fit, {_region_text(fit)}{_screen_text(fit, live.zooms['fit'])})",
            fit_s.text(2, " s"), f"< {LIVE_TARGET_S:g} s", fit_s.median < LIVE_TARGET_S),
        Row(f"live retrain-and-show after a stroke, editor, 1:1 view ({_region_text(actual)})",
            actual_s.text(2, " s"), f"< {LIVE_TARGET_S:g} s", actual_s.median < LIVE_TARGET_S),
        Row("  editor, until the area in view is shown at full resolution: fit / 1:1",
            f"{live.spread('editor fit full resolution').median:.2f} s / "
            f"{live.spread('editor 1:1 full resolution').median:.2f} s"),
        Row("  editor, until the whole image is shown: fit / 1:1",
            f"{live.spread('editor fit whole').median:.2f} s / "
            f"{live.spread('editor 1:1 whole').median:.2f} s"),
        Row("  LiveClassifier.train + predict(area in view; at fit, predict_grid at the screen's "
            "resolution) alone: fit / 1:1",
            f"{live.spread('classifier fit').median:.2f} s / {live.spread('classifier 1:1').median:.2f} s"),
        Row(f"  first feature pass, LiveClassifier.prepare(), {size}", f"{live.prepare_s:.2f} s"),
        Row("  editor's first training (features, train, whole image shown)",
            live.spread("editor first training (features, train, whole image)").text(2, " s")),
        Row("  painted pixels when timed (editor)", f"{live.painted['editor']:,}"),
        Row(f"  LiveClassifier, strokes on {STROKE_FRACTION:.0%} "
            f"({live.painted['classifier 2 %']:,} px): train + predict(fit)",
            live.spread("classifier fit 2 %").text(2, " s")),
    ]


def _notes(sizes: Sizes, unet: UNetRuns, memory: dict[str, dict[str, float]],
           pixel: PixelRuns, live: LiveRuns) -> list[str]:
    tiles, median = sizes.tiles, (lambda name: unet.spread(name).median)
    arena = ""
    if "onnxruntime" in memory:
        extra = _rise(memory, "onnxruntime") - _rise(memory, "torch")
        arena = f"; ONNX Runtime's arena adds {extra / 1e6:.0f} MB over torch"
    features, predict = (Spread(tuple(pixel.times[k])).median for k in ("plain features", "plain predict"))
    return [
        f"U-Net: both cut the image into the same number of {tiles.tile} px tiles and run the "
        f"same network on the same batches, so the network is nearly all of the time (MONAI "
        f"{median('monai'):.2f} s, Lamella {median('lamella'):.2f} s). Lamella spreads its tiles "
        f"evenly (every overlap at least {tiles.overlap} px), MONAI steps by "
        f"{tiles.tile - tiles.overlap} px and moves its last tile back to the edge; both weight "
        "a tile with the same Gaussian (sigma 1/8 of the tile), Lamella's kept flat towards the "
        "image's edges, so the maps differ a little inside and more near the edges.",
        f"How PyTorch is called matters more than the tiling: `torch_forward` (channels-last "
        f"memory format, `torch.inference_mode`, batches of {tiles.batch}) took "
        f"{median('lamella'):.2f} s, the default layout (contiguous NCHW, `torch.no_grad`) "
        f"{median('default layout'):.2f} s, one tile per call (channels-last) "
        f"{median('batch 1'):.2f} s; ONNX Runtime took {median('onnx'):.2f} s.",
        "Memory: the blended sum is divided by the weights in place and one model's prediction "
        f"keeps no ensemble accumulator, so the tiling holds the probabilities once{arena}.",
        f"Pixel classifier: the features are most of the time (the plain script's prediction "
        f"spent {features:.1f} s of {predict:.1f} s on them); Lamella computes them in 512 px "
        "tiles with a 65 px halo (more pixels filtered, less memory: one "
        "tile's stack instead of the whole image's, 1 GB at 2048 x 2048), the plain script on "
        "the whole image at once.",
    ]


def live_only(argv: list[str]) -> int:
    """``live [--rounds N] [--quick]``: the live-retraining figures alone, printed as a table.

    A minute or two instead of the whole section's 18; RESULTS.md is not written.
    """
    config = _part_config("live", argv, rounds="strokes per view = 3 x rounds",
                          quick="a tiny image, one stroke per view")
    sizes = Sizes.of(config)
    path, image, truth = scene(config.work / "data", sizes.live)
    live = live_runs(fresh_dir(config.work / "ml-live"), path, image, truth, live_strokes(config))
    _print_rows(_live_rows(sizes, live))
    return 0


def unet_only(argv: list[str]) -> int:
    """``unet [--rounds N] [--quick]``: the U-Net tiling and memory figures alone, printed.

    About 6 minutes instead of the whole section's 18; RESULTS.md is not written.
    """
    config = _part_config("unet", argv, rounds=f"{UNET_ROUNDS} x rounds timed runs",
                          quick="a tiny image")
    sizes = Sizes.of(config)
    unet, memory, bound = unet_part(config, sizes)
    _print_rows(_unet_rows(sizes, unet) + _memory_rows(sizes, memory, bound))
    return 0


def _part_config(part: str, argv: list[str], *, rounds: str, quick: str) -> Config:
    """The options of a part run alone (``live``, ``unet``)."""
    parser = argparse.ArgumentParser(prog=f"bench_ml.py {part}")
    parser.add_argument("--rounds", type=int, default=3, help=rounds)
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "_work")
    args = parser.parse_args(argv)
    return Config(work=args.work.resolve(), quick=args.quick, rounds=args.rounds)


def _print_rows(rows: list[Row]) -> None:
    for row in rows:
        print(f"| {row.figure} | {row.measured} | {row.target} | "
              f"{'' if row.passed is None else ('pass' if row.passed else 'FAIL')} |")


def main(argv: list[str]) -> int:
    """``unet-memory IMAGE ...``: the memory figure's process; ``live``: the live figures alone."""
    if argv[:1] == ["live"]:
        return live_only(argv[1:])
    if argv[:1] == ["unet"]:
        return unet_only(argv[1:])
    if argv[:1] != ["unet-memory"]:
        print("usage: bench_ml.py unet-memory IMAGE --tile N --overlap N --batch N "
              "[--engine torch|onnxruntime]\n       bench_ml.py live|unet [--rounds N] [--quick]   "
              "(run_all.py --only ml runs the whole benchmark)")
        return 2
    return memory_child(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
