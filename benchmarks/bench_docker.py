"""(h) Docker backend: the whole example with ``--backend docker`` versus ``--backend local``.

Timed as :mod:`bench_backends` times the isolated backend (subprocesses start to exit, the
same 1024 x 1024 SEM-like image, ``--no-cache``, rounds alternating, per-node durations
from the run records). The floor of a container node is a bare ``docker run --rm`` of the
node's module image that only imports the module's code (and so exactly its dependencies:
the SDK, numpy, scipy, scikit-image, matplotlib for the plots), with no network, timed
``FLOOR_ROUNDS`` times per module.
What a Docker node costs above that floor is Lamella's part: laying out and copying the
task folder, the container's settings and labels, following its log, reading its result.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from statistics import median

from _common import Config, Row, Section, Spread, build_workflow_images, ratios, shown
from bench_backends import QUICK_SIZE, SIZE, command, compare, node_table, per_node

# The SDK's own loader: modules import their sibling files relatively, as a package.
FLOOR_IMPORTS = ("from pathlib import Path; from lamella.core.sdk._entry import import_module_file; "
                 "import_module_file(Path('/module'), 'main')")
FLOOR_ROUNDS = 3


def floor_command(image: str) -> list[str]:
    """A bare container of a module image that imports the module's code and ends."""
    return ["docker", "run", "--rm", "--network", "none", "--entrypoint", "/opt/lamella/bin/python",
            image, "-c", FLOOR_IMPORTS]


def floor_seconds(image: str, rounds: int) -> float:
    """Median wall time of the floor command for ``image``."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(floor_command(image), check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return median(times)


def node_images(config: Config) -> dict[str, str]:
    """Node -> the module image it ran from (the docker run's record pins it)."""
    import json

    record = json.loads((config.work / "docker" / "docker" / "run-record.json").read_text())
    (item,) = record["items"].values()
    return {name: node["image_digest"].split("@")[0] for name, node in item["nodes"].items()}


def run(config: Config) -> Section:
    """Local and docker wall times, the per-node difference, and the bare-container floor."""
    size = QUICK_SIZE if config.quick else SIZE
    build_workflow_images()
    local, docker, nodes, identical = compare(config, ("local", "docker"), size)
    images = node_images(config)
    rounds = 1 if config.quick else FLOOR_ROUNDS
    floors = {image: floor_seconds(image, rounds) for image in set(images.values())}
    table = per_node(nodes)
    extra = median(diff.median for _, _, diff in table.values())
    floor = median(floors[images[name]] for name in table)
    above = median(diff.median - floors[images[name]] for name, (_, _, diff) in table.items())
    return Section(
        key="docker", title="(h) Docker versus local backend",
        method=(f"{size} x {size} synthetic SEM image, the whole example with `--no-cache`, "
                f"default jobs, module images built beforehand (`lamella module build --all`). Wall "
                f"time of each command as a subprocess; local and docker alternate ({config.rounds} "
                "round(s)" + ("" if config.quick else " after an untimed warm-up of each") + "). Per "
                "node: `duration_s` of the two run records, docker − local per round. Floor: a "
                "bare `docker run --rm` of each node's module image importing the module's code, "
                "median of " + str(1 if config.quick else FLOOR_ROUNDS) + " per module; above the "
                "floor = docker − local − floor, per node, median over nodes."),
        commands=[shown(command(Path("X"), Path("DIR"), name)) for name in ("local", "docker")]
        + [shown(floor_command("IMAGE"))],
        rows=[
            Row("docker / local wall time", ratios(docker, local).text(3)),
            Row("local wall time", Spread(tuple(local)).text(2, " s")),
            Row("docker wall time", Spread(tuple(docker)).text(2, " s")),
            Row("docker − local per node (median over nodes)", f"{extra:.2f} s"),
            Row("floor: bare docker run importing the module (median over nodes)", f"{floor:.2f} s"),
            Row("per node above the floor", f"{above:.2f} s", "≤ 0.2 s", above <= 0.2),
            Row("sizes.csv and summary.csv identical", "yes" if identical else "NO"),
        ],
        details=["Per node (run records; medians over rounds):", "", *node_table(table, "docker")],
        notes=[
            f"A node in a container takes a median {extra:.2f} s longer than in a warm local "
            f"worker; a bare container that only imports the module takes {floor:.2f} s (container "
            "create and start, the interpreter, the imports, the container's removal), so Lamella's "
            f"own part per node is about {above:.2f} s: the task folder "
            "with its copied inputs, the engine calls (create, start, log stream, wait, inspect, "
            "remove) and reading the result back.",
        ],
    )

