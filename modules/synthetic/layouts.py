"""Write a micrograph as an SEM instrument would: pixels, data bar and vendor metadata.

Layouts (see ``vendor_bars`` for the bar geometry):

* ``plain``: the micrograph alone, 8-bit grey, the pixel size in the standard resolution
  tags (pixels per centimetre), no bar, no vendor tags.
* ``zeiss``: Zeiss SmartSEM, 8-bit palette TIFF (PhotometricInterpretation 3). The palette
  is a grey ramp except entries 9, 18, ..., 234 (overlay colours) and 243 (white); the
  micrograph never uses these values (they are moved one level down), only the bar does.
  Tag 34118 (CZ_SEM) holds the metadata that ``tifffile.TiffFile.sem_metadata`` parses,
  e.g. ``ap_image_pixel_size = ('Image Pixel Size', 7.344, 'nm')`` and
  ``dp_image_store = ('Store resolution', '1024 * 768')``, equal to the file's size: the
  metadata says nothing about the bar, which is painted over the bottom of the scan (a dark
  bar with white text). XResolution and YResolution are 1/1 with no unit.
* ``zeiss-light``: as ``zeiss`` with the bar of the public SmartSEM files: white-ish (243)
  with black text between two black rows, one image row below.
* ``fei`` / ``fei-16``: FEI/Thermo, 8- or 16-bit grey, the bar appended below the micrograph;
  tag 34682 (FEI_HELIOS) holds INI text with ``[Scan] PixelWidth`` (metres),
  ``[Image] ResolutionX/ResolutionY`` (the micrograph without bar) and
  ``[PrivateFei] DatabarHeight``. 16-bit files hold the 8-bit grey levels times 256.

Ground truth for a written file: ``SemFile.file_labels(labels)`` gives labels of the file's
size with 0 on every bar row (and on the rows the bar hides); ``SemFile.micrograph_rows``
is the number of rows above the bar, the part of the file that shows the micrograph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from .vendor_bars import ZEISS_WHITE, fei_bar, fei_bar_rows, zeiss_bar_rows, zeiss_overlay

__all__ = ["LAYOUTS", "SemFile", "bar_rows_for", "fei_metadata", "write_sem_tiff",
           "zeiss_colormap", "zeiss_metadata"]

LAYOUTS = ("plain", "zeiss", "zeiss-light", "fei", "fei-16")
CZ_SEM, FEI_HELIOS = 34118, 34682
NEW_SUBFILE_TYPE = 254  # SmartSEM writes it (0, a full-resolution image); tifffile does not
_OVERLAYS = np.arange(9, ZEISS_WHITE, 9)  # palette entries SmartSEM keeps for overlay colours
_DATE, _TIME = (15, "Jan", 2026), "10:24:31"  # fixed, so files are reproducible


@dataclass(frozen=True)
class SemFile:
    """Where the data bar of a written file is.

    Attributes
    ----------
    path, layout
    shape
        (rows, columns) of the file.
    bar
        Rows of the file the bar covers, its black or separator rows included.
    micrograph_rows
        Rows above the bar: the part of the file that shows the micrograph.
    """

    path: Path
    layout: str
    shape: tuple[int, int]
    bar: slice
    micrograph_rows: int

    def file_labels(self, labels: np.ndarray) -> np.ndarray:
        """Labels of the micrograph, as the file's size, with 0 on the bar rows."""
        out = np.zeros(self.shape, dtype=labels.dtype)
        rows = min(labels.shape[0], self.shape[0])
        out[:rows] = labels[:rows]
        out[self.bar] = 0
        return out


