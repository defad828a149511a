"""How many containers run at once on one remote Docker host: its slots, whatever is staged.

A remote host takes more runs than it has slots (``HostCapacity.staged``): the extra ones
are made ready (inputs shipped, task volume made, container created and filled) while
the host's slots are busy, and wait here to start. A slot is held from a container's
start until it ends; the outputs are then fetched back while the next container runs.
"""

from __future__ import annotations

import threading

__all__ = ["SlotGate"]

_CHECK_CANCELLED_S = 0.2


class SlotGate:
    """At most ``slots`` slots held at once; a waiting run can be cancelled.

    Not a ``threading.Semaphore``: a run of several slots must take them all at once, and a
    semaphore hands them out one by one (two such runs could each hold part and wait).
    """

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._changed = threading.Condition()

    def enter(self, slots: int, cancelled: threading.Event) -> bool:
        """Wait until ``slots`` are free and hold them; False if ``cancelled`` was set first."""
        with self._changed:
            while self._free < slots:
                if cancelled.is_set():
                    return False
                self._changed.wait(_CHECK_CANCELLED_S)
            if cancelled.is_set():
                return False
            self._free -= slots
            return True

    def leave(self, slots: int) -> None:
        """Give back ``slots`` held by :meth:`enter`."""
        with self._changed:
            self._free += slots
            self._changed.notify_all()
