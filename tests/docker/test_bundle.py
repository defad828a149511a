"""Air-gapped install: a bundle exported here, imported into an engine that has nothing, and
modules built and run there with no network (no index for pip, no network in builds or
containers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lamella.core.catalog import Catalog
from lamella.core.sdk import Image, read_image, write_image
from lamella.runner import Analysis
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import build_module, lamella_version
from lamella.runner.containers._bundle import BundleError, export_bundle, import_bundle
from tests.docker.remote_engine import _short_folder, start_engine, stop_engine
from tests.docker_engine import docker_client, needs_docker
from tests.runner.tmp_modules import write_module

pytestmark = needs_docker

APEER_MODULES = Path(__file__).parents[1] / "fixtures" / "apeer"
DOUBLE = """\
def run(task):
    image = task.image("image")
    task.save_image("image", image.data * 2, like=image)
"""


@pytest.fixture
def empty_engine() -> Any:
    process, engine = start_engine(_short_folder("lrb-"))
    yield engine
    stop_engine(process, engine)


def test_an_exported_bundle_installs_and_runs_with_no_network(
        tmp_path: Path, empty_engine: Any, monkeypatch: pytest.MonkeyPatch, isolated_cache: Path) -> None:
    here = docker_client()
    entry = Catalog.discover([APEER_MODULES]).resolve("apeer/invert-apeer@1")
    build_module(here, entry.manifest, entry.folder, say=lambda message: None)  # its wheel is now here
    bundle = export_bundle(here, tmp_path / "lamella-images.tar")
    assert {names.BASE_IMAGE, names.runtime_image(lamella_version()), "lamella/threshold:1.1.0"} <= set(
        bundle.images)
    # The other machine: its own empty wheelhouse, and no package index it could reach.
    monkeypatch.setenv("LAMELLA_WHEELHOUSE", str(tmp_path / "offline-wheels"))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    imported = import_bundle(empty_engine.client, tmp_path / "lamella-images.tar")
    assert imported.wheels == bundle.wheels and any((tmp_path / "offline-wheels").glob("apeer_dev_kit-*.whl"))
    assert empty_engine.client.images.get("lamella/threshold:1.1.0").id == here.images.get(
        "lamella/threshold:1.1.0").id
    # A new module, and an APEER module needing a wheel, built there offline.
    module = write_module(tmp_path / "mods", "double", DOUBLE, outputs={"image": "image"})
    for folder in (module, entry.folder):
        manifest = Catalog.discover([folder.parent]).resolve(
            "test/double@1" if folder == module else "apeer/invert-apeer@1").manifest
        assert build_module(empty_engine.client, manifest, folder, force=True, say=lambda m: None) is not None
    write_image(tmp_path / "in.ome.tif", Image(np.full((4, 4), 21, np.uint8), "YX"))
    (tmp_path / "wf.yaml").write_text(
        "lamella: 1\nname: offline\ninputs:\n  image: {type: image}\nnodes:\n"
        "  double: {module: test/double@1, in: {image: $inputs.image}}\n"
        "  invert: {module: apeer/invert-apeer@1, in: {input_image: double.image}}\n"
        "outputs: {inverted: invert.inverted_image}\n")
    result = Analysis.load(tmp_path / "wf.yaml", modules=[tmp_path / "mods", APEER_MODULES]).run(
        inputs={"image": tmp_path / "in.ome.tif"}, out=tmp_path / "out", backend="docker",
        docker_hosts=[empty_engine.socket])
    assert result.ok, result.failures
    assert read_image(tmp_path / "out" / "inverted.tif").data.tolist() == [[255 - 42] * 4] * 4
    record = json.loads((tmp_path / "out" / "run-record.json").read_text())
    assert record["backend"]["hosts"][0]["name"] == empty_engine.socket


def test_a_file_that_is_not_a_bundle_is_refused_in_one_line(tmp_path: Path, empty_engine: Any) -> None:
    (tmp_path / "notes.tar").write_bytes(b"not a tar file")
    with pytest.raises(BundleError) as caught:
        import_bundle(empty_engine.client, tmp_path / "notes.tar")
    assert str(caught.value).startswith(f"{tmp_path / 'notes.tar'}: not a Lamella bundle (")
    assert str(caught.value).endswith("make one with lamella images export on a connected machine")
