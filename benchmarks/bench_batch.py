"""(c) Batch: 40 images with ``--jobs 2`` versus ``--jobs 1``.

``lamella run WORKFLOW --batch 'DIR/*.ome.tif' --no-cache --out OUT -q --jobs N`` on 40
seeded 1024 x 1024 SEM-like images (each item takes a second or more). The two settings
alternate per round and the speed-up (time with 1 job / time with 2) is taken per round.
Each run's combined ``OUT/sizes.csv`` must hold rows of all 40 images, as many as the
per-image tables together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from _common import (
    CACHES,
    WORKFLOW,
    Config,
    Row,
    Section,
    Spread,
    alternate,
    bench_env,
    fresh_dir,
    lamella_command,
    ratios,
    run_checked,
    shown,
    synthetic_image,
)

IMAGES, SIZE = 40, 1024
QUICK_IMAGES, QUICK_SIZE = 4, 128
TARGET = 1.7


def make_images(folder: Path, count: int, size: int) -> str:
    """``count`` different images (seeds 1..count); returns the glob that matches them."""
    for seed in range(1, count + 1):
        synthetic_image(folder, size, seed=seed)
    return str(folder / "*.ome.tif")


def batch_command(pattern: str, out: Path, jobs: int) -> list[str]:
    """The batch run, every node re-run."""
    return [*lamella_command(), "run", str(WORKFLOW), "--batch", pattern, "--no-cache",
            "--out", str(out), "-q", "--jobs", str(jobs)]


def combined_images(out: Path, expected: int) -> int:
    """Images in the combined sizes table; raise if rows or images are missing."""
    combined = pd.read_csv(out / "sizes.csv")
    per_item = sum(len(pd.read_csv(p)) for p in out.glob("*/sizes.csv"))
    images = combined["image"].nunique()
    if images != expected or len(combined) != per_item:
        raise RuntimeError(f"{out / 'sizes.csv'}: {images} images, {len(combined)} rows; "
                           f"expected {expected} images and {per_item} rows")
    return images


def run(config: Config) -> Section:
    """Time the batch with 1 and 2 jobs, alternating, ``config.rounds`` times."""
    count, size = (QUICK_IMAGES, QUICK_SIZE) if config.quick else (IMAGES, SIZE)
    pattern = make_images(config.work / "data" / f"batch-{size}", count, size)
    env = bench_env(config.work / CACHES / "shared")
    outs = {jobs: config.work / "batch" / f"jobs{jobs}" for jobs in (1, 2)}
    images: dict[int, int] = {}

    def measure(jobs: int):  # type: ignore[no-untyped-def]
        def timed() -> float:
            seconds = run_checked(batch_command(pattern, fresh_dir(outs[jobs]), jobs), env)
            images[jobs] = combined_images(outs[jobs], count)
            return seconds
        return timed

    one, two = alternate(config.rounds, measure(1), measure(2))
    speedup = ratios(one, two)
    return Section(
        key="batch", title=f"(c) Batch of {count} images, --jobs 2 versus --jobs 1",
        method=(f"{count} synthetic SEM images of {size} x {size} (seeds 1..{count}). Wall "
                f"time of the batch command; 1 and 2 jobs alternate ({config.rounds} rounds); "
                "speed-up per round, median (range)."),
        commands=[shown(batch_command(pattern, Path("OUT"), n)) for n in (1, 2)],
        rows=[
            Row("speed-up, jobs 2 vs jobs 1", speedup.text(2, "x"), f">= {TARGET}x",
                speedup.median >= TARGET),
            Row("batch time, --jobs 1", Spread(tuple(one)).text(1, " s")),
            Row("batch time, --jobs 2", Spread(tuple(two)).text(1, " s")),
            Row("per image, --jobs 1", Spread(tuple(t / count for t in one)).text(2, " s")),
            Row("images in combined sizes.csv (jobs 1 / jobs 2)", f"{images[1]} / {images[2]}"),
        ],
    )
