"""What :meth:`Analysis.validate` returns: the validated graph, with a short summary.

>>> check = analysis.validate()                                              # doctest: +SKIP
>>> check
<Validation nanoparticle-size-distribution: 8 nodes, ok>
>>> check.branches()                                                         # doctest: +SKIP
[['load', 'smooth', 'segment', 'separate', 'edge', 'measure', 'histogram'],
 ['load', 'overlay'], ['edge', 'overlay']]
"""

from __future__ import annotations

import dataclasses

from lamella.core.graph import WorkflowGraph

__all__ = ["Validation", "branches"]


class Validation(WorkflowGraph):
    """A workflow that passed validation: the :class:`WorkflowGraph`, true, with ``ok``.

    An invalid workflow never gets this far: validation raises
    :class:`lamella.core.errors.WorkflowValidationError` listing every problem.
    """

    @classmethod
    def of(cls, graph: WorkflowGraph) -> Validation:
        """The validation result of an already validated graph."""
        return cls(**{f.name: getattr(graph, f.name) for f in dataclasses.fields(graph)})

    @property
    def ok(self) -> bool:
        """True: the workflow is valid (an invalid one raises instead)."""
        return True

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        count = len(self.order)
        return f"<Validation {self.workflow.name}: {count} node{'' if count == 1 else 's'}, ok>"

    def branches(self) -> list[list[str]]:
        """The graph as chains of node ids; see :func:`branches`."""
        return branches(self)


def branches(graph: WorkflowGraph) -> list[list[str]]:
    """The graph as chains of node ids in which every wire between two nodes appears once.

    The first chain starts at the first node and follows each node's first dependant in
    run order (:attr:`WorkflowGraph.order`). Each further dependant of a node starts a chain
    of its own at that node (``edge -> overlay``); these come next, in run order, then the
    chains of other nodes that read nothing. A node that two chains reach (it reads from
    both) is followed onward only in the chain that reached it first.
    """
    position = {node: i for i, node in enumerate(graph.order)}
    children: dict[str, list[str]] = {node: [] for node in graph.order}
    for node in graph.order:
        for parent in graph.upstream(node):
            children[parent].append(node)
    for kids in children.values():
        kids.sort(key=position.__getitem__)
    starts = [(node, None) for node in graph.order if not graph.upstream(node)]
    pending: list[tuple[str, str]] = []  # (node, dependant) wires still to show
    reached: set[str] = set()
    chains: list[list[str]] = []
    while starts or pending:
        if pending:
            pending.sort(key=lambda wire: (position[wire[0]], position[wire[1]]))
            first, then = pending.pop(0)
            chain = [first, then]
        else:
            chain = [starts.pop(0)[0]]
        chains.append(chain)
        _follow(chain, children, reached, pending)
    return chains


def _follow(chain: list[str], children: dict[str, list[str]], reached: set[str],
            pending: list[tuple[str, str]]) -> None:
    """Extend ``chain`` through first dependants, queueing the other dependants' wires.

    It stops at a node with no dependants, or at one reached before: that node's onward
    wires belong to the chain that reached it first.
    """
    node = chain[-1]
    while node not in reached:
        reached.add(node)
        kids = children[node]
        if not kids:
            return
        pending += [(node, kid) for kid in kids[1:]]
        node = kids[0]
        chain.append(node)
