"""(a) Runner overhead: ``lamella run`` of the nanoparticle workflow versus a plain script.

Both are timed as subprocesses from start to exit on the same 2048 x 2048 SEM-like image:

* runner: ``lamella run WORKFLOW --input image=X --no-cache --out DIR -q`` (what a user
  types; jobs default to the CPU cores), so it pays interpreter start, validation, worker
  processes, OME-TIFF files between steps, hashing, cache commits, publishing, run record;
* plain: ``benchmarks/plain_nanoparticle.py X DIR``, the same module functions in one process.

The runner with ``--jobs 1`` is timed too (context: without overlapping independent nodes).
Rounds alternate the order; the ratio is taken per round, the median reported. The outputs
(sizes.csv, summary.csv) must be byte-identical, which proves both did the same work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import median

from _common import (
    BENCH_DIR,
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

SIZE, QUICK_SIZE = 2048, 256
TARGET = 1.15


def runner_command(image: Path, out: Path, *extra: str) -> list[str]:
    """The user's command for one image, every node re-run."""
    return [*lamella_command(), "run", str(WORKFLOW), "--input", f"image={image}", "--no-cache",
            "--out", str(out), "-q", *extra]


def plain_command(image: Path, out: Path) -> list[str]:
    """The baseline: the same functions in one plain Python process."""
    return [sys.executable, str(BENCH_DIR / "plain_nanoparticle.py"), str(image), str(out)]


def engine_seconds(out: Path) -> float:
    """Seconds from the run's start to its end as the run record states them.

    This excludes interpreter start, imports and validation before the engine starts.
    """
    return float(json.loads((out / "run-record.json").read_text())["duration_s"])


def same_tables(a: Path, b: Path) -> bool:
    """True if both folders hold byte-identical sizes.csv and summary.csv."""
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in ("sizes.csv", "summary.csv"))


def run(config: Config) -> Section:
    """Measure runner and plain wall times, alternating, ``config.rounds`` times."""
    size = QUICK_SIZE if config.quick else SIZE
    image = synthetic_image(config.work / "data", size)
    env = bench_env(config.work / CACHES / "shared")
    outs = {name: config.work / "overhead" / name for name in ("plain", "runner", "runner-j1")}
    commands = {"plain": plain_command(image, outs["plain"]),
                "runner": runner_command(image, outs["runner"]),
                "runner-j1": runner_command(image, outs["runner-j1"], "--jobs", "1")}
    engine: dict[str, list[float]] = {"runner": [], "runner-j1": []}

    def measure(name: str):  # type: ignore[no-untyped-def]
        def timed() -> float:
            fresh_dir(outs[name])
            seconds = run_checked(commands[name], env)
            if name in engine:
                engine[name].append(engine_seconds(outs[name]))
            return seconds
        return timed

    if not config.quick:
        for name in commands:  # untimed warm-up: file system cache, compiled bytecode
            measure(name)()
        for values in engine.values():
            values.clear()
    plain, runner, runner_j1 = alternate(config.rounds, *(measure(n) for n in commands))
    return _section(config, size, commands, plain, runner, runner_j1, engine,
                    same_tables(outs["plain"], outs["runner"]))


def _section(config: Config, size: int, commands: dict[str, list[str]], plain: list[float],
             runner: list[float], runner_j1: list[float], engine: dict[str, list[float]],
             identical: bool) -> Section:
    ratio, ratio_j1 = ratios(runner, plain), ratios(runner_j1, plain)
    return Section(
        key="overhead", title="(a) Runner overhead versus a plain script",
        method=(f"{size} x {size} synthetic SEM image (OME-TIFF, 2.5 nm pixels). Wall time of "
                "each command as a subprocess, start to exit; runner and plain alternate "
                f"({config.rounds} round(s) after an untimed warm-up of each); ratio per round, "
                "median (range)."),
        commands=[shown(commands["runner"]), shown(commands["runner-j1"]),
                  shown(commands["plain"])],
        rows=[
            Row("runner / plain wall time", ratio.text(3), f"<= {TARGET}", ratio.median <= TARGET),
            Row("runner --jobs 1 / plain wall time", ratio_j1.text(3)),
            Row("plain script wall time", Spread(tuple(plain)).text(2, " s")),
            Row("runner wall time", Spread(tuple(runner)).text(2, " s")),
            Row("runner --jobs 1 wall time", Spread(tuple(runner_j1)).text(2, " s")),
            Row("runner engine time (run record)", Spread(tuple(engine["runner"])).text(2, " s")),
            Row("sizes.csv and summary.csv identical", "yes" if identical else "NO"),
        ],
        notes=_notes(plain, runner, runner_j1, engine),
    )


def _notes(plain: list[float], runner: list[float], runner_j1: list[float],
           engine: dict[str, list[float]]) -> list[str]:
    """Split the runner's extra time into before-the-engine and inside-the-engine."""
    notes = []
    for label, wall, name in (("default jobs", runner, "runner"), ("--jobs 1", runner_j1, "runner-j1")):
        extra = median(wall) - median(plain)
        before = median([w - e for w, e in zip(wall, engine[name], strict=True)])
        notes.append(f"{label}: the runner's wall time minus the plain script's is {extra:+.2f} s; before "
                     f"its engine starts it spends {before:.2f} s (interpreter start, "
                     "imports, module catalog, validation: wall time minus the run record's "
                     "duration).")
    notes.append("Inside the engine the extra time is worker start (a fresh interpreter that "
                 "imports the SDK and the runner package before the first node), OME-TIFF files "
                 "between steps with their SHA-256, cache commits and publishing. "
                 "`benchmarks/profile_overhead.py` (needs pyinstrument) breaks it down per "
                 "process.")
    return notes
