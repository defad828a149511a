"""Opening a large workflow: its plain data read quickly, what the views read worked out once.

The round-trip document (comments kept) is parsed only when something needs it, and what is
derived from the document (wires, ports, layout) once per document state.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from lamella.core.catalog import Catalog
from lamella.core.workflow import load_workflow
from lamella.editor.model import EditorModel, OpenError, _summary, _yamlio
from lamella.editor.model._fastread import read_plain
from lamella.editor.model._yamlio import plain, read_document

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.yaml"))
NODES = 200


def chain_text(nodes: int, *, comments: bool = False) -> str:
    """A synthetic image and denoise steps in a chain, with a layout (and comments)."""
    lines = ["# a long chain" if comments else "", "lamella: 1", "name: long-chain", "nodes:",
             "  n0: {module: lamella/synthetic@1}"]
    for i in range(1, nodes):
        note = f"  # step {i}" if comments and i % 10 == 0 else ""
        lines.append(f"  n{i}: {{module: lamella/denoise@1, in: {{image: n{i - 1}.image}}}}{note}")
    lines.append("layout:")
    lines += [f"  n{i}: [{(i % 20) * 220}, {(i // 20) * 160}]" for i in range(nodes)]
    return "\n".join(line for line in lines if line) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    return path


class Counted:
    """A real function that also counts its calls."""

    def __init__(self, function: Any) -> None:
        self.function, self.calls = function, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.function(*args, **kwargs)


@pytest.fixture
def wire_reads(monkeypatch: pytest.MonkeyPatch) -> Counted:
    """Counts the wire texts the model's views parse."""
    counted = Counted(_summary.parse_wire_ref)
    monkeypatch.setattr(_summary, "parse_wire_ref", counted)
    return counted


@pytest.fixture
def round_trip_parses(monkeypatch: pytest.MonkeyPatch) -> Counted:
    """Counts the round-trip (comment-keeping) parses of workflow text."""
    counted = Counted(_yamlio.load_yaml_guess_indent)
    monkeypatch.setattr(_yamlio, "load_yaml_guess_indent", counted)
    return counted


def read_every_node(model: EditorModel) -> None:
    """What the canvas reads to draw each node, and the properties panel for each input."""
    for node in model.node_ids():
        model.inputs_of(node)
        model.outputs_of(node)
        model.wire_into(node, "image")
        model.position(node)
    model.wires()


# ----- derived once per document state ---------------------------------------------------

def test_reading_every_node_parses_each_wire_once(tmp_path: Path, catalog: Catalog,
                                                  wire_reads: Counted) -> None:
    model = EditorModel.open(write(tmp_path, chain_text(NODES)), catalog)
    read_every_node(model)
    read_every_node(model)
    assert wire_reads.calls == NODES - 1
    assert model.wire_into("n7", "image") == ("n6", "image")
    assert [p.name for p in model.outputs_of("n7")] == ["image"]


def test_each_edit_undo_and_redo_reads_its_own_state(tmp_path: Path, catalog: Catalog,
                                                     wire_reads: Counted) -> None:
    model = EditorModel.open(write(tmp_path, chain_text(NODES)), catalog)
    read_every_node(model)
    model.disconnect("n8", "image")
    read_every_node(model)
    assert model.wire_into("n8", "image") is None and len(model.wires()) == NODES - 2
    model.undo()
    read_every_node(model)
    assert model.wire_into("n8", "image") == ("n7", "image")
    model.redo()
    assert model.wire_into("n8", "image") is None
    # Each state's wires are parsed once, however often the views read them.
    assert wire_reads.calls == (NODES - 1) + (NODES - 2) + (NODES - 1) + (NODES - 2)


def test_ports_known_only_from_wires_follow_every_change(tmp_path: Path, catalog: Catalog) -> None:
    # A module that is not installed has the ports its wires and outputs name, nothing else.
    path = write(tmp_path, "lamella: 1\nname: x\nnodes:\n  old: {module: acme/gone@1}\n"
                 "  smooth: {module: lamella/denoise@1, in: {image: old.picture}}\n"
                 "outputs: {raw: old.raw}\n")
    model = EditorModel.open(path, catalog)
    assert [p.name for p in model.outputs_of("old")] == ["picture", "raw"]
    model.disconnect("smooth", "image")
    assert [p.name for p in model.outputs_of("old")] == ["raw"]
    model.remove_output("raw")
    assert model.outputs_of("old") == []
    model.undo()
    assert [p.name for p in model.outputs_of("old")] == ["raw"]
    model.redo()
    model.revert()
    assert [p.name for p in model.outputs_of("old")] == ["picture", "raw"]
    assert model.wire_into("smooth", "image") == ("old", "picture")


