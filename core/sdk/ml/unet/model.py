"""The U-Net architecture: an encoder-decoder of 3x3 convolutions with skip connections.

Each level of the encoder holds two 3x3 convolutions (each followed by batch normalisation
and ReLU) and halves the resolution with 2x2 max pooling; the decoder doubles it again with
a 2x2 transposed convolution, joins the encoder's features of the same level and applies two
more convolutions; a 1x1 convolution gives one logit per class (Ronneberger et al. 2015,
with 'same' padding so the output has the input's size).

The net is fully convolutional: any input whose height and width are multiples of
``2 ** (depth - 1)`` works (:attr:`UNetSpec.multiple`); tiling pads to that. Batch
normalisation is per channel, so in evaluation mode the net is translation-equivariant up to
its zero padding, which is what makes tiled prediction match a whole-image pass away from
the borders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["UNet", "UNetSpec"]


@dataclass(frozen=True)
class UNetSpec:
    """The shape of a U-Net, as stored in its model file.

    Parameters
    ----------
    in_channels
        Channels of the input image (1 for grey images).
    classes
        Output classes (logits per pixel).
    depth
        Resolution levels, 1-6 (depth 1 has no pooling; each further level halves the
        resolution and doubles the channels).
    width
        Feature channels at the first level, e.g. 16.
    """

    in_channels: int = 1
    classes: int = 2
    depth: int = 3
    width: int = 16

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= 6:
            raise ValueError(f"U-Net depth must be 1-6, got {self.depth}")
        if self.width < 1 or self.in_channels < 1 or self.classes < 2:
            raise ValueError(f"U-Net needs width >= 1, in_channels >= 1 and classes >= 2, got "
                             f"{self.width}, {self.in_channels}, {self.classes}")

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (one per pooling step)."""
        return 2 ** (self.depth - 1)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain values for the model file's metadata."""
        return {"name": "unet", **asdict(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> UNetSpec:
        """Read a spec written by :meth:`to_dict`."""
        return cls(**{k: int(values[k]) for k in ("in_channels", "classes", "depth", "width")})


def _block(channels_in: int, channels_out: int) -> nn.Sequential:
    """Two 3x3 convolutions, each with batch normalisation and ReLU."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """A U-Net giving per-pixel class logits of the input's size.

    Examples
    --------
    >>> net = UNet(UNetSpec(classes=3, depth=2, width=4)).eval()
    >>> tuple(net(torch.zeros(1, 1, 8, 12)).shape)
    (1, 3, 8, 12)
    """

    def __init__(self, spec: UNetSpec) -> None:
        super().__init__()
        self.spec = spec
        widths = [spec.width * 2**level for level in range(spec.depth)]
        self.encoder = nn.ModuleList()
        channels = spec.in_channels
        for width in widths:
            self.encoder.append(_block(channels, width))
            channels = width
        self.pool = nn.MaxPool2d(2)
        self.upsample = nn.ModuleList(nn.ConvTranspose2d(w * 2, w, 2, stride=2) for w in widths[:-1])
        self.decoder = nn.ModuleList(_block(w * 2, w) for w in widths[:-1])
        self.head = nn.Conv2d(widths[0], spec.classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, classes, H, W) of images (N, in_channels, H, W)."""
        skips = []
        for level, block in enumerate(self.encoder):
            x = block(x)
            if level < len(self.encoder) - 1:
                skips.append(x)
                x = self.pool(x)
        for level in reversed(range(len(self.decoder))):
            x = self.upsample[level](x)
            x = self.decoder[level](torch.cat([skips[level], x], dim=1))
        return self.head(x)
