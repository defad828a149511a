"""Lamella runner: runs workflows (local backend), caches results, records runs; CLI and API.

For notebooks::

    from lamella.runner import Analysis
    result = Analysis.load("workflow.yaml").run(inputs={"image": "my.tif"})
    sizes = result.table("sizes")
"""

from lamella.runner._results import RunResult
from lamella.runner.api import Analysis

__all__ = ["Analysis", "RunResult"]
