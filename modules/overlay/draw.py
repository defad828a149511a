"""Write the overlay: a full-resolution PNG, and an SVG that embeds the PNG with vector extras.

The PNG (the port's main file) has label numbers and the scale bar burnt in. The SVG embeds
the overlay without them (base64 ``<image>``) and adds numbers and scale bar as SVG text and
rectangles, so they stay sharp and editable at any zoom.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from .scalebar import ScaleBar

__all__ = ["Number", "png_bytes", "write_png", "write_svg"]

Number = tuple[float, float, str]  # x, y (pixel coordinates of the centre), text
_PNG_LEVEL = 3  # zlib level: near the best size for micrographs at a fraction of level 9's time
_BASE64_PIECE = 3 * 1024 * 1024  # a multiple of 3 bytes, so pieces encode without padding


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an (H, W, 3) uint8 array as PNG."""
    buffer = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", compress_level=_PNG_LEVEL)
    return buffer.getvalue()


def write_png(path: Path, rgb: np.ndarray, *, numbers: list[Number], font_px: int,
              bar: ScaleBar | None) -> Path:
    """Write the overlay PNG at full resolution with numbers and scale bar drawn in."""
    picture = PILImage.fromarray(np.ascontiguousarray(rgb))
    pen = ImageDraw.Draw(picture)
    font = _font(font_px)
    for x, y, text in numbers:
        pen.text((x, y), text, fill="white", font=font, anchor="mm", stroke_width=max(1, font_px // 8),
                 stroke_fill="black")
    if bar is not None:
        pen.rectangle(bar.box, fill=(0, 0, 0))
        pen.rectangle((bar.x, bar.y, bar.x + bar.pixels - 1, bar.y + bar.thickness - 1),
                      fill=(255, 255, 255))
        pen.text((bar.x + bar.pixels / 2, bar.y - bar.font_px * 0.25), bar.text, fill="white",
                 font=_font(bar.font_px), anchor="md")
    picture.save(path, format="PNG", compress_level=_PNG_LEVEL)
    return path


def write_svg(path: Path, png: bytes, width: int, height: int, *, numbers: list[Number],
              font_px: int, bar: ScaleBar | None) -> Path:
    """Write an SVG the size of the image: the PNG embedded, numbers and scale bar as vectors."""
    with path.open("w", encoding="utf-8") as svg:
        svg.write(f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                  f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n')
        svg.write(f'<image x="0" y="0" width="{width}" height="{height}" '
                  'style="image-rendering:pixelated" xlink:href="data:image/png;base64,')
        # Encoded piece by piece: a large overlay's PNG is tens of MB, its base64 a third more.
        for start in range(0, len(png), _BASE64_PIECE):
            svg.write(base64.b64encode(png[start:start + _BASE64_PIECE]).decode("ascii"))
        svg.write('"/>\n')
        if numbers:
            svg.write(_svg_numbers(numbers, font_px) + "\n")
        if bar is not None:
            svg.write(_svg_bar(bar) + "\n")
        svg.write("</svg>\n")
    return path


def _svg_numbers(numbers: list[Number], font_px: int) -> str:
    style = (f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{font_px}" fill="white" '
             f'stroke="black" stroke-width="{max(1, font_px // 8)}" paint-order="stroke" '
             'text-anchor="middle" dominant-baseline="central"')
    texts = [f'<text x="{x:.1f}" y="{y:.1f}">{escape(t)}</text>' for x, y, t in numbers]
    return f'<g id="label-numbers" {style}>' + "".join(texts) + "</g>"


def _svg_bar(bar: ScaleBar) -> str:
    left, top, right, bottom = bar.box
    return (
        '<g id="scale-bar">'
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
        f'height="{bottom - top:.1f}" fill="black"/>'
        f'<rect x="{bar.x:.1f}" y="{bar.y:.1f}" width="{bar.pixels:.2f}" '
        f'height="{bar.thickness:.1f}" fill="white"/>'
        f'<text x="{bar.x + bar.pixels / 2:.1f}" y="{bar.y - bar.font_px * 0.25:.1f}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{bar.font_px}" fill="white" '
        f'text-anchor="middle">{escape(bar.text)}</text>'
        "</g>"
    )


# DejaVu Sans ships with the module (free licence, fonts/LICENSE-DejaVu.txt): Pillow's own
# default font has no 'µ' and drew '2 µm' as '2 □m'; system fonts differ between machines.
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_FILE), size=size)
    except (OSError, ImportError):  # Pillow without FreeType: fixed-size bitmap font
        return ImageFont.load_default()
