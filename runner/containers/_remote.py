"""Running modules on a Docker engine that cannot see this machine's files.

Everything a task needs reaches a remote engine through the Docker API alone, with no
registry and no shared folder:

- **images**: :func:`ensure_image` streams ``docker save`` from this machine's engine into
  ``docker load`` on the remote one, once per target and image id, or, when a registry is
  configured, pushes the image there and pulls it on the remote engine (only missing layers
  travel, :mod:`._registry`), falling back to save/load when that fails;
- **input files**: :class:`HostFiles` keeps one content-addressed store per host, the volume
  ``lamella-store``, holding each file at ``/store/<sha256>/<name>``. The name is kept because
  the SDK reads an image's format from its suffix and names the file in its messages. A file
  is uploaded only if the host has no file of that digest; its content is checked against
  the digest on the host before it enters the store, so a half-sent or changed file never
  does;
- **a task**: its own volume holds ``task.json``, ``inputs/<port>/<file>`` as symlinks into
  ``/store`` and an empty ``outputs/`` that the container's user owns. A module container
  mounts it at ``/task`` (read-write) and the store at ``/store`` read-only
  (:func:`task_mounts`), so it can change neither its inputs nor any other task's. An
  input that an earlier task on the host wrote is linked into that task's volume instead,
  mounted read-only (the Docker backend decides which, see ``fill_task(elsewhere=...)``);
- **outputs** come back with ``get_archive``; every member is checked before anything is
  written (:func:`extract_folder`).

The store is kept by one long-lived helper container per host (the *keeper*, started on
first use and removed when the run closes): uploads go into it with ``put_archive`` and are
checked and moved into place with ``exec`` (over ssh:// a helper per upload, see
:meth:`HostFiles._run_store_script_once`). A container started per upload cost 0.35 s a
node on a loopback engine, an ``exec`` in the running keeper costs a fraction of that, and
a node that follows one on another host ships that node's outputs. A task's volume is
filled through the module's own created container, before it starts, so no helper is
needed there. Helpers run from the runtime image with no network, no capabilities, no new
privileges and a read-only root file system. They run as root without capabilities: root
owns the store, so the module's user (nobody) cannot write it even where a mount would
allow it. The other helpers are only created, never started: the daemon reads and writes a
created container's volumes itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import tarfile
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from lamella.core.errors import LamellaError
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import lamella_version
from lamella.runner.containers._client import find_image
from lamella.runner.containers._registry import RegistryError, send_through_registry
from lamella.runner.containers._sandbox import NOBODY, TASK_MOUNT
from lamella.runner.containers._stale import runner_label

__all__ = [
    "STORE_MOUNT",
    "STORE_VOLUME",
    "HostFiles",
    "RemoteFilesError",
    "UnsafeArchive",
    "add_bytes",
    "ensure_image",
    "extract_folder",
    "task_mounts",
]

STORE_VOLUME = "lamella-store"
STORE_MOUNT = "/store"
_INCOMING = ".incoming"
_DIGEST = re.compile(r"[0-9a-f]{64}")
_HELPER_MEMORY = 256 * 1024**2
_HELPER_PIDS = 64
_ERROR_LINES_SHOWN = 3


class RemoteFilesError(LamellaError):
    """Images or files could not be moved to or from a Docker host."""


class UnsafeArchive(RemoteFilesError):
    """An archive from a container holds a member that would land outside its folder."""


# ----- images -------------------------------------------------------------------------------
class _Moved:
    """What has been made present on one target engine: tag -> image id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.images: dict[str, str] = {}


_moved: weakref.WeakKeyDictionary[Any, _Moved] = weakref.WeakKeyDictionary()
_moved_lock = threading.Lock()


