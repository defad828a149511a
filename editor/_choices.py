"""The modules a user can add, as the palette and the Tab search list and find them."""

from __future__ import annotations

from dataclasses import dataclass

from lamella.core.catalog import Catalog

__all__ = ["ModuleChoice", "module_choices", "search"]


@dataclass(frozen=True)
class ModuleChoice:
    """One module the user can add: the reference a workflow writes, and how it is shown."""

    ref: str  # 'lamella/threshold@1': the newest version of that major
    name: str
    category: str
    description: str
    origin: str  # built-in, --modules, LAMELLA_MODULE_PATH

    @property
    def words(self) -> str:
        """Everything a search matches against, lower case."""
        return f"{self.name} {self.ref} {self.category} {self.description}".lower()


def module_choices(catalog: Catalog) -> list[ModuleChoice]:
    """One choice per module id and major version (its newest version), by category and name."""
    choices = []
    for module_id in catalog.ids():
        majors: dict[str, str] = {}
        for version in catalog.versions(module_id):  # oldest first: the newest of a major stays
            majors[version.split(".")[0]] = version
        for major, version in majors.items():
            entry = catalog.get(module_id, version)
            if entry is None:
                continue
            manifest = entry.manifest
            choices.append(ModuleChoice(f"{module_id}@{major}", manifest.name, manifest.category,
                                        manifest.description, entry.origin))
    return sorted(choices, key=lambda c: (c.category, c.name.lower()))


def search(choices: list[ModuleChoice], text: str) -> list[ModuleChoice]:
    """Choices matching every word of ``text``; names starting with it first."""
    words = text.lower().split()
    if not words:
        return list(choices)
    found = [c for c in choices if all(w in c.words for w in words)]
    return sorted(found, key=lambda c: (not c.name.lower().startswith(text.lower().strip()),
                                        c.name.lower()))
