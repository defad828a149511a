"""(i) A batch over two Docker engines on this one machine versus one engine.

The same batch (``--backend docker --no-cache``, ``BATCH_IMAGES`` seeded SEM-like images) on
this machine's engine with two slots, and on two engines with one slot each: this
machine's and a second dockerd started here for the benchmark on loopback with TLS, which
is treated as remote (inputs shipped into its store, outputs fetched back, images sent
with ``docker save``/``load`` beforehand, untimed). Both use the same two cores, so the
ratio of throughputs measures the cost of spreading work over hosts, not scaling (target:
at least 0.9). Each node gets one thread in both settings: the hosts file gives each
engine one of the machine's two CPUs (``cpus: 1``), as one engine with two slots gives
each slot one; without it each engine would give its one slot both CPUs, two threads per
node on a machine whose two cores both engines share.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from _common import (
    CACHES,
    REPO,
    WORKFLOW,
    Config,
    Row,
    Section,
    Spread,
    alternate,
    bench_env,
    build_workflow_images,
    fresh_dir,
    lamella_command,
    ratios,
    run_checked,
    shown,
)
from bench_batch import make_images

BATCH_IMAGES, SIZE = 12, 512
_EXAMPLE_IMAGES = ("lamella/runtime", "lamella/load-image", "lamella/threshold", "lamella/watershed",
                   "lamella/filter-objects", "lamella/measure", "lamella/histogram", "lamella/overlay")
QUICK_IMAGES, QUICK_SIZE = 2, 128


def command(pattern: str, out: Path, hosts: list[str], jobs: int) -> list[str]:
    """The batch with ``--backend docker`` on ``hosts``."""
    return [*lamella_command(), "run", str(WORKFLOW), "--batch", f"image={pattern}", "--no-cache",
            "--backend", "docker", *(a for h in hosts for a in ("--docker-host", h)), "--jobs", str(jobs),
            "--out", str(out), "-q"]


# The tests' second engine (TLS certificates, its own bridge, clean stop) serves here too.
sys.path.insert(0, str(REPO))


def _second_engine():  # type: ignore[no-untyped-def]
    from tests.docker.remote_engine import _short_folder, start_engine

    return start_engine(_short_folder("lbe-"))


def _send_images(engine) -> None:  # type: ignore[no-untyped-def]
    import docker

    from lamella.runner.containers._remote import ensure_image

    here = docker.from_env()
    for image in here.images.list(filters={"label": "org.lamella.kind"}):
        for tag in image.tags:
            if tag.startswith(_EXAMPLE_IMAGES):
                ensure_image(here, engine.client, tag)


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent on anything but idling, so far."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def hosts_of(out: Path) -> set[str]:
    """The hosts the batch's nodes ran on (from its record)."""
    record = json.loads((out / "run-record.json").read_text())
    return {node["host"] for item in record["items"].values() for node in item["nodes"].values()}


def run(config: Config) -> Section:
    """One engine with two slots versus two engines with one slot each."""
    from tests.docker.remote_engine import stop_engine

    count, size = (QUICK_IMAGES, QUICK_SIZE) if config.quick else (BATCH_IMAGES, SIZE)
    build_workflow_images()
    pattern = make_images(config.work / "two-engines" / "images", count, size)
    env = bench_env(config.work / CACHES / "two-engines")
    process, engine = _second_engine()
    try:
        _send_images(engine)
        hosts_file = config.work / "two-engines" / "hosts.yaml"
        hosts_file.write_text("hosts:\n  - {url: 'unix:///var/run/docker.sock', slots: 1, cpus: 1}\n"
                              f"  - {{url: '{engine.url}', name: second, tls: '{engine.tls}', slots: 1, "
                              "cpus: 1}\n")
        outs = {"one": config.work / "two-engines" / "one", "two": config.work / "two-engines" / "two"}
        settings = {"one": ([], 2), "two": ([str(hosts_file)], 2)}

        cpu: dict[str, list[float]] = {"one": [], "two": []}

        def timed(name: str):  # type: ignore[no-untyped-def]
            def once() -> float:
                fresh_dir(outs[name])
                before = busy_cpu_seconds()
                seconds = run_checked(command(pattern, outs[name], *settings[name]), env)
                cpu[name].append(busy_cpu_seconds() - before)
                return seconds
            return once

        one, two = alternate(config.rounds, timed("one"), timed("two"))
        spread = hosts_of(outs["two"])
    finally:
        stop_engine(process, engine)
    throughput = ratios(one, two)  # time with one engine / time with two = throughput ratio
    return Section(
        key="two-engines", title="(i) A batch over two Docker engines versus one",
        method=(f"{count} seeded {size} x {size} SEM-like images, the example with `--backend docker "
                "--no-cache --jobs 2`: this machine's engine with 2 slots, versus a hosts file with "
                "this machine's engine (1 slot, 1 CPU) and a second dockerd on loopback over TLS (1 "
                "slot, 1 CPU, treated as remote: files shipped and fetched), so every node has one "
                "thread in both, alternating "
                f"{config.rounds} round(s); throughput ratio per round = one-engine time / "
                "two-engine time, median (range)."),
        commands=[shown(command("DIR/*.ome.tif", Path("OUT"), *settings["one"])),
                  shown(command("DIR/*.ome.tif", Path("OUT"), ["hosts.yaml"], 2))],
        rows=[
            Row("throughput, two engines / one", throughput.text(3), "≥ 0.9", throughput.median >= 0.9),
            Row("one engine", Spread(tuple(one)).text(1, " s")),
            Row("two engines", Spread(tuple(two)).text(1, " s")),
            Row("CPU time of the whole machine, one engine", Spread(tuple(cpu["one"])).text(1, " s")),
            Row("CPU time of the whole machine, two engines", Spread(tuple(cpu["two"])).text(1, " s")),
            Row("hosts the two-engine batch ran on", ", ".join(sorted(spread))),
        ],
        notes=["Both settings share the same two cores: the second engine adds no CPU. What the "
               "ratio shows is the price of a remote host: inputs shipped into its store through "
               "the Docker API, a task volume per node, outputs fetched back with `get_archive`.",
               "The batch keeps both cores busy in both settings, so the ratio is close to the "
               "ratio of the machine's CPU time: what a remote node costs is the second engine's "
               "work (its API calls, TLS, the archives) more than any waiting."],
    )
