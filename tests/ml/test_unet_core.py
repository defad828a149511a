"""The U-Net library: targets, loss masking, augmentation, seeding, device, tiling, ensembles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lamella.core.errors import ModuleError
from lamella.core.sdk.ml.unet.augment import Augmentation, augment
from lamella.core.sdk.ml.unet.device import choose_device
from lamella.core.sdk.ml.unet.losses import segmentation_loss
from lamella.core.sdk.ml.unet.model import UNet, UNetSpec
from lamella.core.sdk.ml.unet.predict import TileSettings, predict_ensemble, torch_forward
from lamella.core.sdk.ml.unet.targets import IGNORE, make_target
from lamella.core.sdk.ml.unet.tiling import blend_window, predict_tiled, predict_whole
from lamella.core.sdk.ml.unet.train import Dataset, TrainSettings, train_unet

# Tiled and whole-image probabilities agree within this away from the image border
# (stated in docs/unet.md).
INTERIOR_TOLERANCE = 5e-3


def test_unpainted_and_ignored_pixels_do_not_count_in_the_loss_or_its_gradient() -> None:
    labels = np.array([[0, 1, 2, 2], [1, 7, 0, 2], [2, 1, 7, 1]])
    target = make_target(labels, "classes", ignore_value=7)
    assert target.tolist() == [[-1, 0, 1, 1], [0, -1, -1, 1], [1, 0, -1, 0]]
    ignored = torch.from_numpy(target < 0)
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(1, 7, 3, 4)), dtype=torch.float32, requires_grad=True)
    changed = logits.detach().clone()
    changed[0, :, ignored] = torch.tensor(rng.normal(size=(7, 4)) * 50, dtype=torch.float32)
    changed.requires_grad_(True)
    for dice in (0.0, 0.5):
        first = segmentation_loss(logits, torch.from_numpy(target)[None], dice_weight=dice)
        second = segmentation_loss(changed, torch.from_numpy(target)[None], dice_weight=dice)
        assert float(first.detach()) == pytest.approx(float(second.detach()), abs=1e-6)
        (gradient_first,) = torch.autograd.grad(first, logits)
        (gradient_second,) = torch.autograd.grad(second, changed)
        assert float(gradient_first[0, :, ignored].abs().max()) == 0.0
        torch.testing.assert_close(gradient_first[0, :, ~ignored], gradient_second[0, :, ~ignored])
    # The ignore value also works for instance labels.
    assert make_target(np.array([[0, 3, 9]]), "foreground", ignore_value=9).tolist() == [[0, 1, -1]]


def test_three_class_target_of_two_touching_squares() -> None:
    labels = np.zeros((8, 12), np.int32)
    labels[1:7, 1:6] = 1
    labels[1:7, 6:11] = 2
    target = make_target(labels, "three-class", boundary_width=1)
    expected = np.zeros((8, 12), np.int64)
    expected[1:7, 1:11] = 2
    expected[2:6, 2:5] = 1  # interior of the left square
    expected[2:6, 7:10] = 1  # interior of the right square
    np.testing.assert_array_equal(target, expected)
    # The two objects are cut apart by boundary on both sides of their shared edge.
    assert set(target[1:7, 5]) == {2} and set(target[1:7, 6]) == {2}
    wide = make_target(labels, "three-class", boundary_width=2)
    assert (wide == 1).sum() == 2 * 2 * 1 and wide[3, 3] == 1 and wide[2, 2] == 2


def test_augmentation_keeps_image_and_target_aligned() -> None:
    size = 48
    target = np.zeros((size, size), np.int64)
    target[5:20, 8:30] = 1
    target[30:44, 3:12] = 2
    target[0, :] = IGNORE
    image = target.astype(np.float32)[None]
    geometry = Augmentation(brightness=0, contrast=0, blur=0, noise=0, scale=0)
    everything = Augmentation(scale=0)
    turns = set()
    for seed in range(12):
        moved_image, moved_target = augment(np.random.default_rng(seed), image, target, size,
                                            geometry)
        np.testing.assert_array_equal(moved_image[0], moved_target.astype(np.float32))
        turns.add(moved_target.tobytes())
        # Intensity changes are drawn after geometry: the same seed moves the target the same.
        noisy_image, noisy_target = augment(np.random.default_rng(seed), image, target, size,
                                            everything)
        np.testing.assert_array_equal(noisy_target, moved_target)
        assert not np.array_equal(noisy_image, moved_image)
        assert np.corrcoef(noisy_image.ravel(), moved_image.ravel())[0, 1] > 0.8
    assert len(turns) >= 6  # flips and rotations happen
    zoomed = Augmentation(brightness=0, contrast=0, blur=0, noise=0, scale=0.3)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        region = zoomed.region_size(rng, 40)
        top = (size - region) // 2
        cut = slice(top, top + region)
        out_image, out_target = augment(rng, image[:, cut, cut], target[cut, cut], 40, zoomed)
        assert out_image.shape == (1, 40, 40) and out_target.shape == (40, 40)
        agree = np.mean(np.rint(out_image[0]) == out_target)
        assert agree > 0.95, (seed, region, agree)


def _stripes(seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    labels = np.zeros((48, 48), np.int64)
    labels[:, 20:32] = 1
    image = (labels + rng.normal(0, 0.3, labels.shape)).astype(np.float32)[None]
    return Dataset([image], [labels])


def _tiny(seed: int, iterations: int = 6) -> TrainSettings:
    return TrainSettings(depth=2, width=4, patch=16, batch_size=2, iterations=iterations,
                         seed=seed, device="cpu")


def test_training_is_seeded_bit_for_bit_and_bounded_by_iterations() -> None:
    data = _stripes()
    first = train_unet(data, 2, _tiny(3))
    again = train_unet(data, 2, _tiny(3))
    other = train_unet(data, 2, _tiny(4))
    assert first.iterations == 6 and first.best_iteration == 6
    for name, value in first.model.state_dict().items():
        assert torch.equal(value, again.model.state_dict()[name]), name
    conv = "encoder.0.0.weight"
    assert not torch.equal(first.model.state_dict()[conv], other.model.state_dict()[conv])
    stopped = train_unet(data, 2, TrainSettings(**{**_tiny(3, 200).__dict__, "validate_every": 1,
                                                   "patience": 1}), validation=_stripes(1))
    assert stopped.iterations <= 200 and len(stopped.history) == stopped.iterations
    assert stopped.best_iteration <= stopped.iterations


def test_training_reports_progress_and_time_left() -> None:
    messages: list[tuple[float, str]] = []
    train_unet(_stripes(), 2, _tiny(0, 3), progress=lambda f, m: messages.append((f, m)))
    assert messages[-1][0] == 1.0
    assert messages[-1][1].startswith("training: iteration 3/3, loss ")
    assert messages[-1][1].endswith(" s left")


def test_device_auto_takes_cuda_when_visible_and_cuda_without_a_gpu_fails(monkeypatch) -> None:
    assert choose_device("auto") == torch.device("cpu")  # this host has no GPU
    assert choose_device("cpu") == torch.device("cpu")
    with pytest.raises(ModuleError, match=r"^parameter 'device': 'cuda' was asked for but this "
                                          r"process sees no CUDA GPU") as caught:
        choose_device("cuda")
    assert "\n" not in str(caught.value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto") == torch.device("cuda")
    assert choose_device("cuda") == torch.device("cuda")
    assert choose_device("cpu") == torch.device("cpu")


def test_blend_window_falls_off_towards_tile_edges_and_stays_flat_on_image_edges() -> None:
    window = blend_window(64, first=False, last=False)
    assert window[31] == window[32] == 1.0
    assert window[0] < 1e-3 and window[63] < 1e-3
    assert np.all(np.diff(window[:32]) > 0) and np.all(np.diff(window[32:]) < 0)
    edge = blend_window(64, first=True, last=False)
    assert np.all(edge[:32] == 1.0) and edge[63] < 1e-3


def _random_net(seed: int = 0) -> UNet:
    torch.manual_seed(seed)
    net = UNet(UNetSpec(classes=3, depth=3, width=4)).eval()
    with torch.no_grad():  # batch-norm statistics away from their defaults, as after training
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    return net


def test_tiling_blends_without_seams_and_matches_a_whole_image_pass_inside() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 200, 260)).astype(np.float32)
    forward = torch_forward(_random_net(), torch.device("cpu"))
    whole = predict_whole(image, forward, multiple=4)
    tiled = predict_tiled(image, forward, tile=96, overlap=40, batch_size=3, multiple=4)
    naive = _stitched(image, forward, tile=96)
    assert tiled.shape == whole.shape == (3, 200, 260)
    np.testing.assert_allclose(tiled.sum(axis=0), 1.0, atol=1e-5)
    margin = 20  # the network's zero padding at the image's own edge differs from tiles'
    inside = (slice(None), slice(margin, -margin), slice(margin, -margin))
    interior_error = np.abs(tiled - whole)[inside].max()
    naive_error = np.abs(naive - whole)[inside].max()
    print(f"interior: blended {interior_error:.2e}, naive stitching {naive_error:.2e}")
    assert interior_error < INTERIOR_TOLERANCE, interior_error
    assert naive_error > 5 * interior_error, (naive_error, interior_error)
    # At the naive tiles' borders (column 96) the blend differs from the stitching.
    border = np.abs(tiled - naive)[:, margin:-margin, 94:98].max()
    assert border > 5 * interior_error
    # Batching changes nothing.
    one_by_one = predict_tiled(image, forward, tile=96, overlap=40, batch_size=1, multiple=4)
    np.testing.assert_allclose(one_by_one, tiled, atol=1e-6)


def _stitched(image: np.ndarray, forward, tile: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Naive stitching: tiles side by side, no overlap, no blending (the last tile shifted in)."""
    height, width = image.shape[1:]
    out = np.zeros((3, height, width), np.float32)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            t, s = min(top, height - tile), min(left, width - tile)
            out[:, top:t + tile, left:s + tile] = forward(image[None, :, t:t + tile, s:s + tile])[
                0, :, top - t:, left - s:]
    return out


