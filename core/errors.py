"""One error hierarchy for everything Lamella reports to a user.

Every error carries a message a microscopist can act on: what is wrong, where (file, node,
port or field) and what to do. Errors that collect several problems (a manifest, a workflow)
keep them as a list so they can all be shown at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MAX_LINE_CHARS",
    "InputFileError",
    "LamellaError",
    "ManifestError",
    "ModuleError",
    "ModuleNotFound",
    "Problem",
    "RunFailed",
    "WorkflowError",
    "WorkflowFileError",
    "WorkflowValidationError",
    "shortened",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located: ``where`` names the file, node, port or field."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


# A problem or error line longer than this is cut in its middle: values quoted from a
# hostile file (a 5,000-character module name, a 6 MB line) must not make a 6 MB message.
MAX_LINE_CHARS = 300


def shortened(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` cut to ``limit`` characters in the middle, so its start and its advice stay."""
    if len(text) <= limit:
        return text
    keep = limit - 5
    return f"{text[:keep - keep // 3]} ... {text[len(text) - keep // 3:]}"


class LamellaError(Exception):
    """Base of all errors Lamella reports as a one-line message (no traceback)."""


class _ProblemsError(LamellaError):
    """An error made of several located problems, all reported together."""

    summary = "problems found"

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} {self.summary if count != 1 else self.summary_one}"
        return "\n".join([shortened(head), *(f"  - {shortened(str(p))}" for p in self.problems)])

    @property
    def summary_one(self) -> str:
        return self.summary.replace("problems", "problem")


class ManifestError(_ProblemsError):
    """A module manifest (``module.json``) does not follow the manifest schema."""

    summary = "problems in module manifest"


class WorkflowFileError(LamellaError):
    """A workflow YAML file cannot be read or does not follow the workflow schema."""


class WorkflowError(_ProblemsError):
    """A workflow file's content does not follow the workflow schema."""

    summary = "problems in workflow file"


class WorkflowValidationError(_ProblemsError):
    """A workflow is well-formed YAML but cannot run as wired (modules, ports, types...)."""

    summary = "problems in workflow"


class ModuleNotFound(LamellaError):
    """A module reference does not resolve to any known module."""


class InputFileError(LamellaError):
    """A file given to a workflow or a module is missing, unreadable or of the wrong kind."""


class ModuleError(LamellaError):
    """Raised by module code (through the SDK) to fail a node with a clear message."""


class RunFailed(LamellaError):
    """A run finished with failed nodes; the run record says which and why."""
