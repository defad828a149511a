"""The dependency graph's ordering, reachability and cycle naming."""

from __future__ import annotations

import pytest

from lamella.core.graph._dag import MAX_CYCLES_REPORTED, DependencyGraph


def graph_of(nodes: str, edges: str) -> DependencyGraph:
    graph = DependencyGraph(nodes.split())
    for edge in edges.split():
        source, target = edge.split(">")
        graph.add_edge(source, target)
    return graph


def test_order_puts_every_node_after_its_sources_and_keeps_given_order_for_ties() -> None:
    graph = graph_of("load smooth mask measure plot overlay",
                     "load>smooth smooth>mask mask>measure measure>plot load>overlay mask>overlay")
    assert graph.topological_order() == ["load", "smooth", "mask", "measure", "overlay", "plot"]


def test_order_refuses_a_cycle() -> None:
    with pytest.raises(ValueError, match="cycle"):
        graph_of("a b", "a>b b>a").topological_order()


def test_descendants_and_predecessors() -> None:
    graph = graph_of("a b c d e", "a>b b>c a>d e>d")
    assert graph.descendants("a") == {"b", "c", "d"}
    assert graph.descendants("c") == set()
    assert graph.predecessors("d") == {"a", "e"}


def test_every_elementary_cycle_is_named_once_shortest_first() -> None:
    # Two loops sharing node b, plus a self-loop; the acyclic tail x -> y is not reported.
    graph = graph_of("a b c d s x y", "a>b b>a b>c c>d d>b s>s x>y")
    assert graph.cycles() == [["s"], ["a", "b"], ["b", "c", "d"]]


def test_cycles_through_a_dense_knot_are_capped() -> None:
    names = [f"n{i}" for i in range(8)]
    graph = DependencyGraph(names)
    for source in names:
        for target in names:
            if source != target:
                graph.add_edge(source, target)
    assert len(graph.cycles()) == MAX_CYCLES_REPORTED
