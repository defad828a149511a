"""Lamella runner: runs workflows on backends, caches results, records runs; CLI and API.

For notebooks::

    from lamella.runner import Analysis
    result = Analysis.load("workflow.yaml").run(inputs={"image": "my.tif"})
    sizes = result.table("sizes")

For interactive use (warm workers, partial and cancellable runs), see :class:`Session`.
"""

from typing import TYPE_CHECKING

from lamella.core.lazy import lazy_attributes

if TYPE_CHECKING:
    from lamella.runner._handle import RunHandle
    from lamella.runner._results import RunResult
    from lamella.runner.api import Analysis
    from lamella.runner.session import Session

# Imported on first use: a worker process starts from lamella.runner.backends and must not
# load the engine and API it never calls.
__all__ = ["Analysis", "RunHandle", "RunResult", "Session"]
__getattr__, __dir__ = lazy_attributes(__name__, {"api": ["Analysis"], "_results": ["RunResult"],
                                                  "session": ["Session"], "_handle": ["RunHandle"]},
                                       globals())
