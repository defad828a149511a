"""Ending every process a module started, detached ones included, without root.

A process that is a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``) becomes the parent of
every orphan below it, so a module's child that double-forks and calls ``setsid`` is still in
its tree instead of being handed to init. The local worker and the isolated backend's task
wrapper are subreapers: when a task ends they find their descendants in ``/proc``, stop them
(SIGSTOP, until no new one appears: a stopped process cannot fork), kill them and reap them.
The runner ends a whole tree from outside the same way (a timeout, a cancel, Ctrl-C), being
a subreaper itself only while it does, so that it can reap what it killed.

A worker that dies by itself (a segfault, ``os._exit``) leaves no tree to walk: its
descendants are found by the marker every process it started inherits in its environment.

Run as a script (``python -I -S _reaping.py COMMAND...``) this file is that wrapper: it runs
COMMAND, ends what COMMAND left behind and exits with COMMAND's status. It imports only the
standard library, so it starts in a few milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

__all__ = ["MARKER", "become_subreaper", "end_descendants", "end_marked", "stop_tree"]

# This file also runs as a script (the isolated backend's task starter) that imports nothing
# of Lamella: lamella.runner._workers repeats this name, and a test checks they agree.
MARKER = "LAMELLA_TASK_GROUP"  # environment variable every process of a worker inherits

_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37
_REAP_WAIT_S = 10.0
_POLL_S = 0.005


def _prctl(option: int, value: int | ctypes.c_int | ctypes._Pointer) -> int:  # type: ignore[type-arg]
    return int(ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0))


def become_subreaper(on: bool = True) -> bool:
    """Make this process the parent of orphans below it (or stop that); False off Linux."""
    if not sys.platform.startswith("linux"):
        return False
    return _prctl(_PR_SET_CHILD_SUBREAPER, int(on)) == 0


def _is_subreaper() -> bool:
    state = ctypes.c_int(0)
    _prctl(_PR_GET_CHILD_SUBREAPER, ctypes.pointer(state))
    return bool(state.value)


# ----- the tree ------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (of every thread of it)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    found, stack = [], _children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack += _children(child)
    return found


def _state(pid: int) -> str:
    """The process's state letter (R, S, T, Z...), '' when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, number)


def _freeze(root: int, *, with_root: bool) -> list[int]:
    """Stop ``root``'s descendants (and ``root``) until none is left running; return them."""
    stopped: set[int] = set()
    if with_root:
        _signal(root, signal.SIGSTOP)
        stopped.add(root)
    while True:
        _wait_stopped(stopped)  # only a stopped process surely forks no more
        new = [pid for pid in _descendants(root) if pid not in stopped]
        if not new:
            return sorted(stopped - {root})
        for pid in new:
            _signal(pid, signal.SIGSTOP)
            stopped.add(pid)


def _wait_stopped(pids: set[int]) -> None:
    deadline = time.monotonic() + _REAP_WAIT_S
    while time.monotonic() < deadline and any(_state(p) not in ("T", "t", "Z", "X", "") for p in pids):
        time.sleep(_POLL_S)


# ----- ending them ---------------------------------------------------------------------------
def end_descendants() -> int:
    """End and reap every descendant of this process (a subreaper); return how many."""
    me = os.getpid()
    if not _children(me):
        return 0
    doomed = _freeze(me, with_root=False)
    for pid in doomed:
        _signal(pid, signal.SIGKILL)
    _reap(doomed)
    return len(doomed)


def stop_tree(root: int) -> None:
    """Kill ``root`` (a child of this process) and all its descendants; reap the descendants.

    ``root`` itself is left for its ``Popen`` to reap. This process is a subreaper meanwhile,
    so the killed processes become its children and do not stay zombies under an init that
    does not reap them.
    """
    was = _is_subreaper() if sys.platform.startswith("linux") else False
    become_subreaper(True)
    try:
        doomed = _freeze(root, with_root=True)
        for pid in [root, *doomed]:
            _signal(pid, signal.SIGKILL)
        _reap(doomed)
    finally:
        if not was:
            become_subreaper(False)


def end_marked(value: str) -> int:
    """Kill every process whose environment carries ``MARKER=value``; return how many."""
    wanted = f"{MARKER}={value}".encode() + b"\0"
    killed = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                marked = wanted in handle.read() + b"\0"
        except OSError:
            continue
        if marked:
            _signal(int(entry), signal.SIGKILL)
            killed += 1
    return killed


def _reap(pids: list[int]) -> None:
    """Wait until ``pids`` are gone, reaping those that are (or become) this process's children."""
    left = set(pids)
    deadline = time.monotonic() + _REAP_WAIT_S
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not ours (yet): its parent has not died
                done = pid if not _state(pid) else 0
            if done:
                left.discard(pid)
        if left:
            time.sleep(_POLL_S)


# ----- the isolated backend's task wrapper ---------------------------------------------------
def _wrap(command: list[str]) -> int:
    become_subreaper(True)
    child = os.posix_spawn(command[0], command, os.environ)
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    ended = end_descendants()
    if ended:
        print(f"[lamella: ended {ended} process(es) the module left running]", flush=True)
    return status


def _exit_as(status: int) -> None:
    """Exit with ``status``; a negative one (killed by a signal) by that same signal."""
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    os._exit(status if status >= 0 else 1)


if __name__ == "__main__":
    _exit_as(_wrap(sys.argv[1:]))
