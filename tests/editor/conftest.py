"""Editor tests run Qt offscreen: no display is needed (see MACHINE-NOTES, Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
