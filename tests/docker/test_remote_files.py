"""Images and files moved to a Docker engine that sees none of this machine's files.

The engine is a second dockerd on loopback, reached over TLS and over SSH
(tests/docker/remote_engine.py); everything reaches it through the Docker API.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lamella.core.catalog import builtin_modules_dir
from lamella.core.manifest import load_manifest, resolve_params
from lamella.core.sdk import Image, prepare_task_folder, read_image, write_image
from lamella.runner.containers import _names as names
from lamella.runner.containers import _remote
from lamella.runner.containers._build import build_module, lamella_version
from lamella.runner.containers._client import DockerHost, EngineUnreachable, connect
from lamella.runner.containers._remote import (
    HostFiles,
    RemoteFilesError,
    UnsafeArchive,
    ensure_image,
    extract_folder,
    task_mounts,
)
from lamella.runner.containers._sandbox import NOBODY, ContainerPlan, container_settings
from lamella.runner.containers._stale import runner_label
from tests.docker.remote_engine import CA_BUNDLE_VARIABLES, RemoteEngine, SshEngine
from tests.docker_engine import docker_client, needs_docker

RUNTIME = names.runtime_image(lamella_version())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def host_files(remote_runtime: RemoteEngine) -> Any:
    files = HostFiles(remote_runtime.client, host="remote")
    yield files
    files.close()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    path = tmp_path_factory.mktemp("ship") / "big.bin"
    path.write_bytes(os.urandom(10 * 1024 * 1024))
    return sha256(path.read_bytes()), path


def run_in(client: Any, volume: str, script: str, *, user: str = NOBODY) -> tuple[int, str]:
    """Run ``sh -c script`` in a sandboxed container with a task's mounts; (status, output)."""
    # One ordered stream: the engine may hand stdout and stderr lines over out of order.
    container = client.containers.create(RUNTIME, ["sh", "-c", "exec 2>&1\n" + script],
                                         volumes=task_mounts(volume),
                                         user=user, network_mode="none", cap_drop=["ALL"],
                                         security_opt=["no-new-privileges"])
    try:
        container.start()
        status = int(container.wait()["StatusCode"])
        return status, container.logs().decode()
    finally:
        container.remove(force=True)


# ----- the engines ------------------------------------------------------------------------------
@needs_docker
def test_connect_reaches_the_tls_engine(remote_engine: RemoteEngine) -> None:
    client = connect(DockerHost(url=remote_engine.url, tls=remote_engine.tls))
    assert client.info()["DockerRootDir"] == str(remote_engine.folder / "root")
    client.close()


@needs_docker
def test_connect_refuses_the_tls_engine_without_certificates(remote_engine: RemoteEngine) -> None:
    with pytest.raises(EngineUnreachable, match=f"Docker engine at {remote_engine.url}: not reachable"):
        connect(DockerHost(url=remote_engine.url))


@needs_docker
def test_tls_connect_with_requests_ca_bundle_set(remote_engine: RemoteEngine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CA_BUNDLE_VARIABLES[0], "/etc/ssl/certs/ca-certificates.crt")
    client = connect(DockerHost(url=remote_engine.url, tls=remote_engine.tls))
    assert client.info()["DockerRootDir"] == str(remote_engine.folder / "root")


@needs_docker
def test_ssh_host_reaches_the_same_engine(ssh_engine: SshEngine, remote_engine: RemoteEngine) -> None:
    assert ssh_engine.url.startswith("ssh://root@127.0.0.1:")
    client = connect(DockerHost(url=ssh_engine.url))
    assert client.info()["DockerRootDir"] == str(remote_engine.folder / "root")
    client.close()


# ----- images -------------------------------------------------------------------------------------
@needs_docker
def test_the_runtime_arrives_with_its_id(remote_runtime: RemoteEngine) -> None:
    assert remote_runtime.client.images.get(RUNTIME).id == docker_client().images.get(RUNTIME).id
    assert remote_runtime.runtime_seconds is not None


