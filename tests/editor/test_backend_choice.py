"""Run ▸ Backend in the editor: local, isolated or docker, as ``lamella run --backend`` offers.

No Docker engine is needed: the Docker case points at a socket that does not exist, so the
run fails with the runner's one-line "not reachable" error, which the window shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lamella.core.errors import LamellaError
from lamella.runner import Session
from lamella.runner._arguments import ArgumentError, check_docker_hosts, check_gpus, check_memory_limit
from tests.editor.test_runs_from_the_editor import EXAMPLE, RUN_S

MISSING_ENGINE = "unix:///nonexistent/docker.sock"


def finished_runs(window) -> list[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """(result, error) of every full run from the window, appended as they end."""
    done: list[tuple[Any, Any]] = []
    window.controller.finished.connect(
        lambda kind, result, error: done.append((result, error)) if kind == "run" else None)
    return done


def recorded_backend(out: Path) -> str:
    return json.loads((out / "run-record.json").read_text())["backend"]["name"]


def tiny_workflow(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text("lamella: 1\nname: tiny\nnodes:\n  make: {module: test/gen@1}\n")
    return path


def open_docker_dialog(window):  # type: ignore[no-untyped-def]
    window.runs.backends["docker"].trigger()
    dialog = window.runs.backend_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_backend_menu_lists_the_three_backends_with_local_checked(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    run_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    submenu = next(a.menu() for a in run_menu.actions() if a.text() == "&Backend")
    entries = [(a.text(), a.isCheckable(), a.isChecked()) for a in submenu.actions()]
    assert entries == [("&Local (warm processes)", True, True),
                       ("&Isolated (a fresh process per node)", True, False),
                       ("&Docker (containers)…", True, False)]
    assert window.runs.backends["local"].actionGroup().isExclusive()
    assert window.runs.backend_label.text() == "Backend: local"
    assert window.controller.backend.name == "local"


@pytest.mark.slow
def test_choosing_isolated_makes_the_next_run_use_it(make_window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(EXAMPLE)
    done = finished_runs(window)
    window.runs.out_dir = tmp_path / "results"
    window.runs.backends["isolated"].trigger()
    assert window.controller.backend.name == "isolated"
    assert window.runs.backends["isolated"].isChecked() and not window.runs.backends["local"].isChecked()
    assert window.runs.backend_label.text() == "Backend: isolated"
    assert window.runs.start()
    qtbot.waitUntil(lambda: bool(done), timeout=RUN_S)
    result, error = done[0]
    assert error is None and result.status == "succeeded"
    assert recorded_backend(tmp_path / "results") == "isolated"
    assert window.controller.session.backend_name == "isolated"
    assert (tmp_path / "results" / "sizes.csv").is_file()


def test_the_docker_dialog_refuses_a_host_without_a_scheme_and_a_missing_engine_fails_the_run(  # type: ignore[no-untyped-def]
        make_window, qtbot, tmp_path: Path, fixture_modules: Path) -> None:
    window = make_window(tiny_workflow(tmp_path), modules=(fixture_modules,))
    done = finished_runs(window)
    window.runs.out_dir = tmp_path / "results"
    dialog = open_docker_dialog(window)
    dialog.hosts.setPlainText("gpu-box:2376")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    with pytest.raises(ArgumentError) as refused:
        check_docker_hosts(["gpu-box:2376"])
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == f"Docker hosts gpu-box:2376: {refused.value.problem}"
    assert "tcp://gpu-box:2376" in refused.value.problem  # the runner says what an address looks like
    assert window.controller.backend.name == "local"  # nothing accepted yet
    dialog.hosts.setPlainText(f"{MISSING_ENGINE}\n")
    dialog.memory.setText("2GB")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible() and window.runs.backend_dialog is None
    choice = window.controller.backend
    assert (choice.name, choice.docker_hosts, choice.gpus, choice.memory_limit) == (
        "docker", (MISSING_ENGINE,), None, "2GB")
    assert window.runs.backends["docker"].isChecked()
    assert window.runs.backend_label.text() == f"Backend: docker on {MISSING_ENGINE}, memory 2GB"

    assert window.runs.start()
    qtbot.waitUntil(lambda: bool(done), timeout=RUN_S)
    result, error = done[0]
    assert result is None
    with pytest.raises(LamellaError) as runner_says:  # the runner's own words, as lamella run says them
        Session(backend="docker", docker_hosts=[MISSING_ENGINE])
    assert error == str(runner_says.value) and "\n" not in error
    assert error.startswith(f"Docker engine at {MISSING_ENGINE}: not reachable (no engine socket); start")
    said = f"the run did not start: {error}"
    assert window.statusBar().currentMessage() == said
    assert said in window.log.toPlainText() and "Traceback" not in window.log.toPlainText()
    assert window.runs.run.isEnabled() and not window.runs.cancel.isEnabled()
    assert window.controller.session is None

    window.runs.backends["local"].trigger()  # back to Local: runs work again
    assert window.runs.backend_label.text() == "Backend: local"
    assert window.runs.start()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=RUN_S)
    result, error = done[1]
    assert error is None and result.status == "succeeded"
    assert recorded_backend(tmp_path / "results") == "local"


def test_cancelling_the_docker_dialog_keeps_the_backend(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.runs.backends["isolated"].trigger()
    dialog = open_docker_dialog(window)
    assert window.runs.backends["docker"].isChecked()  # while the dialog asks
    dialog.hosts.setPlainText(MISSING_ENGINE)
    dialog.reject()
    assert window.controller.backend.name == "isolated"
    assert window.runs.backends["isolated"].isChecked() and not window.runs.backends["docker"].isChecked()


@pytest.mark.parametrize(("field", "text", "shown", "check", "given"), [
    ("memory", "10MB", "Memory limit 10MB", check_memory_limit, "10MB"),
    ("gpus", ",", "GPUs ,", check_gpus, ","),
    ("hosts", "tcp://a:2376, b:2376", "Docker hosts b:2376", check_docker_hosts, ["b:2376"]),
])
def test_the_docker_dialog_names_the_wrong_field_in_the_runners_words(  # type: ignore[no-untyped-def]
        make_window, field: str, text: str, shown: str, check, given: object) -> None:
    with pytest.raises(ArgumentError) as refused:
        check(given)
    window = make_window()
    dialog = open_docker_dialog(window)
    widget = getattr(dialog, field)
    (widget.setPlainText if field == "hosts" else widget.setText)(text)
    dialog.accept()
    assert dialog.isVisible() and dialog.error.text() == f"{shown}: {refused.value.problem}"
    assert dialog.choice is None and window.controller.backend.name == "local"


def test_the_docker_dialog_takes_hosts_on_lines_or_after_commas_and_gpu_ids(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    dialog = open_docker_dialog(window)
    dialog.hosts.setPlainText("tcp://gpu-box:2376, ssh://me@lab\n\nunix:///var/run/docker.sock")
    dialog.gpus.setText("0,1")
    dialog.accept()
    choice = window.controller.backend
    assert choice.docker_hosts == ("tcp://gpu-box:2376", "ssh://me@lab", "unix:///var/run/docker.sock")
    assert choice.gpus == ("0", "1") and choice.memory_limit is None
    assert window.runs.backend_label.text() == ("Backend: docker on tcp://gpu-box:2376, ssh://me@lab, "
                                                "unix:///var/run/docker.sock, GPUs 0,1")
    again = open_docker_dialog(window)  # opened again, it shows what was chosen
    assert again.hosts.toPlainText().splitlines() == list(choice.docker_hosts)
    assert again.gpus.text() == "0,1" and again.memory.text() == ""
    again.reject()


def test_a_session_gives_the_backend_its_docker_hosts_and_memory_limit(  # type: ignore[no-untyped-def]
        monkeypatch, isolated_cache: Path) -> None:
    from lamella.runner.backends import _registry
    from lamella.runner.backends.local import LocalBackend

    given = []

    def spy(options):  # type: ignore[no-untyped-def]
        given.append(options)
        return LocalBackend(options.jobs, scratch=options.scratch)

    monkeypatch.setitem(_registry._FACTORIES, "docker", spy)
    with Session(backend="docker", jobs=1, docker_hosts=["tcp://gpu-box:2376"], memory_limit="512MB",
                 gpus=["1"]) as session:
        assert session.scratch.is_dir()
    (options,) = given
    assert (options.hosts, options.memory_gb, options.gpu_ids) == (("tcp://gpu-box:2376",), 0.5, ("1",))
    with pytest.raises(ArgumentError, match=r"^memory_limit='lots': "):
        Session(backend="docker", memory_limit="lots")


def test_a_session_whose_engine_is_not_reachable_leaves_no_scratch_folder(isolated_cache: Path) -> None:
    from lamella.runner.containers._client import EngineUnreachable

    with pytest.raises(EngineUnreachable, match="not reachable"):
        Session(backend="docker", jobs=1, docker_hosts=[MISSING_ENGINE])
    assert list((isolated_cache / "tmp").iterdir()) == []


def test_changing_the_backend_cancels_the_run_and_the_next_run_uses_the_new_one(  # type: ignore[no-untyped-def]
        make_window, qtbot, tmp_path: Path, fixture_modules: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text("lamella: 1\nname: slow\nnodes:\n  make: {module: test/gen@1}\n"
                    "  slow: {module: test/add@1, params: {sleep: 60}, in: {image: make.image}}\n")
    window = make_window(path, modules=(fixture_modules,))
    done = finished_runs(window)
    started: list[str] = []
    window.controller.run_event.connect(
        lambda kind, event: started.append(event.node) if event.kind == "node_started" else None)
    window.runs.out_dir = tmp_path / "results"
    assert window.runs.start()
    qtbot.waitUntil(lambda: "slow" in started, timeout=RUN_S)
    window.runs.backends["isolated"].trigger()
    qtbot.waitUntil(lambda: bool(done), timeout=RUN_S)
    result, error = done[0]
    assert error is None and result.status == "cancelled"
    assert window.runs.states["slow"] == "cancelled" and window.runs.run.isEnabled()
    window.model.set_param("slow", "sleep", 0)
    assert window.runs.start()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=RUN_S)
    result, error = done[1]
    assert error is None and result.status == "succeeded"
    assert recorded_backend(tmp_path / "results") == "isolated"


def test_a_backend_chosen_while_the_session_opens_is_the_one_the_run_gets(  # type: ignore[no-untyped-def]
        make_window, qtbot, tmp_path: Path, fixture_modules: Path) -> None:
    window = make_window(tiny_workflow(tmp_path), modules=(fixture_modules,))
    done = finished_runs(window)
    window.runs.out_dir = tmp_path / "results"
    assert window.runs.start()  # the local session starts opening on its thread...
    window.runs.backends["isolated"].trigger()  # ...and is stale before the window hears of it
    assert done == [(None, "the backend changed before it started")]
    assert window.runs.run.isEnabled()
    assert window.runs.start()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=RUN_S)
    result, error = done[1]
    assert error is None and result.status == "succeeded"
    assert recorded_backend(tmp_path / "results") == "isolated"
    assert window.controller.session.backend_name == "isolated"
