"""llama-server settings that make each generated token cheaper, with the answers held fixed.

    .venv/bin/python bench/spec.py                      # the default candidates, seed 000
    .venv/bin/python bench/spec.py --articles 000 001   # more recorded articles
    .venv/bin/python bench/spec.py --variant "plain=" --variant "two slots=slots=2"

The requests are the project's own: every chat completion recorded in ``cassettes/`` for the
chosen seeds (the five stages of each article, byte for byte as `extractor run` sends them, at
temperature 0). For each variant the embedded server is started the way a run starts it, with
the variant's options in place of ``SERVER_OPTIONS`` (via ``EXTRACTOR_SERVER_OPTIONS``), and the
requests are sent in their recorded order (``slots=N`` variants: N articles at a time, each
article's stages in order, on a server with N slots). Per variant: wall time, generated tokens,
llama.cpp's own prompt and generation seconds (``timings``), drafted and accepted tokens, and
whether every answer equals the first variant's answer to the same request. Last, each variant's
wall time as a ratio of the first's; a variant whose answers differ is marked, since at
temperature 0 a setting may only make the same answers cheaper.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent

from extractor.backends import local_server  # noqa: E402

CASSETTES = ROOT / "cassettes"
DEFAULT_VARIANTS = (
    "plain=",
    "ngram-simple=--spec-type ngram-simple",
    "ngram-simple n4 m16=--spec-type ngram-simple --spec-ngram-simple-size-n 4 "
    "--spec-ngram-simple-size-m 16",
    "ngram-mod=--spec-type ngram-mod",
    "ngram-map-k=--spec-type ngram-map-k",
)


def recorded_requests(prefixes: list[str]) -> list[list[dict]]:
    """Per chosen article, its recorded chat completion request bodies in order."""
    articles = []
    for prefix in prefixes:
        paths = sorted(CASSETTES.glob(f"{prefix}*.yaml"))
        if not paths:
            raise SystemExit(f"no cassette in {CASSETTES} starts with {prefix!r}")
        interactions = yaml.safe_load(paths[0].read_text(encoding="utf-8"))["interactions"]
        articles.append([json.loads(item["request"]["body"]) for item in interactions
                         if item["request"]["uri"].endswith("/chat/completions")])
    return articles


def parse_variant(text: str) -> tuple[str, int, str]:
    """ "name=options" with an optional "slots=N" word among the options."""
    name, _, options = text.partition("=")
    words = options.split()
    slots = 1
    for word in list(words):
        if word.startswith("slots="):
            slots = int(word.removeprefix("slots="))
            words.remove(word)
    return name.strip(), slots, " ".join(words)


def run_variant(name: str, slots: int, options: str, articles: list[list[dict]]) -> dict:
    os.environ[local_server.OPTIONS_ENV] = options
    local_server.SLOTS = slots
    try:
        server = local_server.start_server(ready_timeout=300)
    except local_server.LocalModelError as err:
        return {"name": name, "error": str(err).splitlines()[0]}
    url = f"{server.base_url}/chat/completions"
    totals = {"generated": 0, "prompt_s": 0.0, "generation_s": 0.0, "drafted": 0,
              "accepted": 0}
    answers: list[list[str]] = [[] for _ in articles]

    def one_article(index: int) -> None:
        with httpx.Client(timeout=1800, trust_env=False) as client:
            for body in articles[index]:
                response = client.post(url, json=body)
                response.raise_for_status()
                reply = response.json()
                answers[index].append(reply["choices"][0]["message"]["content"])
                timings = reply.get("timings", {})
                totals["generated"] += reply["usage"]["completion_tokens"]
                totals["prompt_s"] += timings.get("prompt_ms", 0.0) / 1000
                totals["generation_s"] += timings.get("predicted_ms", 0.0) / 1000
                totals["drafted"] += timings.get("draft_n", 0)
                totals["accepted"] += timings.get("draft_n_accepted", 0)

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=slots) as pool:
            list(pool.map(one_article, range(len(articles))))
    finally:
        local_server.stop_server(server)
    return {"name": name, "options": options, "slots": slots,
            "wall_s": time.perf_counter() - started, "answers": answers, **totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", nargs="+", default=["000"],
                        help="cassette name prefixes (seed ids), default 000")
    parser.add_argument("--variant", action="append",
                        help='"name=llama-server options [slots=N]"; repeatable; the first is '
                             "the reference (default: plain, then the ngram drafting modes)")
    args = parser.parse_args()
    articles = recorded_requests(args.articles)
    variants = [parse_variant(text) for text in (args.variant or DEFAULT_VARIANTS)]
    print(f"{sum(map(len, articles))} recorded requests from {len(articles)} article(s)",
          file=sys.stderr)
    results = []
    for name, slots, options in variants:
        print(f"... {name}: {options or 'no options'}, {slots} slot(s)", file=sys.stderr)
        results.append(run_variant(name, slots, options, articles))
    reference = next((r for r in results if "error" not in r), None)
    print("variant | slots | wall s | generated | prompt s | generation s | tok/s | drafted | "
          "accepted | same answers | wall ratio")
    for result in results:
        if "error" in result:
            print(f"{result['name']} | did not start: {result['error']}")
            continue
        assert reference is not None
        same = sum(a == b for mine, ref in zip(result["answers"], reference["answers"],
                                               strict=True)
                   for a, b in zip(mine, ref, strict=True))
        count = sum(map(len, result["answers"]))
        rate = result["generated"] / result["generation_s"] if result["generation_s"] else 0.0
        print(" | ".join([result["name"], str(result["slots"]), f"{result['wall_s']:.0f}",
                          str(result["generated"]), f"{result['prompt_s']:.0f}",
                          f"{result['generation_s']:.0f}", f"{rate:.1f}",
                          str(result["drafted"]), str(result["accepted"]),
                          f"{same}/{count}",
                          f"{result['wall_s'] / reference['wall_s']:.2f}"]))


if __name__ == "__main__":
    main()
