"""The shipped nanoparticle example, unchanged, on realistic SEM files of 10-60 px particles.

The files (see ``sem_cases``) are secondary-electron images of dense agglomerates, as hard
as real ones: on them the best hand-tuned threshold + distance-watershed workflow reaches
instance F1 0.34-0.79 (``benchmarks/sem_difficulty.json``), as on real Zeiss images (0.59).
Each field is written in the Zeiss SmartSEM layout (data bar painted over the scan, with
scan rows below it) and in the FEI layout, and the example runs on all of them in one batch.

Required of the example on every file: the bar is cut (its labels are the micrograph's
size), the count of particles not cut by the edge within 20 % of the truth's, and an
instance F1 of at least 90 % of the best hand-tuned one on the same field, and a mean
minimum Feret diameter within 5 % or 0.5 px of the truth's. At 10 px the Feret target is
met because the threshold's ``refine_edges: auto`` trims the bright SE halo from small
particles' edges (+11-12 % with the Otsu edges alone); sizes between these (12-25 px) are
run by ``python -m tests.accuracy.sem_sizes 12 15 17 22 25``.
"""

from __future__ import annotations

import pytest

from tests.accuracy import sem_cases

DIAMETERS = (10.0, 20.0, 30.0, 40.0, 60.0)
SEEDS = (1, 2)


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> list[sem_cases.Score]:
    folder = tmp_path_factory.mktemp("sem")
    cases = sem_cases.write_cases(folder / "files", DIAMETERS, SEEDS)
    found = sem_cases.run_example(cases, folder / "out")
    results = [sem_cases.score(case, found[case.name]) for case in cases]
    print("\n" + sem_cases.table(results))
    return results


@pytest.mark.slow
def test_every_layout_and_size_was_scored(scores: list[sem_cases.Score]) -> None:
    assert len(scores) == len(DIAMETERS) * len(SEEDS) * len(sem_cases.LAYOUTS)


@pytest.mark.slow
def test_count_within_20_percent(scores: list[sem_cases.Score]) -> None:
    wrong = [f"{s.case.name}: {s.found} for {s.truth_count}" for s in scores
             if abs(s.count_error) > 0.20]
    assert not wrong, wrong


@pytest.mark.slow
def test_f1_at_least_90_percent_of_the_best_hand_tuned(scores: list[sem_cases.Score]) -> None:
    wrong = [f"{s.case.name}: F1 {s.f1:.3f} < 0.9 x {s.case.hand_tuned_f1:.3f}" for s in scores
             if s.f1 < 0.9 * s.case.hand_tuned_f1]
    assert not wrong, wrong


@pytest.mark.slow
def test_mean_min_feret_within_5_percent_or_half_a_pixel(scores: list[sem_cases.Score]) -> None:
    # Measured: -1.3 to +1.9 % at 10 px, -2.2 to +1.6 % at 20 px, -3.6 to -0.6 % at 30 px,
    # -0.9 to -0.7 % at 40 px, -4.6 to -3.0 % at 60 px.
    wrong = [f"{s.case.name}: {s.feret_min_found_px:.2f} px for {s.feret_min_truth_px:.2f} px"
             for s in scores if abs(s.feret_error_px) > max(0.05 * s.feret_min_truth_px, 0.5)]
    assert not wrong, wrong
