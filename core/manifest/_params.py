"""Parameter specifications: one small model per parameter type.

Each spec can check a value a workflow gives it and say, in one line, what is wrong.
"""

from __future__ import annotations

import math
import re
from abc import abstractmethod
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lamella.core._suggest import did_you_mean
from lamella.core.units import Quantity, parse_quantity

__all__ = [
    "AUTO",
    "BoolParam",
    "EnumParam",
    "FloatParam",
    "IntParam",
    "ParamSpec",
    "QuantityParam",
    "StringParam",
    "format_duration",
    "parse_duration",
]


AUTO = "auto"
"""The one spelling of "let the module choose from the data" for every parameter type that
allows it (``"auto": true`` in the manifest). null means "not set" (no limit, keep all)."""


class _AutoMixin(BaseModel):
    """Numbers and quantities may allow 'auto': the module estimates the value from the data."""

    auto: bool = Field(
        default=False,
        description="If true, the value 'auto' is also accepted: the module estimates the value "
        "from its input, reports the value it chose (log and run record) and documents the rule "
        "in the parameter's description.",
    )

    def _auto_ok(self, value: Any) -> bool:
        return self.auto and value == AUTO

    def _auto_hint(self) -> str:
        return " or 'auto'" if self.auto else ""


class _ParamBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        description="What the parameter does, for the user, in one or two sentences."
    )
    label: str | None = Field(
        default=None, description="Short label for the editor; defaults to the parameter name."
    )
    nullable: bool = Field(
        default=False,
        description="If true, null is a valid value (meaning 'not set' / 'automatic').",
    )
    visible_if: dict[str, Any] | None = Field(
        default=None,
        description="Show this parameter in the editor only when other parameters have these "
        "values, e.g. {\"method\": \"manual\"}. The runner ignores it.",
    )
    advanced: bool = Field(
        default=False, description="If true, the editor folds this parameter away by default."
    )

    def _default_valid(self) -> Any:
        """Refuse a default that the parameter's own rule refuses (call from validators)."""
        if not self.required and (reason := self.check(getattr(self, "default", None))):
            raise ValueError(f"default {reason}")
        return self

    @property
    def required(self) -> bool:
        """A parameter without a default must be set by every workflow that uses the module."""
        return "default" not in self.model_fields_set

    def summary(self) -> str:
        """One line for listings: the default (or 'required') and the allowed values."""
        default = "required" if self.required else f"default {getattr(self, 'default', None)!r}"
        rule = self._rule_text()
        return f"{default}; {rule}" if rule else default

    def _rule_text(self) -> str:
        return ""

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not valid for this parameter, or None if it is."""
        if value is None:
            return None if self.nullable else "must be set (null is not allowed here)"
        return self._check_value(value)

    @abstractmethod
    def _check_value(self, value: Any) -> str | None:
        """Check a non-null value against this parameter type's rule."""


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum:g} and {maximum:g}"
    if minimum is not None:
        return f"at least {minimum:g}"
    return f"at most {maximum:g}"


class _NumberParam(_ParamBase, _AutoMixin):
    min: float | None = Field(default=None, description="Smallest allowed value (inclusive).")
    max: float | None = Field(default=None, description="Largest allowed value (inclusive).")

    @model_validator(mode="after")
    def _range_consistent(self) -> _NumberParam:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is larger than max ({self.max:g})")
        return self._default_valid()

    def _rule_text(self) -> str:
        if self.min is None and self.max is None:
            return "'auto' allowed" if self.auto else ""
        return _range_text(self.min, self.max) + (", or 'auto'" if self.auto else "")

    def _range_problem(self, value: float) -> str | None:
        too_low = self.min is not None and value < self.min
        too_high = self.max is not None and value > self.max
        if too_low or too_high:
            return f"must be {_range_text(self.min, self.max)}, got {value:g}"
        return None


class IntParam(_NumberParam):
    """A whole number, optionally bounded."""

    type: Literal["int"] = Field(description="Parameter type.")
    default: int | Literal["auto"] | None = Field(
        default=None, description="Value used when a workflow omits it ('auto' if allowed).")

    def _check_value(self, value: Any) -> str | None:
        if self._auto_ok(value):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number{self._auto_hint()}, got {value!r}"
        return self._range_problem(value)


class FloatParam(_NumberParam):
    """A real number, optionally bounded."""

    type: Literal["float"] = Field(description="Parameter type.")
    default: float | Literal["auto"] | None = Field(
        default=None, description="Value used when a workflow omits it ('auto' if allowed).")

    def _check_value(self, value: Any) -> str | None:
        if self._auto_ok(value):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number{self._auto_hint()}, got {value!r}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        return self._range_problem(float(value))


