"""The pixel feature bank: exact values on images whose features are known."""

from __future__ import annotations

import numpy as np
import pytest

from lamella.core.sdk.ml.features import (
    DEFAULT_SIGMAS,
    FeatureBank,
    Normalisation,
    as_channels,
    compute_features,
    feature_tiles,
    sigmas_from_lengths,
)


def features_of(plane: np.ndarray, bank: FeatureBank) -> dict[str, np.ndarray]:
    """Feature name -> plane, for a grey image used as already normalised."""
    stack = compute_features(plane[np.newaxis].astype(np.float32), bank)
    return {name: stack[:, :, i] for i, name in enumerate(bank.names(1))}


def test_default_bank_has_61_features_per_channel_named_by_channel_group_and_scale() -> None:
    bank = FeatureBank()
    names = bank.names(channels=2)
    assert bank.sigmas == DEFAULT_SIGMAS
    assert len(names) == 122 == bank.count(2)
    assert names[:3] == ["ch0 intensity", "ch0 gaussian s=0.7", "ch0 dog s=0.7"]
    assert "ch1 hessian-min s=10" in names and "ch1 structure-max s=1.6" in names
    assert len(set(names)) == len(names)
    assert bank.bytes_for(1, 512 * 512) == 61 * 512 * 512 * 4


def test_features_of_a_constant_image_are_constant() -> None:
    image = np.full((2, 48, 40), 7.0, np.float32)
    normalised = Normalisation.of(image).apply(image)
    stack = compute_features(normalised, FeatureBank())
    assert stack.shape == (48, 40, 122) and stack.dtype == np.float32
    spread = stack.max(axis=(0, 1)) - stack.min(axis=(0, 1))
    assert spread.max() < 1e-5


@pytest.mark.parametrize("sigma", [1.0, 3.5])
def test_gradient_magnitude_of_a_linear_ramp_equals_its_slope(sigma: float) -> None:
    slope = 0.013
    ramp = np.tile(slope * np.arange(80, dtype=np.float64), (60, 1))
    gradient = features_of(ramp, FeatureBank(sigmas=(sigma,), groups=("gradient",)))
    inner = gradient[f"ch0 gradient s={sigma:g}"][:, 20:60]  # away from the reflected ends
    # scipy cuts the derivative kernel at 4 sigma, which loses 0.06 % of its weight.
    np.testing.assert_allclose(inner, slope, rtol=1e-3)


def test_hessian_eigenvalues_of_a_bright_blob_are_negative_at_its_centre() -> None:
    yy, xx = np.mgrid[:64, :64]
    blob = np.exp(-((yy - 32) ** 2 + (xx - 32) ** 2) / (2 * 4.0**2))
    hessian = features_of(blob, FeatureBank(sigmas=(2.0,), groups=("hessian",)))
    larger, smaller = hessian["ch0 hessian-max s=2"], hessian["ch0 hessian-min s=2"]
    assert larger[32, 32] < -0.01 and smaller[32, 32] < -0.01
    # Round blob: both curvatures equal at the centre; far away the image is flat.
    assert larger[32, 32] == pytest.approx(smaller[32, 32], rel=1e-3)
    assert abs(larger[2, 2]) < 1e-6 and abs(smaller[2, 2]) < 1e-6
    assert np.all(larger >= smaller)


def test_structure_tensor_has_one_large_eigenvalue_at_a_straight_edge() -> None:
    step = np.zeros((40, 40))
    step[:, 20:] = 1.0
    tensor = features_of(step, FeatureBank(sigmas=(2.0,), groups=("structure",)))
    larger, smaller = tensor["ch0 structure-max s=2"], tensor["ch0 structure-min s=2"]
    assert larger[20, 20] > 0.01
    assert abs(smaller[20, 20]) < 1e-6 * larger[20, 20] + 1e-9


def test_entropy_is_zero_in_flat_regions_and_high_in_noise() -> None:
    rng = np.random.default_rng(1)
    image = np.full((40, 80), 0.5)
    image[:, 40:] = rng.uniform(0, 1, (40, 40))
    entropy = features_of(image, FeatureBank(sigmas=(2.0,), groups=("entropy",)))["ch0 entropy s=2"]
    assert np.all(entropy[:, :30] == 0)
    assert entropy[:, 50:].mean() > 3.5  # a 49-pixel disc over 32 levels: close to 5 bits


def test_tiles_give_exactly_the_whole_images_features() -> None:
    rng = np.random.default_rng(2)
    image = rng.normal(size=(2, 70, 90)).astype(np.float32)
    bank = FeatureBank(sigmas=(1.0, 3.5))
    whole = compute_features(image, bank)
    covered = np.zeros(whole.shape[:2], bool)
    for region, part in feature_tiles(image, bank, tile=32):
        np.testing.assert_allclose(part, whole[region], atol=2e-6)
        covered[region] = True
    assert covered.all()


def test_normalisation_maps_the_1st_and_99th_percentiles_to_0_and_1_per_channel() -> None:
    channels = np.stack([np.arange(10_000, dtype=np.float64).reshape(100, 100),
                         np.full((100, 100), 3.0)])
    norm = Normalisation.of(channels)
    assert norm.low[0] == pytest.approx(99.99) and norm.high[0] == pytest.approx(9899.01)
    scaled = norm.apply(channels)
    assert scaled.dtype == np.float32
    assert np.mean(scaled[0] < 0) == pytest.approx(0.01, abs=1e-4)
    assert np.all(scaled[1] == 0)  # constant channel: shifted, not divided by zero
    assert Normalisation.from_metadata(norm.to_metadata()) == norm


def test_scales_from_physical_lengths_use_the_pixel_size() -> None:
    assert sigmas_from_lengths([5.0, 25.0], "nm", 2.5, "nm") == (2.0, 10.0)
    assert sigmas_from_lengths([1.0], "um", 250.0, "nm") == (4.0,)


def test_bad_banks_and_shapes_are_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="unknown feature group 'sobel'; the groups are intensity"):
        FeatureBank(groups=("sobel",))
    with pytest.raises(ValueError, match=r"feature scale -1\.0 px is not a positive number"):
        FeatureBank(sigmas=(1.0, -1.0))
    with pytest.raises(ValueError, match=r"expected a \(C, Y, X\) array, got shape \(4, 4\)"):
        as_channels(np.zeros((4, 4)), channel_axis=True)
    bank = FeatureBank(sigmas=(1.0, 2.0), groups=("gaussian", "hessian"))
    assert FeatureBank.from_metadata(bank.to_metadata()) == bank
