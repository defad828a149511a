"""The ``lamella`` command. Errors print as one line; ``--debug`` anywhere shows tracebacks.

Exit status: 0 success, 1 a node failed, 2 bad input (command line, workflow, files),
3 internal error, 130 interrupted.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from lamella.core.errors import LamellaError, RunFailed
from lamella.core.events import RunEvent

__all__ = ["main"]

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lamella`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's stop cleans up like Ctrl-C
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    json_events = "--json-events" in args
    try:
        return _dispatch(args)
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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _dispatch(args: list[str]) -> int:
    from lamella.runner.cli._commands import COMMANDS
    from lamella.runner.cli._parser import build_parser

    parser = build_parser()
    if not args:
        parser.print_help()
        return EXIT_BAD_INPUT
    namespace = parser.parse_args(args)
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

    err_console().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
