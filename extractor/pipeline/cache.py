"""Stage results keyed by what produced them, so a re-run recomputes only what is stale.

A stage's key hashes: the article text, every prompt file the stage reads, the model, the JSON
Schema of the stage's output, the stage version and the keys of the stages it reads from.
Editing `targets.j2` changes only the targets key; editing `repair.j2` changes the repair key
and so the keys of every stage that reads the repairs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

import sqlite_utils

from extractor.models import (
    InitiativeList,
    MeetingList,
    OfficialList,
    RepairResult,
    TargetList,
)
from extractor.store import storage
from extractor.store.storage import now

STAGE_VERSION = "1"  # bump when a stage's request or parsing changes (re-runs the model)
POSTPROCESS_VERSION = "8"  # bump when assemble/rules/finalize change (re-finalizes, no calls)
SHARED_PROMPTS = ("system.j2", "article.j2")


@dataclass(frozen=True)
class StageSpec:
    name: str
    prompt_files: tuple[str, ...]
    output_schema: type
    reads_repairs: bool


STAGE_SPECS: dict[str, StageSpec] = {
    "repair": StageSpec("repair", ("repair.j2", "glossary.yaml"), RepairResult, False),
    "meetings": StageSpec("meetings", ("meetings.j2",), MeetingList, True),
    "officials": StageSpec("officials", ("officials.j2",), OfficialList, True),
    "initiatives": StageSpec("initiatives", ("initiatives.j2",), InitiativeList, True),
    "targets": StageSpec("targets", ("targets.j2",), TargetList, False),
}
STAGES = tuple(STAGE_SPECS)


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
                 repair_key: str | None) -> dict[str, str]:
    spec = STAGE_SPECS[stage]
    inputs = {
        "article": article_sha[:16], "model": model,
        "schema": _schema_hash(spec.output_schema), "stage_version": STAGE_VERSION,
    }
    for name in (*SHARED_PROMPTS, *spec.prompt_files):
        inputs[name] = prompt_hashes.get(name, "missing")
    if spec.reads_repairs:
        inputs["repair"] = repair_key or "missing"
    return inputs


def stage_keys(article_sha: str, model: str, prompt_hashes: dict[str, str]) -> dict[str, StageKey]:
    """The key of every stage of one article, repair first (others may depend on it)."""
    keys: dict[str, StageKey] = {}
    for stage in STAGES:
        repair_key = keys["repair"].key if "repair" in keys else None
        inputs = stage_inputs(stage, article_sha, model, prompt_hashes, repair_key)
        digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24]
        keys[stage] = StageKey(stage, digest, inputs)
    return keys


def article_key(keys: dict[str, StageKey]) -> str:
    """Key of an article's stored records: its stage keys plus the post-processing version, so a
    change to assembly, rules or grounding re-finalizes from stored stage results (no calls)."""
    joined = "|".join([POSTPROCESS_VERSION, *(keys[stage].key for stage in STAGES)])
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def ensure_cache_tables(db: sqlite_utils.Database) -> None:
    if "stage_results" not in db.table_names():
        db["stage_results"].create(
            {"id": str, "article_id": str, "stage": str, "key": str, "inputs": str,
             "run_id": int, "output": str, "created": str},
            pk="id", foreign_keys=[("run_id", "runs", "id")],
        )
        db["stage_results"].create_index(["article_id", "stage"])


def cached_output(db: sqlite_utils.Database, article_id: str, key: StageKey) -> object | None:
    rows = list(db.query(
        "SELECT output FROM stage_results WHERE article_id = ? AND stage = ? AND key = ?",
        [article_id, key.stage, key.key]))
    return json.loads(rows[0]["output"]) if rows else None


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
