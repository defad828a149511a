"""U-Net model files: a model artifact (``kind='unet'``) with weights, shape and metadata.

Members of the zip (see :mod:`lamella.core.sdk.ml.artifact`):

``weights.pt``
    The ``state_dict`` written by ``torch.save``; read with ``torch.load(weights_only=True)``,
    which loads tensors only and never runs code from the file.
``model.onnx``
    The same network as an ONNX graph (when exported), for ONNX Runtime or other tools.

``model.json``'s metadata holds ``architecture`` (:meth:`UNetSpec.to_dict`),
``class_names``, ``target`` (how the labels were read), ``normalisation``, ``pixel_size``
(``{"value": 2.5, "unit": "nm"}`` or null), ``training`` (settings, images, iterations)
and ``validation`` (loss and IoU on the validation patches).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lamella.core.errors import InputFileError
from lamella.core.sdk.ml.artifact import read_model, write_model
from lamella.core.sdk.ml.unet.model import UNet, UNetSpec

__all__ = ["KIND", "ONNX_MEMBER", "WEIGHTS_MEMBER", "LoadedUNet", "load_unet", "save_unet"]

KIND = "unet"
WEIGHTS_MEMBER = "weights.pt"
ONNX_MEMBER = "model.onnx"


@dataclass
class LoadedUNet:
    """A model read back: the network (evaluation mode), its metadata and its ONNX graph."""

    model: UNet
    metadata: dict[str, Any]
    onnx: bytes | None
    path: Path

    @property
    def spec(self) -> UNetSpec:
        """The network's shape."""
        return self.model.spec

    @property
    def class_names(self) -> list[str]:
        """One name per output class."""
        return list(self.metadata.get("class_names") or [])


def save_unet(path: str | Path, model: UNet, metadata: dict[str, Any], *,
              onnx: bytes | None = None) -> Path:
    """Write ``model`` with ``metadata`` (its architecture is added) to a model file."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    members = {WEIGHTS_MEMBER: buffer.getvalue()}
    if onnx is not None:
        members[ONNX_MEMBER] = onnx
    full = {**metadata, "architecture": model.spec.to_dict(),
            "members": sorted(members), "torch_version": torch.__version__}
    return write_model(path, KIND, full, members)


def load_unet(path: str | Path) -> LoadedUNet:
    """Read a U-Net model file; one-line errors for another kind or a damaged file."""
    path = Path(path)
    artifact = read_model(path, kind=KIND)
    metadata = artifact.metadata
    try:
        spec = UNetSpec.from_dict(metadata["architecture"])
        weights = artifact.members[WEIGHTS_MEMBER]
    except (KeyError, TypeError, ValueError):
        raise InputFileError(f"{path}: U-Net model without its architecture or '{WEIGHTS_MEMBER}'; "
                             "train the model again with lamella/unet-train") from None
    model = UNet(spec)
    try:
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        raise InputFileError(f"{path}: the U-Net weights do not load ({type(exc).__name__}); "
                             "train the model again with lamella/unet-train") from None
    return LoadedUNet(model.eval(), metadata, artifact.members.get(ONNX_MEMBER), path)
