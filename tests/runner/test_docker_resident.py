"""Outputs kept on a remote Docker host for the next node there: offered, read, dropped, removed."""

from __future__ import annotations

from lamella.runner.backends._docker_resident import InPlace, ResidentOutputs
from lamella.runner.backends._resources import ResourcePool
from lamella.runner.backends.base import HostCapacity, ResourceRequest


def test_a_kept_output_is_found_by_digest_and_its_volume_counted_as_read() -> None:
    resident = ResidentOutputs(keep=4)
    assert resident.keep("vol-a", {"d1": "outputs/mask.tif", "d2": "outputs/t.csv"}) == []
    assert resident.holds(["d1", "d3"]) == 1
    assert resident.use(["d1", "d3"]) == {"d1": InPlace("vol-a", "outputs/mask.tif")}
    assert resident.is_kept("vol-a")
    assert resident.done(("vol-a",)) == []  # still offered: it stays


def test_the_oldest_volume_goes_at_once_when_nothing_reads_it() -> None:
    resident = ResidentOutputs(keep=2)
    resident.keep("vol-1", {"d1": "outputs/a"})
    resident.keep("vol-2", {"d2": "outputs/b"})
    assert resident.keep("vol-3", {"d3": "outputs/c"}) == ["vol-1"]
    assert not resident.is_kept("vol-1") and resident.holds(["d1"]) == 0


def test_a_dropped_volume_that_a_task_reads_goes_after_its_last_reader() -> None:
    resident = ResidentOutputs(keep=1)
    resident.keep("vol-1", {"d1": "outputs/a"})
    resident.use(["d1"])
    resident.use(["d1"])
    assert resident.keep("vol-2", {"d2": "outputs/b"}) == []  # two tasks still mount it
    assert resident.is_kept("vol-1") and resident.holds(["d1"]) == 0  # not offered any more
    assert resident.done(("vol-1",)) == []
    assert resident.done(("vol-1",)) == ["vol-1"]
    assert sorted(resident.every()) == ["vol-2"]


def test_every_volume_is_handed_over_once_at_close() -> None:
    resident = ResidentOutputs(keep=1)
    resident.keep("vol-1", {"d1": "outputs/a"})
    resident.use(["d1"])
    resident.keep("vol-2", {"d2": "outputs/b"})
    assert sorted(resident.every()) == ["vol-1", "vol-2"]
    assert resident.every() == []


def test_the_pool_places_a_run_on_the_host_it_prefers_when_that_host_is_free() -> None:
    pool = ResourcePool((HostCapacity("here", 1, 8.0), HostCapacity("there", 1, 8.0)))
    request = ResourceRequest(memory_gb=1.0)
    assert pool.place("one", request, prefer="there").host == "there"
    assert pool.place("two", request, prefer="there").host == "here"  # "there" is busy
    pool.free("one")
    assert pool.place("three", request).host == "there"  # no preference: the first free
