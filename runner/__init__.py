"""Lamella runner: runs workflows (local backend), caches results, records runs; CLI and API.

For notebooks::

    from lamella.runner import Analysis
    result = Analysis.load("workflow.yaml").run(inputs={"image": "my.tif"})
    sizes = result.table("sizes")
"""

from typing import TYPE_CHECKING

from lamella.core.lazy import lazy_attributes

if TYPE_CHECKING:
    from lamella.runner._results import RunResult
    from lamella.runner.api import Analysis

# Imported on first use: a worker process starts from lamella.runner.backends and must not
# load the engine and API it never calls.
__all__ = ["Analysis", "RunResult"]
__getattr__, __dir__ = lazy_attributes(__name__, {"api": ["Analysis"], "_results": ["RunResult"]},
                                       globals())
