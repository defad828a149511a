"""A step's own ``resources:`` in the workflow, over its module's manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.errors import WorkflowValidationError
from lamella.core.workflow import load_workflow
from lamella.runner import Analysis

WORKFLOW = """\
lamella: 1
name: res
nodes:
  gen: {{module: test/gen@1}}
  a: {{module: test/add@1, in: {{image: gen.image}}, resources: {resources}}}
outputs: {{a: a.image}}
"""


def _analysis(tmp_path: Path, fixture_modules: Path, resources: str) -> Analysis:
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.format(resources=resources))
    return Analysis.load(path, modules=[fixture_modules])


def test_a_step_overrides_its_modules_gpu_memory_and_timeout(tmp_path: Path, fixture_modules: Path) -> None:
    graph = _analysis(tmp_path, fixture_modules, "{gpu: optional, memory_gb: 0.5, timeout: 2 min}").graph
    changed, plain = graph.nodes["a"].entry, graph.nodes["gen"].entry
    assert (changed.manifest.resources.gpu, changed.manifest.resources.memory_gb,
            changed.manifest.resources.timeout) == ("optional", 0.5, 120.0)
    assert changed.manifest.resources.threads == 1  # what the step does not say stays the module's
    assert plain.manifest.resources.gpu == "none"
    untouched = _analysis(tmp_path, fixture_modules, "{}").graph.nodes["a"].entry
    assert changed.digest == untouched.digest  # the same code: the same cache key


def test_a_wrong_resource_is_named_with_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.format(resources="{gpu: maybe, memory: 2}"))
    with pytest.raises(Exception) as caught:
        load_workflow(path)
    text = str(caught.value)
    assert "nodes.a.resources.gpu: 'maybe' is not allowed; use 'none', 'optional' or 'required'" in text
    assert "nodes.a.resources.memory" in text
    assert not isinstance(caught.value, WorkflowValidationError)