def test_the_automatic_layout_is_worked_out_once_per_state(catalog: Catalog) -> None:
    model = EditorModel(catalog)
    first = model.add_node("lamella/synthetic@1")
    second = model.add_node("lamella/denoise@1")
    apart = {first: (0.0, -70.0), second: (0.0, 70.0)}  # no wire: one column
    positions = model.layered_positions()
    assert positions == apart
    positions[first] = (1e6, 1e6)  # the caller's copy: changing it changes nothing in the model
    assert model.layered_positions() == apart
    assert model.connect(first, "image", second, "image") is None
    assert model.layered_positions() == {first: (0.0, 0.0), second: (260.0, 0.0)}
    model.undo()
    assert model.layered_positions() == apart


# ----- the round-trip document parsed when first needed ---------------------------------

def test_opening_and_reading_never_parse_the_round_trip_document(
        tmp_path: Path, catalog: Catalog, round_trip_parses: Counted) -> None:
    text = chain_text(NODES, comments=True)
    path = write(tmp_path, text)
    model = EditorModel.open(path, catalog)
    read_every_node(model)
    assert model.problems() == [] and model.name == "long-chain"
    assert model.params("n3") == {} and model.module_ref("n3") == "lamella/denoise@1"
    assert model.to_workflow() == load_workflow(path)
    assert model.text() == text
    assert model.save().read_text() == text  # unchanged: the bytes read
    assert model.save(tmp_path / "copy.yaml").read_text() == text
    model.undo()  # nothing to undo
    assert round_trip_parses.calls == 0
    assert model.has_comments()
    assert round_trip_parses.calls == 1


def test_a_file_without_a_hash_sign_has_no_comments_without_parsing(
        tmp_path: Path, catalog: Catalog, round_trip_parses: Counted) -> None:
    model = EditorModel.open(write(tmp_path, chain_text(20)), catalog)
    assert not model.has_comments()
    assert round_trip_parses.calls == 0
    quoted = EditorModel.open(write(tmp_path, "lamella: 1\nname: 'a # b'\nnodes:\n"
                                    "  n0: {module: lamella/synthetic@1}\n"), catalog)
    assert not quoted.has_comments()  # a '#' in a value is no comment
    assert round_trip_parses.calls == 1


def test_the_first_edit_keeps_every_untouched_line_and_comment(
        tmp_path: Path, catalog: Catalog, round_trip_parses: Counted) -> None:
    text = chain_text(NODES, comments=True)
    model = EditorModel.open(write(tmp_path, text), catalog)
    read_every_node(model)
    events: list[str] = []
    model.subscribe(lambda change: events.append(change.kind))
    model.set_param("n50", "sigma", 2.5)
    assert events == ["param_changed", "dirty_changed"]  # the parse itself changed nothing
    saved = model.save().read_text().splitlines()
    original = text.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(saved, original, strict=True)) if a != b]
    assert [original[i] for i in changed] == [
        "  n50: {module: lamella/denoise@1, in: {image: n49.image}}  # step 50"]
    assert [saved[i] for i in changed] == [
        "  n50: {module: lamella/denoise@1, params: {sigma: 2.5}, in: {image: n49.image}} # step 50"]
    model.set_param("n51", "sigma", 1.5)
    model.undo()
    model.undo()
    assert model.text() == text and model.save().read_text() == text
    assert round_trip_parses.calls == 1


