"""The Python API, for notebooks and scripts (the CLI uses it too).

>>> from lamella.runner import Analysis                                      # doctest: +SKIP
>>> analysis = Analysis.load("examples/workflows/nanoparticle-size-distribution.yaml")
>>> result = analysis.run(inputs={"image": "my.tif"}, out="results/my")
>>> result.table("sizes").describe()
>>> batch = analysis.run(batch="data/*.tif", out="results/batch")
>>> batch.table("sizes")            # all images, with an 'image' column
>>> sweep = analysis.run(sweep={"segment.method": ["otsu", "li"]}, out="results/sweep")
>>> sweep.table("sizes", point={"segment.method": "li"})
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from lamella.core.catalog import Catalog
from lamella.core.events import RunEvent
from lamella.core.graph import WorkflowGraph, build_graph
from lamella.core.workflow import Workflow, load_workflow
from lamella.runner._arguments import (
    ArgumentError,
    check_backend,
    check_batch,
    check_callback,
    check_docker_hosts,
    check_flag,
    check_gpus,
    check_inputs,
    check_jobs,
    check_jobs_limit,
    check_memory_limit,
    check_modules,
    check_path,
    check_registry,
    check_targets,
    check_timeout,
    require_path,
)
from lamella.runner._execute import RunSpec, execute
from lamella.runner._overrides import check_params, check_sweep
from lamella.runner._results import RunResult
from lamella.runner._sweep import plan_run
from lamella.runner._validation import Validation
from lamella.runner.backends import DEFAULT_BACKEND
from lamella.runner.cache import CacheStore, default_cache_dir
from lamella.runner.engine import batch_items, single_item

__all__ = ["Analysis", "ArgumentError"]


class Analysis:
    """A workflow bound to the modules that run it.

    Parameters
    ----------
    workflow
        The workflow document (see :func:`lamella.core.workflow.load_workflow`).
    catalog
        Where modules are found; defaults to built-in modules plus ``LAMELLA_MODULE_PATH``.
    """

    def __init__(self, workflow: Workflow, catalog: Catalog | None = None, *,
                 module_dirs: Sequence[Path] = ()) -> None:
        self.workflow = workflow
        self.module_dirs = list(module_dirs)
        self.catalog = catalog or Catalog.discover(self.module_dirs)

    @classmethod
    def load(cls, path: str | Path, *, modules: str | Path | Iterable[str | Path] = ()) -> Analysis:
        """Load a workflow file; ``modules`` adds module folders (like ``--modules``).

        Raises :class:`ArgumentError` for an argument of the wrong kind.
        """
        workflow_path = require_path("path", path, what="a workflow file path")
        module_dirs = check_modules(modules)
        return cls(load_workflow(workflow_path), Catalog.discover(module_dirs), module_dirs=module_dirs)

    def reloaded(self) -> Analysis:
        """The same workflow with its modules found again (their code may have changed)."""
        return Analysis(self.workflow, Catalog.discover(self.module_dirs), module_dirs=self.module_dirs)

    @cached_property
    def graph(self) -> WorkflowGraph:
        """The validated graph; raises WorkflowValidationError listing every problem."""
        return build_graph(self.workflow, self.catalog)

    def validate(self) -> Validation:
        """Check the workflow against the modules without running anything.

        Returns the validated graph as a :class:`Validation` (true, ``ok``, a short repr,
        ``branches()``); raises WorkflowValidationError listing every problem.
        """
        return Validation.of(self.graph)

    def run(self, *, inputs: Mapping[str, str | Path] | None = None, batch: str | None = None,
            params: Mapping[str, Any] | None = None,
            sweep: Mapping[str, Sequence[Any]] | None = None,
            out: str | Path | None = None, jobs: int | None = None, use_cache: bool = True,
            cache_dir: str | Path | None = None,
            on_event: Callable[[RunEvent], None] | None = None,
            backend: str = DEFAULT_BACKEND, targets: Sequence[str] | None = None,
            gpus: Sequence[str] | None = None, timeout: str | float | None = None,
            docker_hosts: Sequence[str] | None = None,
            memory_limit: str | float | None = None, registry: str | None = None) -> RunResult:
        """Run the workflow once, or once per file matching ``batch`` (``GLOB`` or ``NAME=GLOB``).

        Results go to ``out`` (default ``results/<workflow name>``), replacing the results
        of the run before. Nodes whose module, parameters and input content match an earlier
        run are reused from the cache unless ``use_cache`` is false. Returns the
        :class:`RunResult` also when nodes failed; raises :class:`ArgumentError` for a wrong
        argument before anything runs.

        ``params`` sets parameter values over the workflow's (``{'segment.method': 'li'}``);
        ``sweep`` runs every combination of the values listed (``{'segment.method': ['otsu',
        'li']}``), each point's results in ``out/<node.param>=<value>/``, in one run whose
        unchanged upstream steps run once. Values are checked as the workflow's are.

        ``backend`` names where modules run (``local``: warm worker processes; ``isolated``:
        a fresh process per node in a folder sharing nothing with the cache); ``targets``
        runs only those nodes and what they read; ``gpus`` lists the GPU ids nodes may be
        given (default: ``CUDA_VISIBLE_DEVICES``). ``timeout`` limits how long each node may
        run (``'10 min'``, ``'90 s'``, ``'2 h'``, or seconds), instead of the modules' own
        ``resources.timeout``; a node past it is stopped and fails, its downstream skipped.

        With ``backend='docker'`` each node runs in its module's image; ``docker_hosts``
        lists the engines (default: this machine's) and ``memory_limit`` (``'512MB'``,
        ``'4GB'``) replaces every module's ``resources.memory_gb`` as the container limit;
        ``registry`` (``'registry.lab:5000'``, as ``--registry``) is where module images reach
        remote hosts through, unless a hosts file names one (default: ``$LAMELLA_REGISTRY``,
        else ``docker save``/``load``).
        """
        spec = self.run_spec(inputs=inputs, batch=batch, params=params, sweep=sweep, out=out,
                             jobs=jobs, use_cache=use_cache, on_event=on_event, backend=backend,
                             targets=targets, gpus=gpus, timeout=timeout, docker_hosts=docker_hosts,
                             memory_limit=memory_limit, registry=registry)
        cache_root = check_path("cache_dir", cache_dir) or default_cache_dir()
        return execute(spec, store=CacheStore(cache_root))

    def run_spec(self, *, inputs: Mapping[str, str | Path] | None = None, batch: str | None = None,
                 params: Mapping[str, Any] | None = None,
                 sweep: Mapping[str, Sequence[Any]] | None = None, out: str | Path | None = None,
                 jobs: int | None = None, use_cache: bool = True,
                 on_event: Callable[[RunEvent], None] | None = None,
                 backend: str = DEFAULT_BACKEND, targets: Sequence[str] | None = None,
                 gpus: Sequence[str] | None = None, timeout: str | float | None = None,
                 docker_hosts: Sequence[str] | None = None,
                 memory_limit: str | float | None = None, registry: str | None = None) -> RunSpec:
        """Check the arguments of :meth:`run` and say what the run does, running nothing."""
        given, pattern = check_inputs(inputs), check_batch(batch)
        overrides, grid = check_params(params), check_sweep(sweep)
        out_dir = check_path("out", out) or Path("results") / _safe_name(self.workflow.name)
        jobs = check_jobs_limit(check_jobs(jobs)) or os.cpu_count() or 1
        use_cache = check_flag("use_cache", use_cache)
        emit = check_callback("on_event", on_event) or (lambda event: None)
        backend_name, gpu_ids = check_backend(backend), check_gpus(gpus)
        graph = _limited(self.graph, check_timeout(timeout))
        chosen = check_targets(targets, graph.order)
        items = (batch_items(self.workflow, pattern, given) if pattern is not None
                 else [single_item(self.workflow, given)])
        plan = plan_run(graph, items, params=overrides, grid=grid, batch=pattern is not None)
        return RunSpec(graph, plan, pattern is not None, out_dir, jobs, use_cache, emit,
                       targets=chosen, backend=backend_name, gpu_ids=gpu_ids,
                       docker_hosts=check_docker_hosts(docker_hosts),
                       memory_gb=check_memory_limit(memory_limit),
                       registry=check_registry(registry))




def _limited(graph: WorkflowGraph, timeout_s: float | None) -> WorkflowGraph:
    """``graph`` with every node's time limit set to ``timeout_s`` (None: the manifests')."""
    if timeout_s is None:
        return graph
    nodes = {}
    for node_id, node in graph.nodes.items():
        manifest = node.entry.manifest
        limited = manifest.model_copy(update={
            "resources": manifest.resources.model_copy(update={"timeout": timeout_s})})
        entry = dataclasses.replace(node.entry, manifest=limited)
        entry.__dict__["digest"] = node.entry.digest  # the same code: keep its hash
        nodes[node_id] = dataclasses.replace(node, entry=entry)
    return dataclasses.replace(graph, nodes=nodes)


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "workflow"
