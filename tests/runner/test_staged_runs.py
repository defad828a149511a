"""Runs staged on a remote Docker host while its slots are busy, and the CPUs a host offers.

A remote host takes one more run per slot than it runs (``HostCapacity.staged``): the extra
run's inputs are shipped and its container created while the slot is busy; the slot gate
starts it when the running container ends. A hosts file's ``cpus`` sets the threads each
run gets there.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from lamella.runner.backends._docker_gate import SlotGate
from lamella.runner.backends._resources import ResourcePool
from lamella.runner.backends.base import HostCapacity, ResourceRequest
from lamella.runner.containers._hosts import HostsFileError, read_hosts_file

REQUEST = ResourceRequest(memory_gb=1.0)


def test_a_host_with_a_staged_place_takes_one_run_more_than_its_slots() -> None:
    pool = ResourcePool((HostCapacity("remote", 1, 8.0, staged=1),))
    assert pool.place("one", REQUEST).host == "remote"
    assert pool.can_place(REQUEST)  # staged: made ready while "one" runs
    assert pool.place("two", REQUEST).host == "remote"
    assert not pool.can_place(REQUEST)
    pool.free("one")
    assert pool.can_place(REQUEST)


def test_a_host_where_the_run_starts_at_once_goes_before_a_staged_place() -> None:
    pool = ResourcePool((HostCapacity("remote", 1, 8.0, staged=1), HostCapacity("here", 1, 8.0)))
    assert pool.place("one", REQUEST).host == "remote"
    # The remote host still has a staged place and is preferred, but "here" is idle.
    assert pool.place("two", REQUEST, prefer="remote").host == "here"
    assert pool.place("three", REQUEST, prefer="remote").host == "remote"  # staged there
    assert not pool.can_place(REQUEST)


def test_a_run_that_wants_a_gpu_is_not_staged_on_a_host_with_gpus() -> None:
    pool = ResourcePool((HostCapacity("gpu-box", 1, 8.0, gpu_ids=("0",), staged=1),))
    assert pool.place("one", ResourceRequest(gpu="optional")).gpu_ids == ("0",)
    assert not pool.can_place(ResourceRequest(gpu="optional"))  # not staged to run on the CPU
    assert not pool.can_place(ResourceRequest(gpu="required"))
    assert pool.can_place(ResourceRequest(gpu="none"))  # a CPU run is staged as on any host


def test_the_gate_lets_a_staged_run_start_when_the_running_one_ends() -> None:
    gate, cancelled = SlotGate(1), threading.Event()
    assert gate.enter(1, cancelled)
    started: list[float] = []

    def wait_and_start() -> None:
        if gate.enter(1, cancelled):
            started.append(time.monotonic())

    waiter = threading.Thread(target=wait_and_start)
    waiter.start()
    time.sleep(0.3)
    assert started == []  # the slot is still held
    left = time.monotonic()
    gate.leave(1)
    waiter.join(timeout=5)
    assert len(started) == 1 and started[0] >= left


def test_a_run_cancelled_while_it_waits_for_the_gate_never_holds_a_slot() -> None:
    gate, cancelled = SlotGate(1), threading.Event()
    assert gate.enter(1, threading.Event())
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(gate.enter(1, cancelled)))
    waiter.start()
    cancelled.set()
    waiter.join(timeout=5)
    assert outcome == [False]
    gate.leave(1)
    assert gate.enter(1, threading.Event())  # the one slot is free again: nothing leaked


def test_a_hosts_file_gives_each_host_its_cpus(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("hosts:\n  - {url: 'unix:///var/run/docker.sock', slots: 1, cpus: 1}\n"
                     "  - {url: 'tcp://gpu-box:2376', slots: 4}\n")
    here, there = read_hosts_file(hosts)
    assert (here.cpus, there.cpus) == (1, None)


def test_a_hosts_file_refuses_zero_cpus_and_names_the_field(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("hosts:\n  - {url: 'tcp://gpu-box:2376', cpus: 0}\n")
    with pytest.raises(HostsFileError, match=r"hosts\.yaml: hosts\.0\.cpus: .*greater than or equal to 1"):
        read_hosts_file(hosts)
