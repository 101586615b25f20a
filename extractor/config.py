"""Settings: model, backend URL, API key and limits, from CLI options and environment."""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import instructor

from extractor.errors import ConfigError
from extractor.text.chunks import DEFAULT_OVERLAP_CHARS, DEFAULT_PART_CHARS

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
# articles in flight at once: the embedded server has one slot (its prompt cache keeps the
# article of the stage before). Two slots (EXTRACTOR_SERVER_SLOTS=2 with --concurrency 2) batch
# two articles' generation, but at temperature 0 the answers then depend on what was batched
# together (16 of 25 stage answers of the seeds changed) and the seeds took as long (863 s
# against 868 s), so one slot, whose answers repeat, is the default. A remote API serves many
# requests in parallel.
EMBEDDED_CONCURRENCY = 1
REMOTE_CONCURRENCY = 8




def package_path(*parts: str) -> Path:
    """A file or folder shipped inside the installed ``extractor`` package (package data).

    Found with importlib.resources, so a wheel installed anywhere finds its prompts and
    Datasette metadata; the package must be installed as files (not zipped)."""
    resource = importlib.resources.files("extractor").joinpath(*parts)
    if not isinstance(resource, Path):
        raise ConfigError(f"extractor's package data {'/'.join(parts)} is not a file on disk "
                          "(install the package unzipped)")
    return resource


