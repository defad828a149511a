"""Graph validation: every problem, located, with suggestions, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.catalog import Catalog
from lamella.core.errors import WorkflowValidationError
from lamella.core.graph import build_graph
from lamella.core.workflow import parse_workflow


@pytest.fixture
def catalog(fixture_modules: Path) -> Catalog:
    return Catalog.discover([fixture_modules], builtin=False)


def problems(text: str, catalog: Catalog) -> list[str]:
    header = "lamella: 1\nname: t\ninputs:\n  image: {type: image}\n  table: {type: table}\nnodes:\n"
    with pytest.raises(WorkflowValidationError) as info:
        build_graph(parse_workflow(header + text), catalog)
    return [str(p) for p in info.value.problems]


def test_valid_graph_is_ordered_and_defaults_filled(catalog: Catalog) -> None:
    text = """lamella: 1
name: t
nodes:
  stats: {module: test/stats@1, in: {image: add.image}}
  add: {module: test/add@1.0, params: {amount: 2}, in: {image: gen.image}}
  gen: {module: test/gen@1.0.0}
outputs: {table: stats.table}
"""
    graph = build_graph(parse_workflow(text), catalog)
    assert graph.order == ["gen", "add", "stats"]
    assert graph.nodes["add"].params == {"amount": 2, "sleep": 0.0}
    assert graph.nodes["gen"].module_ref == "test/gen@1.0.0"
    assert graph.downstream("gen") == {"add", "stats"}
    assert graph.upstream("stats") == ["add"]


@pytest.mark.parametrize(("nodes", "expected"), [
    ("  a: {module: test/gne@1}\n",
     "node 'a': unknown module 'test/gne' (did you mean 'test/gen'?); `lamella modules list` shows "
     "the modules found (add folders with --modules or LAMELLA_MODULE_PATH)"),
    ("  a: {module: test/gen@2}\n",
     "node 'a': module 'test/gen' has no version matching '@2' (available: 1.0.0)"),
    ("  a: {module: test/gen@1}\n  b: {module: test/add@1, in: {imgae: a.image}}\n",
     "node 'b', input 'imgae': test/add has no input 'imgae' (did you mean 'image'?); its inputs: image"),
    ("  a: {module: test/gen@1}\n  b: {module: test/add@1, in: {image: a.imag}}\n",
     "node 'b', input 'image': node 'a' (test/gen) has no output 'imag' (did you mean 'image'?); "
     "its outputs: image"),
    ("  gen: {module: test/gen@1}\n  b: {module: test/add@1, in: {image: gne.image}}\n",
     "node 'b', input 'image': no node named 'gne' (did you mean 'gen'?)"),
    ("  b: {module: test/add@1, in: {image: $inputs.imag}}\n",
     "node 'b', input 'image': no workflow input 'imag' (did you mean 'image'?); declare it under "
     "'inputs:'"),
    ("  b: {module: test/add@1, in: {image: $inputs.table}}\n",
     "node 'b', input 'image': type mismatch: table cannot feed image (a table cannot be shown as "
     "an image; use a plot module) (from $inputs.table)"),
    ("  b: {module: test/stats@1}\n", "node 'b': required input 'image' (image) is not connected"),
    ("  a: {module: test/gen@1, params: {valu: 3}}\n",
     "node 'a', parameter 'valu': unknown parameter (did you mean 'value'?); test/gen takes: value, size"),
    ("  a: {module: test/gen@1, params: {value: 300}}\n",
     "node 'a', parameter 'value': must be between 0 and 255, got 300"),
    ("  a: {module: test/gen@1, params: {value: 2.5}}\n",
     "node 'a', parameter 'value': must be a whole number, got 2.5"),
    ("  a: {module: test/crash@1, params: {mode: segfalt}, in: {image: $inputs.image}}\n",
     "node 'a', parameter 'mode': 'segfalt' is not one of 'ok', 'raise', 'exit', 'segfault', 'fail', "
     "'no-output' (did you mean 'segfault'?)"),
])
def test_each_problem_message(nodes: str, expected: str, catalog: Catalog) -> None:
    assert problems(nodes, catalog) == [expected]


def test_cycles_are_named_in_data_flow_order(catalog: Catalog) -> None:
    text = ("  p: {module: test/pair@1, in: {a: q.image, b: $inputs.image}}\n"
            "  q: {module: test/pair@1, in: {a: r.image, b: $inputs.image}}\n"
            "  r: {module: test/pair@1, in: {a: p.image, b: $inputs.image}}\n")
    assert problems(text, catalog) == [
        "graph: cycle p -> r -> q -> p; a workflow must not loop back on itself"]


def test_output_must_name_node_output(catalog: Catalog) -> None:
    text = "  a: {module: test/gen@1}\noutputs: {result: a.imge, raw: $inputs.image}\n"
    assert problems(text, catalog) == [
        "output 'result': node 'a' (test/gen) has no output 'imge' (did you mean 'image'?); its "
        "outputs: image",
        "output 'raw': a workflow output must come from a node ('node.port')",
    ]


def test_all_problems_at_once(catalog: Catalog) -> None:
    text = ("  a: {module: test/gne@1}\n"
            "  b: {module: test/add@1, params: {amount: 500}, in: {image: a.image}}\n"
            "  c: {module: test/stats@1, in: {image: b.table}}\n")
    found = problems(text, catalog)
    assert [p.split(":")[0] for p in found] == [
        "node 'a'", "node 'b', parameter 'amount'", "node 'c', input 'image'"]


def test_validation_error_names_the_file(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    text = "lamella: 1\nname: t\nnodes:\n  a: {module: test/gen@1, params: {value: -1}}\n"
    with pytest.raises(WorkflowValidationError) as info:
        build_graph(parse_workflow(text, source=path), catalog)
    assert str(info.value) == (f"{path}: 1 problem in workflow\n"
                               "  - node 'a', parameter 'value': must be between 0 and 255, got -1")
