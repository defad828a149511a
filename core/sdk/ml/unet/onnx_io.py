"""ONNX: a trained U-Net as an ONNX graph, and running one with ONNX Runtime.

Export uses PyTorch's TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``,
opset 17): it needs no network, takes about a second for a small U-Net and gives a graph
whose batch, height and width are free (any multiple of ``2 ** (depth - 1)``). PyTorch 2.9
and later default to the ``torch.export``-based exporter and warn that the TorchScript one
will be removed; where it is gone, :func:`export_onnx` falls back to the new exporter
(which needs ``onnxscript``, part of the ``ml`` extra, and takes about five times longer).

The graph takes ``image`` (N, C, H, W) float32, the normalised image, and gives ``logits``
(N, K, H, W); :func:`onnx_forward` applies the softmax, so it is a drop-in
:data:`tiling.Forward` for the PyTorch network.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from lamella.core.sdk.ml.unet.model import UNet
from lamella.core.sdk.ml.unet.tiling import Forward

__all__ = ["OPSET", "export_onnx", "onnx_forward"]

OPSET = 17
_INPUT, _OUTPUT = "image", "logits"


def export_onnx(model: UNet, *, exporter: str = "auto") -> bytes:
    """The network as ONNX bytes (put in evaluation mode on the CPU).

    ``exporter``: 'torchscript', 'dynamo', or 'auto' (TorchScript, else dynamo where this
    PyTorch has no TorchScript exporter any more).
    """
    model = model.to("cpu").eval()
    example = torch.zeros(1, model.spec.in_channels, 2 * model.spec.multiple,
                          2 * model.spec.multiple)
    if exporter == "dynamo":
        return _export_dynamo(model, example)
    try:
        return _export_torchscript(model, example)
    except (TypeError, AttributeError, ImportError):
        # What a PyTorch without the TorchScript exporter raises for dynamo=False.
        if exporter != "auto":
            raise
        return _export_dynamo(model, example)


def _export_torchscript(model: UNet, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        # The deprecation notices say the exporter will go; the fallback below covers that.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), buffer, dynamo=False,  # type: ignore[arg-type]
                          opset_version=OPSET,
                          input_names=[_INPUT], output_names=[_OUTPUT],
                          dynamic_axes={_INPUT: axes, _OUTPUT: axes})
    return buffer.getvalue()


def _export_dynamo(model: UNet, example: torch.Tensor) -> bytes:
    step = model.spec.multiple
    batch = torch.export.Dim("batch", min=1, max=4096)
    height = torch.export.Dim("height", min=1, max=65536 // step)
    width = torch.export.Dim("width", min=1, max=65536 // step)
    shapes = ({0: batch, 2: step * height, 3: step * width},)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (example,), dynamo=True, input_names=[_INPUT],
                                    output_names=[_OUTPUT], dynamic_shapes=shapes)
    assert program is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        program.save(os.fspath(path))
        return path.read_bytes()


def onnx_forward(graph: bytes, *, threads: int = 0) -> Forward:
    """A :data:`tiling.Forward` running ``graph`` with ONNX Runtime on the CPU.

    ``threads`` 0 lets ONNX Runtime choose (one per core).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3  # errors only: its warnings would fill the step's log
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def forward(tiles: np.ndarray) -> np.ndarray:
        logits = session.run([_OUTPUT], {_INPUT: np.ascontiguousarray(tiles, np.float32)})[0]
        return _softmax(np.asarray(logits, dtype=np.float32))

    return forward


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
