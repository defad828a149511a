"""Checks of the arguments callers give :class:`lamella.runner.Analysis`, before anything runs.

A wrong argument raises :class:`ArgumentError`, which keeps the argument's name apart from
the problem: the Python API names it as Python does (``inputs['image']``, ``out='x'``), the
command line as its option (``--input image``, ``--out x``), from the same error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeGuard

from lamella.core._suggest import did_you_mean
from lamella.core.errors import LamellaError
from lamella.core.manifest._params import parse_duration
from lamella.runner.backends import backend_names

__all__ = [
    "ArgumentError",
    "check_batch",
    "check_callback",
    "check_docker_hosts",
    "check_flag",
    "check_inputs",
    "check_jobs",
    "check_memory_limit",
    "check_modules",
    "check_path",
    "check_registry",
    "require_path",
]

_SHOWN_CHARS = 60


class ArgumentError(LamellaError):
    """An argument of ``Analysis.load`` or ``Analysis.run`` is wrong.

    ``argument`` is the parameter's name (``inputs``, ``out``, ``jobs``...), ``key`` the
    entry of a mapping argument (``image`` in ``inputs``), ``value`` what to show beside
    the name (the folder of ``out``), ``problem`` what is wrong and what to do.
    ``str(error)`` words it for Python; :meth:`as_option` for a command line.
    """

    def __init__(self, argument: str, problem: str, *, key: str | None = None,
                 value: str | os.PathLike[str] | None = None) -> None:
        self.argument, self.problem, self.key = argument, problem, key
        self.value = None if value is None else os.fspath(value)
        super().__init__(self._python_wording())

    def _python_wording(self) -> str:
        name = self.argument + (f"[{self.key!r}]" if self.key is not None else "")
        return f"{name}{'' if self.value is None else f'={self.value!r}'}: {self.problem}"

    def as_option(self, option: str) -> str:
        """The message with the argument named by a command-line ``option`` (``--out``)."""
        parts = [option, self.key, self.value]
        return f"{' '.join(p for p in parts if p is not None)}: {self.problem}"


def shown(value: object) -> str:
    """A value as a message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 3] + "..."


def _is_path(value: object) -> TypeGuard[str | os.PathLike[str]]:
    if isinstance(value, str):
        return value != ""
    return isinstance(value, os.PathLike) and isinstance(os.fspath(value), str)


def check_path(argument: str, value: object, *, what: str = "a folder path") -> Path | None:
    """``value`` as a Path (None stays None); anything but text or a path is refused."""
    return None if value is None else require_path(argument, value, what=what)


def require_path(argument: str, value: object, *, what: str) -> Path:
    """``value`` as a Path; anything but text or a path (None too) is refused."""
    if not _is_path(value):
        raise ArgumentError(argument, f"expected {what}, got {shown(value)}")
    return Path(value)


def check_inputs(inputs: object) -> dict[str, str | Path]:
    """Workflow input name -> file path."""
    if inputs is None:
        return {}
    if not isinstance(inputs, Mapping):
        raise ArgumentError("inputs", "expected a mapping of workflow input name to file path, "
                            f"e.g. {{'image': 'my.tif'}}, got {shown(inputs)}")
    checked: dict[str, str | Path] = {}
    for name, path in inputs.items():
        if not isinstance(name, str):
            raise ArgumentError("inputs", f"input names are text, got {shown(name)}")
        if not _is_path(path):
            raise ArgumentError("inputs", f"expected a file path, got {shown(path)}", key=name)
        checked[name] = Path(path)
    return checked


def check_batch(batch: object) -> str | None:
    """A glob pattern (``'data/*.tif'`` or ``'image=data/*.tif'``), or None."""
    if batch is None:
        return None
    if not _is_path(batch):
        raise ArgumentError("batch", "expected a glob pattern such as 'data/*.tif' or "
                            f"'image=data/*.tif', got {shown(batch)}")
    return os.fspath(batch)


def check_jobs(jobs: object) -> int | None:
    """How many modules may run at once: a whole number >= 1, or None for the default."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ArgumentError("jobs", f"expected a whole number >= 1, got {shown(jobs)}")
    return jobs


def check_flag(argument: str, value: object) -> bool:
    """A True/False switch."""
    if not isinstance(value, bool):
        raise ArgumentError(argument, f"expected True or False, got {shown(value)}")
    return value


def check_callback(argument: str, value: object) -> Callable[..., Any] | None:
    """A function to call, or None."""
    if value is not None and not callable(value):
        raise ArgumentError(argument, f"expected a function or None, got {shown(value)}")
    return value


def check_modules(modules: object) -> list[Path]:
    """Module folders: one path, or an iterable of paths."""
    if _is_path(modules):
        return [Path(modules)]
    if isinstance(modules, bytes) or not isinstance(modules, Iterable):
        raise ArgumentError("modules", "expected a module folder or a list of them, got "
                            f"{shown(modules)}")
    folders = []
    for folder in modules:
        if not _is_path(folder):
            raise ArgumentError("modules", f"expected module folder paths, got {shown(folder)} "
                                "in the list")
        folders.append(Path(folder))
    return folders


def check_backend(name: object) -> str:
    """A backend name the registry knows."""
    known = backend_names()
    if not isinstance(name, str) or name not in known:
        hint = did_you_mean(name, known) if isinstance(name, str) else ""
        raise ArgumentError("backend", f"no such backend{hint} (backends: {', '.join(known)})",
                            value=str(name))
    return name


def check_gpus(gpus: object) -> tuple[str, ...] | None:
    """GPU device ids as strings ('0', '1'), or None for the backend's default."""
    if gpus is None:
        return None
    if isinstance(gpus, str):
        return _gpus_from_text(gpus)
    if not isinstance(gpus, Sequence) or not all(isinstance(g, str | int) for g in gpus):
        raise ArgumentError("gpus", f"expected GPU ids such as ['0', '1'], got {shown(gpus)}")
    return tuple(str(g).strip() for g in gpus)


