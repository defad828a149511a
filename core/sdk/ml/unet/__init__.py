"""U-Net segmentation: architecture, training, tiled prediction, ONNX export.

The files of this package import PyTorch; this file does not, so a module can import
:func:`missing_ml_message` to turn a missing ``ml`` extra into one line for the user.

``model`` (the network), ``targets`` (what labels mean), ``losses``, ``augment``,
``sampling`` (training patches), ``train``, ``tiling`` (blended tiles, numpy only),
``predict`` (ensembles, resampling), ``onnx_io``, ``store`` (model files), ``device``,
``normalise`` and ``planes`` (numpy only).
"""

from __future__ import annotations

__all__ = ["ML_EXTRA", "ML_PACKAGES", "missing_ml_message"]

ML_EXTRA = 'pip install "lamella[ml]"'
ML_PACKAGES = frozenset({"torch", "onnx", "onnxruntime", "onnxscript"})


def missing_ml_message(exc: ImportError, module_id: str) -> str | None:
    """One line saying what to install, if ``exc`` is a missing ``ml`` package; else None.

    Examples
    --------
    >>> missing_ml_message(ImportError("no torch", name="torch"), "lamella/unet-train")
    'lamella/unet-train needs PyTorch (torch), which is not installed: pip install "lamella[ml]"'
    """
    package = (exc.name or "").split(".")[0]
    if package not in ML_PACKAGES:
        return None
    what = "PyTorch (torch)" if package == "torch" else package
    return f"{module_id} needs {what}, which is not installed: {ML_EXTRA}"
