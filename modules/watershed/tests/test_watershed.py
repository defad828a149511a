"""lamella/watershed on touching disks, ellipses and corner contacts with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM2 = Calibration(2.0, 2.0, "nm")


def disks(shape: tuple[int, int], *circles: tuple[int, int, float]) -> np.ndarray:
    yy, xx = np.indices(shape)
    out = np.zeros(shape, bool)
    for cy, cx, r in circles:
        out |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    return out


def save(folder: Path, name: str, data: np.ndarray, axes: str = "YX") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_image(folder / f"{name}.ome.tif", Image(data, axes, NM2))


def run(tmp_path: Path, mask: np.ndarray, boundaries: np.ndarray | None = None,
        boundary_axes: str = "YX", **params) -> np.ndarray:
    inputs = {"mask": save(tmp_path, "mask", mask.astype(np.uint8) * 255)}
    if boundaries is not None:
        inputs["boundaries"] = save(tmp_path, "boundaries", boundaries, boundary_axes)
    result = run_module(MODULE_DIR, tmp_path, inputs=inputs, params=params)
    labels = result.image("labels")
    assert (labels.calibration.x, labels.calibration.unit) == (2.0, "nm")
    return labels.data


def test_two_overlapping_disks_split_at_the_neck(tmp_path: Path) -> None:
    mask = disks((40, 64), (20, 20, 12), (20, 40, 12))  # overlap from x = 28 to 32
    labels = run(tmp_path, mask)
    assert labels.dtype == np.uint16
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2]
    left, right = labels[20, 20], labels[20, 40]
    assert {int(left), int(right)} == {1, 2}
    # The cut is the perpendicular bisector x = 30 (the column itself goes to either side).
    assert (labels[mask & (np.indices(mask.shape)[1] < 30)] == left).all()
    assert (labels[mask & (np.indices(mask.shape)[1] > 30)] == right).all()


def test_three_touching_disks_in_a_row(tmp_path: Path) -> None:
    mask = disks((40, 80), (20, 15, 11), (20, 35, 11), (20, 55, 11))  # 2 px overlaps
    labels = run(tmp_path, mask)
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2, 3]
    # Each disk's core (radius 8) is one label, different for every disk, in raster order.
    cores = [labels[disks(mask.shape, (20, cx, 8))] for cx in (15, 35, 55)]
    assert [np.unique(core).tolist() for core in cores] == [[1], [2], [3]]
    # The cuts are the bisectors x = 25 and x = 45 (those columns may go either way).
    xx = np.indices(mask.shape)[1]
    assert (labels[mask & (xx < 25)] == 1).all()
    assert (labels[mask & (xx > 25) & (xx < 45)] == 2).all()
    assert (labels[mask & (xx > 45)] == 3).all()


def test_an_ellipse_stays_one_particle(tmp_path: Path) -> None:
    yy, xx = np.indices((40, 70))
    ellipse = ((yy - 20) / 10.0) ** 2 + ((xx - 35) / 25.0) ** 2 <= 1
    assert np.array_equal(run(tmp_path, ellipse), ellipse.astype(np.uint16))
    hmax = run(tmp_path / "h", ellipse, markers="h-maxima")
    assert np.array_equal(hmax, ellipse.astype(np.uint16))


def test_h_maxima_splits_only_necks_deeper_than_h(tmp_path: Path) -> None:
    # Radius 10, centres 16 apart: the neck is sqrt(100 - 64) = 6 px deep, a rise of ~4 px.
    mask = disks((40, 60), (20, 20, 10), (20, 36, 10))
    assert run(tmp_path, mask, markers="h-maxima", h="4 nm").max() == 2  # 2 px
    assert run(tmp_path / "deep", mask, markers="h-maxima", h="12 nm").max() == 1  # 6 px


def test_component_without_a_centre_keeps_a_label(tmp_path: Path) -> None:
    mask = disks((40, 60), (20, 20, 10), (20, 36, 10))
    mask[2:4, 50:52] = True  # a 2x2 speck: distance 1, far below h
    labels = run(tmp_path, mask, markers="h-maxima", h="40 px")
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2]
    assert len(np.unique(labels[2:4, 50:52])) == 1 and labels[2, 50] != labels[20, 20]


def test_boundary_map_moves_the_cut_to_its_ridge(tmp_path: Path) -> None:
    mask = disks((40, 64), (20, 20, 12), (20, 40, 12))
    xx = np.indices(mask.shape)[1]
    ridge = np.exp(-((xx - 35.0) ** 2) / (2 * 2.0**2)).astype(np.float32)  # border at x = 35
    labels = run(tmp_path, mask, boundaries=ridge)
    assert (labels[mask & (xx < 35)] == labels[20, 20]).all()
    assert (labels[mask & (xx > 35)] == labels[20, 40]).all()
    assert labels[20, 20] != labels[20, 40]
    # As the last channel of a class map (background, interior, boundary).
    classes = np.stack([np.zeros_like(ridge), 1 - ridge, ridge])
    assert np.array_equal(run(tmp_path / "cyx", mask, boundaries=classes, boundary_axes="CYX"),
                          labels)


def test_boundary_map_of_another_size_is_refused(tmp_path: Path) -> None:
    mask = disks((40, 64), (20, 20, 12))
    with pytest.raises(ModuleError) as info:
        run(tmp_path, mask, boundaries=np.zeros((32, 32), np.float32))
    assert str(info.value) == ("input 'boundaries' is 32x32 pixels but 'mask' is 64x40; connect "
                               "a boundary map made from the same image")


def test_connectivity_decides_whether_corner_contacts_join(tmp_path: Path) -> None:
    mask = np.zeros((30, 30), bool)
    mask[5:10, 5:10] = True
    mask[10:15, 10:15] = True  # touches the first square at one corner only
    # min_distance larger than the 5 px between the centres: one seed per connected piece.
    eight = run(tmp_path, mask, min_distance="10 px", connectivity=8)
    assert sorted(np.unique(eight).tolist()) == [0, 1]
    four = run(tmp_path / "four", mask, min_distance="10 px", connectivity=4)
    assert sorted(np.unique(four).tolist()) == [0, 1, 2]
    assert four[7, 7] != four[12, 12]


def test_empty_mask_gives_empty_labels(tmp_path: Path) -> None:
    labels = run(tmp_path, np.zeros((16, 16), bool))
    assert labels.shape == (16, 16) and not labels.any()


@pytest.mark.parametrize(("smooth", "count"), [(0.0, 43), (1.5, 41)])
def test_batches_give_the_same_partition_as_one_pass(smooth: float, count: int) -> None:
    split = import_module_file(MODULE_DIR, "split")
    rng = np.random.default_rng(7)
    circles = [(int(y), int(x), float(r)) for y, x, r in
               zip(rng.integers(10, 190, 60), rng.integers(10, 190, 60), rng.uniform(4, 9, 60),
                   strict=True)]
    mask = disks((200, 200), *circles)
    whole = split.split_particles(mask, smooth=smooth)
    batched = split.split_particles(mask, smooth=smooth, batch_pixels=400)
    assert np.array_equal(np.unique(batched), np.arange(batched.max() + 1))  # consecutive
    # 60 random disks, some overlapping so much that they are one particle; smoothing the
    # distance map merges two more shallow necks.
    assert batched.max() == whole.max() == count
    # Same objects; only pixels equidistant from two centres may fall to the other side (the
    # watershed breaks ties in scan order, which depends on the batch window).
    match = {b: np.bincount(whole[batched == b]).argmax() for b in range(1, count + 1)}
    assert sorted(match.values()) == list(range(1, count + 1))
    moved = sum(int(((batched == b) & (whole != w)).sum()) for b, w in match.items())
    assert moved <= 0.002 * mask.sum()


def test_stack_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    path = save(folder, "mask", np.zeros((2, 8, 8), np.uint8), "ZYX")
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path, inputs={"mask": path})
    assert str(info.value) == (
        "input 'mask' has axes 'ZYX' (shape (2, 8, 8)); watershed works on one 2-D mask (YX): "
        "pick a plane or channel in load-image before thresholding")


def test_non_square_pixels_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    mask = disks((40, 64), (20, 20, 12), (20, 42, 12)).astype(np.uint8) * 255
    path = write_image(folder / "mask.ome.tif", Image(mask, "YX", Calibration(2.0, 3.0, "nm")))
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path, inputs={"mask": path}, params={"min_distance": "4 px"})
    assert str(info.value) == (
        "input 'mask' has non-square pixels (2 x 3 nm); the distance map that separates "
        "particles needs square pixels: resample the image to square pixels, or correct its "
        "pixel size in load-image ('pixel_size')")


def se_disks(shape: tuple[int, int], *circles: tuple[int, int, float]) -> np.ndarray:
    """Secondary-electron look: each disk a dark core (60) in a bright 3-px rim (200) on 20;
    a disk drawn later lies in front of the earlier ones."""
    yy, xx = np.indices(shape)
    image = np.full(shape, 20, np.uint8)
    for cy, cx, r in circles:
        d = np.hypot(yy - cy, xx - cx)
        image[d <= r] = 200
        image[d <= r - 3] = 60
    return image


def test_dark_cores_cut_along_the_bright_rim_of_the_particle_in_front(tmp_path: Path) -> None:
    # A small particle deep in front of a large one: the mask has no neck, so the distance
    # map finds one particle; the small one's bright rim is where the cut belongs.
    circles = ((24, 26, 14), (24, 38, 10))
    image = se_disks((48, 64), *circles)
    mask = disks((48, 64), *circles)
    front = disks((48, 64), circles[1])

    def front_share(labels: np.ndarray) -> float:
        ids, counts = np.unique(labels[front], return_counts=True)
        main = ids[np.argmax(counts)]
        return float((labels == main).sum() and (labels[front] == main).mean()
                     * front.sum() / (labels == main).sum())

    by_distance = run(tmp_path / "distance", mask)
    inputs = {"mask": save(tmp_path, "mask", mask.astype(np.uint8) * 255),
              "image": save(tmp_path, "image", image)}
    result = run_module(MODULE_DIR, tmp_path, inputs=inputs,
                        params={"markers": "dark-cores", "core_smooth": "0.5 px"})
    by_cores = result.image("labels").data
    assert int(by_distance.max()) == 1 and int(by_cores.max()) == 2
    # Share of the front particle's pixels in its own label, times the share of that label
    # that is the front particle: 1 = exactly the particle (the distance map gives 0.42).
    assert front_share(by_cores) == 1.0


def test_dark_cores_report_the_automatic_smoothing(tmp_path: Path) -> None:
    circles = ((24, 24, 12), (24, 46, 12))
    inputs = {"mask": save(tmp_path, "mask", disks((48, 72), *circles).astype(np.uint8) * 255),
              "image": save(tmp_path, "image", se_disks((48, 72), *circles))}
    result = run_module(MODULE_DIR, tmp_path, inputs=inputs, params={"markers": "dark-cores"})
    assert int(result.image("labels").data.max()) == 2
    # Each disk is one hilltop of height 12 (its inscribed radius): sigma 0.1 x 12.
    assert result.notes.resolved == {"core_smooth": "1.2 px"}


def test_dark_cores_need_the_image(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match="'dark-cores' finds particle centres in the grey image; "
                                          "connect input 'image'"):
        run(tmp_path, disks((40, 40), (20, 20, 10)), markers="dark-cores")


def test_auto_min_distance_follows_the_particle_size(tmp_path: Path) -> None:
    inputs = {"mask": save(tmp_path, "mask",
                           disks((40, 80), (20, 15, 11), (20, 35, 11), (20, 55, 11)).astype(np.uint8) * 255)}
    result = run_module(MODULE_DIR, tmp_path, inputs=inputs, params={})
    assert int(result.image("labels").data.max()) == 3
    assert result.notes.resolved == {"min_distance": "7 px"}  # 0.6 x 11, rounded


def test_dark_cores_refuse_an_image_of_another_size(tmp_path: Path) -> None:
    inputs = {"mask": save(tmp_path, "mask", disks((40, 40), (20, 20, 10)).astype(np.uint8) * 255),
              "image": save(tmp_path, "image", se_disks((40, 50), (20, 20, 10)))}
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path, inputs=inputs, params={"markers": "dark-cores"})
    assert str(info.value) == ("input 'image' is 50x40 pixels but 'mask' is 40x40; connect the "
                               "image the mask was made from")


def test_neck_h_cuts_what_the_cores_left_merged(tmp_path: Path) -> None:
    # Two touching 10-px particles with no dark core to show and the distance map given no
    # say: the image has one basin, so one object; the outline still has a neck 1 px deep.
    circles = ((12, 12, 5), (12, 21, 5))
    mask = disks((24, 34), *circles)
    inputs = {"mask": save(tmp_path, "mask", mask.astype(np.uint8) * 255),
              "image": save(tmp_path, "image", np.where(mask, 200, 20).astype(np.uint8))}
    merged = run_module(MODULE_DIR, tmp_path / "off", inputs=inputs,
                        params={"markers": "dark-cores", "distance_weight": 0})
    assert int(merged.image("labels").data.max()) == 1
    cut = run_module(MODULE_DIR, tmp_path / "auto", inputs=inputs,
                     params={"markers": "dark-cores", "distance_weight": 0, "neck_h": "auto"})
    labels = cut.image("labels").data
    assert int(labels.max()) == 2 and labels[12, 12] != labels[12, 21]
    # Typical radius 5.1 px (the hilltops' height): 0.1 and 0.12 times it.
    assert cut.notes.resolved == {"core_smooth": "0.51 px", "neck_h": "0.61 px"}


def test_neck_h_keeps_an_ellipse_whole(tmp_path: Path) -> None:
    yy, xx = np.indices((40, 60))
    ellipse = ((yy - 20) / 8.0) ** 2 + ((xx - 30) / 20.0) ** 2 <= 1
    labels = run(tmp_path, ellipse, markers="h-maxima", h="100 px", neck_h="1 px")
    assert int(labels.max()) == 1
