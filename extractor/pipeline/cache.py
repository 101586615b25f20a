"""Stage results keyed by what produced them, so a re-run recomputes only what is stale.

A stage's stored result is the model's raw structured answer; everything deterministic after
it (assembling, repairs, rules, grounding, finalize) runs again whenever the article is
finalized, which ``POSTPROCESS_VERSION`` decides without any call. A stage's key hashes: the
article text, every prompt file the stage reads, the model, the JSON Schema of the answer, the
stage version and the keys of the stages it reads from. Editing `targets.j2` changes only the
targets key; editing `repair.j2` changes the repair key and so the keys of every stage that
reads the repairs.

Databases written before version 2 stored each stage's records after assembly; those results
are still found (under their version-1 key) and reused as they are, so an upgrade makes no call;
a stage recomputed after that stores its raw answer.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

import sqlite_utils

from extractor.config import Settings
from extractor.pipeline.stages import STAGES
from extractor.store import storage
from extractor.store.storage import now
from extractor.text.articles import Article
from extractor.text.chunks import article_parts

# bump when a stage's request or the meaning of its stored result changes (re-runs the model);
# 2: the stored result is the raw answer (1: the records after assembly, still reused)
STAGE_VERSION = "2"
LEGACY_STAGE_VERSION = "1"
POSTPROCESS_VERSION = "29"  # bump when assemble/rules/finalize change (re-finalizes, no calls)
SHARED_PROMPTS = ("system.j2", "article.j2")


@functools.cache
def _schema_hash(model: type) -> str:
    text = json.dumps(model.model_json_schema(), sort_keys=True)  # type: ignore[attr-defined]
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StageKey:
    stage: str
    key: str
    inputs: dict[str, str]  # what the key was made of (file -> hash, model, ...)


def stage_inputs(stage: str, article_sha: str, model: str, prompt_hashes: dict[str, str],
                 repair_key: str | None, version: str = STAGE_VERSION) -> dict[str, str]:
    spec = STAGES[stage]
    inputs = {
        "article": article_sha[:16], "model": model,
        "schema": _schema_hash(spec.answer), "stage_version": version,
    }
    for name in (*SHARED_PROMPTS, *spec.prompt_files):
        inputs[name] = prompt_hashes.get(name, "missing")
    if spec.reads_repairs:
        inputs["repair"] = repair_key or "missing"
    return inputs


def stage_keys(article_sha: str, model: str, prompt_hashes: dict[str, str],
               version: str = STAGE_VERSION) -> dict[str, StageKey]:
    """The key of every stage of one article, repair first (others may depend on it)."""
    keys: dict[str, StageKey] = {}
    for stage in STAGES:
        repair_key = keys["repair"].key if "repair" in keys else None
        inputs = stage_inputs(stage, article_sha, model, prompt_hashes, repair_key, version)
        digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24]
        keys[stage] = StageKey(stage, digest, inputs)
    return keys


@dataclass(frozen=True)
class PartKeys:
    """One part of an article (the article itself when it fits) and its stage keys, current
    and from before version 2."""

    part: Article
    keys: dict[str, StageKey]
    legacy: dict[str, StageKey]


def part_keys(article: Article, settings: Settings,
              prompt_hashes: dict[str, str]) -> list[PartKeys]:
    """The article's parts (``settings.part_chars``) with the stage keys of each."""
    return [PartKeys(part, stage_keys(part.sha256, settings.model, prompt_hashes),
                     stage_keys(part.sha256, settings.model, prompt_hashes,
                                version=LEGACY_STAGE_VERSION))
            for part in article_parts(article, settings.part_chars, settings.part_overlap)]


def article_key(*part_keys: dict[str, StageKey]) -> str:
    """Key of an article's stored records: the stage keys of its parts (one part unless it is
    long) plus the post-processing version, so a change to assembly, rules or grounding
    re-finalizes from stored stage results (no calls)."""
    joined = "|".join([POSTPROCESS_VERSION,
                       *(keys[stage].key for keys in part_keys for stage in STAGES)])
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def cached_output(db: sqlite_utils.Database, article_id: str, key: StageKey) -> object | None:
    rows = list(db.query(
        "SELECT output FROM stage_results WHERE article_id = ? AND stage = ? AND key = ?",
        [article_id, key.stage, key.key]))
    return json.loads(rows[0]["output"]) if rows else None


def has_result(db: sqlite_utils.Database, article_id: str, key: StageKey,
               legacy: StageKey | None) -> bool:
    """A result is stored under the stage's key (or, from before version 2, its legacy key)."""
    return any(cached_output(db, article_id, k) is not None for k in (key, legacy) if k)


def store_output(db: sqlite_utils.Database, article_id: str, key: StageKey, run_id: int,
                 output: object) -> None:
    with storage.write(db):
        storage.insert_rows(db, "stage_results", [{
            "id": f"{article_id}:{key.stage}:{key.key}", "article_id": article_id,
            "stage": key.stage, "key": key.key, "inputs": json.dumps(key.inputs),
            "run_id": run_id, "output": json.dumps(output, ensure_ascii=False), "created": now(),
        }], replace=True)


def latest_inputs(db: sqlite_utils.Database, article_id: str, stage: str) -> dict | None:
    """Inputs of the most recent stored result of a stage (to say why it is stale)."""
    rows = list(db.query(
        "SELECT inputs FROM stage_results WHERE article_id = ? AND stage = ? "
        "ORDER BY created DESC, rowid DESC LIMIT 1", [article_id, stage]))
    return json.loads(rows[0]["inputs"]) if rows else None


def stale_reasons(old: dict | None, new: dict[str, str]) -> list[str]:
    """Which inputs changed ("targets.j2", "model", "repair", ...); ["never run"] if none stored."""
    if old is None:
        return ["never run"]
    return [name for name in new if old.get(name) != new[name]]
