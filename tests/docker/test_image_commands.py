"""``lamella module build`` and ``lamella images list`` on the real engine."""

from __future__ import annotations

from pathlib import Path

from tests.docker_engine import docker_client, needs_docker
from tests.runner.test_results_folder import lamella
from tests.runner.tmp_modules import write_module

pytestmark = needs_docker

CODE = """\
def run(task):
    task.save_table("table", [{"done": 1}])
"""


def test_module_build_builds_then_says_up_to_date_and_list_shows_sizes(tmp_path: Path) -> None:
    client = docker_client()
    write_module(tmp_path / "mods", "listed", CODE, inputs=())
    first = lamella("module", "build", "test/listed", "--force", "--modules", "mods", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("test/listed:1.0.0: built in ")
    image = client.images.get("test/listed:1.0.0")
    assert image.labels["org.lamella.module"] == "test/listed@1.0.0"
    again = lamella("modules", "build", "test/listed", "--modules", "mods", cwd=tmp_path)
    assert again.stdout.splitlines() == ["test/listed:1.0.0: up to date"]
    same = lamella("images", "build", "test/listed", "--modules", "mods", cwd=tmp_path)
    assert same.stdout.splitlines() == ["test/listed:1.0.0: up to date"]  # the same command
    listed = lamella("images", "list", cwd=tmp_path)
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert rows["lamella/python-base:bookworm"][1:2] == ["base"]
    assert rows["lamella/runtime:0.1.0"][1] == "runtime"
    assert rows["test/listed:1.0.0"][1] == "module" and rows["test/listed:1.0.0"][-1] == "test/listed@1.0.0"
    added, unit = float(rows["test/listed:1.0.0"][4]), rows["test/listed:1.0.0"][5]
    assert (unit == "B" and 0 < added < 10_000) or (unit == "kB" and added < 10)  # only its code


def test_module_build_without_a_name_or_all_says_what_to_give(tmp_path: Path) -> None:
    docker_client()
    done = lamella("module", "build", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: name the modules to build (e.g. lamella/threshold) or give --all")
