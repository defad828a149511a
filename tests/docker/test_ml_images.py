"""ML modules' images: CPU torch from the host's wheel in one shared layer; unet-predict in its container."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from lamella.core.catalog import Catalog, builtin_modules_dir
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import build_module
from lamella.runner.containers._wheelhouse import host_pins, stack_pins
from tests.docker_engine import docker_client, needs_docker

pytestmark = needs_docker

REPO = Path(__file__).resolve().parents[2]
LAMELLA = REPO / ".venv" / "bin" / "lamella"
UNET_WORKFLOW = REPO / "examples" / "workflows" / "particles-unet.yaml"
TORCH_VERSION = "2.13.0+cpu"  # the Makefile's pin, installed from the host's CPU wheel


def _built(*refs: str) -> dict[str, object]:
    """Build (or find up to date) the images of ``refs``; return ref -> image."""
    client = docker_client()
    catalog = Catalog.discover([builtin_modules_dir()])
    images = {}
    for ref in refs:
        entry = catalog.resolve(ref)
        build_module(client, entry.manifest, entry.folder, say=lambda message: None)
        images[ref] = client.images.get(names.module_image(entry.manifest))
    return images


def _count(summary: Path) -> int:
    with summary.open(newline="") as handle:
        return int(next(row for row in csv.DictReader(handle) if row["quantity"] == "ecd")["count"])


def test_the_two_unet_images_share_one_layer_with_the_hosts_cpu_torch() -> None:
    pytest.importorskip("torch")
    images = _built("lamella/unet-train@1", "lamella/unet-predict@1")
    train, predict = images["lamella/unet-train@1"], images["lamella/unet-predict@1"]
    below = {image.labels[names.LABEL_FROM] for image in (train, predict)}  # type: ignore[attr-defined]
    assert len(below) == 1  # built on the same extras image
    extras = docker_client().images.get(below.pop())
    assert extras.labels[names.LABEL_KIND] == "extras"
    assert any(tag.startswith(names.EXTRAS_REPOSITORY + ":") for tag in extras.tags)
    # Only the module's code above the shared layer, and no CUDA libraries in it (9.5 GB with them).
    for image in (train, predict):
        added = int(image.attrs["Size"]) - int(extras.attrs["Size"])  # type: ignore[attr-defined]
        assert 0 < added < 200_000
    assert int(extras.attrs["Size"]) < 2_500_000_000
    done = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "/opt/lamella/bin/python",
         predict.tags[0], "-c",  # type: ignore[attr-defined]
         "import torch, onnxruntime; print(torch.__version__, torch.cuda.is_available())"],
        capture_output=True, text=True, check=True)
    assert done.stdout.split() == [TORCH_VERSION, "False"]


def test_host_pins_pin_an_installed_requirement_with_its_closure_and_keep_the_rest() -> None:
    pytest.importorskip("torch")
    stack = stack_pins()
    pins = host_pins(["torch>=2.3", "not-a-lamella-package>=1", "numpy<1"], stack)
    assert f"torch=={TORCH_VERSION}" in pins
    assert any(pin.startswith("sympy==") for pin in pins)  # torch needs it; the stack does not hold it
    assert not any(pin.startswith("numpy==") for pin in pins)  # in the stack, and not satisfied here
    assert pins[-2:] == ["not-a-lamella-package>=1", "numpy<1"]  # left to be resolved when fetched


def test_unet_predict_in_its_container_gives_the_local_runs_numbers(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    _built(*(f"lamella/{name}@1" for name in ("load-image", "unet-predict", "watershed",
                                              "filter-objects", "measure", "histogram", "overlay")))
    results = {}
    for backend in ("local", "docker"):
        done = subprocess.run([str(LAMELLA), "run", str(UNET_WORKFLOW), "--backend", backend,
                               "--no-cache", "--out", str(tmp_path / backend), "-q"],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        results[backend] = (tmp_path / backend / "summary.csv").read_text()
    assert results["docker"] == results["local"]
    # The bundled sample holds 461 particles clear of the edge (particles-truth.csv).
    assert abs(_count(tmp_path / "docker" / "summary.csv") - 461) <= 0.2 * 461
