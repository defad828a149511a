"""A module's own requirements.txt, checked against the installed environment."""

from __future__ import annotations

import importlib.metadata as metadata
import os
from pathlib import Path

import pytest

from lamella.core.manifest import manifest_from_dict
from lamella.runner.backends._requirements import unmet_requirement

MANIFEST = manifest_from_dict({"id": "lamella/unet-train", "version": "1.0.0", "name": "U-Net",
                               "category": "Machine learning", "description": "d",
                               "outputs": {"model": {"type": "model"}}})
NUMPY = metadata.version("numpy")


def module_with(folder: Path, requirements: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "requirements.txt").write_text(requirements)
    return folder


@pytest.mark.parametrize(("requirements", "message"), [
    ("numpy>=1.26\n", None),
    ("# what main.py imports\n\nnumpy>=1.26  # arrays\nscikit-image\n", None),
    ("lamella-no-such-package>=1.0\n",
     "module lamella/unet-train needs lamella-no-such-package>=1.0: "
     "pip install 'lamella-no-such-package>=1.0'"),
    ("numpy>=999\n",
     f"module lamella/unet-train needs numpy>=999 (installed: {NUMPY}): pip install 'numpy>=999'"),
    ("numpy<1\n", f"module lamella/unet-train needs numpy<1 (installed: {NUMPY}): pip install 'numpy<1'"),
    ('lamella-no-such-package; sys_platform == "no-such-platform"\nnumpy\n', None),
    ('lamella-no-such-package; python_version < "3"\n', None),
    ('lamella-no-such-package; extra == "gpu"\n', None),
    ("numpy\nlamella-no-such-package\nlamella-other-missing\n",
     "module lamella/unet-train needs lamella-no-such-package: pip install 'lamella-no-such-package'"),
])
def test_requirement_lines(tmp_path: Path, requirements: str, message: str | None) -> None:
    assert unmet_requirement(module_with(tmp_path / "unet-train", requirements), MANIFEST) == message


def installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(installed("torch"), reason="torch is installed here, so it cannot be missing")
def test_a_package_an_extra_of_lamella_provides_names_the_extra(tmp_path: Path) -> None:
    folder = module_with(tmp_path / "unet-train", "numpy\ntorch>=2.3\n")
    assert unmet_requirement(folder, MANIFEST) == (
        "module lamella/unet-train needs torch>=2.3: pip install 'lamella[ml]'")


def test_a_line_that_is_not_a_requirement_names_the_file_and_line(tmp_path: Path) -> None:
    folder = module_with(tmp_path / "unet-train", "numpy\n-r base.txt\n")
    message = unmet_requirement(folder, MANIFEST)
    assert str(message).startswith(f"{folder}/requirements.txt line 2: '-r base.txt' is not a requirement (")
    assert str(message).endswith("); write one package a line, e.g. 'scipy>=1.12'")


def test_a_module_without_requirements_needs_nothing(tmp_path: Path) -> None:
    (tmp_path / "tool").mkdir()
    assert unmet_requirement(tmp_path / "tool", MANIFEST) is None


def test_an_edited_file_is_checked_again(tmp_path: Path) -> None:
    folder = module_with(tmp_path / "unet-train", "numpy\n")
    assert unmet_requirement(folder, MANIFEST) is None
    (folder / "requirements.txt").write_text("numpy>=999\n")
    stat = (folder / "requirements.txt").stat()
    os.utime(folder / "requirements.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert unmet_requirement(folder, MANIFEST) == (
        f"module lamella/unet-train needs numpy>=999 (installed: {NUMPY}): pip install 'numpy>=999'")
