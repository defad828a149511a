"""Images reach a remote Docker host through a registry: a real one (Debian's
``docker-registry``) on loopback, a second engine over TLS that starts with no images.

Only the layers the registry lacks are pushed (a module image after its runtime: only the
module's own), the remote engine gets the very image id this machine's has, a run on the
remote host finds its images there, and an unreachable registry falls back to
``docker save``/``load`` with a warning naming it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lamella.core.catalog import Catalog
from lamella.core.sdk import Image, read_image, write_image
from lamella.runner import Analysis
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import build_module, lamella_version
from lamella.runner.containers._registry import send_through_registry
from lamella.runner.containers._remote import ensure_image
from tests.docker.remote_engine import (
    CA_BUNDLE_VARIABLES,
    RemoteEngine,
    _free_port,
    _requirements,
    _short_folder,
    start_engine,
    stop_engine,
)
from tests.docker_engine import _unavailable, docker_client, needs_docker

pytestmark = needs_docker

_REGISTRY_CONFIG = """\
version: 0.1
log: {{level: warn}}
storage:
  filesystem: {{rootdirectory: {root}}}
http: {{addr: "127.0.0.1:{port}"}}
"""

WORKFLOW = """\
lamella: 1
name: through-registry
inputs:
  image: {type: image}
nodes:
  a: {module: test/add@1, params: {amount: 3}, in: {image: $inputs.image}}
outputs: {a: a.image}
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry on a free loopback port (plain HTTP: engines allow 127.0.0.0/8 so)."""
    docker_client()
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        _unavailable("the registry is not installed (apt-get install docker-registry)")
    folder = tmp_path_factory.mktemp("registry")
    port = _free_port()
    (folder / "config.yml").write_text(_REGISTRY_CONFIG.format(root=folder / "data", port=port))
    with (folder / "log").open("wb") as log:
        process = subprocess.Popen([binary, "serve", str(folder / "config.yml")], stdout=log,
                                   stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        _wait_for(address, process, folder / "log")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(address: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"docker-registry ended ({process.returncode}): {log.read_text()[-500:]}")
        try:
            with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"docker-registry did not answer at {address} within 30 s")


@pytest.fixture(scope="module")
def empty_engine() -> Iterator[RemoteEngine]:
    """A second engine of its own, so that it holds none of this machine's images."""
    docker_client()
    _requirements("dockerd", "openssl", "ip")
    folder = _short_folder("lrg-")
    with pytest.MonkeyPatch.context() as patch:
        for variable in CA_BUNDLE_VARIABLES:  # see remote_engine.remote_engine
            patch.delenv(variable, raising=False)
        try:
            process, engine = start_engine(folder)
        except RuntimeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            _unavailable(str(exc))
        try:
            yield engine
        finally:
            stop_engine(process, engine)


@pytest.fixture
def module_tag(fixture_modules: Path) -> str:
    entry = Catalog.discover([fixture_modules]).resolve("test/add@1")
    build_module(docker_client(), entry.manifest, entry.folder, say=lambda message: None)
    return names.module_image(entry.manifest)


def _catalog(registry: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry}/v2/_catalog", timeout=5) as answer:
        return sorted(json.load(answer)["repositories"])


def _layers(client: Any, tag: str) -> list[str]:
    return list(client.images.get(tag).attrs["RootFS"]["Layers"])


def _tags(client: Any) -> list[str]:
    return sorted(tag for image in client.images.list() for tag in image.tags)


