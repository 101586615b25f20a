"""OpenAI-format Batch APIs (OpenAI's, or any server speaking the same files and
``/v1/batches`` endpoints): submit a wave of stage requests, poll it, collect its output and
error files by ``custom_id``.

* ``submit``: every stale article's next requests (``batch_requests.plan_article``: the repair,
  or once it is stored the four stages that read it) in one JSONL file, uploaded
  (``purpose=batch``) and sent as one batch; the batch and each request are kept in
  ``llm_batches`` / ``llm_batch_requests`` with the run that submitted them.
* ``status``: the API's status and counts of every batch not collected yet.
* ``collect``: for every batch that has ended (completed, expired, failed, cancelled), each
  answer is validated as the live client would and stored in the stage cache under its key;
  every request gets an ``llm_calls`` row (tokens, status, the raw answer) under the submitting
  run. An invalid, failed or expired request is not stored, so the next ``submit`` sends it
  again (the next wave). Articles whose every stage is then stored are finalized and stored by
  the ordinary pipeline (a run that makes no call)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
import sqlite_utils

from extractor.cluster.batch_requests import (
    ArticlePlan,
    NoCallClient,
    StageRequest,
    is_stale,
    jsonl,
    parse_answer,
    plan_article,
)
from extractor.config import Settings, redact_url
from extractor.errors import ExtractorError
from extractor.jsonschemas import schema_hash
from extractor.models import CallRecord
from extractor.pipeline import cache
from extractor.pipeline.batch import RunOptions, run_batch
from extractor.pipeline.prompts import PromptLibrary
from extractor.store import storage
from extractor.text.articles import ArticleError

ENDED = frozenset({"completed", "expired", "failed", "cancelled"})
MAX_REQUESTS = 50_000  # per batch (OpenAI's limit; its input file may also hold 200 MB)
MAX_BYTES = 190_000_000


class BatchAPIError(ExtractorError):
    """The Batch API refused a file or a batch, or cannot be reached."""


def api_client(settings: Settings, base_url: str) -> openai.OpenAI:
    loopback = urlsplit(base_url).hostname in {"127.0.0.1", "localhost", "::1"}
    return openai.OpenAI(base_url=base_url, api_key=settings.api_key or "not-needed",
                         max_retries=3, timeout=settings.request_timeout,
                         http_client=httpx.Client(trust_env=False) if loopback else None)


def _api(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except openai.OpenAIError as err:
        raise BatchAPIError(f"Batch API: {type(err).__name__}: {str(err)[:300]}") from err


@dataclass
class Submitted:
    batch_ids: list[str]
    requests: int
    articles: int
    waiting: int  # articles with requests in batches not collected yet
    up_to_date: int
    stored_empty: int


def _plans(db: sqlite_utils.Database, files: Sequence[Path], settings: Settings,
           pending: set[str]) -> list[ArticlePlan]:
    library = PromptLibrary(settings.prompts_dir)

    async def plan_all() -> list[ArticlePlan]:
        plans = []
        for path in files:
            try:
                plans.append(await plan_article(db, path, settings, library, pending))
            except ArticleError:
                continue  # `extractor run` records it; a batch has nothing to send for it
        return plans

    return asyncio.run(plan_all())


def submit(db: sqlite_utils.Database, settings: Settings, base_url: str, files: Sequence[Path],
           *, command: str = "extractor batch submit") -> Submitted:
    """Send the next wave of every stale article as one batch."""
    pending = {row["custom_id"] for row in db.query(
        "SELECT custom_id FROM llm_batch_requests WHERE status = 'pending'")}
    plans = _plans(db, files, settings, pending)
    stale = [p for p in plans if is_stale(db, p)]
    requests = [r for p in stale for r in p.requests]
    run_id = storage.start_run(
        db, command=command, model=settings.model, base_url=redact_url(base_url),
        mode=settings.mode.name, prompt_hashes=PromptLibrary(settings.prompts_dir).hashes(),
        schema_hash=schema_hash())
    empty = [(p.article.article_id, key, output) for p in stale for key, output in p.empty]
    for article_id, key, output in empty:
        cache.store_output(db, article_id, key, run_id, output)
    result = Submitted([], len(requests), len({r.article_id for r in requests}),
                       sum(p.waiting and not p.requests for p in stale),
                       len(plans) - len(stale), len(empty))
    if not requests:
        storage.finish_run(db, run_id, status="finished", llm_calls=0)
        return result
    client = api_client(settings, base_url)
    for group in _groups(requests):
        result.batch_ids.append(_send(db, client, settings, base_url, run_id, group))
    with storage.write(db):
        db["runs"].update(run_id, {"status": "submitted"})
    return result


def _groups(requests: list[StageRequest]) -> list[list[StageRequest]]:
    """The requests in batches of at most MAX_REQUESTS and MAX_BYTES."""
    groups: list[list[StageRequest]] = [[]]
    size = 0
    for request in requests:
        line = len(jsonl([request]))
        if groups[-1] and (len(groups[-1]) >= MAX_REQUESTS or size + line > MAX_BYTES):
            groups.append([])
            size = 0
        groups[-1].append(request)
        size += line
    return groups


def _send(db: sqlite_utils.Database, client: openai.OpenAI, settings: Settings, base_url: str,
          run_id: int, requests: list[StageRequest]) -> str:
    uploaded = _api(client.files.create, file=("requests.jsonl", jsonl(requests)),
                    purpose="batch")
    batch = _api(client.batches.create, input_file_id=uploaded.id,
                 endpoint="/v1/chat/completions", completion_window="24h",
                 metadata={"tool": "extractor", "run_id": str(run_id)})
    with storage.write(db):
        db["llm_batches"].insert({
            "id": batch.id, "run_id": run_id, "created": storage.now(),
            "base_url": redact_url(base_url), "model": settings.model, "status": batch.status,
            "input_file_id": uploaded.id, "requests": len(requests)})
        storage.insert_rows(db, "llm_batch_requests", [{
            "custom_id": r.custom_id, "batch_id": batch.id, "article_id": r.article_id,
            "path": r.path, "part": r.part, "stage": r.key.stage, "key": r.key.key,
            "inputs": json.dumps(r.key.inputs), "status": "pending", "error": None}
            for r in requests], pk="custom_id", replace=True)
    return str(batch.id)


def status(db: sqlite_utils.Database, settings: Settings, base_url: str) -> list[dict]:
    """Refresh and return every batch not collected yet (newest last)."""
    client = api_client(settings, base_url)
    rows = []
    for row in db.query("SELECT * FROM llm_batches WHERE collected IS NULL ORDER BY created"):
        batch = _api(client.batches.retrieve, row["id"])
        counts = batch.request_counts.model_dump() if batch.request_counts else {}
        update = {"status": batch.status, "output_file_id": batch.output_file_id,
                  "error_file_id": batch.error_file_id, "request_counts": json.dumps(counts)}
        with storage.write(db):
            db["llm_batches"].update(row["id"], update)
        rows.append({**row, **update})
    return rows


@dataclass
class Collected:
    batches: list[str] = field(default_factory=list)
    results: dict[str, int] = field(default_factory=dict)  # request status -> count
    articles_stored: int = 0
    next_wave: int = 0  # articles with stages still to send
    waiting: int = 0  # batches not ended yet


def _lines(client: openai.OpenAI, file_id: str | None) -> list[dict]:
    if not file_id:
        return []
    text = _api(client.files.content, file_id).text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _iso(seconds: int | None) -> str:
    return (datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
            if seconds else storage.now())


def _store_result(db: sqlite_utils.Database, settings: Settings, request: dict, batch: dict,
                  line: dict, started: str) -> str:
    """Store one line of an output or error file; returns the request's new status."""
    response = line.get("response") or {}
    body = response.get("body") or {}
    error = line.get("error") or {}
    code = response.get("status_code")
    call = CallRecord(article_id=request["article_id"], stage=request["stage"],
                      model=batch["model"], attempt=1, status="ok", started=started,
                      latency_ms=0.0)
    usage = body.get("usage") or {} if isinstance(body, dict) else {}
    call.prompt_tokens, call.completion_tokens = (usage.get("prompt_tokens"),
                                                  usage.get("completion_tokens"))
    outcome = "ok"
    if code == 200 and not error:
        choices = body.get("choices") or [{}]
        message = choices[0].get("message") or {}
        call.response_text = (message.get("content")
                              or json.dumps(message.get("tool_calls") or ""))[:20_000]
        try:
            output = parse_answer(settings, request["stage"], body)
        except Exception as err:  # the answer does not fit the schema: sent again
            outcome, call.status = "invalid", "invalid_output"
            call.error_type, call.error = type(err).__name__, str(err)[:2000]
        else:
            key = cache.StageKey(request["stage"], request["key"], json.loads(request["inputs"]))
            cache.store_output(db, request["article_id"], key, batch["run_id"], output)
    else:
        message = (error.get("message") or (body.get("error") or {}).get("message")
                   if isinstance(body, dict) else None) or f"HTTP {code}"
        expired = error.get("code") == "batch_expired"
        outcome = "expired" if expired else "failed"
        call.status = "expired" if expired else "http_error"
        call.error_type, call.error = error.get("code") or f"HTTP {code}", str(message)[:2000]
    storage.record_call(db, batch["run_id"], call)
    with storage.write(db):
        db["llm_batch_requests"].update(request["custom_id"],
                                        {"status": outcome, "error": call.error})
    return outcome


