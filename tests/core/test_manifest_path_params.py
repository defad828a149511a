"""Text parameters that hold a path say so ('format'), so the editor can offer a picker."""

from __future__ import annotations

import copy
import json

import pytest

from lamella.core.errors import ManifestError
from lamella.core.manifest import StringParam, load_manifest

MANIFEST = {
    "id": "lab/apply-model",
    "version": "1.0.0",
    "name": "Apply model",
    "category": "Segmentation",
    "description": "Segment with a trained model.",
    "inputs": {"image": {"type": "image"}},
    "outputs": {"mask": {"type": "mask"}},
    "parameters": {
        "weights": {"type": "string", "format": "file", "default": "model.pt",
                    "description": "Trained weights."},
        "cache": {"type": "string", "format": "folder", "nullable": True, "default": None,
                  "description": "Where downloaded files are kept."},
        "name": {"type": "string", "default": "unet", "description": "Model name."},
    },
}


def _write(tmp_path, data: dict) -> str:
    path = tmp_path / "module.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_file_and_folder_formats_load(tmp_path) -> None:
    manifest = load_manifest(_write(tmp_path, MANIFEST))
    params = manifest.parameters
    assert isinstance(params["weights"], StringParam)
    assert params["weights"].format == "file"
    assert params["cache"].format == "folder"  # type: ignore[union-attr]
    assert params["name"].format is None  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["path", "File", 3])
def test_unknown_format_is_refused_naming_the_field(tmp_path, value: object) -> None:
    data = copy.deepcopy(MANIFEST)
    data["parameters"]["weights"]["format"] = value
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, data))
    located = [p for p in caught.value.problems if p.where == "parameters.weights.format"]
    assert len(located) == 1, caught.value.problems
    assert "'file'" in located[0].message and "'folder'" in located[0].message


def test_format_is_only_for_text_parameters(tmp_path) -> None:
    data = copy.deepcopy(MANIFEST)
    data["parameters"]["count"] = {"type": "int", "format": "file", "default": 1,
                                   "description": "A number."}
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, data))
    assert any(p.where == "parameters.count.format" for p in caught.value.problems)
