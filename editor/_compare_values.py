"""Which values "Try values…" proposes for a parameter, and reading the list the user edits.

Numbers get half, the same and one and a half times the current value, rounded to three
significant digits (whole numbers for ints) and kept inside the manifest's range; quantities
keep their unit; choices are all offered, up to six. A parameter left to 'auto' is scaled
from the value the module chose for it on the current image, when that is known, and 'auto'
itself stays in the list. Qt-free, so the rules are tested without a window.
"""

from __future__ import annotations

import math
from typing import Any

from lamella.core.manifest import EnumParam, FloatParam, IntParam, ParamSpec, QuantityParam
from lamella.core.manifest._params import AUTO
from lamella.core.units import Quantity, parse_quantity
from lamella.runner._sweep import value_text

__all__ = ["MAX_CHOICES", "MAX_VALUES", "comparable", "parse_values", "propose_values", "values_text"]

MAX_CHOICES = 6  # a grid of six cells still fits a screen; more would be too small to judge
MAX_VALUES = 12  # one run per value: a longer list is a batch job, not a side-by-side look
_FACTORS = (0.5, 1.0, 1.5)
_SIGNIFICANT = 3  # '0.075', '12.3 nm': as precise as a difference between cells can be seen


def comparable(spec: ParamSpec) -> bool:
    """Whether values of this parameter can be compared side by side (numbers, sizes, choices)."""
    return isinstance(spec, IntParam | FloatParam | QuantityParam | EnumParam)


def propose_values(spec: ParamSpec, current: Any, *, resolved: Any = None) -> list[Any]:
    """The values to compare first; ``resolved`` is what 'auto' chose, if known."""
    if isinstance(spec, EnumParam):
        return _choices(spec, current)
    if isinstance(spec, QuantityParam):
        return _quantities(spec, current, resolved)
    if isinstance(spec, IntParam | FloatParam):
        return _numbers(spec, current, resolved)
    raise ValueError(f"values of a {spec.type} parameter are not compared; choose them directly")


def _choices(spec: EnumParam, current: Any) -> list[Any]:
    chosen = list(spec.choices[:MAX_CHOICES])
    if current in spec.choices and current not in chosen:
        chosen[-1] = current  # the value in use is always one of the cells
        chosen.sort(key=spec.choices.index)
    return chosen


def _numbers(spec: IntParam | FloatParam, current: Any, resolved: Any) -> list[Any]:
    base = _number(current)
    if base is None and current == AUTO:
        base = _number(resolved)
    if base is None:
        base = _number(spec.default)
    values = _around(base, integer=isinstance(spec, IntParam), low=spec.min, high=spec.max)
    return [AUTO, *[v for v in values if v != base]] if current == AUTO else values


def _quantities(spec: QuantityParam, current: Any, resolved: Any) -> list[Any]:
    power = 1 if spec.dimension == "length" else 2
    base = _quantity(current, power) or (_quantity(resolved, power) if current == AUTO else None)
    base = base or _quantity(spec.default, power) or Quantity(0.0, "nm" if spec.physical else "px", power)
    low = 0.0 if not spec.physical else None  # sizes are never negative
    numbers = _around(base.value, integer=False, low=low, high=None)
    if spec.physical:
        numbers = [n for n in numbers if n > 0]
    values = [str(Quantity(n, base.unit, power)) for n in numbers]
    if current == AUTO:
        return [AUTO, *[v for v in values if v != str(base)]]
    return values


def _around(base: float | None, *, integer: bool, low: float | None, high: float | None) -> list[Any]:
    """Half, the same and 1.5 times ``base``, rounded, clamped, without repeats, ascending."""
    if base is None or base == 0:
        # Zero (or no value at all) has no scale to multiply: step up from the bottom instead,
        # by 1 or, in a range narrower than 2, by half of it.
        start = max(low, 0.0) if low is not None else 0.0
        step = 1.0 if high is None or high - start >= 2 else (high - start) / 2
        candidates = [start + i * step for i in range(len(_FACTORS))]
    else:
        candidates = [base * factor for factor in _FACTORS]
    values: list[Any] = []
    for number in candidates:
        rounded = _rounded(number, integer=integer)
        clamped = min(max(rounded, low if low is not None else rounded),
                      high if high is not None else rounded)
        value = int(clamped) if integer else float(clamped)
        if value not in values:
            values.append(value)
    return sorted(values)


def _rounded(number: float, *, integer: bool) -> float:
    if integer:
        return float(math.floor(number + 0.5))  # halves up: 7.5 -> 8 (round() gives even)
    return float(f"{number:.{_SIGNIFICANT}g}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _quantity(value: Any, power: int) -> Quantity | None:
    if value is None or value == AUTO:
        return None
    try:
        quantity = parse_quantity(value, power=power)
    except ValueError:
        return None
    return quantity if math.isfinite(quantity.value) else None


# ----- the list as the user edits it ---------------------------------------------------------
def values_text(values: list[Any]) -> str:
    """The list as the dialog shows it: ``'li, otsu'``, ``'4 nm, 8 nm, 12 nm'``."""
    return ", ".join(value_text(v) for v in values)


def parse_values(spec: ParamSpec, text: str, *, name: str) -> list[Any]:
    """The comma-separated ``text`` as values of ``spec``; ValueError (one line) if one is wrong."""
    values: list[Any] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        value = _parse_one(spec, part)
        problem = spec.check(value)
        if problem:
            raise ValueError(f"{name}: {problem}")  # the manifest's check quotes the value
        if value not in values:
            values.append(value)
    if len(values) > MAX_VALUES:
        raise ValueError(f"{name}: compare at most {MAX_VALUES} values at once (got {len(values)})")
    if not values:
        raise ValueError(f"{name}: type the values to compare, separated by commas")
    return values


def _parse_one(spec: ParamSpec, text: str) -> Any:
    if text == AUTO and getattr(spec, "auto", False):
        return AUTO
    if isinstance(spec, EnumParam):
        return next((c for c in spec.choices if str(c) == text), text)
    if isinstance(spec, IntParam):
        try:
            return int(text)
        except ValueError:
            return text  # the manifest's check names what is expected
    if isinstance(spec, FloatParam):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(spec, QuantityParam):
        quantity = _quantity(text, 1 if spec.dimension == "length" else 2)
        return str(quantity) if quantity is not None else text  # '8nm' is written '8 nm'
    return text
