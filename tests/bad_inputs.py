"""The bad inputs the tests cover, as data: each test module lists its cases as ``BadInput``.

``docs/bad-inputs.md`` is this table; ``tests/test_bad_inputs_table.py`` fails when the two
disagree. Write the table again with ``.venv/bin/python -m tests.bad_inputs``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOC", "MODULES", "BadInput", "collect", "render"]

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad-inputs.md"

# The test modules whose module-level BAD_INPUTS lists make up the table, in table order.
MODULES = (
    "tests.test_bad_inputs",
    "tests.test_input_files",
    "tests.test_workflow_limits",
    "tests.runner.test_hostile_outputs",
    "tests.core.test_extreme_calibration",
)

_HEADER = """\
# Bad inputs

Every bad input the command-line tests feed Lamella, with the one line it must answer and
the exit status (0 success, 1 a step failed, 2 bad input; see the README's "Command line").
The line is the first one on stderr; for a problem in a workflow it is the problem's line
under `error: <file>: 1 problem in workflow`, and for a warning (exit 0) the run summary's
line. The table is made from the tests' own cases (`tests/bad_inputs.py`): a test fails when
it and the tests disagree. `<dir>` stands for the folder the test runs in; `...` ends a text
the message cut short. Write it again after changing a case:
`.venv/bin/python -m tests.bad_inputs`.

| case | input | line | exit |
|---|---|---|---|
"""


@dataclass(frozen=True)
class BadInput:
    """One bad input: a short id, what is given, the exact first line answered, the exit status.

    ``message`` may hold ``{d}``, the folder the test runs in.
    """

    id: str
    input: str
    message: str
    exit_status: int

    def line(self, folder: Path | str) -> str:
        """The message with the test's folder filled in."""
        return self.message.format(d=folder)


def collect() -> list[BadInput]:
    """Every case of the modules in :data:`MODULES`."""
    return [case for name in MODULES for case in importlib.import_module(name).BAD_INPUTS]


def render(cases: list[BadInput]) -> str:
    """The Markdown page listing ``cases``."""
    rows = [f"| {c.id} | {_cell(c.input)} | {_cell(c.line('<dir>'))} | {c.exit_status} |"
            for c in cases]
    return _HEADER + "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


if __name__ == "__main__":
    DOC.write_text(render(collect()), encoding="utf-8")
    print(f"wrote {DOC}")
