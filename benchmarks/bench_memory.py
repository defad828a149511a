"""(d) Peak memory of the nanoparticle workflow on an 8192 x 8192 image (~43 000 particles).

``lamella run WORKFLOW --input image=X --no-cache --out DIR -q --jobs N`` for N = 1 and 2.
While it runs, this process samples every 50 ms the resident set size (RSS, psutil) of the
``lamella`` process and of all its descendants (the worker processes). Reported: the peak
of the per-sample sum over the tree, and the largest single process seen in a sample. As a
check between samples, the kernel's own maximum RSS of any process in the tree (``wait4``
``ru_maxrss``) is reported too. RSS counts shared pages (Python, numpy libraries) once per
process, so the sum slightly overstates what the tree really occupies.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
from _common import (
    CACHES,
    WORKFLOW,
    Config,
    Row,
    Section,
    bench_env,
    fresh_dir,
    lamella_command,
    run_checked,
    shown,
    synthetic_image,
)

SIZE, QUICK_SIZE = 8192, 512
INTERVAL_S = 0.05
TARGET_GB = 2.0


@dataclass
class Peak:
    """What the sampler saw during one run; bytes, seconds since the epoch."""

    total: int = 0
    total_at: float = 0.0
    total_pss: int = 0
    single: int = 0
    single_at: float = 0.0
    single_is_runner: bool = False
    kernel_max: int = 0
    samples: int = 0
    seconds: float = 0.0


def tree_memory(root: psutil.Process) -> list[tuple[int, int, int]]:
    """(pid, RSS, PSS) in bytes of ``root`` and its living descendants."""
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            info = process.memory_full_info()  # smaps_rollup: well under a millisecond
            found.append((process.pid, info.rss, info.pss))
        except psutil.NoSuchProcess:
            pass  # a worker that just ended
    return found


def sample_run(command: list[str], env: dict[str, str]) -> Peak:
    """Run ``command``, sampling its process tree's memory every INTERVAL_S until it exits."""
    peak, started = Peak(), time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        root = psutil.Process(process.pid)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            _update(peak, tree_memory(root), process.pid)
            time.sleep(INTERVAL_S)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{shown(command)} failed:\n{log.read()[-2000:].decode()}")
    peak.kernel_max = usage.ru_maxrss * 1024  # KiB on Linux
    peak.seconds = time.perf_counter() - started
    return peak


def _update(peak: Peak, sample: list[tuple[int, int, int]], runner_pid: int) -> None:
    peak.samples += 1
    now = time.time()
    total = sum(rss for _, rss, _ in sample)
    if total > peak.total:
        peak.total, peak.total_at = total, now
    peak.total_pss = max(peak.total_pss, sum(pss for _, _, pss in sample))
    pid, rss, _ = max(sample, key=lambda s: s[1], default=(0, 0, 0))
    if rss > peak.single:
        peak.single, peak.single_at, peak.single_is_runner = rss, now, pid == runner_pid


def nodes_running(out: Path, when: float) -> list[str]:
    """Nodes whose run (per the run record) spans the moment ``when``."""
    record = json.loads((out / "run-record.json").read_text())
    names = []
    for item in record["items"].values():
        for name, node in item["nodes"].items():
            start, end = (datetime.fromisoformat(node[k]).timestamp() for k in ("started", "finished"))
            if start <= when <= end:
                names.append(name)
    return names


def run(config: Config) -> Section:
    """One sampled run each with --jobs 1 and --jobs 2 (memory does not need rounds)."""
    size = QUICK_SIZE if config.quick else SIZE
    image = synthetic_image(config.work / "data", size)
    env = bench_env(config.work / CACHES / "shared")
    run_checked([*lamella_command(), "validate", str(WORKFLOW)], env)  # warm file system cache
    rows, notes, commands = [], [], []
    for jobs in (1, 2):
        out = fresh_dir(config.work / "memory" / f"jobs{jobs}")
        command = [*lamella_command(), "run", str(WORKFLOW), "--input", f"image={image}",
                   "--no-cache", "--out", str(out), "-q", "--jobs", str(jobs)]
        peak = sample_run(command, env)
        commands.append(shown(command))
        rows += _rows(jobs, peak)
        notes.append(_note(jobs, peak, out))
    return Section(
        key="memory", title=f"(d) Peak memory, {size} x {size} image",
        method=(f"{size} x {size} 8-bit synthetic SE image (about 43 000 particles at full "
                "size). Every {:.0f} ms psutil reads the memory of the `lamella` process and of "
                "every descendant (the workers). Figures: the peak over samples of the summed "
                "RSS (the target; shared library pages count once per process, so this "
                "overstates a little), the peak of the summed PSS (shared pages split between "
                "processes), the largest single process RSS in any sample, and the kernel's "
                "maximum RSS of any single process in the tree (wait4 ru_maxrss, which also "
                "catches peaks between samples). One run per setting. GB = 10^9 bytes."
                .format(INTERVAL_S * 1000)),
        commands=commands, rows=rows, notes=notes)


def _rows(jobs: int, peak: Peak) -> list[Row]:
    total_gb = peak.total / 1e9
    return [
        Row(f"peak RSS sum over process tree, --jobs {jobs}", f"{total_gb:.2f} GB",
            f"< {TARGET_GB:.0f} GB", total_gb < TARGET_GB),
        Row(f"peak PSS sum over process tree, --jobs {jobs}", f"{peak.total_pss / 1e9:.2f} GB"),
        Row(f"largest single process (sampled RSS), --jobs {jobs}", f"{peak.single / 1e9:.2f} GB"),
        Row(f"largest single process (kernel ru_maxrss), --jobs {jobs}",
            f"{peak.kernel_max / 1e9:.2f} GB"),
        Row(f"wall time, --jobs {jobs}", f"{peak.seconds:.0f} s"),
    ]


def _note(jobs: int, peak: Peak, out: Path) -> str:
    def during(when: float) -> str:
        return ", ".join(nodes_running(out, when)) or "no node (between nodes, start or end)"
    largest = "the runner process" if peak.single_is_runner else "a worker"
    return (f"--jobs {jobs}: the summed peak came while {during(peak.total_at)} ran; the "
            f"largest single process was {largest}, while {during(peak.single_at)} ran "
            f"({peak.samples} samples over {peak.seconds:.0f} s).")