class BoolParam(_ParamBase):
    """A yes/no switch."""

    type: Literal["bool"] = Field(description="Parameter type.")
    default: bool | None = Field(default=None, description="Value used when a workflow omits it.")

    def _check_value(self, value: Any) -> str | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off"):
            return f"must be true or false, got '{value}' (write true or false)"
        return f"must be true or false, got {value!r}"


class StringParam(_ParamBase):
    """Free text, optionally matching a regular expression."""

    type: Literal["string"] = Field(description="Parameter type.")
    default: str | None = Field(default=None, description="Value used when a workflow omits it.")
    pattern: str | None = Field(
        default=None, description="Regular expression the whole value must match."
    )
    format: Literal["file", "folder"] | None = Field(
        default=None,
        description="If the value is a path: 'file' or 'folder', and the editor offers a file or "
        "folder picker beside the text. The runner treats the value as plain text.",
    )

    def _check_value(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be text, got {value!r}"
        if self.pattern and not re.fullmatch(self.pattern, value):
            return f"'{value}' does not match the pattern {self.pattern}"
        return None


class EnumParam(_ParamBase):
    """One value out of a fixed list of choices."""

    type: Literal["enum"] = Field(description="Parameter type.")
    choices: list[str | int] = Field(min_length=1, description="The allowed values.")
    default: str | int | None = Field(
        default=None, description="Value used when a workflow omits it; one of the choices."
    )

    def _rule_text(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))

    @model_validator(mode="after")
    def _default_in_choices(self) -> EnumParam:
        return self._default_valid()

    def _check_value(self, value: Any) -> str | None:
        if value in self.choices and not isinstance(value, bool):
            return None
        options = ", ".join(repr(c) for c in self.choices)
        return f"{value!r} is not one of {options}{did_you_mean(str(value), map(str, self.choices))}"


class QuantityParam(_ParamBase, _AutoMixin):
    """A physical length or area written with its unit (``'20 nm'``, ``'500 um^2'``, ``'30 px^2'``).

    A bare number means pixels. Modules convert it with the image's pixel size.
    """

    type: Literal["quantity"] = Field(description="Parameter type.")
    dimension: Literal["length", "area"] = Field(description="Whether the value is a length or an area.")
    physical: bool = Field(
        default=False,
        description="If true, the value must carry a physical unit larger than 0 (e.g. a pixel "
        "size, '2.5 nm'): pixels and bare numbers are refused.",
    )
    default: str | float | None = Field(
        default=None, description="Value used when a workflow omits it, e.g. '0 px^2'."
    )

    def _rule_text(self) -> str:
        rule = "a length, e.g. '20 nm'" if self.dimension == "length" else "an area, e.g. '500 nm^2'"
        return rule + (", or 'auto'" if self.auto else "")

    @model_validator(mode="after")
    def _default_parses(self) -> QuantityParam:
        return self._default_valid()

    def _check_value(self, value: Any) -> str | None:
        if self._auto_ok(value):
            return None
        try:
            quantity = parse_quantity(value, power=1 if self.dimension == "length" else 2)
        except ValueError as exc:
            return str(exc) + (" (or 'auto')" if self.auto else "")
        if not math.isfinite(quantity.value):
            return f"must be a finite {self.dimension}, got '{value}'"
        if self.physical:
            return self._physical_problem(value, quantity)
        return f"must not be negative, got '{value}'" if quantity.value < 0 else None

    @staticmethod
    def _physical_problem(value: Any, quantity: Quantity) -> str | None:
        if quantity.unit == "px":
            return (f"'{value}' is in pixels; give a physical size with its unit, e.g. '2.5 nm' or "
                    "'0.65 um'")
        return f"must be larger than 0, got '{value}'" if quantity.value <= 0 else None


ParamSpec = Annotated[
    IntParam | FloatParam | BoolParam | StringParam | EnumParam | QuantityParam,
    Field(discriminator="type"),
]


# ----- durations (a module's resources.timeout, a run's --timeout) -------------------------
_SECONDS_PER_UNIT: dict[str, float] = {
    "ms": 0.001, "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0,
    "min": 60.0, "minute": 60.0, "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0,
}
_DURATION = re.compile(r"^\s*(?P<value>\d+(\.\d*)?|\.\d+)\s*(?P<unit>[a-z]+)?\s*$")


def parse_duration(value: Any) -> float:
    """Seconds in a duration written as users write quantities: ``'10 min'``, ``'90 s'``, ``'2 h'``.

    A bare number (or numeric text) is seconds. Raises ValueError, with an example, for
    anything else, and for zero, negative or infinite durations.
    """
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.lower())):
        unit = match["unit"] or "s"
        if unit in _SECONDS_PER_UNIT:
            seconds = float(match["value"]) * _SECONDS_PER_UNIT[unit]
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("expected a duration above 0 such as '10 min', '90 s' or '2 h' (a bare "
                         f"number is seconds), got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """A duration in its largest whole unit: ``'10 min'``, ``'2 h'``, ``'90 s'``, ``'0.25 s'``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
