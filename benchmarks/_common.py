"""Shared pieces of the benchmarks: paths, synthetic images, timed commands, statistics."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import import_module_file

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
WORKFLOW = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"
CACHES = "caches"  # under the work folder: private Lamella caches, removed after a run
PIXEL_NM = 2.5
generate = import_module_file(REPO / "modules" / "synthetic", "generate")
# Secondary-electron particle images as the bundled sample (examples/data/make_samples.py)
# and as the nanoparticle example expects: the realistic Zeiss-like SE preset, 30 px (75 nm)
# mean diameter, 45 % of the field covered (an 8192 x 8192 field holds about 43 000).
SEM_LIKE = {"mean_diameter": 30.0, **generate.ZEISS_LIKE}


@dataclass
class Config:
    """Where a benchmark works and how big/how often it measures."""

    work: Path
    quick: bool = False
    rounds: int = 3


@dataclass
class Row:
    """One measured figure of a benchmark; ``target``/``passed`` empty for context figures."""

    figure: str
    measured: str
    target: str = ""
    passed: bool | None = None


@dataclass
class Section:
    """A benchmark's results: figures, what reproduces them, and what dominates."""

    key: str
    title: str
    method: str
    commands: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # Markdown lines after the figures


# ----- commands ---------------------------------------------------------------------------
def lamella_command() -> list[str]:
    """The ``lamella`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("lamella")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lamella.runner.cli"]


def build_workflow_images(workflow: Path = WORKFLOW) -> None:
    """``lamella module build`` for the modules ``workflow`` uses, untimed, before a container run.

    Says "up to date" in a second when the images match this checkout; otherwise (an SDK
    changed since they were built) rebuilds them, so a container benchmark never times or
    fails on images of another checkout.
    """
    import yaml

    nodes = yaml.safe_load(workflow.read_text(encoding="utf-8"))["nodes"].values()
    modules = sorted({str(node["module"]).split("@")[0] for node in nodes})
    subprocess.run([*lamella_command(), "module", "build", *modules], check=True,
                   capture_output=True, env=bench_env())


# Variables that would make the runs unlike a user's: extra module folders, and switching
# off Python's bytecode cache (some sandboxes and containers set it), which makes every
# process, the runner's workers included, recompile its sources at start.
_NOT_PASSED_ON = ("LAMELLA_MODULE_PATH", "PYTHONDONTWRITEBYTECODE")


def bench_env(cache_dir: Path | None = None) -> dict[str, str]:
    """The environment for runs: a private cache if given, normal bytecode caching."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED_ON}
    if cache_dir is not None:
        env["LAMELLA_CACHE_DIR"] = str(cache_dir)
    return env


def compile_bytecode() -> None:
    """Write the bytecode of Lamella and its modules, as a user's first run would.

    Without this the first timed command of a session would pay the compilation, and which
    command that is depends on the order the benchmarks run in.
    """
    folders = [str(REPO / name) for name in ("core", "runner", "modules")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=bench_env(),
                   check=True, capture_output=True)


def run_checked(command: list[str], env: dict[str, str] | None = None) -> float:
    """Run a command to its end; return its wall time in seconds (raise if it failed)."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env or bench_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{shown(command)} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def shown(command: list[str]) -> str:
    """A command as one shell line, with paths relative to the repository."""
    def short(part: str) -> str:
        text = part.replace(str(REPO) + os.sep, "")
        return f"'{text}'" if any(c in text for c in "*? ") else text
    return " ".join(short(p) for p in command)


def fresh_dir(path: Path) -> Path:
    """An empty folder at ``path`` (previous content removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# ----- data -------------------------------------------------------------------------------
def synthetic_image(folder: Path, size: int, *, seed: int = 1) -> Path:
    """A seeded SE particle image (``SEM_LIKE``), size x size, 8-bit OME-TIFF, 2.5 nm pixels.

    Made once per (size, seed) and reused: the generator gives the same bytes every time.
    """
    path = folder / f"particles-se-{size}-seed{seed}.ome.tif"  # "se": not an older look
    if not path.exists():
        image, _, _ = generate.particles(size, size, seed=seed, **SEM_LIKE)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(".partial-" + path.name)
        write_image(partial, Image(image, "YX", Calibration(PIXEL_NM, PIXEL_NM, "nm")))
        partial.replace(path)
    return path


# ----- statistics -------------------------------------------------------------------------
@dataclass(frozen=True)
class Spread:
    """Median and range of repeated measurements."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, digits: int = 2, unit: str = "") -> str:
        """'1.07 (1.05-1.12, n=3)'; a single value without the range."""
        fmt = f"{{:.{digits}f}}{unit}"
        if len(self.values) == 1:
            return fmt.format(self.values[0])
        low, high = min(self.values), max(self.values)
        return f"{fmt.format(self.median)} ({fmt.format(low)}–{fmt.format(high)}, n={len(self.values)})"


def alternate(rounds: int, *measures: Callable[[], float]) -> list[list[float]]:
    """Call each of ``measures`` (each returns seconds) once per round; times per measure.

    The order reverses every round (A B, B A, A B ...) so a drift in machine load affects all.
    """
    times: list[list[float]] = [[] for _ in measures]
    for i in range(rounds):
        order = list(enumerate(measures))
        for k, measure in order if i % 2 == 0 else reversed(order):
            times[k].append(measure())
    return times


def ratios(numerators: list[float], denominators: list[float]) -> Spread:
    """Per-round ratios, so each ratio compares runs made moments apart."""
    return Spread(tuple(n / d for n, d in zip(numerators, denominators, strict=True)))


# ----- machine ----------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "cpu": f"{os.cpu_count()} logical cores ({platform.processor() or platform.machine()})",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "commit": git_commit(),
        "load": "load average {:.2f} {:.2f} {:.2f} at start".format(*os.getloadavg()),
    }


def git_commit() -> str:
    """The checked-out commit, marked '+changes' when tracked files have uncommitted edits."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes" if dirty else "")
