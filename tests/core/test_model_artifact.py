"""Model artifacts: written atomically, read back exactly, and refused in one line when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.core.errors import InputFileError
from lamella.core.sdk.ml.artifact import read_model, write_model


def test_round_trip_keeps_kind_metadata_and_members(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.lamella-model", "pixel-forest",
                       {"classes": ["matrix", "pore"], "pixel_size_nm": 7.34}, {"forest.bin": b"\x00\x01abc"})
    model = read_model(path, kind="pixel-forest")
    assert model.kind == "pixel-forest"
    assert model.metadata == {"classes": ["matrix", "pore"], "pixel_size_nm": 7.34}
    assert model.members == {"forest.bin": b"\x00\x01abc"}
    assert [p.name for p in tmp_path.iterdir()] == ["m.lamella-model"]  # no temporary left


def test_wrong_kind_names_both_kinds(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.lamella-model", "unet", {}, {})
    with pytest.raises(InputFileError, match="this is a 'unet' model, not a 'pixel-forest' model"):
        read_model(path, kind="pixel-forest")


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "image.tif").write_bytes(b"II*\x00" + b"\x00" * 64)
    with pytest.raises(InputFileError, match=r"image\.tif: not a Lamella model file"):
        read_model(tmp_path / "image.tif")
    with pytest.raises(InputFileError, match="model file not found"):
        read_model(tmp_path / "missing.lamella-model")


def test_reserved_member_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        write_model(tmp_path / "m.lamella-model", "unet", {}, {"model.json": b"{}"})
    assert list(tmp_path.iterdir()) == []
