"""The Python API checks its arguments and words its errors in Python terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamella.runner import Analysis
from lamella.runner.api import ArgumentError
from tests.runner.test_engine import CHAIN

BAD_RUN_ARGUMENTS = [
    ({"inputs": {"image": None}}, "inputs['image']: expected a file path, got None"),
    ({"inputs": {"image": 5}}, "inputs['image']: expected a file path, got 5"),
    ({"inputs": {"image": ""}}, "inputs['image']: expected a file path, got ''"),
    ({"inputs": "x.tif"}, "inputs: expected a mapping of workflow input name to file path, e.g. "
                          "{'image': 'my.tif'}, got 'x.tif'"),
    ({"inputs": {3: "x.tif"}}, "inputs: input names are text, got 3"),
    ({"jobs": "2"}, "jobs: expected a whole number >= 1, got '2'"),
    ({"jobs": 0}, "jobs: expected a whole number >= 1, got 0"),
    ({"jobs": -1}, "jobs: expected a whole number >= 1, got -1"),
    ({"jobs": 2.0}, "jobs: expected a whole number >= 1, got 2.0"),
    ({"jobs": True}, "jobs: expected a whole number >= 1, got True"),
    ({"batch": 5}, "batch: expected a glob pattern such as 'data/*.tif' or 'image=data/*.tif', "
                   "got 5"),
    ({"out": 5}, "out: expected a folder path, got 5"),
    ({"cache_dir": ["a"]}, "cache_dir: expected a folder path, got ['a']"),
    ({"use_cache": "no"}, "use_cache: expected True or False, got 'no'"),
    ({"on_event": "print"}, "on_event: expected a function or None, got 'print'"),
    ({"registry": 5000}, "registry: expected an address HOST:PORT such as 'registry.lab:5000', "
                         "got 5000"),
    ({"registry": "http://registry.lab:5000"}, "registry='http://registry.lab:5000': not a "
     "registry address: give HOST:PORT such as 'registry.lab:5000' (no scheme, no path)"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_RUN_ARGUMENTS,
                         ids=[m.split(":")[0] + "-" + str(i) for i, (_, m) in
                              enumerate(BAD_RUN_ARGUMENTS)])
def test_bad_run_arguments_are_refused_before_anything_runs(make_analysis, image_file: Path,
                                                            tmp_path: Path, arguments: dict,
                                                            message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(**{"out": tmp_path / "out", **arguments})
    assert str(info.value) == message
    assert not (tmp_path / "out").exists()


def test_modules_may_be_one_folder(fixture_modules: Path, tmp_path: Path, image_file: Path) -> None:
    (tmp_path / "wf.yaml").write_text(CHAIN)
    for modules in (str(fixture_modules), fixture_modules, [str(fixture_modules)]):
        analysis = Analysis.load(tmp_path / "wf.yaml", modules=modules)
        assert analysis.validate().order == ["add", "stats"]


def test_a_workflow_path_is_required() -> None:
    with pytest.raises(ArgumentError) as info:
        Analysis.load(None)  # type: ignore[arg-type]
    assert str(info.value) == "path: expected a workflow file path, got None"


@pytest.mark.parametrize(("modules", "message"), [
    (5, "modules: expected a module folder or a list of them, got 5"),
    ([None], "modules: expected module folder paths, got None in the list"),
])
def test_bad_module_folders_are_refused(tmp_path: Path, modules: object, message: str) -> None:
    (tmp_path / "wf.yaml").write_text(CHAIN)
    with pytest.raises(ArgumentError) as info:
        Analysis.load(tmp_path / "wf.yaml", modules=modules)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_errors_name_the_argument_so_a_command_line_can_word_it_as_its_option(
        make_analysis, image_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "sizes.csv").write_text("mine")
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(out=folder)
    error = info.value
    assert (error.argument, error.key, error.value) == ("out", None, str(folder))
    assert error.as_option("--out") == (f"--out {folder}: the folder holds files no Lamella run "
                                        "wrote (sizes.csv); give an empty or new folder, or one "
                                        "an earlier run wrote")
    with pytest.raises(ArgumentError) as info:
        make_analysis(CHAIN).run(inputs={"image": None})
    assert info.value.as_option("--input") == "--input image: expected a file path, got None"
