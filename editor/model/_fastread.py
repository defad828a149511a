"""Reading a workflow's plain data with libyaml, as the round-trip parser would read it.

ruamel.yaml's round-trip parser (comments kept) is pure Python: it reads a 200-node workflow
about ten times slower than libyaml. Opening and looking at a workflow only needs its plain
data, so the editor reads that with the runner's own strict loader (libyaml when installed,
its pure-Python parser if not; the same refusals of duplicate keys, keys that are mappings,
and tags) and parses the round-trip document only when something needs it.

The two parsers read some scalars differently: the runner's loader follows YAML 1.1
(``010`` is 8, ``1:30`` is 90, ``1.0e5`` is text), ruamel.yaml YAML 1.2. The editor's
data is the round-trip parser's reading, so :func:`read_plain` gives up (None) on any text
where the two could differ: a number not written plainly in decimals, a plain scalar YAML
1.2 reads as something other than what YAML 1.1 gave, an explicit tag, a date, a merge key,
a directive, and the syntax the parsers were seen to disagree on (tabs, anchors; see
``_PARSERS_MAY_DIFFER``). Workflows hold none of these in practice; such a file is read by
the round-trip parser, as before.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from ruamel.yaml.resolver import implicit_resolvers as ruamel_implicit_resolvers

from lamella.core.workflow._yaml import _StrictLoader

__all__ = ["read_plain"]

_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL, _MERGE = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"

# Numbers both YAML versions read as the same value.
_PLAIN_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_PLAIN_FLOAT = re.compile(r"^[-+]?[0-9]+\.[0-9]+(?:[eE][-+][0-9]+)?$")
_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Text the two parsers have been seen to parse differently, or only libyaml to accept: a
# directive ('%YAML 1.1' changes the reading), a tab, an anchor ('&'), a byte-order mark after
# the start, a block scalar indicator with '#' right after it ('|# note') or a blank line,
# a ':' right before the end of a flow collection or a comma ('["a":]').
_PARSERS_MAY_DIFFER = re.compile(
    r"^%|[\t&]|(?<=.)\ufeff|:[\]},]|[|>][-+0-9]*(?:#|[ ]*(?:#[^\n]*)?\r?\n[ \r]*(?:\n|$))",
    re.MULTILINE | re.DOTALL)

# ruamel.yaml's own YAML 1.2 resolvers (what its round-trip parser applies), by first character.
_YAML_12: dict[str | None, list[tuple[str, Any]]] = {}
for _versions, _tag, _regexp, _first in ruamel_implicit_resolvers:
    if (1, 2) in _versions:
        for _char in _first:
            _YAML_12.setdefault(_char, []).append((str(_tag), _regexp))


def _yaml_12_tag(value: str) -> str:
    """The tag ruamel.yaml's round-trip parser gives a plain scalar."""
    for tag, regexp in _YAML_12.get(value[:1], []):
        if regexp.match(value):
            return tag
    return _STR


class _Differs(Exception):  # a signal, not an error: read the text the slow way
    """The text holds something the round-trip parser could read differently."""


class _SameAsRoundTripLoader(_StrictLoader):  # type: ignore[misc,valid-type]
    """The runner's strict loader, stopping at anything YAML 1.2 could read differently.

    It also counts the nodes whose tag it resolved and the nodes it built: a node it built
    but did not resolve had an explicit tag, which the round-trip parser keeps (``!!str x``
    is a tagged scalar to it, not plain text).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.resolved = self.built = 0

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        self.resolved += 1
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if any(key.tag == _MERGE for key, _ in node.value):
            raise _Differs  # the parsers order merged keys differently
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node not in self.constructed_objects:  # an alias's node is built once
            self.built += 1
            if isinstance(node, yaml.ScalarNode):
                if not _same_scalar(node.tag, node.value, plain_style=not node.style):
                    raise _Differs
            elif node.tag not in (_SEQ, _MAP):
                raise _Differs  # !!set, !!omap, !!pairs (built without building their parts)
        return super().construct_object(node, deep=deep)


def _same_scalar(tag: str, value: str, *, plain_style: bool) -> bool:
    if plain_style and _yaml_12_tag(value) != tag:
        return False
    if tag == _STR:
        return True
    if tag == _INT:
        return bool(_PLAIN_INT.match(value))
    if tag == _FLOAT:
        return bool(_PLAIN_FLOAT.match(value))
    if tag == _BOOL:
        return value in _BOOLS
    if tag == _NULL:
        return value in _NULLS
    return False  # timestamps, merge keys as values, and whatever else: left to the round-trip parser


def read_plain(text: str) -> dict[str, Any] | None:
    """The workflow's plain data as the round-trip parser reads it; None if not sure.

    None too for text the runner's loader refuses or that is not a mapping: the caller reads
    such a file the slow way, which also says what is wrong with it.
    """
    if _PARSERS_MAY_DIFFER.search(text):
        return None
    loader = _SameAsRoundTripLoader(text)  # safe: plain data only, no tags
    try:
        data = loader.get_single_data()
    except (_Differs, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    if loader.built != loader.resolved:
        return None  # an explicit tag
    return data if isinstance(data, dict) else None