@needs_docker
def test_a_module_image_is_moved_once(remote_runtime: RemoteEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = threshold_image()
    moved = ensure_image(docker_client(), remote_runtime.client, tag)
    assert moved == docker_client().images.get(tag).id == remote_runtime.client.images.get(tag).id

    def refuse(*args: object) -> None:
        raise AssertionError("the image was sent again")

    monkeypatch.setattr(_remote, "_transfer", refuse)
    assert ensure_image(docker_client(), remote_runtime.client, tag) == moved
    # A new process (no record yet) finds the image there by its id and sends nothing either.
    monkeypatch.setattr(_remote, "_moved", type(_remote._moved)())
    assert ensure_image(docker_client(), remote_runtime.client, tag) == moved


@needs_docker
def test_an_image_missing_here_is_named(remote_runtime: RemoteEngine) -> None:
    with pytest.raises(RemoteFilesError, match=r"image lamella/absent:0\.0\.1 is not on this machine's"):
        ensure_image(docker_client(), remote_runtime.client, "lamella/absent:0.0.1")


def threshold_image() -> str:
    folder = builtin_modules_dir() / "threshold"
    manifest = load_manifest(folder / "module.json")
    build_module(docker_client(), manifest, folder, say=lambda message: None)  # no-op when up to date
    return names.module_image(manifest)


# ----- the store ------------------------------------------------------------------------------------
@needs_docker
def test_a_file_is_shipped_once(host_files: HostFiles, big_file: tuple[str, Path],
                                remote_runtime: RemoteEngine) -> None:
    digest, path = big_file
    assert host_files.ship([(digest, path), (digest, path)]) == [digest]
    assert host_files.ship([(digest, path)]) == []
    # Another runner (a fresh object) lists the host's store and sends nothing either.
    again = HostFiles(remote_runtime.client)
    try:
        assert again.ship([(digest, path)]) == []
        assert again.uploaded == [] and host_files.uploaded.count(digest) == 1
        assert again.path_in_store(digest) == f"/store/{digest}/big.bin"
    finally:
        again.close()


def keepers(client: Any) -> list[Any]:
    """This runner's store keepers on the engine of ``client``."""
    return client.containers.list(all=True, filters={"label": [f"{names.LABEL_KIND}=keeper",
                                                              f"{names.LABEL_RUNNER}={runner_label()}"]})


@needs_docker
def test_one_keeper_serves_every_upload_is_replaced_when_gone_and_goes_at_close(
        remote_runtime: RemoteEngine, tmp_path: Path) -> None:
    others = {k.id for k in keepers(remote_runtime.client)}  # those of this module's other objects
    files = HostFiles(remote_runtime.client, host="remote")

    def mine() -> list[Any]:
        return [k for k in keepers(remote_runtime.client) if k.id not in others]

    try:
        digests = []
        for number in range(3):
            path = tmp_path / f"part-{number}.txt"
            path.write_bytes(os.urandom(64) + bytes([number]))
            digests.append(sha256(path.read_bytes()))
            assert files.ship([(digests[-1], path)]) == [digests[-1]]
        (keeper,) = mine()
        assert keeper.status == "running"
        keeper.remove(force=True)  # e.g. someone cleaned up the host mid-run
        late = tmp_path / "late.txt"
        late.write_bytes(b"after the keeper went")
        assert files.ship([(sha256(late.read_bytes()), late)]) == [sha256(late.read_bytes())]
        (replacement,) = mine()
        assert replacement.id != keeper.id and replacement.status == "running"
        assert files.path_in_store(digests[1]) == f"/store/{digests[1]}/part-1.txt"
    finally:
        files.close()
    assert mine() == []


@needs_docker
def test_the_ssh_host_sees_the_same_store(ssh_engine: SshEngine, host_files: HostFiles,
                                          big_file: tuple[str, Path]) -> None:
    digest, path = big_file
    host_files.ship([big_file])
    over_ssh = HostFiles(ssh_engine.client)
    try:
        assert over_ssh.ship([(digest, path)]) == []
    finally:
        over_ssh.close()


@needs_docker
def test_a_file_changed_after_hashing_is_refused(host_files: HostFiles, tmp_path: Path) -> None:
    path = tmp_path / "changed.txt"
    path.write_bytes(b"before")
    digest = sha256(b"before")
    path.write_bytes(b"after!")
    with pytest.raises(RemoteFilesError, match=r"changed.txt: its content changed after it was hashed"):
        host_files.ship([(digest, path)])
    with pytest.raises(RemoteFilesError, match="ship it first"):
        host_files.path_in_store(digest)


@needs_docker
def test_a_link_to_an_unshipped_file_is_refused(host_files: HostFiles) -> None:
    with pytest.raises(RemoteFilesError,
                       match=r"task input 'inputs/x/a\.bin': no file with sha256 000000000000\.\.\. "
                             r"is in the store of Docker host remote; ship it first"):
        volume = host_files.task_volume("lamella-test-unshipped")
        try:
            host_files.fill_task(volume, {}, {"inputs/x/a.bin": "0" * 64})
        finally:
            host_files.remove(volume)


# ----- task volumes ---------------------------------------------------------------------------------
@pytest.fixture
def task_volume(host_files: HostFiles, big_file: tuple[str, Path], request: pytest.FixtureRequest) -> Any:
    host_files.ship([big_file])
    name = f"lamella-test-{request.node.name[:40]}"
    volume = host_files.task_volume(name)
    host_files.fill_task(volume, {"task.json": b'{"node": "n"}'}, {"inputs/data/big.bin": big_file[0]})
    yield volume
    host_files.remove(volume)
    assert name not in [v.name for v in host_files.client.volumes.list()]


@needs_docker
def test_inputs_resolve_and_cannot_be_changed(host_files: HostFiles, task_volume: str,
                                              big_file: tuple[str, Path]) -> None:
    status, output = run_in(host_files.client, task_volume, """
        sha256sum /task/inputs/data/big.bin | cut -d' ' -f1
        cat /task/task.json; echo
        echo x >> /task/inputs/data/big.bin || echo append-refused
        rm /task/inputs/data/big.bin || echo unlink-refused
        touch /task/other || echo task-root-refused
        touch /store/new || echo store-refused
        stat -c %U /task/outputs""")
    assert status == 0, output
    lines = output.splitlines()
    assert lines[0] == big_file[0] and lines[1] == '{"node": "n"}'
    assert "Read-only file system" in output  # the append, stopped by the read-only store mount
    for refused in ("append-refused", "unlink-refused", "task-root-refused", "store-refused"):
        assert refused in lines
    assert lines[-1] == "nobody"


@needs_docker
def test_even_root_cannot_write_the_store(host_files: HostFiles, task_volume: str) -> None:
    # Root without capabilities owns the store's files: only the read-only mount stops a chmod.
    status, output = run_in(host_files.client, task_volume,
                            "touch /store/new; chmod 644 /task/inputs/data/big.bin", user="0:0")
    assert status != 0
    assert output.count("Read-only file system") == 2, output


@needs_docker
def test_outputs_come_back_byte_identical(host_files: HostFiles, task_volume: str, tmp_path: Path,
                                          big_file: tuple[str, Path]) -> None:
    status, output = run_in(host_files.client, task_volume, """
        cd /task/outputs && mkdir -p tables && cp /task/inputs/data/big.bin copy.bin
        head -c 300000 /dev/urandom > tables/noise.bin && ln -s tables/noise.bin latest
        sha256sum copy.bin tables/noise.bin""")
    assert status == 0, output
    inside = {name: digest for digest, name in (line.split() for line in output.splitlines())}
    fetched = host_files.fetch(task_volume, "/task/outputs", tmp_path / "back")
    assert fetched == ["copy.bin", "tables/noise.bin"]
    back = tmp_path / "back"
    assert {name: sha256((back / name).read_bytes()) for name in fetched} == inside
    assert (back / "copy.bin").read_bytes() == big_file[1].read_bytes()
    assert os.readlink(back / "latest") == "tables/noise.bin"


@needs_docker
def test_a_link_out_of_the_outputs_is_refused(host_files: HostFiles, task_volume: str,
                                              tmp_path: Path) -> None:
    status, output = run_in(host_files.client, task_volume,
                            "echo ok > /task/outputs/a.txt && ln -s /etc/passwd /task/outputs/passwd")
    assert status == 0, output
    with pytest.raises(UnsafeArchive, match="passwd: a link to '/etc/passwd'"):
        host_files.fetch(task_volume, "/task/outputs", tmp_path / "back")
    assert list((tmp_path / "back").iterdir()) == []


@needs_docker
def test_a_module_runs_on_the_remote_engine(host_files: HostFiles, remote_runtime: RemoteEngine,
                                            tmp_path: Path) -> None:
    """The threshold module, in its image, reads its input through /store and its mask comes back."""
    tag = threshold_image()
    image_id = ensure_image(docker_client(), remote_runtime.client, tag)
    pixels = np.full((48, 48), 10, np.uint16)
    pixels[:, 24:] = 200
    source = write_image(tmp_path / "halves.ome.tif", Image(pixels, "YX"))
    manifest = load_manifest(builtin_modules_dir() / "threshold" / "module.json")
    spec = prepare_task_folder(tmp_path / "task", node="segment", manifest=manifest,
                               inputs={"image": [source]}, params=resolve_params(manifest, {}))
    digest = sha256(source.read_bytes())
    host_files.ship([(digest, source)])
    volume = host_files.task_volume("lamella-test-threshold")
    plan = ContainerPlan(image=image_id, entrypoint=manifest.entrypoint, task_folder=Path("/unused"),
                         threads=1, memory_gb=1.0, network=False, gpu_ids=(), labels={}, user=NOBODY)
    settings = {**container_settings(plan), "volumes": task_mounts(volume)}
    container = remote_runtime.client.containers.create(**settings)
    try:
        # The task goes in through the module's own created container, as the backend does it.
        host_files.fill_task(container, {"task.json": (tmp_path / "task" / "task.json").read_bytes()},
                             {spec.inputs["image"][0]: digest})
        container.start()
        status = int(container.wait()["StatusCode"])
        assert status == 0, container.logs().decode()[-2000:]
        fetched = host_files.fetch(container, "/task/outputs", tmp_path / "back")
    finally:
        container.remove(force=True)
        host_files.remove(volume)
    listing = json.loads((tmp_path / "back" / "outputs.json").read_text())["outputs"]
    assert sorted(listing) == ["classes", "mask"] and "outputs.json" in fetched
    mask = read_image(tmp_path / "back" / listing["mask"][0]).data.astype(bool)
    assert mask[:, 24:].all() and not mask[:, :24].any()


# ----- archives (no engine) ---------------------------------------------------------------------------
def archive(*members: tuple[str, bytes, str]) -> io.BytesIO:
    """A tar of (name, type, link target) members, as get_archive would send."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, kind, link in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            content = b"x" if kind == tarfile.REGTYPE else b""
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    data.seek(0)
    return data


SAFE = ("outputs/ok.txt", tarfile.REGTYPE, "")


OUTSIDE = "in the archive of outputs/ would land outside it"


@pytest.mark.parametrize(("member", "message"), [
    (("/etc/cron.d/x", tarfile.REGTYPE, ""), f"'/etc/cron.d/x' {OUTSIDE}"),
    (("outputs/../x", tarfile.REGTYPE, ""), f"'outputs/../x' {OUTSIDE}"),
    (("elsewhere/x", tarfile.REGTYPE, ""), f"'elsewhere/x' {OUTSIDE}"),
    (("outputs/l", tarfile.SYMTYPE, "/etc/passwd"), "outputs/l: a link to '/etc/passwd'"),
    (("outputs/l", tarfile.SYMTYPE, "../../x"), "outputs/l: a link to '../../x'"),
    (("outputs/h", tarfile.LNKTYPE, "etc/passwd"), f"'etc/passwd' {OUTSIDE}"),
    (("outputs/p", tarfile.FIFOTYPE, ""), "outputs/p: a device, pipe or socket"),
    (("outputs/d", tarfile.CHRTYPE, ""), "outputs/d: a device, pipe or socket"),
])
def test_unsafe_members_are_refused_before_anything_is_written(member: tuple[str, bytes, str], message: str,
                                                               tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchive) as caught:
        extract_folder(archive(SAFE, member), tmp_path / "out", "outputs")
    assert message in str(caught.value)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_safe_archive_is_extracted_below_its_folder(tmp_path: Path) -> None:
    members = archive(("outputs", tarfile.DIRTYPE, ""), SAFE, ("outputs/sub", tarfile.DIRTYPE, ""),
                      ("outputs/sub/b.txt", tarfile.REGTYPE, ""),
                      ("outputs/hard", tarfile.LNKTYPE, "outputs/ok.txt"),
                      ("outputs/soft", tarfile.SYMTYPE, "sub/b.txt"))
    files = extract_folder(members, tmp_path / "out", "outputs")
    assert files == ["ok.txt", "sub/b.txt"]
    assert (tmp_path / "out" / "hard").read_bytes() == b"x"
    assert os.readlink(tmp_path / "out" / "soft") == "sub/b.txt"


def test_outputs_are_fetched_into_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    with pytest.raises(RemoteFilesError, match="out: outputs are fetched into an empty folder"):
        extract_folder(archive(SAFE), tmp_path / "out", "outputs")
