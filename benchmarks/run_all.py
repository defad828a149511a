"""Run the benchmarks and write benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run_all.py                    # all, full sizes (~10 min)
    .venv/bin/python benchmarks/run_all.py --only overhead    # one (repeatable option)
    .venv/bin/python benchmarks/run_all.py --quick --results /tmp/r.md   # tiny smoke run

Generated images, outputs and the benchmarks' private cache go to benchmarks/_work/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import bench_backends
import bench_batch
import bench_docker
import bench_editor
import bench_memory
import bench_ml
import bench_overhead
import bench_session
import bench_two_engines
import bench_warm
from _common import BENCH_DIR, CACHES, Config, compile_bytecode, git_commit, machine
from _report import write_report

BENCHMARKS = {"overhead": bench_overhead, "warm": bench_warm, "batch": bench_batch,
              "memory": bench_memory, "session": bench_session, "backends": bench_backends,
              "editor": bench_editor, "docker": bench_docker,
              "two-engines": bench_two_engines, "ml": bench_ml}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS),
                        help="run only this benchmark (repeatable); default: all")
    parser.add_argument("--quick", action="store_true",
                        help="tiny images and one round: checks the benchmarks work, nothing more")
    parser.add_argument("--rounds", type=int, help="repetitions per figure (default 3, 1 with --quick)")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "RESULTS.md",
                        help="report file to write (default benchmarks/RESULTS.md)")
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "_work",
                        help="folder for generated data and outputs (default benchmarks/_work)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks one after the other, then write the report."""
    args = parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    config = Config(work=args.work.resolve(), quick=args.quick, rounds=rounds)
    about = machine()
    compile_bytecode()
    sections = []
    for name in args.only or list(BENCHMARKS):
        print(f"benchmark {name} ...", flush=True)
        sections.append(BENCHMARKS[name].run(config))
        for row in sections[-1].rows:
            print(f"  {row.figure}: {row.measured}", flush=True)
    shutil.rmtree(config.work / CACHES, ignore_errors=True)  # gigabytes of node results
    about["load"] += ", {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    if git_commit() != about["commit"]:  # the repository is shared; say if it moved
        about["commit"] += f" at start, {git_commit()} at the end"
    path = write_report(args.results, sections, about, quick=args.quick)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
