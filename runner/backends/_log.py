"""A node's log is capped: its first and last MiB are kept, and a line says what was left out.

A module that prints 100 MB would otherwise cost that much twice (the cached log and the
copy beside the results). The backend caps the log when the run ends, however it ends,
before the engine stores or publishes it; the head says how the run started, the tail how
it ended (the traceback, the last progress).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LOG_HEAD_BYTES", "LOG_TAIL_BYTES", "cap_log"]

LOG_HEAD_BYTES = 2**20
LOG_TAIL_BYTES = 2**20


def cap_log(log: Path | None) -> None:
    """Rewrite ``log`` as its head, a note of what was left out, and its tail, if it is long."""
    try:
        size = log.stat().st_size if log is not None else 0
    except OSError:
        return
    if log is None or size <= LOG_HEAD_BYTES + LOG_TAIL_BYTES:
        return
    with log.open("rb") as handle:
        head = handle.read(LOG_HEAD_BYTES)
        handle.seek(size - LOG_TAIL_BYTES)
        tail = handle.read()
    # Whole lines where there are any: cut the head after its last newline, the tail after its first.
    head = head[:head.rfind(b"\n") + 1] or head
    cut = tail.find(b"\n")
    tail = tail[cut + 1:] if 0 <= cut < len(tail) - 1 else tail
    left_out = size - len(head) - len(tail)
    note = (f"[lamella: {left_out / 2**20:.1f} MiB of output left out here: a node's log keeps "
            f"its first {LOG_HEAD_BYTES // 2**20} MiB and its last {LOG_TAIL_BYTES // 2**20} MiB]\n")
    temporary = log.with_name(log.name + ".capped")
    temporary.write_bytes(head + note.encode() + tail)
    os.replace(temporary, log)
