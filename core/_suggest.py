"""Close-match suggestions for misspelled names ("did you mean 'threshold'?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""`` if none is close."""
    options = list(candidates)
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in options}
        matches = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean '{matches[0]}'?)" if matches else ""
