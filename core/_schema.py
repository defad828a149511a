"""The published JSON Schemas, generated from the pydantic models.

``python -m lamella.core._schema`` rewrites ``core/schema/*.json``; a test checks that the
committed files match the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lamella.core.manifest import Manifest
from lamella.core.workflow import Workflow

__all__ = ["SCHEMA_DIR", "render_schemas", "write_schemas"]

SCHEMA_DIR = Path(__file__).parent / "schema"
_MODELS: dict[str, type[BaseModel]] = {"module.schema.json": Manifest,
                                       "workflow.schema.json": Workflow}


def render_schemas() -> dict[str, str]:
    """File name -> schema text, exactly as committed."""
    return {name: _text(model.model_json_schema(by_alias=True)) for name, model in _MODELS.items()}


def _text(schema: dict[str, Any]) -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
