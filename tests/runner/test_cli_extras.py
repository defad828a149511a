"""Small command-line conveniences: --version, short module names, failed images listed."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.runner.test_engine import BRANCHES

LAMELLA = str(Path(sys.executable).parent / "lamella")


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_version(tmp_path: Path) -> None:
    done = lamella("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"lamella {version('lamella')}\n")


def test_a_module_named_without_its_owner_gets_the_full_reference(tmp_path: Path) -> None:
    done = lamella("modules", "show", "watershed", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "error: 'watershed' is not a module reference; "
                                              "did you mean lamella/watershed@1? (write "
                                              "owner/name@version)\n")
    misspelt = lamella("modules", "show", "treshold@1", cwd=tmp_path)
    assert misspelt.returncode == 2
    assert "did you mean lamella/threshold@1?" in misspelt.stderr


def test_own_modules_are_suggested_too(tmp_path: Path, fixture_modules: Path) -> None:
    done = lamella("modules", "show", "add", "--modules", str(fixture_modules), cwd=tmp_path)
    assert done.returncode == 2 and "did you mean test/add@1?" in done.stderr
    nothing = lamella("modules", "show", "zzzz", cwd=tmp_path)
    assert nothing.stderr == ("error: 'zzzz' is not a module reference; write "
                              "'owner/name@version', e.g. 'lamella/threshold@1'\n")


def test_a_batch_lists_the_images_that_failed(tmp_path: Path, image_file: Path,
                                              fixture_modules: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("one", "two"):
        (tmp_path / "in" / f"{name}.ome.tif").write_bytes(image_file.read_bytes())
    (tmp_path / "wf.yaml").write_text(BRANCHES.replace("MODE", "fail"))
    done = lamella("run", "wf.yaml", "--batch", "in/*.ome.tif", "--modules", str(fixture_modules),
                   "-o", "out", cwd=tmp_path)
    assert done.returncode == 1
    tail = done.stderr.splitlines()[-3:]
    assert tail == ["2 of 2 images did not finish (not pooled; the other images' results are "
                    "complete):",
                    "  one: node 'bad' failed: parameter 'mode': asked to fail",
                    "  two: node 'bad' failed: parameter 'mode': asked to fail"]
    assert "images: 2/2 done, 2 failed" in done.stdout  # not a terminal: one line per image
    assert (tmp_path / "out" / "one" / "good.csv").is_file()  # the good branch still ran