def write_sem_tiff(path: Path | str, image: np.ndarray, *, layout: str = "zeiss",
                   pixel_size_nm: float | None, seed: int = 0) -> SemFile:
    """Write the 8-bit micrograph ``image`` (H, W) in an instrument's layout.

    Parameters
    ----------
    path
        File to write (``.tif``).
    image
        uint8 micrograph; for ``fei-16`` uint16 is taken as it is.
    layout
        One of ``LAYOUTS``.
    pixel_size_nm
        Pixel size written into the metadata (and used for the scale bar); None only for
        ``plain``, which is then written without a pixel size.
    seed
        Seeds the bar's text, so the same arguments give the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "sem.tif"
    >>> image = np.full((96, 128), 60, np.uint8)
    >>> written = write_sem_tiff(out, image, layout="fei", pixel_size_nm=5.0)
    >>> written.shape, written.micrograph_rows
    ((103, 128), 96)
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout '{layout}' is unknown; use one of {', '.join(LAYOUTS)}")
    if pixel_size_nm is None and layout != "plain":
        raise ValueError(f"layout '{layout}' needs pixel_size_nm (its metadata carry it)")
    if pixel_size_nm is not None and not pixel_size_nm > 0:
        raise ValueError(f"pixel_size_nm must be positive, got {pixel_size_nm}")
    path = Path(path)
    rng = np.random.default_rng([seed, 23])
    if layout in ("zeiss", "zeiss-light"):
        return _write_zeiss(path, image, rng, pixel_size_nm, light=layout == "zeiss-light")
    if layout.startswith("fei"):
        return _write_fei(path, image, rng, pixel_size_nm, sixteen=layout == "fei-16")
    _write_plain(path, image, pixel_size_nm)
    return SemFile(path, layout, image.shape, slice(image.shape[0], image.shape[0]),
                   image.shape[0])


def _write_plain(path: Path, image: np.ndarray, pixel_size_nm: float | None) -> None:
    _check_uint8(image)
    if pixel_size_nm is None:
        tifffile.imwrite(path, image, photometric="minisblack", metadata=None, software=False)
        return
    per_cm = 1e7 / pixel_size_nm
    tifffile.imwrite(path, image, photometric="minisblack", metadata=None, software=False,
                     resolution=(per_cm, per_cm), resolutionunit="CENTIMETER")


def _write_zeiss(path: Path, image: np.ndarray, rng: np.random.Generator,
                 pixel_size_nm: float, *, light: bool) -> SemFile:
    _check_uint8(image)
    frame = image.copy()
    reserved = np.isin(frame, np.append(_OVERLAYS, ZEISS_WHITE))
    frame[reserved] -= 1  # overlay colours and white belong to the bar
    zeiss_overlay(frame, rng, pixel_size_nm=pixel_size_nm, light=light)
    height, width = frame.shape
    text = zeiss_metadata(width, height, pixel_size_nm)
    tifffile.imwrite(path, frame, photometric="palette", colormap=zeiss_colormap(),
                     metadata=None, software=False, resolution=(1, 1), resolutionunit="NONE",
                     rowsperstrip=height, extratags=[(NEW_SUBFILE_TYPE, 4, 1, 0, True),
                                                     (CZ_SEM, 2, len(text) + 1, text, True)])
    top, bottom = zeiss_bar_rows(height, light=light)
    return SemFile(path, "zeiss-light" if light else "zeiss", frame.shape, slice(top, bottom),
                   top)


def _write_fei(path: Path, image: np.ndarray, rng: np.random.Generator, pixel_size_nm: float,
               *, sixteen: bool) -> SemFile:
    if not (sixteen and image.dtype == np.uint16):
        _check_uint8(image)
    height, width = image.shape
    bar = fei_bar(rng, width, pixel_size_nm=pixel_size_nm)
    if sixteen:
        micrograph = image if image.dtype == np.uint16 else image.astype(np.uint16) * 256
        frame = np.vstack([micrograph, bar.astype(np.uint16) * 256])
    else:
        frame = np.vstack([image, bar])
    text = fei_metadata(width, height, pixel_size_nm * 1e-9, bar.shape[0])
    tifffile.imwrite(path, frame, photometric="minisblack", metadata=None, software=False,
                     rowsperstrip=1, extratags=[(FEI_HELIOS, 2, len(text) + 1, text, True)])
    return SemFile(path, "fei-16" if sixteen else "fei", frame.shape,
                   slice(height, frame.shape[0]), height)


def _check_uint8(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"the micrograph must be a 2-D uint8 array, got {image.ndim}-D "
                         f"{image.dtype}")


def zeiss_colormap() -> np.ndarray:
    """(3, 256) uint16 SmartSEM-style palette: grey ramp, overlay colours, 243 white."""
    colormap = np.tile(np.arange(256, dtype=np.uint16) * 257, (3, 1))
    levels = (65535, 32896, 49344, 16448, 57568)
    for k, entry in enumerate(_OVERLAYS):
        hue = k % 6 + 1  # red, green, yellow, blue, magenta, cyan; then at other intensities
        colormap[:, entry] = [levels[k // 6] * (hue >> bit & 1) for bit in (0, 1, 2)]
    colormap[:, ZEISS_WHITE] = 65535
    return colormap


def zeiss_metadata(width: int, height: int, pixel_size_nm: float) -> bytes:
    """CZ_SEM text (cp1252, CR LF lines) as SmartSEM writes into tag 34118.

    A block of unnamed numbers, then ``KEY`` / ``Name = value unit`` pairs: the format
    ``tifffile`` parses into ``sem_metadata``.
    """
    size = _zeiss_length(pixel_size_nm)
    day, month, year = _DATE
    pairs = [
        ("AP_PIXEL_SIZE", f"Pixel Size = {size}"),
        ("AP_IMAGE_PIXEL_SIZE", f"Image Pixel Size = {size}"),
        ("AP_WIDTH", f"Width = {_zeiss_length(width * pixel_size_nm)}"),
        ("AP_HEIGHT", f"Height = {_zeiss_length(height * pixel_size_nm)}"),
        ("DP_IMAGE_STORE", f"Store resolution = {width} * {height}"),
        ("AP_MAG", f"Mag = {114.3e6 / (width * pixel_size_nm) / 1000:.2f} K X"),
        ("AP_ACTUALKV", "EHT = 5.00 kV"),
        ("AP_WD", "WD = 4.1 mm"),
        ("DP_DETECTOR_CHANNEL", "Signal A = InLens"),
        ("AP_DATE", f"Date :{day} {month} {year}"),
        ("AP_TIME", f"Time :{_TIME}"),
        ("SV_USER_TEXT", "User Text = Lamella synthetic image (generated, not an acquisition)"),
    ]
    numbers = ["0", "0", "0", f"{pixel_size_nm * 1e-9:.6e}", "5.000000e+003", str(len(pairs))]
    lines = numbers + [part for pair in pairs for part in pair]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _zeiss_length(nm: float) -> str:
    """A length as SmartSEM prints it: nm below 1 µm, µm below 1 mm, else mm."""
    for unit, scale in (("nm", 1.0), ("µm", 1e3), ("mm", 1e6)):
        if nm < 1000 * scale or unit == "mm":
            return f"{nm / scale:.6g} {unit}"
    raise AssertionError("unreachable")


def fei_metadata(width: int, height: int, pixel_m: float, bar_rows: int) -> bytes:
    """INI text as FEI/Thermo instruments write into tag 34682 (a representative subset)."""
    day, _, year = _DATE
    lines = [
        "[User]", f"Date=01/{day:02d}/{year}", "Time=10:24:31 AM", "User=user",
        "UserText=Lamella synthetic image (generated, not an acquisition)", "",
        "[System]", "Type=SEM", "Software=Lamella synthetic", "",
        "[Beam]", "HV=5000", "Spot=2", "Beam=EBeam", "Scan=EScan", "",
        "[EBeam]", "HV=5000", f"HFW={pixel_m * width:.6g}", f"VFW={pixel_m * height:.6g}",
        "WD=0.0041", "",
        "[Scan]", "InternalScan=true", "Dwelltime=3e-06",
        f"PixelWidth={pixel_m:.6g}", f"PixelHeight={pixel_m:.6g}",
        f"HorFieldsize={pixel_m * width:.6g}", f"VerFieldsize={pixel_m * height:.6g}", "",
        "[Image]", "DigitalContrast=1", "DigitalBrightness=0",
        f"ResolutionX={width}", f"ResolutionY={height}", "",
        "[Detectors]", "Number=1", "Name=ETD", "Mode=SE", "",
        "[PrivateFei]", "BitShift=0", f"DatabarHeight={bar_rows}", "",
    ]
    return "\r\n".join(lines).encode("ascii")


def bar_rows_for(layout: str, height: int, width: int) -> slice:
    """Rows a layout's bar covers in the file of a ``height`` x ``width`` micrograph."""
    if layout in ("zeiss", "zeiss-light"):
        return slice(*zeiss_bar_rows(height, light=layout == "zeiss-light"))
    if layout.startswith("fei"):
        return slice(height, height + fei_bar_rows(width))
    return slice(height, height)
