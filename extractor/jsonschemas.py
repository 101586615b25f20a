"""JSON Schema files for the Pydantic models (``extractor schemas`` writes ``schemas/``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from extractor.models import SCHEMA_MODELS


def schema_documents() -> dict[str, str]:
    """File name -> pretty JSON Schema text, for every model."""
    return {
        f"{model.__name__}.json": json.dumps(model.model_json_schema(), indent=2,
                                             ensure_ascii=False) + "\n"
        for model in SCHEMA_MODELS
    }


def schema_hash() -> str:
    digest = hashlib.sha256()
    for name, text in sorted(schema_documents().items()):
        digest.update(name.encode())
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
