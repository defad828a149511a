"""The two terminals the CLI writes to, made on first use.

Importing rich costs a noticeable part of a fully cached run's time; a ``--quiet`` run that
succeeds prints nothing and so never pays it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["err_console", "escape", "out_console"]


@functools.cache
def out_console() -> Console:
    """Standard output: results, tables, progress."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@functools.cache
def err_console() -> Console:
    """Standard error: errors and failure reports."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """``text`` with rich markup characters escaped, so file names print as they are."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)