def ensure_image(source: Any, target: Any, tag: str, registry: str | None = None) -> str:
    """Make image ``tag`` on ``target`` the very image it is on ``source``; return its id.

    Parameters
    ----------
    source, target
        ``docker.DockerClient`` of the engine that has the image and of the one that needs it.
    tag
        The image's tag, e.g. ``lamella/threshold:1.1.0``.
    registry
        ``HOST:PORT`` of a registry both engines reach, or None: ``docker save``/``load``.

    When ``target`` lacks the tag or holds another image under it, the image is moved as
    ``docker save | docker load`` does, through a temporary file (no registry). Each target
    is asked once per image id; later calls only look the tag up on ``source``.
    """
    wanted = _image_id(source, tag)
    if wanted is None:
        raise RemoteFilesError(f"image {tag} is not on this machine's Docker engine; build it first "
                               "(lamella module build, or lamella images runtime)")
    with _moved_lock:
        moved = _moved.setdefault(target, _Moved())
    with moved.lock:  # two threads never send the same image twice
        if moved.images.get(tag) != wanted:
            if _image_id(target, tag) != wanted:
                _transfer(source, target, tag, registry)
            if _image_id(target, tag) != wanted:
                raise RemoteFilesError(f"image {tag} was sent to {_host(target)} but arrived with "
                                       "another id; remove it there (docker rmi) and run again")
            moved.images[tag] = wanted
    return wanted


def _image_id(client: Any, tag: str) -> str | None:
    image = find_image(client, tag)
    return str(image.id) if image is not None else None


def _transfer(source: Any, target: Any, tag: str, registry: str | None = None) -> None:
    """Move ``tag`` through ``registry`` if one is given and it works, else by save/load.

    ``docker save`` on ``source`` goes into a temporary file, then ``docker load`` on ``target``.
    """
    import docker.errors

    if registry:
        try:
            send_through_registry(source, target, tag, registry)
            return
        except RegistryError as exc:
            print(f"warning: image {tag} could not go through the registry ({exc}); sending it to "
                  f"{_host(target)} with docker save/load instead", file=sys.stderr, flush=True)

    try:
        with tempfile.TemporaryFile(prefix="lamella-image-") as spool:
            for chunk in source.images.get(tag).save(named=tag):
                spool.write(chunk)
            spool.seek(0)
            target.images.load(spool)
    except (docker.errors.DockerException, OSError) as exc:
        raise RemoteFilesError(f"image {tag} could not be moved to {_host(target)}: "
                               f"{_reason(exc)}") from None


# ----- mounts -------------------------------------------------------------------------------
def task_mounts(task_volume: str) -> dict[str, dict[str, str]]:
    """The ``volumes`` setting of a module container on a remote host.

    The task's volume at ``/task`` read-write (the module writes ``outputs/``; the rest
    belongs to root) and the host's store at ``/store`` read-only (what the task's input
    links point to).
    """
    return {task_volume: {"bind": TASK_MOUNT, "mode": "rw"},
            STORE_VOLUME: {"bind": STORE_MOUNT, "mode": "ro"}}


# ----- the store and task volumes -------------------------------------------------------------
# Run by a helper container from the runtime image: "list" prints what the store holds and
# removes uploads a killed runner left; "commit DIR" moves checked uploads into place.
_STORE_SCRIPT = """\
import hashlib, json, os, shutil, sys, time
store = "/store"
incoming = os.path.join(store, ".incoming")

def listing():
    for digest in sorted(os.listdir(store)):
        folder = os.path.join(store, digest)
        if digest.startswith(".") or not os.path.isdir(folder):
            continue
        files = os.listdir(folder)
        if len(files) == 1:
            print(json.dumps(["stored", digest, files[0]]))
    for left in os.listdir(incoming) if os.path.isdir(incoming) else []:
        if time.time() - os.path.getmtime(os.path.join(incoming, left)) > 86400:
            shutil.rmtree(os.path.join(incoming, left), ignore_errors=True)

def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

def commit(batch):
    batch = os.path.join(incoming, batch)
    for digest in sorted(os.listdir(batch)):
        folder = os.path.join(batch, digest)
        (name,) = os.listdir(folder)
        found = sha256(os.path.join(folder, name))
        if found != digest:
            print(json.dumps(["changed", digest, found]))
            shutil.rmtree(folder)
            continue
        try:
            os.rename(folder, os.path.join(store, digest))  # atomic: readers see all or nothing
        except OSError:
            shutil.rmtree(folder)  # another runner stored it first
        print(json.dumps(["stored", digest, os.listdir(os.path.join(store, digest))[0]]))
    os.rmdir(batch)

listing() if sys.argv[1] == "list" else commit(sys.argv[2])
"""


