"""Port compatibility table and user-written physical quantities."""

from __future__ import annotations

import pytest

from lamella.core.ports import PORT_TYPES, connection_problem, parse_port_type
from lamella.core.units import convert_length, parse_quantity


@pytest.mark.parametrize(("source", "destination"), [
    ("image", "image"), ("labels", "mask"), ("probabilities", "image"), ("table", "file"),
    ("plot", "file"), ("list[image]", "list[image]"), ("list[labels]", "list[mask]"),
])
def test_legal_wires(source: str, destination: str) -> None:
    assert connection_problem(source, destination) is None


@pytest.mark.parametrize(("source", "destination", "message"), [
    ("mask", "labels", "type mismatch: mask cannot feed labels (a mask has no separate objects; "
     "add a 'watershed' or 'load-labels' step to label it)"),
    ("image", "mask", "type mismatch: image cannot feed mask (an image holds intensities, not "
     "foreground; add a 'threshold' step)"),
    ("json", "table", "type mismatch: json cannot feed table (this input takes one row per object "
     "or item; the wire brings structured values)"),
    ("file", "image", "type mismatch: file cannot feed image (this input takes grey or colour "
     "pixels with axes and pixel size; the wire brings any file)"),
    ("mask", "table", "type mismatch: mask cannot feed table (a table of numbers comes from a "
     "'measure' step; label the mask and measure it)"),
    ("image", "list[image]", "cannot connect image to list[image]: one end is a list, the other is not"),
    ("picture", "image", "'picture' is not a port type (known: image, labels, mask, probabilities, "
     "table, plot, model, json, file)"),
])
def test_refused_wires_say_why(source: str, destination: str, message: str) -> None:
    assert connection_problem(source, destination) == message


def test_every_type_accepts_itself_and_feeds_file() -> None:
    for name in PORT_TYPES:
        assert connection_problem(name, name) is None
        assert connection_problem(name, "file") is None
    assert parse_port_type("list[mask]") == ("mask", True)
    assert parse_port_type("list[masks]") is None


@pytest.mark.parametrize(("text", "power", "pixels"), [
    ("20 nm", 1, 8.0), ("0.02 um", 1, 8.0), ("0.02 µm", 1, 8.0), ("100 nm^2", 2, 16.0),
    ("100 nm²", 2, 16.0), ("12 px", 1, 12.0), (12, 1, 12.0),
    ("30 px^2", 2, 30.0), ("30", 2, 30.0), (0, 2, 0.0),
])
def test_quantities_convert_to_pixels_at_2_5_nm(text: object, power: int, pixels: float) -> None:
    assert parse_quantity(text, power=power).to_pixels(2.5, "nm") == pytest.approx(pixels)


@pytest.mark.parametrize(("text", "power", "message"), [
    ("20 nm", 2, "'20 nm' is not an area; write e.g. '500 nm^2' or '30 px^2'"),
    ("5 nm^2", 1, "'5 nm^2' is not a length; write e.g. '20 nm' or '3 px'"),
    ("five nm", 1, "'five nm' is not a length; write e.g. '20 nm' or '3 px'"),
    ("3 parsecs", 1, "'3 parsecs' is not a length; write e.g. '20 nm' or '3 px'"),
    (True, 1, "expected a length such as '20 nm' or '3 px', got True"),
    ("100 nm2", 2, "'100 nm2' is not written as an area; write '100 nm^2'"),
    ("30 px2", 2, "'30 px2' is not written as an area; write '30 px^2'"),
    ("5 mn", 1, "'5 mn' is not a length; write e.g. '20 nm' or '3 px' (did you mean '5 nm'?)"),
    ("500 nmm^2", 2, "'500 nmm^2' is not an area; write e.g. '500 nm^2' or '30 px^2' "
                     "(did you mean '500 nm^2'?)"),
])
def test_bad_quantities_refused(text: object, power: int, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_quantity(text, power=power)
    assert str(info.value) == message


def test_physical_quantity_needs_calibration() -> None:
    with pytest.raises(ValueError) as info:
        parse_quantity("20 nm", power=1).to_pixels(None, None)
    assert str(info.value) == ("'20 nm' is a physical size but the image has no pixel size; give it "
                               "in pixels (e.g. '20 px') or set the pixel size when loading the image")


def test_convert_length() -> None:
    assert convert_length(1, "um", "nm") == pytest.approx(1000)
    assert convert_length(2.5e-9, "m", "nm") == pytest.approx(2.5)


def test_area_of_non_square_pixels_uses_both_sides() -> None:
    assert parse_quantity("100 nm^2", power=2).to_pixels(2.0, "nm", 5.0) == pytest.approx(10.0)
    assert parse_quantity("0.0001 um^2", power=2).to_pixels(2.0, "nm", 5.0) == pytest.approx(10.0)


def test_physical_length_on_non_square_pixels_is_refused() -> None:
    with pytest.raises(ValueError) as info:
        parse_quantity("10 nm", power=1).to_pixels(2.0, "nm", 5.0)
    assert str(info.value) == (
        "'10 nm' is a length but the pixels are not square (2 x 5 nm), so it is a different "
        "number of pixels along x and y; give it in pixels (e.g. '5 px') or resample the image "
        "to square pixels")
    assert parse_quantity("4 px", power=1).to_pixels(2.0, "nm", 5.0) == 4.0  # pixels stay pixels


def test_lengths_on_pixels_square_within_0_1_percent() -> None:
    assert parse_quantity("10 nm", power=1).to_pixels(2.0, "nm", 2.002) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="not square"):
        parse_quantity("10 nm", power=1).to_pixels(2.0, "nm", 2.003)
