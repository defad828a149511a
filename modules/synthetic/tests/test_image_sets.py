"""lamella/synthetic: several seeded images in one node, and images made like a user's image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import read_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
REPO = MODULE_DIR.parents[1]
SAMPLE = REPO / "examples" / "data" / "particles.tif"
generate = import_module_file(MODULE_DIR, "generate")
like = import_module_file(MODULE_DIR, "like")
SMALL = {"width": 160, "height": 120, "mean_diameter": "20 px", "seed": 11,
         "rendering": "se"}


def test_images_makes_one_seeded_file_pair_per_seed(tmp_path: Path) -> None:
    result = run_module(MODULE_DIR, tmp_path, params={**SMALL, "images": 3,
                                                      "pixel_size": "4 nm"})
    images = [read_image(p) for p in result.outputs["image_set"]]
    labels = [read_image(p) for p in result.outputs["labels_set"]]
    assert [p.name for p in result.outputs["image_set"]] == [
        "image_set-000.ome.tif", "image_set-001.ome.tif", "image_set-002.ome.tif"]
    assert len(labels) == 3
    for index, (image, truth) in enumerate(zip(images, labels, strict=True)):
        expected_image, expected_labels, _ = generate.particles(
            160, 120, seed=11 + index, mean_diameter=20.0, rendering="se")
        np.testing.assert_array_equal(image.data, expected_image)
        np.testing.assert_array_equal(truth.data, expected_labels)
        assert (image.calibration.x, truth.calibration.unit) == (4.0, "nm")
    assert len({image.data.tobytes() for image in images}) == 3
    # The single outputs are the first of the set.
    np.testing.assert_array_equal(result.image("image").data, images[0].data)
    np.testing.assert_array_equal(result.image("labels").data, labels[0].data)


def test_default_is_one_image_in_each_set(tmp_path: Path) -> None:
    result = run_module(MODULE_DIR, tmp_path, params=SMALL)
    assert len(result.outputs["image_set"]) == len(result.outputs["labels_set"]) == 1
    assert result.outputs["image_set"][0].read_bytes() != b""


def test_like_copies_pixel_size_and_field_and_estimates_the_particle_size(
        tmp_path: Path) -> None:
    sample = read_image(SAMPLE)
    model = tmp_path / "like.tif"
    # The bundled FEI file without its 58-row data bar, as load-image crops it.
    from lamella.core.sdk import Image, write_image
    write_image(model, Image(sample.data[:768, :512], "YX", sample.calibration))
    result = run_module(MODULE_DIR, tmp_path, inputs={"like": model},
                        params={"mean_diameter": "auto", "images": 2, "seed": 3,
                                "rendering": "se", "pixel_size": "9 nm"})
    for port in ("image_set", "labels_set"):
        for path in result.outputs[port]:
            written = read_image(path)
            assert written.data.shape == (768, 512)
            assert (written.calibration.x, written.calibration.unit) == (2.5, "nm")
    diameter = float(str(result.notes.resolved["mean_diameter"]).split()[0])
    assert 24 <= diameter <= 38  # the sample was made with a 30 px mean diameter
    truth = result.image("labels").data
    assert truth.max() > 50


def test_auto_size_without_like_image_says_what_to_connect(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match="connect 'like'"):
        run_module(MODULE_DIR, tmp_path, params={**SMALL, "mean_diameter": "auto"})


def test_typical_diameter_of_the_bundled_sample_is_near_its_truth() -> None:
    sample = read_image(SAMPLE)
    estimate = like.typical_diameter(like.plane(sample.data, sample.axes)[:768])
    assert estimate == pytest.approx(30.0, abs=4.0)
