"""The field names a model accepts at a location, for "did you mean" hints on unknown keys."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

__all__ = ["field_names_at"]


def field_names_at(root: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """Names accepted in the mapping that holds ``location`` (whose last step is the bad key).

    Walks models, ``dict`` values, lists and tagged unions the way pydantic's error location
    does; returns an empty list where the walk cannot follow.
    """
    current: Any = root
    for step in location[:-1]:
        current = _step(current, step)
        if current is None:
            return []
    model = _unwrap(current)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _step(annotation: Any, step: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
        return None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return args[1]
    if origin in (list, tuple):
        return args[0]
    if _is_union(annotation):
        return next((member for member in args if _tag_of(member) == step), None)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds the fields."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _is_union(annotation) and type(None) in typing.get_args(annotation):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        else:
            return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _tag_of(member: Any) -> Any:
    """The ``type`` literal of a tagged-union member model (e.g. 'float' for FloatParam)."""
    if not (isinstance(member, type) and issubclass(member, BaseModel)):
        return None
    info = member.model_fields.get("type")
    literal = typing.get_args(info.annotation) if info is not None else ()
    return literal[0] if len(literal) == 1 else None
