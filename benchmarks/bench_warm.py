"""(b) Warm re-run: the same run again when every node's result is in the cache.

Each round starts from an empty cache: a cold run of ``lamella run WORKFLOW --input
image=X --out DIR -q``, then the identical command again (every node a cache hit, checked in
its run record); the ratio warm/cold is taken per round. The same is done in-process through
the Python API (``Analysis.load(...).run(...)`` timed inside this process, so without
interpreter start and imports). To say what a warm CLI run spends its time on, the rounds
also time ``python -c pass``, importing the CLI, and ``lamella validate`` (start, imports,
module catalog and validation, no run), and ``-X importtime`` names the heaviest imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import (
    CACHES,
    WORKFLOW,
    Config,
    Row,
    Section,
    Spread,
    bench_env,
    fresh_dir,
    lamella_command,
    ratios,
    run_checked,
    shown,
    synthetic_image,
)

from lamella.runner import Analysis

SIZE, QUICK_SIZE = 2048, 256
TARGET = 0.05
IMPORT_PROBE = "lamella.runner.cli._commands"  # what `lamella run` imports: CLI, API, engine
# pydantic builds its validation machinery with the first model: the floor under any
# program that validates with it.
PYDANTIC_PROBE = "import pydantic\nclass First(pydantic.BaseModel):\n    x: int"


def cli_round(image: Path, work: Path) -> tuple[float, float]:
    """(cold, warm) wall seconds of the CLI with a fresh cache."""
    env = bench_env(fresh_dir(work / CACHES / "warm-cli"))
    out = work / "warm" / "cli"
    command = [*lamella_command(), "run", str(WORKFLOW), "--input", f"image={image}",
               "--out", str(out), "-q"]
    cold = run_checked(command, env)
    warm = run_checked(command, env)
    require_all_cached(out)
    return cold, warm


def api_round(image: Path, work: Path) -> tuple[float, float]:
    """(cold, warm) seconds of ``Analysis.load(...).run(...)`` inside this process."""
    cache, out = fresh_dir(work / CACHES / "warm-api"), work / "warm" / "api"
    times = []
    for _ in range(2):
        started = time.perf_counter()
        result = Analysis.load(WORKFLOW).run(inputs={"image": image}, out=out, cache_dir=cache)
        times.append(time.perf_counter() - started)
        if not result.ok:
            raise RuntimeError(f"API run failed: {[j.error for j in result.failures]}")
    require_all_cached(out)
    return times[0], times[1]


def require_all_cached(out: Path) -> None:
    """Fail unless the run record in ``out`` says every node was reused from the cache."""
    record = json.loads((out / "run-record.json").read_text())
    states = {n["status"] for item in record["items"].values() for n in item["nodes"].values()}
    if states != {"cached"}:
        raise RuntimeError(f"warm run was not all cache hits: {sorted(states)}")


def startup_commands() -> dict[str, list[str]]:
    """Commands that time the fixed costs every CLI run pays."""
    return {"python": [sys.executable, "-c", "pass"],
            "pydantic": [sys.executable, "-c", PYDANTIC_PROBE],
            "import": [sys.executable, "-c", f"import {IMPORT_PROBE}"],
            "validate": [*lamella_command(), "validate", str(WORKFLOW)]}


def heaviest_imports(count: int = 6) -> list[tuple[str, float]]:
    """Top-level packages by their own import time (s) during ``lamella validate``."""
    command = [sys.executable, "-X", "importtime", "-m", "lamella.runner.cli", "validate",
               str(WORKFLOW)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=bench_env())
    per_package: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            per_package[parts[2].strip().split(".")[0]] += int(parts[0]) / 1e6
    return sorted(per_package.items(), key=lambda kv: -kv[1])[:count]


def run(config: Config) -> Section:
    """Cold and warm runs, CLI and API, ``config.rounds`` times; fixed costs alongside."""
    size = QUICK_SIZE if config.quick else SIZE
    image = synthetic_image(config.work / "data", size)
    cli, api, fixed = [], [], defaultdict(list)
    for _ in range(config.rounds):
        cli.append(cli_round(image, config.work))
        api.append(api_round(image, config.work))
        for name, command in startup_commands().items():
            fixed[name].append(run_checked(command, bench_env()))
    return _section(config, size, cli, api, fixed, heaviest_imports())


def _section(config: Config, size: int, cli: list[tuple[float, float]],
             api: list[tuple[float, float]], fixed: dict[str, list[float]],
             imports: list[tuple[str, float]]) -> Section:
    cli_ratio = ratios([w for _, w in cli], [c for c, _ in cli])
    api_ratio = ratios([w for _, w in api], [c for c, _ in api])
    seconds = {name: Spread(tuple(v)) for name, v in fixed.items()}
    warm_cli = Spread(tuple(w for _, w in cli))
    target = f"<= {TARGET * 100:.0f} %"
    return Section(
        key="warm", title="(b) Warm re-run (every node from the cache)",
        method=(f"{size} x {size} synthetic SEM image. Per round: empty cache, cold run, the "
                f"same run again (all nodes cached, checked in the run record); {config.rounds} "
                "rounds, ratio per round, median (range). CLI: subprocess wall time. API: "
                "`Analysis.load(WORKFLOW).run(...)` timed inside one Python process."),
        commands=[shown([*lamella_command(), "run", str(WORKFLOW), "--input", "image=X",
                         "--out", "DIR", "-q"]) + "   # twice, same cache"],
        rows=[
            Row("warm / cold, CLI", _percent(cli_ratio), target, cli_ratio.median <= TARGET),
            Row("warm / cold, API in-process", _percent(api_ratio), target,
                api_ratio.median <= TARGET),
            Row("cold run, CLI", Spread(tuple(c for c, _ in cli)).text(2, " s")),
            Row("warm run, CLI", warm_cli.text(3, " s")),
            Row("cold run, API", Spread(tuple(c for c, _ in api)).text(2, " s")),
            Row("warm run, API", Spread(tuple(w for _, w in api)).text(3, " s")),
            Row("python -c pass", seconds["python"].text(3, " s")),
            Row("python: import pydantic and define one model", seconds["pydantic"].text(3, " s")),
            Row(f"python -c 'import {IMPORT_PROBE}'", seconds["import"].text(3, " s")),
            Row("lamella validate (start, imports, catalog, validation)",
                seconds["validate"].text(3, " s")),
        ],
        notes=[
            f"A warm CLI run ({warm_cli.median:.3f} s) costs about what `lamella validate` costs "
            f"({seconds['validate'].median:.3f} s): interpreter start, imports and workflow "
            "validation. The run itself (hashing the input, cache look-ups, copying results, the "
            "run record) is what the API figure shows.",
            f"Of that start-up, {seconds['pydantic'].median:.3f} s is Python with pydantic ready "
            "(imported, first model built), which any program validating with pydantic pays; "
            f"importing the CLI, API and engine takes {seconds['import'].median:.3f} s in all.",
            f"This cost is fixed, whatever the image: the CLI ratio reaches {TARGET:.0%} only for "
            f"runs whose cold time is {warm_cli.median / TARGET:.0f} s or more.",
            "Heaviest imports of `lamella validate` (`-X importtime`, own time summed by "
            "top-level package): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in imports) + ".",
        ],
    )


def _percent(spread: Spread) -> str:
    return Spread(tuple(100 * v for v in spread.values)).text(1, " %")