def collect(db: sqlite_utils.Database, settings: Settings, base_url: str, *,
            command: str = "extractor batch collect") -> Collected:
    """Store the answers of every batch that has ended; store the articles now complete."""
    client = api_client(settings, base_url)
    result = Collected()
    paths: set[str] = set()
    for batch in status(db, settings, base_url):
        if batch["status"] not in ENDED:
            result.waiting += 1
            continue
        started = _iso(_api(client.batches.retrieve, batch["id"]).created_at)
        requests = {row["custom_id"]: row for row in db.query(
            "SELECT * FROM llm_batch_requests WHERE batch_id = ?", [batch["id"]])}
        seen: set[str] = set()
        for line in (*_lines(client, batch["output_file_id"]),
                     *_lines(client, batch["error_file_id"])):
            request = requests.get(line.get("custom_id"))
            if request is None or request["custom_id"] in seen:
                continue
            seen.add(request["custom_id"])
            outcome = _store_result(db, settings, request, batch, line, started)
            result.results[outcome] = result.results.get(outcome, 0) + 1
        for custom in requests:
            if custom not in seen:  # neither answered nor in the error file: sent again
                with storage.write(db):
                    db["llm_batch_requests"].update(custom, {
                        "status": "failed", "error": f"no result (batch {batch['status']})"})
                result.results["failed"] = result.results.get("failed", 0) + 1
        paths |= {r["path"] for r in requests.values()}
        calls = next(iter(db.query(
            "SELECT count(*) AS n, coalesce(sum(prompt_tokens), 0) AS p, "
            "coalesce(sum(completion_tokens), 0) AS c FROM llm_calls WHERE run_id = ?",
            [batch["run_id"]])))
        with storage.write(db):
            db["llm_batches"].update(batch["id"], {"collected": storage.now()})
        storage.finish_run(db, batch["run_id"], status="finished", llm_calls=calls["n"],
                           prompt_tokens=calls["p"], completion_tokens=calls["c"])
        result.batches.append(batch["id"])
    if paths:
        pending = {row["custom_id"] for row in db.query(
            "SELECT custom_id FROM llm_batch_requests WHERE status = 'pending'")}
        plans = _plans(db, [Path(p) for p in sorted(paths) if Path(p).is_file()], settings,
                       pending)
        ready = [p.path for p in plans if p.complete and is_stale(db, p)]
        result.next_wave = sum(not p.complete for p in plans)
        if ready:
            summary = run_batch(db, settings, base_url, ready, RunOptions(command=command),
                                client_factory=NoCallClient)
            result.articles_stored = summary.done
    return result