class HostFiles:
    """The files of tasks on one remote Docker host: its content store and the tasks' volumes.

    Parameters
    ----------
    client
        ``docker.DockerClient`` of the host.
    image
        The helper containers' image; default the runtime image of this Lamella, which
        :func:`ensure_image` must have put on the host.
    host
        The host's name in messages; default its address.
    """

    def __init__(self, client: Any, *, image: str | None = None, host: str = "") -> None:
        self.client = client
        self.image = image or names.runtime_image(lamella_version())
        self.host = host or _host(client)
        self.uploaded: list[str] = []  # every digest this object sent, in order
        self._stored: dict[str, str] | None = None  # digest -> file name, once listed
        self._keeper: Any = None  # the running helper that keeps the store, once started
        self._lock = threading.Lock()

    # ----- the store ----------------------------------------------------------------------
    def ship(self, files: Iterable[tuple[str, Path]]) -> list[str]:
        """Put ``(sha256 digest, local path)`` files into the store unless it holds them.

        The store is listed on the host once; after that this object remembers what it
        holds. Returns the digests sent now (empty when the host had them all).
        """
        with self._lock:
            stored = self._listing()
            todo: dict[str, Path] = {}
            for digest, path in files:
                _check_digest(digest, path)
                if digest not in stored:
                    todo.setdefault(digest, Path(path))
            if todo:
                stored.update(self._upload(todo))
                self.uploaded += todo
            return list(todo)

    def path_in_store(self, digest: str) -> str:
        """Where a shipped file is in a module container: ``/store/<digest>/<name>``."""
        with self._lock:
            name = self._listing().get(digest)
        if name is None:
            raise RemoteFilesError(f"no file with sha256 {digest[:12]}... is in the store of Docker host "
                                   f"{self.host}; ship it first (HostFiles.ship)")
        return f"{STORE_MOUNT}/{digest}/{name}"

    def _listing(self) -> dict[str, str]:
        if self._stored is None:
            self.client.volumes.create(name=STORE_VOLUME, labels={names.LABEL_KIND: "store"})
            self._stored = _stored(self._run_store_script(["list"]))
        return self._stored

    def _upload(self, todo: dict[str, Path]) -> dict[str, str]:
        batch = uuid.uuid4().hex
        with tempfile.TemporaryFile(prefix="lamella-ship-") as spool:
            with tarfile.open(fileobj=spool, mode="w") as tar:
                _add_dir(tar, _INCOMING)
                _add_dir(tar, f"{_INCOMING}/{batch}")
                for digest, path in todo.items():
                    _add_dir(tar, f"{_INCOMING}/{batch}/{digest}")
                    _add_file(tar, f"{_INCOMING}/{batch}/{digest}/{_store_name(path)}", path)
            spool.seek(0)
            lines = self._run_store_script(["commit", batch], upload=spool)
        changed = [line for line in lines if line[0] == "changed"]
        if changed:
            _, digest, found = changed[0]
            raise RemoteFilesError(f"{todo[digest]}: its content changed after it was hashed (sha256 now "
                                   f"{found[:12]}..., expected {digest[:12]}...); run again")
        return _stored(lines)

    def _run_store_script(self, arguments: list[str], upload: IO[bytes] | None = None) -> list[list[str]]:
        """Run the store script in the keeper; its output lines, parsed.

        A keeper that is gone (the host's engine restarted, someone removed it) is replaced
        once; the caller holds the lock.
        """
        import docker.errors

        if _over_ssh(self.client):
            return self._run_store_script_once(arguments, upload)
        for attempt in (1, 2):
            keeper = self._keeper_container()
            try:
                if upload is not None:
                    upload.seek(0)
                    keeper.put_archive(STORE_MOUNT, upload)
                status, (output, errors) = keeper.exec_run(["python3", "-c", _STORE_SCRIPT, *arguments],
                                                           user="0:0", demux=True)
                break
            except docker.errors.DockerException as exc:
                self._keeper = None
                if attempt == 2 or not _keeper_gone(exc):
                    raise RemoteFilesError(f"Docker host {self.host}: {_reason(exc)}") from None
        return self._script_lines(arguments, status, output or b"", errors or b"")

    def _run_store_script_once(self, arguments: list[str], upload: IO[bytes] | None) -> list[list[str]]:
        """Run the store script in a helper started for it alone.

        Over ssh:// the Docker SDK closes an ``exec``'s hijacked connection by writing to an
        ssh process that has already ended, and fails with a broken pipe after the script
        ran (about one run in four here), so ssh hosts pay a container start per upload.
        """
        volumes = {STORE_VOLUME: {"bind": STORE_MOUNT, "mode": "rw"}}
        with self._helper(volumes, ["python3", "-c", _STORE_SCRIPT, *arguments]) as helper:
            if upload is not None:
                upload.seek(0)
                helper.put_archive(STORE_MOUNT, upload)
            helper.start()
            status = int(helper.wait()["StatusCode"])
            return self._script_lines(arguments, status, helper.logs(stdout=True, stderr=False),
                                      helper.logs(stdout=False, stderr=True))

    def _script_lines(self, arguments: list[str], status: int, output: bytes,
                      errors: bytes) -> list[list[str]]:
        if status != 0:
            tail = errors.decode(errors="replace").strip().splitlines()
            raise RemoteFilesError(f"the store of Docker host {self.host} could not be "
                                   f"{'listed' if arguments[0] == 'list' else 'updated'} (exit status "
                                   f"{status}: {' | '.join(tail[-_ERROR_LINES_SHOWN:])})")
        text = output.decode(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("[")]

    def _keeper_container(self) -> Any:
        """The running keeper of the store, started on first use."""
        import docker.errors

        if self._keeper is None:
            volumes = {STORE_VOLUME: {"bind": STORE_MOUNT, "mode": "rw"}}
            keeper = self._create_helper(volumes, ["sleep", "infinity"], kind="keeper")
            try:
                keeper.start()
            except docker.errors.DockerException as exc:
                with contextlib.suppress(docker.errors.DockerException):
                    keeper.remove(force=True)
                raise RemoteFilesError(f"the store keeper on Docker host {self.host} did not start: "
                                       f"{_reason(exc)}") from None
            self._keeper = keeper
        return self._keeper

    def close(self) -> None:
        """Stop and remove the keeper (the store itself stays for the next run)."""
        import docker.errors

        with self._lock:
            keeper, self._keeper = self._keeper, None
        if keeper is not None:
            with contextlib.suppress(docker.errors.DockerException):
                keeper.remove(force=True)

    # ----- task volumes -------------------------------------------------------------------
    def task_volume(self, name: str) -> str:
        """Create the empty volume ``name`` for one task (labelled with this runner); its name."""
        self.client.volumes.create(name=name, labels={names.LABEL_KIND: "task",
                                                      names.LABEL_RUNNER: runner_label()})
        return name

    def fill_task(self, into: Any, files: dict[str, bytes], links: dict[str, str], *,
                  user: str = NOBODY, outputs: bool = True, elsewhere: dict[str, str] | None = None) -> None:
        """Write one task into its volume: small files, input links, an empty outputs/.

        Parameters
        ----------
        into
            The module's created (not yet started) container, which mounts the task volume at
            ``/task`` (see :func:`task_mounts`), or the volume's name: then a created helper
            writes it.
        files
            Relative path -> content, e.g. ``{"task.json": b"..."}``; readable by all, owned by root.
        links
            Relative input path -> sha256 of a shipped file, e.g.
            ``{"inputs/image/cells.tif": "9f2c..."}``: a symlink to the file in ``/store``.
        user
            ``UID:GID`` the module container runs as: it owns ``outputs/``.
        outputs
            False: no ``outputs/`` folder (an APEER module writes to its own ``/output``).
        elsewhere
            Digest -> absolute path in the module container, for linked files that are not in
            the store (an upstream task's outputs, read in place from its mounted volume).
        """
        elsewhere = elsewhere or {}
        targets = {path: elsewhere.get(digest) or self._link_target(path, digest)
                   for path, digest in links.items()}
        uid, gid = _numeric_user(user)
        with tempfile.TemporaryFile(prefix="lamella-task-") as spool:
            with tarfile.open(fileobj=spool, mode="w") as tar:
                _add_tree(tar, [*files, *targets])
                if outputs:
                    _add_dir(tar, "outputs", uid=uid, gid=gid)
                for path, content in files.items():
                    add_bytes(tar, path, content)
                for path, target in targets.items():
                    _add_link(tar, path, target)
            spool.seek(0)
            if not isinstance(into, str):
                self._put(into, TASK_MOUNT, spool)
                return
            with self._helper({into: {"bind": TASK_MOUNT, "mode": "rw"}}) as helper:
                helper.put_archive(TASK_MOUNT, spool)

    def _put(self, container: Any, path: str, archive: IO[bytes]) -> None:
        import docker.errors

        try:
            container.put_archive(path, archive)
        except docker.errors.DockerException as exc:
            raise RemoteFilesError(f"Docker host {self.host}: {_reason(exc)}") from None

    def _link_target(self, path: str, digest: str) -> str:
        try:
            return self.path_in_store(digest)
        except RemoteFilesError as exc:
            raise RemoteFilesError(f"task input '{path}': {exc}") from None

    def fetch(self, source: Any, path: str, into: Path) -> list[str]:
        """Bring folder ``path`` back from a task volume or a container into ``into``.

        ``source`` is a task volume's name (``path`` is then as a module sees it, e.g.
        ``/task/outputs``) or a ``Container`` (its own path). ``into`` must be new or empty;
        it receives the folder's content. Returns the files' paths relative to ``into``.
        """
        if isinstance(source, str):
            with self._helper({source: {"bind": TASK_MOUNT, "mode": "ro"}}) as helper:
                return _fetch_from(helper, path, into, self.host)
        return _fetch_from(source, path, into, self.host)

    def remove(self, volume: str) -> None:
        """Remove a task volume (nothing if it is gone already)."""
        import docker.errors

        with contextlib.suppress(docker.errors.NotFound):
            self.client.volumes.get(volume).remove(force=True)

    # ----- helpers ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _helper(self, volumes: dict[str, dict[str, str]], command: list[str] | None = None) -> Iterator[Any]:
        """A created helper container (see the module docstring), removed afterwards."""
        import docker.errors

        helper = self._create_helper(volumes, command)
        try:
            yield helper
        except docker.errors.DockerException as exc:
            raise RemoteFilesError(f"Docker host {self.host}: {_reason(exc)}") from None
        finally:
            with contextlib.suppress(docker.errors.DockerException):
                helper.remove(force=True)

    def _create_helper(self, volumes: dict[str, dict[str, str]], command: list[str] | None,
                       kind: str = "helper") -> Any:
        import docker.errors

        try:
            return self.client.containers.create(
                self.image, entrypoint=command[:1] if command else None,
                command=command[1:] if command else None, volumes=volumes, user="0:0",
                network_mode="none", cap_drop=["ALL"],
                security_opt=["no-new-privileges"], read_only=True, mem_limit=_HELPER_MEMORY,
                memswap_limit=_HELPER_MEMORY, pids_limit=_HELPER_PIDS,
                labels={names.LABEL_KIND: kind, names.LABEL_RUNNER: runner_label()})
        except docker.errors.ImageNotFound:
            raise RemoteFilesError(f"image {self.image} is not on Docker host {self.host}; move it there "
                                   "first (ensure_image)") from None
        except docker.errors.DockerException as exc:
            raise RemoteFilesError(f"Docker host {self.host}: {_reason(exc)}") from None