def _gpus_from_text(text: str) -> tuple[str, ...]:
    """``--gpus``: ``all``, a count ``N`` (the first N), or ids ``0,1`` / ``device=2``.

    A single number is a count, as in ``docker run --gpus 2``; one particular GPU is
    ``device=2`` (or ``2,``).
    """
    text = text.strip()
    if text == "all":
        return all_gpus()
    if text.isdigit():
        wanted, present = int(text), all_gpus()
        if wanted > len(present):
            raise ArgumentError("gpus", f"asks for {wanted} GPUs and this machine has {len(present)}",
                                value=text)
        return present[:wanted]
    ids = [g.strip() for g in text.removeprefix("device=").split(",") if g.strip()]
    if not ids:
        raise ArgumentError("gpus", "expected all, a count such as 2, or ids such as 0,1", value=text)
    return tuple(ids)


def all_gpus() -> tuple[str, ...]:
    """The ids of this machine's NVIDIA GPUs (``nvidia-smi``), visible to CUDA or not."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return ()
    done = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                          capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        return ()
    return tuple(line.strip() for line in done.stdout.splitlines() if line.strip())


def check_targets(targets: object, nodes: Sequence[str]) -> list[str]:
    """Node ids the run stops at (empty: the whole workflow)."""
    if targets is None:
        return []
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, Sequence) or not all(isinstance(t, str) for t in targets):
        raise ArgumentError("targets", f"expected node ids, got {shown(targets)}")
    for target in targets:
        if target not in nodes:
            raise ArgumentError("targets", f"the workflow has no node '{target}'"
                                f"{did_you_mean(target, nodes)} (nodes: {', '.join(nodes)})")
    return list(targets)


def check_timeout(timeout: object) -> float | None:
    """A time limit for every node of a run, in seconds ('10 min', '90 s', 600), or None."""
    if timeout is None:
        return None
    try:
        return parse_duration(timeout)
    except ValueError as exc:
        value = timeout if isinstance(timeout, str) else None
        raise ArgumentError("timeout", str(exc), value=value) from None


def check_memory_limit(limit: object) -> float | None:
    """A container memory limit for every node, in GiB ('512MB', '2GB', or a number of GiB)."""
    if limit is None:
        return None
    if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 0:
        return float(limit)
    from lamella.runner.cache import parse_size

    try:
        size = parse_size(str(limit))
    except ValueError as exc:
        raise ArgumentError("memory_limit", str(exc), value=str(limit)) from None
    if size < 64 * 1024**2:
        raise ArgumentError("memory_limit", "at least 64MB is needed to start Python", value=str(limit))
    return size / 1024**3


def check_docker_hosts(hosts: object) -> tuple[str, ...]:
    """Docker host addresses (``unix://...``, ``tcp://host:2376``, ``ssh://user@host``)."""
    if hosts is None:
        return ()
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, Sequence) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise ArgumentError("docker_hosts", f"expected addresses such as ['tcp://gpu-box:2376'], "
                            f"got {shown(hosts)}")
    for host in hosts:
        if not re.match(r"^(unix|tcp|ssh|npipe)://", host.strip()) and not Path(host).is_file():
            raise ArgumentError("docker_hosts", "not a Docker host address (unix://, tcp:// or "
                                "ssh://, e.g. tcp://gpu-box:2376) nor a hosts file", value=host)
    # A hosts file is read when the backend starts, maybe elsewhere: keep where it is.
    return tuple(h.strip() if "://" in h else str(Path(h).resolve()) for h in hosts)


def check_registry(registry: object) -> str | None:
    """A registry address ``HOST:PORT`` (or ``HOST``), without a scheme or a path."""
    if registry is None:
        return None
    if not isinstance(registry, str):
        raise ArgumentError("registry", f"expected an address HOST:PORT such as "
                            f"'registry.lab:5000', got {shown(registry)}")
    if not re.match(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", registry.strip()):
        raise ArgumentError("registry", "not a registry address: give HOST:PORT such as "
                            "'registry.lab:5000' (no scheme, no path)", value=registry)
    return registry.strip().rstrip("/")


def check_out_outside_cache(out: Path, cache: Path) -> None:
    """Refuse a results folder inside the cache folder, whose clean-up would delete it.

    A session's preview folders are the one exception (the runner's own, removed with the
    session); they never come through here.
    """
    cache_root, folder = Path(cache).resolve(), Path(out).resolve()
    if folder.is_relative_to(cache_root):
        raise ArgumentError("out", f"is inside the cache folder ({cache_root}), whose clean-up "
                            "would delete the results; give a folder outside it", value=out)


JOBS_PER_CORE = 4


def check_jobs_limit(jobs: int | None) -> int | None:
    """Refuse more jobs than ``JOBS_PER_CORE`` per CPU core (memory is matched when runs start)."""
    limit = JOBS_PER_CORE * (os.cpu_count() or 1)
    if jobs is not None and jobs > limit:
        raise ArgumentError("jobs", f"{jobs} is more than this machine runs at once; give at most "
                            f"{limit} ({JOBS_PER_CORE} per CPU core)")
    return jobs
