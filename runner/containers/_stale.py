"""Containers whose run is gone: found by label and removed when a runner starts.

A runner removes its containers itself on success, failure, timeout and Ctrl-C. A runner
killed with SIGKILL cannot, so every task container carries ``org.lamella.runner`` =
``HOST:PID:START`` (the runner's host name, process id and process start time, which
together name one process even after the pid is reused). When a Docker backend starts it
lists the engine's task containers and removes those started from this host by a process
that no longer exists. Containers started from another machine are left to that machine's
next start: from here there is no way to tell whether their runner still lives.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from lamella.runner.containers import _names as names

__all__ = ["remove_stale_containers", "runner_label"]


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or '' where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces; the fields after its ')' are plain.
    return stat.rsplit(")", 1)[1].split()[19]


def runner_label() -> str:
    """``HOST:PID:START`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _runner_alive(label: str) -> bool:
    host, _, rest = label.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # another machine's runner: not ours to judge
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # exists, run by another user
    return _start_time(pid) == started


def remove_stale_containers(client: Any) -> list[str]:
    """Remove task containers and task volumes whose runner is gone; return their names."""
    import docker.errors

    removed = []
    for container in client.containers.list(all=True, filters={"label": names.LABEL_RUNNER}):
        if _runner_alive(container.labels.get(names.LABEL_RUNNER, "")):
            continue
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            continue  # another runner removed it first
        except docker.errors.APIError as exc:
            if "removal of container" in str(exc) and "in progress" in str(exc):
                continue
            raise
        removed.append(container.name)
    removed += _remove_stale_volumes(client)
    return removed


def _remove_stale_volumes(client: Any) -> list[str]:
    """Task volumes (remote hosts) whose runner is gone, after their containers."""
    import docker.errors

    removed = []
    for volume in client.volumes.list(filters={"label": names.LABEL_RUNNER}):
        if _runner_alive((volume.attrs.get("Labels") or {}).get(names.LABEL_RUNNER, "")):
            continue
        try:
            volume.remove(force=True)
        except docker.errors.APIError:
            continue  # in use by a container another runner still has, or removed already
        removed.append(volume.name)
    return removed
