"""The training parameters as the library takes them: a feature bank and class names."""

from __future__ import annotations

from lamella.core.sdk import Image, Task
from lamella.core.sdk.ml.features import FEATURE_GROUPS, FeatureBank
from lamella.core.units import parse_quantity

PRESETS = {
    "all": FEATURE_GROUPS,
    "ilastik": ("intensity", "gaussian", "dog", "log", "gradient", "hessian", "structure"),
    "intensity": ("intensity", "gaussian"),
}


def feature_bank(task: Task, image: Image) -> FeatureBank:
    """The bank the 'features', 'groups' and 'scales' parameters describe."""
    choice = task.param("features")
    groups = _split(task.param("groups")) if choice == "custom" else PRESETS[choice]
    sigmas = scales_in_pixels(task, image)
    try:
        return FeatureBank(sigmas=sigmas, groups=tuple(groups))
    except ValueError as exc:
        task.fail(f"parameter '{'groups' if 'group' in str(exc) else 'scales'}': {exc}")


def scales_in_pixels(task: Task, image: Image) -> tuple[float, ...]:
    """'scales' in pixels: bare numbers are pixels, lengths go through the pixel size."""
    cal = image.calibration
    sigmas = []
    for item in _split(task.param("scales")):
        try:
            quantity = parse_quantity(item, power=1)
            sigmas.append(quantity.to_pixels(cal.x if cal else None, cal.unit if cal else None,
                                             cal.y if cal else None))
        except ValueError as exc:
            task.fail(f"parameter 'scales': {exc}")
    if not sigmas:
        task.fail("parameter 'scales' is empty; give filter scales such as '0.7, 1, 1.6, 3.5, 5, 10'")
    if any(s != round(s, 4) for s in sigmas):
        print("scales in pixels: " + ", ".join(f"{s:.4g}" for s in sigmas))
    return tuple(round(s, 4) for s in sigmas)


def class_names(task: Task) -> list[str]:
    """The names given in 'class_names' (empty list: the library names them 'class N')."""
    return _split(task.param("class_names"))


def _split(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]