def _over_ssh(client: Any) -> bool:
    return str(getattr(getattr(client, "api", None), "base_url", "")).startswith("http+docker://ssh")


def _keeper_gone(exc: BaseException) -> bool:
    """Whether ``exc`` says the keeper container no longer exists or runs."""
    import docker.errors

    text = str(exc).lower()
    return isinstance(exc, docker.errors.NotFound) or "is not running" in text or "no such container" in text


def _stored(lines: list[list[str]]) -> dict[str, str]:
    return {line[1]: line[2] for line in lines if line[0] == "stored"}


def _check_digest(digest: str, path: Path) -> None:
    if not _DIGEST.fullmatch(digest):
        raise RemoteFilesError(f"{path}: '{digest}' is not a SHA-256 digest; give 64 lower-case hex "
                               "digits (lamella.core.cache_keys.file_digest)")


def _store_name(path: Path) -> str:
    """The file's own name, which keeps its suffix; 'file' where the name is not one."""
    name = Path(path).name
    return name if name not in ("", ".", "..") else "file"


def _numeric_user(user: str) -> tuple[int, int]:
    uid, _, gid = user.partition(":")
    if not (uid.isdigit() and (gid or uid).isdigit()):
        raise RemoteFilesError(f"container user '{user}' is not numeric; give UID:GID, e.g. '{NOBODY}'")
    return int(uid), int(gid or uid)


