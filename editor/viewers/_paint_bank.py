"""The live classifier's features: the ones the training step's parameters choose.

So the prediction shown while painting looks at what the workflow's training will look at,
the step's ``features`` (a preset or ``custom`` with ``groups``) and ``scales`` (pixels, or
lengths through the image's pixel size) are read as the pixel-classifier-train module reads
them (its ``settings.py``). A step without these parameters, or values the module would
refuse, gets the library's default bank, and :func:`live_bank` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lamella.core.manifest import Manifest
from lamella.core.sdk import Calibration
from lamella.core.units import parse_quantity

if TYPE_CHECKING:
    from lamella.core.sdk.ml.features import FeatureBank

__all__ = ["live_bank"]

# The presets of lamella/pixel-classifier-train's 'features' parameter (its settings.py);
# 'all' is every group the library has.
_PRESETS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "ilastik": ("intensity", "gaussian", "dog", "log", "gradient", "hessian", "structure"),
    "intensity": ("intensity", "gaussian"),
}


def live_bank(manifest: Manifest | None, params: Mapping[str, Any],
              calibration: Calibration | None) -> tuple[FeatureBank, str]:
    """``(bank, '')`` for the step's feature parameters, or ``(default bank, why not)``."""
    from lamella.core.sdk.ml.features import FEATURE_GROUPS, FeatureBank  # scipy: when painting

    if manifest is None or "features" not in manifest.parameters or "scales" not in manifest.parameters:
        return FeatureBank(), ""

    def value(name: str) -> Any:
        spec = manifest.parameters.get(name)
        return params.get(name, getattr(spec, "default", None))

    try:
        choice = value("features")
        if choice == "custom":
            groups: tuple[str, ...] = tuple(_split(value("groups")))
        elif choice in _PRESETS:
            groups = _PRESETS[choice] or FEATURE_GROUPS
        else:
            raise ValueError(f"features '{choice}' is not one of {', '.join([*_PRESETS, 'custom'])}")
        return FeatureBank(sigmas=_sigmas(value("scales"), calibration), groups=groups), ""
    except ValueError as exc:
        return FeatureBank(), f"live training uses the default features ({exc})"


def _sigmas(text: Any, calibration: Calibration | None) -> tuple[float, ...]:
    sigmas = []
    for item in _split(text):
        quantity = parse_quantity(item, power=1)
        sigmas.append(round(quantity.to_pixels(calibration.x if calibration else None,
                                               calibration.unit if calibration else None,
                                               calibration.y if calibration else None), 4))
    if not sigmas:
        raise ValueError("scales is empty")
    return tuple(sigmas)


def _split(text: Any) -> list[str]:
    return [part.strip() for part in str(text or "").split(",") if part.strip()]
