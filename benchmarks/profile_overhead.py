"""Where the runner's time goes, process by process, next to the plain script.

    .venv/bin/pip install pyinstrument     # a profiler; not a project dependency
    .venv/bin/python benchmarks/profile_overhead.py [--size 2048] [--jobs 1]

Runs the overhead benchmark's two commands once each with every Python process (the
``lamella`` process, each worker, the plain script) under pyinstrument, started from a
``sitecustomize.py`` put on PYTHONPATH, so the runner's code is profiled unchanged. Each
sample's time is put in one category (the outermost match on its stack wins, imports over
everything): imports, module code, intermediate files (OME-TIFF read/write, SHA-256 of
files), waiting (for a worker or for the next task), or other (runner bookkeeping,
validation). Sampling slows Python-heavy code, so compare categories, not totals, with the
benchmark. Full profiles: benchmarks/_work/profile/*.txt.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from _common import BENCH_DIR, CACHES, bench_env, fresh_dir, synthetic_image
from bench_overhead import plain_command, runner_command

SHIM = '''
import atexit, os, sys
from pyinstrument import Profiler
_profiler = Profiler(interval=0.002)
_profiler.start()

def _save():
    _profiler.stop()
    role = "worker" if any("_worker" in a for a in sys.argv) else os.path.basename(sys.argv[0])
    name = os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{role}-{os.getpid()}")
    _profiler.last_session.save(name + ".pyisession")
    with open(name + ".txt", "w") as handle:
        handle.write(_profiler.output_text(unicode=False, color=False))

atexit.register(_save)
'''
IMPORTS = {"_find_and_load", "_get_module_details"}
FILES = {"read_image", "write_image", "file_digest"}
WAITING = {"poll", "wait", "recv", "select"}
PLAIN_STEPS = {"load", "smooth", "segment", "separate", "drop_border", "measure", "histogram",
               "overlay"}


def category(frame, inherited: str) -> str:  # type: ignore[no-untyped-def]
    """The category of a stack frame, given its caller's."""
    name, path = frame.function, frame.file_path or ""
    if inherited == "imports" or name in IMPORTS:
        return "imports"
    if name in FILES:
        return "intermediate files"
    if inherited != "other":
        return inherited
    if (name == "run" and f"{os.sep}modules{os.sep}" in path) or (
            name in PLAIN_STEPS and path.endswith("plain_nanoparticle.py")):
        return "module code"
    return "waiting" if name in WAITING else "other"


def breakdown(session_file: Path) -> dict[str, float]:
    """Seconds per category in one saved pyinstrument session (self time of each frame)."""
    from pyinstrument.session import Session

    totals: dict[str, float] = defaultdict(float)
    stack = [(Session.load(str(session_file)).root_frame(), "other")]
    while stack:
        frame, inherited = stack.pop()
        kind = category(frame, inherited)
        totals[kind] += frame.time - sum(child.time for child in frame.children)
        stack += [(child, kind) for child in frame.children]
    return dict(totals)


def profiled(command: list[str], folder: Path, shim: Path) -> None:
    """Run ``command`` with every Python process in it profiled into ``folder``."""
    env = {**bench_env(folder.parent / CACHES / "profile"), "BENCH_PROFILE_DIR": str(folder),
           "PYTHONPATH": str(shim)}
    subprocess.run(command, env=env, check=True, capture_output=True)


def main() -> None:
    """Profile both commands and print the breakdown per process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--jobs", default="1", help="runner --jobs (1 keeps one worker)")
    args = parser.parse_args()
    work = BENCH_DIR / "_work"
    folder, shim = fresh_dir(work / "profile"), fresh_dir(work / "profile-shim")
    (shim / "sitecustomize.py").write_text(SHIM)
    image = synthetic_image(work / "data", args.size)
    profiled(runner_command(image, folder / "runner-out", "--jobs", args.jobs), folder, shim)
    profiled(plain_command(image, folder / "plain-out"), folder, shim)
    shutil.rmtree(work / CACHES / "profile", ignore_errors=True)
    kinds = ["imports", "module code", "intermediate files", "waiting", "other"]
    print(f"{'process':34s}" + "".join(f"{k:>20s}" for k in kinds))
    for session in sorted(folder.glob("*.pyisession")):
        seconds = breakdown(session)
        print(f"{session.stem:34s}" + "".join(f"{seconds.get(k, 0.0):19.2f}s" for k in kinds))


if __name__ == "__main__":
    main()
