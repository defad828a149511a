"""The ``lamella`` command. Errors print as one line; ``--debug`` anywhere shows tracebacks.

Exit status: 0 success, 1 a node failed, 2 bad input (command line, workflow, files),
3 internal error, 130 interrupted.

Ctrl-C and SIGTERM stop a run cleanly: the first raises KeyboardInterrupt, and the run stops
its workers and writes its record. A second one while it does is ignored, as it would cut
that cleanup short; a third ends the command at once (status 130), leaving the results
folder as it was or with this run's whole record (a commit step is never cut: see
``lamella.runner.engine._publish``). A command started with SIGINT ignored (a background job
of a POSIX shell) keeps ignoring it; SIGTERM still stops it.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Any

from lamella.core.errors import LamellaError, RunFailed, shortened
from lamella.core.events import RunEvent

__all__ = ["main"]

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lamella`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    previous = _handle_stops()
    try:
        return _main(args)
    finally:
        if argv is not None:
            # Called from Python: the caller's handlers come back. The console script keeps
            # ours to its end, so a late second stop cannot kill it before it exits with 130.
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _main(args: list[str]) -> int:
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    json_events = "--json-events" in args
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # The reader went away (`lamella images list | head`): nothing more to say, to anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if debug:
            import traceback  # only here: most runs never need it

            traceback.print_exc()
        status, message = _exit_status_for(exc), str(exc)
        if isinstance(exc, RunFailed):
            return status  # the run's own events already said what failed
    except KeyboardInterrupt:
        message = ("interrupted; run the same command again to resume (finished nodes are "
                   "reused from the cache)")
        _print_error(message)
        status = EXIT_INTERRUPTED
    if json_events:
        # A program reading the events learns why the command ended, even before any run.
        print(RunEvent("error", "", message=message, detail={"exit_status": status}).to_json(),
              flush=True)
    return status


_FORCED = (b"error: interrupted three times; ended at once (the results folder keeps its last "
           b"whole record)\n")
_STOPPING = b"stopping cleanly; interrupt once more to end at once\n"


def _handle_stops() -> dict[signal.Signals, Any]:
    """SIGTERM (a scheduler's stop) cleans up like Ctrl-C; an ignored Ctrl-C stays ignored.

    Returns the handlers replaced, for :func:`main` to put back.
    """
    _stops.clear()
    stops = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        stops.append(signal.SIGINT)
    return {signum: signal.signal(signum, _interrupt) for signum in stops}


_stops: list[int] = []  # the stop signals received so far


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _stops.append(signum)
    if len(_stops) == 1:
        raise KeyboardInterrupt
    # os.write, not print: the handler may run while the main thread is inside a print.
    if len(_stops) == 2:
        os.write(2, _STOPPING)
        return
    os.write(2, _FORCED)
    os._exit(EXIT_INTERRUPTED)


def _dispatch(args: list[str]) -> int:
    from lamella.runner.cli._parser import build_parser

    parser = build_parser()
    if not args:
        parser.print_help()
        return EXIT_BAD_INPUT
    namespace = parser.parse_args(args)
    if namespace.command == "run" and namespace.backend == "local":
        from lamella.runner._workers import start_early

        # Its start overlaps the 0.4 s of imports and validation below (RESULTS.md, (a)).
        start_early(namespace.jobs)
    from lamella.runner.cli._commands import COMMANDS

    COMMANDS[(namespace.command, getattr(namespace, "action", None))](namespace)
    return 0


def _exit_status_for(exc: Exception) -> int:
    if isinstance(exc, RunFailed):
        return EXIT_RUN_FAILED  # the failures were printed with their logs already
    if isinstance(exc, LamellaError):
        _print_error(str(exc))
        return EXIT_BAD_INPUT
    _print_error(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the "
                 "traceback, and report it)")
    return EXIT_INTERNAL


def _print_error(message: str) -> None:
    from lamella.runner.cli._console import err_console, escape

    short = "\n".join(shortened(line) for line in message.splitlines())
    err_console().print(f"[bold red]error:[/] {escape(short)}", highlight=False)
