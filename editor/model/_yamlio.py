"""Reading and writing workflow text with ruamel.yaml's round-trip mode.

The runner reads workflows with PyYAML's safe loader (YAML 1.1 scalars, with only ``true``
and ``false`` as booleans); ruamel.yaml writes YAML 1.2. Values the editor writes are
therefore checked against the runner's own loader and quoted where the two would read them
differently (``'1:30'`` is a number to YAML 1.1), so a saved file means to the runner what
the editor showed.
"""

from __future__ import annotations

import datetime
import io
import math
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from lamella.core.workflow import parse_value

__all__ = ["TextFormat", "plain", "read_document", "write_document", "yaml_value"]

# Wide enough that no line of a workflow is ever re-wrapped (files keep their own lines).
_WIDTH = 4096


@dataclass(frozen=True)
class TextFormat:
    """How a file was laid out, so it is written back the same way."""

    indent: int = 2
    sequence_offset: int = 0
    explicit_start: bool = False
    crlf: bool = False


class _Representer(RoundTripRepresenter):
    """Round-trip representer whose new floats always read back as floats in YAML 1.1."""


def _represent_float(representer: RoundTripRepresenter, value: float) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:float", _float_text(value))


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if exponent and "." not in mantissa:  # YAML 1.1 reads '1e-05' as text, '1.0e-05' as a float
        text = f"{mantissa}.0e{exponent}"
    return text


_Representer.add_representer(float, _represent_float)


def _yaml(text_format: TextFormat) -> YAML:
    yaml = YAML()  # round trip: keeps comments, key order, flow/block style and quotes
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.explicit_start = text_format.explicit_start
    yaml.indent(mapping=text_format.indent,
                sequence=text_format.indent + text_format.sequence_offset,
                offset=text_format.sequence_offset)
    return yaml


def read_document(text: str) -> tuple[Any, TextFormat]:
    """Parse workflow text; raises ruamel.yaml's errors for text that is not YAML."""
    try:
        data, indent, sequence_offset = load_yaml_guess_indent(text, yaml=_yaml(TextFormat()))
    except IndexError:  # ruamel.yaml's indent guess fails on a list item with nothing after '-'
        data, indent, sequence_offset = _yaml(TextFormat()).load(text), None, None
    text_format = TextFormat(indent=indent or 2, sequence_offset=sequence_offset or 0,
                             explicit_start=text.lstrip().startswith("---"),
                             crlf="\r\n" in text)
    return data, text_format


def write_document(document: Any, text_format: TextFormat) -> str:
    """The document as text, in the file's own layout."""
    stream = io.StringIO()
    _yaml(text_format).dump(document, stream)
    text = stream.getvalue()
    return text.replace("\n", "\r\n") if text_format.crlf else text


def yaml_value(value: Any) -> Any:
    """A Python value ready to put in the document: the runner reads it back unchanged."""
    if isinstance(value, str):
        try:
            same = parse_value(value) == value and isinstance(parse_value(value), str)
        except ValueError:
            same = False
        return value if same else SingleQuotedScalarString(value)
    if isinstance(value, dict):
        result = CommentedMap({str(k): yaml_value(v) for k, v in value.items()})
        result.fa.set_flow_style()
        return result
    if isinstance(value, list | tuple):
        items = CommentedSeq([yaml_value(v) for v in value])
        items.fa.set_flow_style()
        return items
    return value


def plain(value: Any) -> Any:
    """The document as plain dicts, lists and scalars, as the runner's loader gives them."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime.datetime):
        return datetime.datetime.fromisoformat(value.isoformat())
    return value
