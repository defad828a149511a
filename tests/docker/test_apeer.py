"""An APEER module, written with the real apeer-dev-kit, runs unchanged beside native modules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from lamella.core.catalog import Catalog
from lamella.core.sdk import Image, read_image, write_image
from lamella.runner import Analysis
from lamella.runner.containers._build import build_module
from tests.docker.remote_engine import RemoteEngine
from tests.docker_engine import docker_client, needs_docker
from tests.runner.test_results_folder import lamella

pytestmark = needs_docker

APEER_MODULES = Path(__file__).parents[1] / "fixtures" / "apeer"

WORKFLOW = """\
lamella: 1
name: apeer-mix
inputs:
  image: {type: image}
nodes:
  invert: {module: apeer/invert-apeer@1, params: {gain: 0.5, threshold: 20}, in: {input_image: $inputs.image}}
  segment:
    module: lamella/threshold@1.2
    params: {method: manual, level: 60}
    in: {image: invert.inverted_image}
outputs: {inverted: invert.inverted_image, mask: segment.mask}
"""


@pytest.fixture
def apeer_workdir(tmp_path: Path, isolated_cache: Path) -> Path:
    client, catalog = docker_client(), Catalog.discover([APEER_MODULES])
    for ref in ("apeer/invert-apeer@1", "lamella/threshold@1.2"):
        entry = catalog.resolve(ref)
        build_module(client, entry.manifest, entry.folder, say=lambda message: None)
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (16, 1))
    write_image(tmp_path / "ramp.ome.tif", Image(ramp, "YX"))
    return tmp_path


def expected_inversion() -> np.ndarray:
    """What the module makes of the ramp: (255 - value) x gain, zero below the threshold."""
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.float64), (16, 1))
    expected = (255 - ramp) * 0.5
    expected[expected < 20] = 0  # the module's rule: below the threshold before rounding
    return np.rint(expected).astype(np.uint8)


def test_an_apeer_module_runs_the_apeer_way_next_to_a_native_one(apeer_workdir: Path) -> None:
    analysis = Analysis.load(apeer_workdir / "wf.yaml", modules=[APEER_MODULES])
    result = analysis.run(inputs={"image": apeer_workdir / "ramp.ome.tif"}, out=apeer_workdir / "out",
                          backend="docker")
    assert result.ok, result.failures
    inverted = tifffile.imread(apeer_workdir / "out" / "inverted.tif")
    assert inverted.dtype == np.uint8 and np.array_equal(inverted, expected_inversion())
    mask = read_image(apeer_workdir / "out" / "mask.ome.tif").data
    assert np.array_equal(mask > 0, inverted > 60)  # the native module read the APEER output
    log = (apeer_workdir / "out" / "logs" / "invert.log").read_text()
    sent = json.loads(log.split("Found module's inputs to be ")[1].splitlines()[0].replace("'", '"')
                      .replace("False", "false"))
    assert sent == {"input_image": "/input/input_image/ramp.ome.tif", "max_source": "dtype",
                    "threshold": 20, "gain": 0.5, "float_output": False,
                    "WFE_output_params_file": "lamella-apeer-outputs.json"}
    record = json.loads((apeer_workdir / "out" / "run-record.json").read_text())
    node = record["items"]["apeer-mix"]["nodes"]["invert"]
    assert node["image_digest"].startswith("lamella-apeer/invert-apeer:1.0.0@sha256:")
    # Run again: the node is reused, and its record still names the image that made the result.
    again = analysis.run(inputs={"image": apeer_workdir / "ramp.ome.tif"}, out=apeer_workdir / "again",
                         backend="docker")
    assert again.ok, again.failures
    reused = json.loads((apeer_workdir / "again" / "run-record.json").read_text())
    reused_node = reused["items"]["apeer-mix"]["nodes"]["invert"]
    assert reused_node["status"] == "cached" and reused_node["image_digest"] == node["image_digest"]


def test_an_apeer_module_runs_on_a_remote_host_that_cannot_see_local_files(
        apeer_workdir: Path, remote_runtime: RemoteEngine) -> None:
    hosts = apeer_workdir / "hosts.yaml"
    hosts.write_text(f"hosts:\n  - {{url: '{remote_runtime.url}', name: remote, "
                     f"tls: '{remote_runtime.tls}'}}\n")
    analysis = Analysis.load(apeer_workdir / "wf.yaml", modules=[APEER_MODULES])
    result = analysis.run(inputs={"image": apeer_workdir / "ramp.ome.tif"}, out=apeer_workdir / "out",
                          backend="docker", docker_hosts=[str(hosts)])
    assert result.ok, result.failures
    assert np.array_equal(tifffile.imread(apeer_workdir / "out" / "inverted.tif"), expected_inversion())
    mask = read_image(apeer_workdir / "out" / "mask.ome.tif").data
    assert mask.sum() // 255 == (expected_inversion() > 60).sum()
    record = json.loads((apeer_workdir / "out" / "run-record.json").read_text())
    assert {n["host"] for n in record["items"]["apeer-mix"]["nodes"].values()} == {"remote"}
    # Its input and output volumes went with it.
    assert remote_runtime.client.volumes.list(filters={"label": "org.lamella.kind=task"}) == []


def test_the_local_backend_refuses_an_apeer_module_in_one_line(apeer_workdir: Path) -> None:
    done = lamella("run", "wf.yaml", "--modules", str(APEER_MODULES), "-i", "image=ramp.ome.tif",
                   "-o", "out", cwd=apeer_workdir)
    assert done.returncode == 1, done.stderr
    assert ("module apeer/invert-apeer@1.0.0 is a apeer module and backend 'local' runs only Python "
            "module folders; run it on a container backend (--backend docker)") in done.stderr


def test_modules_show_presents_an_apeer_module_like_a_native_one(tmp_path: Path) -> None:
    done = lamella("modules", "show", "apeer/invert-apeer", "--modules", str(APEER_MODULES), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert ["input_image", "image", "Grey", "image", "to", "invert", "(TIFF", "or", "OME-TIFF)"] in lines
    assert ["gain", "float", "default", "1.0;", "between", "0", "and", "10"] in lines
    assert ["threshold", "int", "default", "0;", "between", "0", "and", "65535"] in lines