def test_a_run_on_a_host_without_the_images_gets_them_through_the_registry(
        tmp_path: Path, fixture_modules: Path, isolated_cache: Path, registry: str,
        empty_engine: RemoteEngine, module_tag: str, capfd: pytest.CaptureFixture[str]) -> None:
    here = docker_client()
    runtime = names.runtime_image(lamella_version())
    write_image(tmp_path / "in.ome.tif", Image(np.full((6, 6), 2, "uint16"), "YX"))
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    (tmp_path / "hosts.yaml").write_text(
        f"hosts:\n  - {{url: '{empty_engine.url}', name: remote, tls: '{empty_engine.tls}'}}\n"
        f"registry: {registry}\n")
    result = Analysis.load(tmp_path / "wf.yaml", modules=[fixture_modules]).run(
        inputs={"image": tmp_path / "in.ome.tif"}, out=tmp_path / "out", backend="docker",
        docker_hosts=[str(tmp_path / "hosts.yaml")], jobs=1)
    assert result.ok, result.failures
    assert sorted(set(read_image(tmp_path / "out" / "a.ome.tif").data.ravel().tolist())) == [5]
    # Both images went through the registry, arrived as the same images, and kept only
    # their own names on either engine.
    assert _catalog(registry) == sorted({runtime.rpartition(":")[0], module_tag.rpartition(":")[0]})
    for tag in (runtime, module_tag):
        assert empty_engine.client.images.get(tag).id == here.images.get(tag).id
    assert not [tag for tag in _tags(empty_engine.client) + _tags(here) if tag.startswith(registry)]
    assert "docker save/load" not in capfd.readouterr().err


def test_only_the_layers_the_registry_and_the_host_lack_travel(
        registry: str, empty_engine: RemoteEngine, module_tag: str) -> None:
    here = docker_client()
    runtime = names.runtime_image(lamella_version())
    own = [layer for layer in _layers(here, module_tag) if layer not in set(_layers(here, runtime))]
    assert own, "the module image adds a layer of its own to the runtime"
    empty_engine.client.images.remove(module_tag)  # the runtime stays on the host and in the registry
    assert send_through_registry(here, empty_engine.client, module_tag, registry) == (0, len(set(own)))
    assert empty_engine.client.images.get(module_tag).id == here.images.get(module_tag).id


def test_an_unreachable_registry_falls_back_to_save_and_load_with_a_warning(
        empty_engine: RemoteEngine, module_tag: str, capfd: pytest.CaptureFixture[str]) -> None:
    here = docker_client()
    empty_engine.client.images.remove(module_tag)
    nowhere = f"127.0.0.1:{_free_port()}"
    assert ensure_image(here, empty_engine.client, module_tag, nowhere) == here.images.get(module_tag).id
    warning = capfd.readouterr().err
    assert f"warning: image {module_tag} could not go through the registry (registry {nowhere} is not " \
           "reachable" in warning
    assert "with docker save/load instead" in warning


def test_the_registry_can_be_given_to_the_run_instead_of_the_hosts_file(
        tmp_path: Path, fixture_modules: Path, isolated_cache: Path, registry: str,
        empty_engine: RemoteEngine, module_tag: str, capfd: pytest.CaptureFixture[str]) -> None:
    if module_tag in _tags(empty_engine.client):
        empty_engine.client.images.remove(module_tag)
    write_image(tmp_path / "in.ome.tif", Image(np.full((6, 6), 2, "uint16"), "YX"))
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    (tmp_path / "hosts.yaml").write_text(  # no registry here: the run's argument names it
        f"hosts:\n  - {{url: '{empty_engine.url}', name: remote, tls: '{empty_engine.tls}'}}\n")
    time.sleep(1.1)  # events have whole seconds: none of the removal's or an earlier test's
    since = int(time.time())
    result = Analysis.load(tmp_path / "wf.yaml", modules=[fixture_modules]).run(
        inputs={"image": tmp_path / "in.ome.tif"}, out=tmp_path / "out", backend="docker",
        docker_hosts=[str(tmp_path / "hosts.yaml")], jobs=1, registry=registry)
    assert result.ok, result.failures
    assert sorted(set(read_image(tmp_path / "out" / "a.ome.tif").data.ravel().tolist())) == [5]
    events = empty_engine.client.events(since=since, until=int(time.time()) + 1, decode=True,
                                        filters={"type": "image"})
    actions = {event["Action"] for event in events}
    assert "pull" in actions and "load" not in actions, actions  # through the registry
    assert empty_engine.client.images.get(module_tag).id == docker_client().images.get(module_tag).id
    assert "docker save/load" not in capfd.readouterr().err
