"""The ``lamella`` command. Errors print as one line; ``--debug`` anywhere shows tracebacks."""

from __future__ import annotations

import sys

import click

from lamella.core.errors import LamellaError, RunFailed

__all__ = ["main"]

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lamella`` console script; returns the exit status."""
    import typer.main

    from lamella.runner.cli._app import app, print_error

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="lamella", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_BAD_INPUT
    except click.exceptions.Abort:
        print_error("interrupted")
        return 130
    except RunFailed:
        if debug:
            raise
        return EXIT_RUN_FAILED
    except LamellaError as exc:
        if debug:
            raise
        print_error(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print_error("interrupted; run the same command again to resume (finished nodes are "
                    "reused from the cache)")
        return 130
    except Exception as exc:
        if debug:
            raise
        print_error(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for "
                    "the traceback, and report it)")
        return EXIT_INTERNAL
    return 0
