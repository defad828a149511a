"""The node dependency graph: which node reads which, in plain dictionaries.

Workflows have tens of nodes, so simple algorithms suffice; a graph library would cost the
command line more start-up time (a warm, fully cached run is mostly start-up) than it saves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["DependencyGraph"]

# A workflow with this many separate loops has a structural mistake; naming more helps nobody.
MAX_CYCLES_REPORTED = 20


class DependencyGraph:
    """Directed graph whose edge ``a -> b`` means node ``b`` reads an output of node ``a``."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self._successors: dict[str, set[str]] = {node: set() for node in nodes}
        self._predecessors: dict[str, set[str]] = {node: set() for node in self._successors}
        self._rank = {node: index for index, node in enumerate(self._successors)}

    def add_edge(self, source: str, target: str) -> None:
        """Record that ``target`` reads from ``source``; both must be nodes already."""
        self._successors[source].add(target)
        self._predecessors[target].add(source)

    @property
    def nodes(self) -> list[str]:
        """Every node, in the order given."""
        return list(self._successors)

    def predecessors(self, node: str) -> set[str]:
        """Nodes that ``node`` reads from directly."""
        return set(self._predecessors[node])

    def descendants(self, node: str) -> set[str]:
        """Every node reachable from ``node`` (not including itself unless on a cycle)."""
        seen: set[str] = set()
        stack = list(self._successors[node])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._successors[current])
        return seen

    def topological_order(self) -> list[str]:
        """Nodes with every node after all it reads from; ties keep the given order.

        Raises ``ValueError`` if the graph has a cycle (callers check cycles first).
        """
        waiting = {node: len(sources) for node, sources in self._predecessors.items()}
        ready = [node for node, count in waiting.items() if count == 0]
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for target in self._in_given_order(self._successors[node]):
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
        if len(order) != len(waiting):
            raise ValueError("the graph has a cycle")
        return order

    def cycles(self) -> list[list[str]]:
        """Elementary cycles, each starting at its alphabetically first node, shortest first."""
        try:
            self.topological_order()  # linear: most graphs have no cycle to search for
            return []
        except ValueError:
            pass
        found: list[list[str]] = []
        for start in sorted(self._successors):
            for cycle in self._cycles_through(start):
                found.append(cycle)
                if len(found) >= MAX_CYCLES_REPORTED:
                    return sorted(found, key=lambda c: (len(c), c))
        return sorted(found, key=lambda c: (len(c), c))

    def _cycles_through(self, start: str) -> Iterator[list[str]]:
        """Cycles whose alphabetically first node is ``start`` (so each is found once)."""
        path = [start]
        branches = [iter(sorted(self._successors[start]))]
        while branches:
            step = next(branches[-1], None)
            if step is None:
                branches.pop()
                path.pop()
            elif step == start:
                yield list(path)
            elif step > start and step not in path:
                path.append(step)
                branches.append(iter(sorted(self._successors[step])))

    def _in_given_order(self, nodes: set[str]) -> list[str]:
        return sorted(nodes, key=self._rank.__getitem__)
