"""Inputs that are not regular files: each is refused in one line (exit 2) naming the input."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Image, write_image
from tests.bad_inputs import BadInput

LAMELLA = str(Path(sys.executable).parent / "lamella")
NANOPARTICLES = Path(__file__).resolve().parents[1] / "examples" / "workflows" / (
    "nanoparticle-size-distribution.yaml")

CASES = [
    BadInput("input-link-loop", "--input image=loop (a symbolic link to itself)",
             "error: input 'image': {d}/loop: a symbolic link loop (the link leads back to "
             "itself); point it at the image file, or give the file's own path", 2),
    BadInput("input-fifo", "--input image=fifo (a named pipe)",
             "error: input 'image': {d}/fifo is a named pipe (FIFO), not a file; save the image "
             "to a file and give that", 2),
    BadInput("input-device", "--input image=/dev/zero",
             "error: input 'image': /dev/zero is a device, not a file; give an image file", 2),
    BadInput("input-folder", "--input image=folder",
             "error: input 'image': {d}/folder is a folder; give one file, or run on every image "
             "in it as a batch of '{d}/folder/*.tif'", 2),
]
GIVEN = {"input-link-loop": "loop", "input-fifo": "fifo", "input-device": "/dev/zero",
         "input-folder": "folder"}
UNREADABLE = BadInput(
    "input-unreadable", "--input image=unreadable.tif (mode 000)",
    "error: input 'image': {d}/unreadable.tif: cannot be read (permission denied); make it "
    "readable (chmod u+r) or give a copy you can read", 2)


@pytest.fixture
def odd_files(tmp_path: Path) -> Path:
    (tmp_path / "loop").symlink_to("loop")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    unreadable = write_image(tmp_path / "unreadable.tif", Image(np.ones((8, 8), np.uint8), "YX"))
    unreadable.chmod(0)
    return tmp_path


def run(folder: Path, given: str, *, preexec=None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([LAMELLA, "run", str(NANOPARTICLES), "--input", f"image={given}",
                           "--out", "out"], cwd=folder, capture_output=True, text=True,
                          timeout=60, preexec_fn=preexec)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_inputs_that_are_not_regular_files(odd_files: Path, case: BadInput) -> None:
    done = run(odd_files, GIVEN[case.id])  # a FIFO would block a run that opened it: timeout
    assert (done.returncode, done.stderr) == (case.exit_status, case.line(odd_files) + "\n")
    assert not (odd_files / "out").exists()


def _without_root_file_access() -> None:
    """In the child: drop the capabilities that let root read any file, then exec."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP failed")


def test_an_unreadable_input(odd_files: Path) -> None:
    # Mode 000 stops everyone but root; as root (CI) the CLI runs without the capabilities
    # that let root read any file, so the file is as unreadable to it as to a user.
    preexec = None
    if os.geteuid() == 0:
        try:
            subprocess.run(["true"], preexec_fn=_without_root_file_access, check=True)
        except (OSError, subprocess.SubprocessError):
            pytest.skip("running as root without CAP_SETPCAP: mode 000 cannot stop reading")
        preexec = _without_root_file_access
    done = run(odd_files, "unreadable.tif", preexec=preexec)
    assert (done.returncode, done.stderr) == (UNREADABLE.exit_status, UNREADABLE.line(odd_files) + "\n")


BAD_INPUTS = [*CASES, UNREADABLE]