# ----- archives in ------------------------------------------------------------------------------
def _tar_info(name: str, kind: bytes, mode: int, uid: int = 0, gid: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, uid, gid, int(time.time())
    return info


def _add_dir(tar: tarfile.TarFile, name: str, *, uid: int = 0, gid: int = 0) -> None:
    tar.addfile(_tar_info(name, tarfile.DIRTYPE, 0o755, uid, gid))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = _tar_info(name, tarfile.REGTYPE, 0o444)
    with Path(path).open("rb") as handle:
        info.size = Path(path).stat().st_size
        tar.addfile(info, handle)


def add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    """Add a read-only file holding ``content`` to ``tar``."""
    info = _tar_info(name, tarfile.REGTYPE, 0o444)
    info.size = len(content)
    tar.addfile(info, io.BytesIO(content))


def _add_link(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = _tar_info(name, tarfile.SYMTYPE, 0o777)
    info.linkname = target
    tar.addfile(info)


def _add_tree(tar: tarfile.TarFile, paths: Iterable[str]) -> None:
    """Root-owned folders for every parent of ``paths`` (checked to stay in the volume)."""
    folders: set[PurePosixPath] = set()
    for path in paths:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts or relative.parts[:1] in ((), ("outputs",)):
            raise RemoteFilesError(f"task file '{path}' must be a relative path without '..', outside "
                                   "outputs/, e.g. 'inputs/image/cells.tif'")
        folders.update(relative.parents)
    for folder in sorted(folders - {PurePosixPath(".")}, key=lambda p: len(p.parts)):
        _add_dir(tar, folder.as_posix())


# ----- archives out -----------------------------------------------------------------------------
def _fetch_from(container: Any, path: str, into: Path, host: str) -> list[str]:
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
        with tempfile.TemporaryFile(prefix="lamella-fetch-") as spool:
            for chunk in stream:
                spool.write(chunk)
            spool.seek(0)
            return extract_folder(spool, into, PurePosixPath(path).name)
    except docker.errors.NotFound:
        raise RemoteFilesError(f"{path} is not in the container on Docker host {host}; "
                               "the module wrote nothing there") from None


def extract_folder(archive: IO[bytes], into: Path, top: str) -> list[str]:
    """Extract the folder ``top`` of a ``get_archive`` tar into ``into``, refusing unsafe members.

    Every member is checked before anything is written: it must lie under ``top``, have no
    absolute path and no ``..``, be a file, a folder or a link, and a link must point inside
    the folder by a relative path without ``..``. Returns the files' paths relative to ``into``.

    Raises
    ------
    UnsafeArchive
        A member breaks one of these rules; nothing was extracted.
    """
    into.mkdir(parents=True, exist_ok=True)
    if any(into.iterdir()):
        raise RemoteFilesError(f"{into}: outputs are fetched into an empty folder; this one holds files")
    with tarfile.open(fileobj=archive, mode="r:") as tar:
        members = [member for member in tar.getmembers() if _inside(member, top)]
        # The data filter checks again as it writes, against links already on disk.
        tar.extractall(into, members=members, filter="data")
    return sorted(member.name for member in members if member.isfile())


def _inside(member: tarfile.TarInfo, top: str) -> bool:
    """Strip ``top/`` from ``member``'s names in place; False for ``top`` itself."""
    relative = _relative(member.name, top)
    if relative is None:
        return False
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchive(f"{member.name}: a device, pipe or socket in the module's outputs; "
                            "a module writes only files and folders")
    if member.issym():
        link = PurePosixPath(member.linkname)
        if link.is_absolute() or ".." in link.parts:
            raise UnsafeArchive(f"{member.name}: a link to '{member.linkname}', which may lead out of the "
                                "module's outputs; a module's links stay inside, without '..'")
    if member.islnk():
        target = _relative(member.linkname, top)
        if target is None:
            raise UnsafeArchive(f"{member.name}: a hard link to the folder itself")
        member.linkname = target
    member.name = relative
    return True


def _relative(name: str, top: str) -> str | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or path.parts[:1] != (top,):
        raise UnsafeArchive(f"'{name}' in the archive of {top}/ would land outside it; a module's "
                            "outputs are files below outputs/")
    return PurePosixPath(*path.parts[1:]).as_posix() if len(path.parts) > 1 else None


# ----- shared -----------------------------------------------------------------------------------
def _host(client: Any) -> str:
    return str(getattr(getattr(client, "api", None), "base_url", "") or "the remote engine")


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__