def test_revert_reads_quickly_again_and_edits_after_it_keep_comments(
        tmp_path: Path, catalog: Catalog, round_trip_parses: Counted) -> None:
    text = chain_text(40, comments=True)
    path = write(tmp_path, text)
    model = EditorModel.open(path, catalog)
    model.remove_nodes(["n39"])
    path.write_text(text.replace("# a long chain", "# a longer chain"))
    model.revert()
    assert round_trip_parses.calls == 1 and not model.can_undo
    assert "n39" in model.node_ids()
    model.rename_node("n39", "last")
    assert round_trip_parses.calls == 2
    assert model.text().startswith("# a longer chain\n")
    assert "  last: [" in model.text()


def test_save_elsewhere_moves_relative_defaults_of_a_file_not_edited(
        tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    path = write(folder, "lamella: 1\nname: x  # the name\ninputs:\n"
                 "  image: {type: image, default: data/img.tif}\n"
                 "nodes:\n  n0: {module: lamella/denoise@1, in: {image: $inputs.image}}\n")
    model = EditorModel.open(path, catalog)
    saved = model.save(tmp_path / "wf.yaml").read_text()
    assert saved == ("lamella: 1\nname: x  # the name\ninputs:\n"
                     "  image: {type: image, default: a/data/img.tif}\n"
                     "nodes:\n  n0: {module: lamella/denoise@1, in: {image: $inputs.image}}\n")
    assert not model.dirty


# ----- the fast reading is the round-trip parser's reading -------------------------------

SCALARS = [
    "1", "-0", "+12", "007", "010", "0o17", "0x1F", "0b101", "1_000", "1:30", "1.5", "-1.5", "1.",
    ".5", "+.5", "1e3", "1.0e5", "1.0e-5", "1.0E+5", ".inf", "-.inf", "true", "True", "tRue", "yes",
    "no", "on", "off", "null", "~", "", "2020-01-01", "2020-01-01 10:00:00", "'010'", '"1e3"',
    "!!str 5", "!!str abc", "!!int 5", "!!int 010", "!!float 1.5", "!!float 1", "!!bool yes",
    "!!bool true", "!!null ~", "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]",
    "!!map {a: 1}", "! abc", "li", "8 nm", "a#b", "[1, 010]", "{a: 1.0e5}", "|\n  two\n  lines",
    ">-\n  fold\n  ed", "&a [1, 2]\nw: *a"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_the_fast_reading_is_the_round_trip_reading_or_none(scalar: str) -> None:
    text = f"lamella: 1\nname: x\nv: {scalar}\n"
    fast = read_plain(text)
    if fast is not None:
        slow = plain(read_document(text)[0])
        assert fast == slow
        assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()]


@pytest.mark.parametrize("text", [
    "%YAML 1.1\n---\nlamella: 1\nname: x\nv: yes\n",  # a directive changes the reading
    "lamella: 1\nname: x\nbase: &b {a: 1}\nv: {<<: *b, c: 2}\n",  # merge keys are ordered differently
    "lamella: 1\nname: x\nv: 1.0e5\n",
    # libyaml accepts these, ruamel.yaml refuses them or reads them otherwise
    "lamella: 1\nname: x\nv: {&k a: b}\n",
    "lamella: 1\nname: x\nv: lame\tlla\n",
    "lamella: 1\nname: x\nv: [1, \"q\":]\n",
    "lamella: 1\nname: x\nv: >-\n  \n    folded\n",
    "lamella: 1\nname: x\nv: |# note\n  text\n",
])
def test_text_the_two_parsers_could_read_differently_is_left_to_the_round_trip_parser(
        text: str) -> None:
    assert read_plain(text) is None


def test_mistyped_workflows_are_read_as_the_round_trip_parser_reads_them() -> None:
    # Typing mistakes in a commented workflow: whatever the fast reading accepts, the
    # round-trip parser accepts too and reads the same (else editing would fail later).
    base = chain_text(12, comments=True) + "outputs: {last: n11.image}\n"
    alphabet = [*" \t\n#:-{}[],'\"|>?&*!%@~.019aex", "\r\n", "\ufeff", "\n  ", "\n- "]
    rng = random.Random(7)
    fast = 0
    for _ in range(400):
        text = list(base)
        for _ in range(rng.randint(1, 4)):
            where, what = rng.randrange(len(text)), rng.choice(alphabet)
            text[where:where + rng.randint(0, 1)] = [what]
        data = read_plain("".join(text))
        if data is not None:
            fast += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert data == plain(read_document("".join(text))[0])
    assert fast > 100  # most mistakes still read quickly


def test_without_libyaml_the_pure_python_loader_reads_the_same() -> None:
    code = ("import yaml; del yaml.CSafeLoader\n"
            "from lamella.editor.model._fastread import _SameAsRoundTripLoader, read_plain\n"
            "from lamella.editor.model._yamlio import plain, read_document\n"
            "import sys; text = sys.stdin.read()\n"
            "assert yaml.SafeLoader in _SameAsRoundTripLoader.__mro__\n"
            "print(read_plain(text) == plain(read_document(text)[0]), read_plain('v: !!str 5'),"
            " read_plain('v: 010'))\n")
    result = subprocess.run([sys.executable, "-c", code], input=chain_text(30, comments=True),
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "None", "None"]


def test_an_empty_list_item_opens_and_edits(tmp_path: Path, catalog: Catalog) -> None:
    # ruamel.yaml's indent guess fails on a '-' with nothing after it: the file is still YAML.
    text = ("lamella: 1\nname: x\nnodes:\n  n0: {module: lamella/synthetic@1}\n  n1:\n"
            "    module: lamella/denoise@1\n    params:\n      sizes:\n      -\n      - 3\n"
            "    in: {image: n0.image}\n")
    model = EditorModel.open(write(tmp_path, text), catalog)
    assert model.params("n1") == {"sizes": [None, 3]}
    model.set_param("n0", "size", 64)
    assert model.text().startswith("lamella: 1\nname: x\nnodes:\n"
                                   "  n0: {module: lamella/synthetic@1, params: {size: 64}}\n  n1:\n")
    assert model.text().endswith("      - 3\n    in: {image: n0.image}\n")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_workflows_are_read_quickly_and_the_same(example: Path) -> None:
    text = example.read_text()
    assert read_plain(text) == plain(read_document(text)[0])


def test_values_yaml_versions_read_differently_open_as_before(tmp_path: Path,
                                                              catalog: Catalog) -> None:
    path = write(tmp_path, "lamella: 1\nname: x\nnodes:\n"
                 "  n0: {module: lamella/denoise@1, params: {a: 1.0e5, b: 010, c: 1:30, d: 1.5}}\n")
    model = EditorModel.open(path, catalog)
    assert model.params("n0") == {"a": 100000.0, "b": 10, "c": "1:30", "d": 1.5}
    model.set_param("n0", "d", 2.5)
    assert model.text() == path.read_text().replace("d: 1.5", "d: 2.5")


@pytest.mark.parametrize(("text", "message"), [
    ("lamella: 1\nname: x\nnodes:\n  a: {module: a/b@1}\n  a: {module: a/c@1}\n",
     "line 5: not valid YAML (found duplicate key \"a\" with value \"{'module': 'a/c@1'}\" "
     "(original value: \"{'module': 'a/b@1'}\"))"),
    ("lamella: 1\nname: x\nnodes: {a: !custom 1}\n",
     "the YAML tag '!custom' is not allowed; workflows hold plain data only (remove the tag)"),
    ("lamella: 1\nname: x\nv: &x 1\nw: &x 2\n",  # the round-trip parser allows it, the runner not
     "not valid YAML ("),
    ("lamella: 1\nname: x\nnodes:\n" + "".join(f"  n{i}: {{module: a/b@1}}\n" for i in range(1001)),
     "the workflow has 1001 nodes, above the limit of 1000; split it into several workflows"),
])
def test_files_are_refused_as_before(tmp_path: Path, catalog: Catalog, text: str,
                                     message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ruamel.yaml warns of the reused anchor
        with pytest.raises(OpenError) as info:
            EditorModel.open(write(tmp_path, text), catalog)
    assert info.value.message.startswith(message) and info.value.text == text


def test_examples_open_fast_and_save_unchanged(tmp_path: Path, catalog: Catalog,
                                               round_trip_parses: Counted) -> None:
    for example in EXAMPLES:
        model = EditorModel.open(shutil.copy(example, tmp_path / example.name), catalog)
        assert model.problems() == []
        assert model.save().read_bytes() == example.read_bytes()
    assert round_trip_parses.calls == 0