def test_the_torch_engine_gives_the_networks_probabilities_and_leaves_the_model_as_it_was() -> None:
    net = _random_net().eval()
    tiles = np.random.default_rng(2).normal(size=(2, 1, 32, 48)).astype(np.float32)
    forward = torch_forward(net, torch.device("cpu"))  # channels-last inside
    probabilities = forward(tiles)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(tiles)), dim=1).numpy()
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    assert probabilities.flags.c_contiguous and probabilities.shape == (2, 3, 32, 48)
    weights = [p for p in net.parameters() if p.dim() == 4]
    assert weights and all(w.is_contiguous() for w in weights)  # not turned channels-last


@pytest.mark.parametrize("shape", [(10, 7), (33, 101), (96, 97)])
def test_tiling_takes_any_image_size(shape: tuple[int, int]) -> None:
    image = np.random.default_rng(1).normal(size=(1, *shape)).astype(np.float32)
    forward = torch_forward(_random_net(), torch.device("cpu"))
    tiled = predict_tiled(image, forward, tile=32, overlap=8, batch_size=4, multiple=4)
    assert tiled.shape == (3, *shape)
    np.testing.assert_allclose(tiled.sum(axis=0), 1.0, atol=1e-5)


def _constant(probabilities: list[float]):  # type: ignore[no-untyped-def]
    def forward(tiles: np.ndarray) -> np.ndarray:
        out = np.empty((len(tiles), len(probabilities), *tiles.shape[2:]), np.float32)
        out[:] = np.asarray(probabilities, np.float32)[None, :, None, None]
        return out
    return forward


def test_an_ensemble_gives_the_mean_and_the_members_standard_deviation() -> None:
    plane = np.zeros((1, 40, 50), np.float32)
    tiles = TileSettings(tile=32, overlap=8, batch_size=2)
    mean, spread = predict_ensemble(plane, [_constant([0.2, 0.8]), _constant([0.6, 0.4])],
                                    multiple=4, tiles=tiles)
    np.testing.assert_allclose(mean[0], 0.4, atol=1e-6)
    np.testing.assert_allclose(mean[1], 0.6, atol=1e-6)
    np.testing.assert_allclose(spread, 0.2, atol=1e-6)
    _, same = predict_ensemble(plane, [_constant([0.3, 0.7])] * 3, multiple=4, tiles=tiles)
    assert float(same.max()) == 0.0
