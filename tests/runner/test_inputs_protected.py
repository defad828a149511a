"""A module that writes to its input changes neither the user's file nor a stored result."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lamella.core.sdk import read_image
from lamella.runner import Analysis
from lamella.runner.cache import CacheStore
from tests.runner.tmp_modules import CLOBBER, write_module

ON_USER_FILE = """\
lamella: 1
name: clobber-input
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  clobber: {module: test/clobber@1, in: {image: $inputs.image}}
outputs: {table: clobber.table}
"""

ON_STORED_RESULT = """\
lamella: 1
name: clobber-stored
nodes:
  gen: {module: test/gen@1, params: {value: 3}}
  clobber: {module: test/clobber@1, in: {image: gen.image}}
  after: {module: test/stats@1, in: {image: gen.image}}
outputs: {image: gen.image, table: after.table}
"""

MESSAGE = ("node 'clobber' (test/clobber 1.0.0) wrote to its input 'image' ({name}); modules must "
           "not write to their inputs (write new files to outputs/)")


def analysis(tmp_path: Path, fixture_modules: Path, text: str) -> Analysis:
    write_module(tmp_path / "mods", "clobber", CLOBBER)
    (tmp_path / "wf.yaml").write_text(text)
    return Analysis.load(tmp_path / "wf.yaml", modules=[fixture_modules, tmp_path / "mods"])


def test_the_users_file_is_never_changed(tmp_path: Path, fixture_modules: Path, image_file: Path,
                                         isolated_cache: Path) -> None:
    original = image_file.read_bytes()
    result = analysis(tmp_path, fixture_modules, ON_USER_FILE).run(out=tmp_path / "out")
    assert image_file.read_bytes() == original
    (job,) = result.jobs
    assert (job.status, job.error) == ("failed", MESSAGE.format(name="input.ome.tif"))
    assert (tmp_path / "out" / "logs" / "clobber.log").read_text() == "about to write to my input\n"
    assert CacheStore(isolated_cache).entries() == []  # a node that broke the rule stores nothing


def test_writing_to_a_stored_result_fails_the_node_and_the_result_is_made_again(
        tmp_path: Path, fixture_modules: Path, isolated_cache: Path) -> None:
    wf = analysis(tmp_path, fixture_modules, ON_STORED_RESULT)
    result = wf.run(out=tmp_path / "out", jobs=1)
    status = {j.node.id: j.status for j in result.jobs}
    assert status == {"gen": "finished", "clobber": "failed", "after": "skipped"}
    clobber, after = result.jobs[1], result.jobs[2]
    assert clobber.error == MESSAGE.format(name="image.ome.tif")
    assert after.skipped_because == "clobber"  # it would have read the damaged file
    # The damaged entry is gone; the copy published before the damage is sound.
    assert CacheStore(isolated_cache).entries() == []
    assert np.all(read_image(tmp_path / "out" / "image.ome.tif").data == 3)
    again = wf.run(out=tmp_path / "out", jobs=1)
    assert again.jobs[0].status == "finished"
    assert again.jobs[0].reason == ("ran: its earlier result is no longer in the cache (cleared, "
                                    "or found damaged)")


FAILS_NAMING_ITS_INPUT = """\
def run(task):
    task.fail(f"{task.input_path('image').resolve()} is not what I expected")
"""


def test_messages_name_the_users_file_not_the_task_folders_copy(tmp_path: Path,
                                                                fixture_modules: Path,
                                                                image_file: Path) -> None:
    write_module(tmp_path / "mods", "picky", FAILS_NAMING_ITS_INPUT)
    (tmp_path / "wf.yaml").write_text(ON_USER_FILE.replace("test/clobber", "test/picky")
                                      .replace("clobber", "picky"))
    wf = Analysis.load(tmp_path / "wf.yaml", modules=[fixture_modules, tmp_path / "mods"])
    (job,) = wf.run(out=tmp_path / "out").jobs
    assert job.error == f"{image_file.resolve()} is not what I expected"
