"""Prompt templates: loaded from files under prompts/, rendered with Jinja, hashed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
import yaml


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class PromptLibrary:
    """The prompt folder: ``*.j2`` templates plus ``glossary.yaml``."""

    directory: Path

    @cached_property
    def _env(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )

    def template_path(self, name: str) -> Path:
        path = self.directory / f"{name}.j2"
        if not path.is_file():
            raise FileNotFoundError(f"prompt template not found: {path}")
        return path

    def render(self, name: str, **variables: Any) -> str:
        """Render ``prompts/<name>.j2``; unknown variables are an error, not blank text."""
        self.template_path(name)
        return self._env.get_template(f"{name}.j2").render(**variables).strip()

    def hash(self, name: str) -> str:
        return file_sha256(self.template_path(name))[:16]

    def hashes(self) -> dict[str, str]:
        """Short sha256 of every prompt file (templates and glossary), keyed by file name."""
        return {
            path.name: file_sha256(path)[:16]
            for path in sorted(self.directory.iterdir())
            if path.suffix in {".j2", ".yaml"}
        }

    def glossary(self) -> list[dict[str, str]]:
        """Termbase entries from ``glossary.yaml`` (empty when the file is absent)."""
        return self._glossary

    @cached_property
    def _glossary(self) -> list[dict[str, str]]:
        path = self.directory / "glossary.yaml"
        if not path.is_file():
            return []
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: expected a list of entries")
        return entries