DEFAULT_PROMPTS_DIR = package_path("prompts")
DATASETTE_METADATA = package_path("datasette_plugin", "metadata.yaml")
DASHBOARDS = package_path("datasette_plugin", "dashboards.yaml")


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def redact_url(url: str | None) -> str | None:
    """Drop user:password and query string from a URL so it can be stored and printed."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def choose_mode(base_url: str | None, override: str | None = None) -> instructor.Mode:
    """Instructor mode per backend.

    - llama.cpp / vLLM / Ollama (any non-OpenAI base URL, and the embedded server): JSON_SCHEMA,
      i.e. ``response_format={"type": "json_schema"}``, which these servers turn into a grammar so
      the output always parses against the schema.
    - api.openai.com (no base URL set and a key given): TOOLS (function calling).
    """
    if override:
        try:
            return instructor.Mode[override.upper()]
        except KeyError as err:
            raise ConfigError(f"unknown instructor mode {override!r}") from err
    if base_url and "api.openai.com" in base_url:
        return instructor.Mode.TOOLS
    return instructor.Mode.JSON_SCHEMA


@dataclass
class Settings:
    """Everything a run needs to know about its backend and limits."""

    model: str = LOCAL_MODEL_NAME
    base_url: str | None = field(default=None, repr=False)  # may carry credentials
    api_key: str | None = field(default=None, repr=False)
    mode: instructor.Mode = instructor.Mode.JSON_SCHEMA
    prompts_dir: Path = DEFAULT_PROMPTS_DIR
    request_timeout: float = 600.0
    max_transport_retries: int = 4
    max_reasks: int = 1
    max_tokens_per_article: int | None = None  # prompt + completion, all attempts and stages
    temperature: float = 0.0
    stage_max_tokens: int = 1800
    embedded: bool = True
    concurrency: int = EMBEDDED_CONCURRENCY  # articles in flight (Settings.load: per backend)
    requests_per_minute: int | None = None  # rate limit of the backend (None: unlimited)
    tokens_per_minute: int | None = None  # prompt + completion tokens, estimated then corrected
    cpu_workers: int | None = None  # processes for post-processing (None: offload.auto_workers)
    part_chars: int = DEFAULT_PART_CHARS  # a longer article is extracted in overlapping parts
    part_overlap: int = DEFAULT_OVERLAP_CHARS
    # llama.cpp servers: send the answer's schema as a grammar that admits compact JSON only
    # (extractor/llm/grammar.py); load() turns it on for the embedded model, and for a URL with
    # EXTRACTOR_COMPACT_JSON=1
    compact_json: bool = False

    @property
    def display_base_url(self) -> str | None:
        return redact_url(self.base_url)

    @classmethod
    def load(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        mode: str | None = None,
        prompts_dir: Path | None = None,
        max_tokens_per_article: int | None = None,
        concurrency: int | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        compact_json: bool | None = None,
    ) -> Settings:
        """Resolve settings: explicit options win, then EXTRACTOR_* environment variables.

        Concurrency defaults to 1 for the embedded model and ``REMOTE_CONCURRENCY`` for a URL
        (EXTRACTOR_CONCURRENCY); the rate limits come from EXTRACTOR_REQUESTS_PER_MINUTE and
        EXTRACTOR_TOKENS_PER_MINUTE when not given. EXTRACTOR_CPU_WORKERS sets the worker
        processes that post-process articles off the event loop (0: none; unset: one per spare
        core when articles run concurrently). EXTRACTOR_PART_CHARS sets the longest article
        (in characters) extracted whole; a longer one goes in overlapping parts.
        EXTRACTOR_COMPACT_JSON=1 sends a llama.cpp server at the URL the compact grammar the
        embedded model always gets (0 turns it off there too)."""
        base_url = base_url or _env("EXTRACTOR_BASE_URL")
        if base_url and urlsplit(base_url).scheme not in {"http", "https"}:
            raise ConfigError(
                f"base URL must start with http:// or https://, got {redact_url(base_url)!r}"
            )
        api_key = _env("EXTRACTOR_API_KEY", "OPENAI_API_KEY")
        resolved_model = model or _env("EXTRACTOR_MODEL")
        budget = _positive("the token budget per article", max_tokens_per_article,
                           "EXTRACTOR_MAX_TOKENS_PER_ARTICLE")
        in_flight = _positive("the concurrency", concurrency, "EXTRACTOR_CONCURRENCY")
        rpm = _positive("the requests per minute", requests_per_minute,
                        "EXTRACTOR_REQUESTS_PER_MINUTE")
        tpm = _positive("the tokens per minute", tokens_per_minute, "EXTRACTOR_TOKENS_PER_MINUTE")
        workers = _count("EXTRACTOR_CPU_WORKERS")
        part_chars = _positive("the characters per part", None, "EXTRACTOR_PART_CHARS")
        compact = _env("EXTRACTOR_COMPACT_JSON")
        if compact_json is None and compact is not None:
            if compact.strip() not in {"0", "1"}:
                raise ConfigError(f"EXTRACTOR_COMPACT_JSON must be 0 or 1, got {compact!r}")
            compact_json = compact.strip() == "1"
        if base_url and not resolved_model:
            raise ConfigError("--model (or EXTRACTOR_MODEL) is required with --base-url")
        return cls(
            model=resolved_model or LOCAL_MODEL_NAME,
            base_url=base_url,
            api_key=api_key,
            mode=choose_mode(base_url, mode or _env("EXTRACTOR_MODE")),
            prompts_dir=prompts_dir or DEFAULT_PROMPTS_DIR,
            embedded=base_url is None,
            max_tokens_per_article=budget,
            concurrency=in_flight or (EMBEDDED_CONCURRENCY if base_url is None
                                      else REMOTE_CONCURRENCY),
            requests_per_minute=rpm,
            tokens_per_minute=tpm,
            cpu_workers=workers,
            part_chars=part_chars or DEFAULT_PART_CHARS,
            part_overlap=min(DEFAULT_OVERLAP_CHARS, (part_chars or DEFAULT_PART_CHARS) // 4),
            compact_json=base_url is None if compact_json is None else compact_json,
        )


def _count(env_name: str) -> int | None:
    """A whole number of 0 or more from the environment variable (None when unset)."""
    value = _env(env_name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ConfigError(f"{env_name} must be a whole number of 0 or more, got {value!r}")
    return int(value)


def _positive(what: str, value: int | None, env_name: str) -> int | None:
    """An explicit value, else the environment variable's; a whole number above 0 (or None)."""
    if value is None and _env(env_name):
        try:
            value = int(str(_env(env_name)))
        except ValueError as err:
            raise ConfigError(f"{env_name} must be a whole number") from err
    if value is not None and value <= 0:
        raise ConfigError(f"{what} must be positive, got {value}")
    return value
