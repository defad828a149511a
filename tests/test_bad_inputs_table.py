"""docs/bad-inputs.md is the table of the bad inputs the tests cover, exactly."""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.bad_inputs import DOC, MODULES, BadInput, collect, render

TESTS = Path(__file__).resolve().parent


def defined_cases(module_name: str) -> list[BadInput]:
    """Every BadInput a module holds at its top level, alone or in a list or tuple."""
    found: list[BadInput] = []
    for value in vars(importlib.import_module(module_name)).values():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            found += [part for part in parts if isinstance(part, BadInput)]
    return found


def test_the_page_is_the_table_of_the_cases() -> None:
    assert DOC.read_text(encoding="utf-8") == render(collect()), (
        "docs/bad-inputs.md and the tests disagree: run .venv/bin/python -m tests.bad_inputs")


def test_every_case_a_module_defines_is_in_the_table() -> None:
    for name in MODULES:
        listed = importlib.import_module(name).BAD_INPUTS
        assert {c.id for c in defined_cases(name)} == {c.id for c in listed}, name


def test_every_module_with_cases_is_collected() -> None:
    users = {".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
             for path in TESTS.rglob("test_*.py")
             if "from tests.bad_inputs import" in path.read_text(encoding="utf-8")}
    assert users - {"tests.test_bad_inputs_table"} == set(MODULES)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in collect()]
    assert len(ids) == len(set(ids)) == 53
