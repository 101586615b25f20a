"""Side by side on one embedded server: `extractor run` and LangExtract, scored by `extractor eval`.

    .venv/bin/python bench/peer.py            # the five seeds against ../shared/gold
    .venv/bin/python bench/peer.py --quick    # two seeds, the peer at temperature 0 only

Needs the [local] and [peer] extras (`make install-local`, then `.venv/bin/pip install -e
.[peer]`). One llama-server is started the way `extractor run` starts it (the same start-up
variant and context per slot), with ``--slots`` slots (default 2: LangExtract's documented
default sends 10 requests at once, so the server serves two at a time for both tools), and
every run below talks to it, one after the other:

- **extractor**: `extractor run` on the articles into a fresh database (so no stage is reused),
  `--concurrency` = the server's slots;
- **LangExtract** (the pinned version of the [peer] extra) through its OpenAI provider, with its
  documented defaults (chunks of 1,000 characters, 10 workers, one extraction pass, schema
  constraints from the examples), one few-shot example written here for the genre (no gold
  went into it), output capped at ``--peer-max-tokens`` per call as its docs allow; once at its
  default temperature (the server's own, not sent) and once at temperature 0. A run that does
  not finish within ``--peer-timeout`` seconds is reported as such.

Each run's records are scored with `extractor eval` against the same gold (only the gold of the
chosen articles). Calls and tokens are the clients' own counts (the server's `usage`): for
extractor its `llm_calls` table, for LangExtract every chat completion it made. The ratios compare
extractor with the faster of the peer's finished runs. The last line is exactly
``wall ratio: X  F1 ratio: Y``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("EXTRACTOR_API_KEY", None)

from extractor.backends import local_server  # noqa: E402
from extractor.text.candidates import sentence_around  # noqa: E402
from extractor.text.magnitudes import normalize_quantity  # noqa: E402

MODEL = local_server.MODEL_FILE_NAME.removesuffix(".gguf")
RECORD_TYPES = ("meetings", "officials", "initiatives", "targets", "repairs")
EXTRACTOR = Path(sys.executable).with_name("extractor")

# -- the peer's task, written for this genre --------------------------------------------------

PEER_PROMPT = """\
The text is an English machine translation of Chinese local-government news about industry. \
The translation is garbled: pinyin left in, characters translated literally, names cut short. \
Extract, in order of appearance, using exact text from the input for extraction_text:
- meeting: a meeting, conference or inspection that took place; attributes: name (plain \
English), kind (work meeting, promotion meeting, ...), date, place, organizer, chaired_by, speakers.
- official: a named person holding a post; attributes: title, organization, role (what they did).
- initiative: a named programme, campaign, plan, system or slogan; attributes: name (plain \
English), level (national, provincial, municipal, district or enterprise), period.
- target: a number stating a goal, a reported result or an amount of money (not years, dates or \
numbers inside names); attributes: metric, value, unit, comparator (=, >, >=, <=, ~), kind \
(target, actual or funding), period, region.
- repair: a garbled stretch of the translation; attributes: repaired (plain English), category \
(name, term, grammar or number).
Do not paraphrase extraction_text and do not overlap entities."""

# A made-up report in the genre's garbled style (no article or annotation of this project).
PEER_EXAMPLE_TEXT = (
    "On the morning of 14 March, the Lanshui City manufacturing number change promotion meeting "
    "held. Municipal party committee secretary Zhou Minghua attend and speak, vice mayor Lin "
    "Yaqing presided. Meeting point out, last year the city above-rule industrial added value "
    "grow 8.2%, this year strive to implement 120 wisdom to turn projects, investment more than "
    "15 billion yuan; municipal finance arrange special fund 200 million yuan, deeply implement "
    '"specialized special new" little giant cultivation action.')


def peer_examples() -> list[Any]:
    import langextract as lx

    def item(cls: str, text: str, **attributes: Any) -> Any:
        return lx.data.Extraction(extraction_class=cls, extraction_text=text,
                                  attributes=attributes)

    return [lx.data.ExampleData(text=PEER_EXAMPLE_TEXT, extractions=[
        item("meeting", "manufacturing number change promotion meeting",
             name="Lanshui manufacturing digital transformation promotion meeting",
             kind="promotion meeting", date="03-14", place="Lanshui",
             chaired_by=["Lin Yaqing"], speakers=["Zhou Minghua"]),
        item("repair", "number change", repaired="digital transformation", category="term"),
        item("official", "Zhou Minghua",
             title="Secretary of the Lanshui Municipal Party Committee",
             organization="Lanshui Municipal Party Committee", role="spoke"),
        item("official", "Lin Yaqing", title="Vice Mayor",
             organization="Lanshui Municipal Government", role="chaired"),
        item("repair", "above-rule", repaired="above designated size", category="term"),
        item("target", "8.2%", metric="added value of industry above designated size, growth",
             value="8.2", unit="%", comparator="=", kind="actual", period="last year"),
        item("target", "120", metric="intelligent transformation projects", value="120",
             unit="projects", comparator="=", kind="target", period="this year"),
        item("repair", "wisdom to turn", repaired="intelligent transformation",
             category="term"),
        item("target", "15 billion yuan", metric="investment in those projects", value="15",
             unit="billion yuan", comparator=">", kind="target", period="this year"),
        item("target", "200 million yuan", metric="municipal special fund", value="200",
             unit="million yuan", comparator="=", kind="funding", period="this year"),
        item("initiative", "specialized special new",
             name="specialized, refined, distinctive and innovative little giant cultivation "
                  "action", level="municipal"),
    ])]


# -- the peer's records in the contract's export shape ----------------------------------------


def _attribute(extraction: Any, key: str) -> Any:
    value = (extraction.attributes or {}).get(key)
    if isinstance(value, list):
        return value
    return value.strip() if isinstance(value, str) and value.strip() else None


def _names(extraction: Any, key: str) -> list[str]:
    value = _attribute(extraction, key)
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"\s*[,;、]\s*|\s+and\s+", value)
    return [str(item).strip() for item in items if str(item).strip()]


def _value_and_unit(extraction: Any) -> tuple[float, str] | None:
    """The attribute value and unit, else the number and unit of the extraction's own text."""
    unit = _attribute(extraction, "unit") or ""
    raw = _attribute(extraction, "value")
    for value in (raw, extraction.extraction_text):
        match = re.search(r"-?\d[\d,]*(?:\.\d+)?", str(value or ""))
        if match:
            number = float(match.group().replace(",", ""))
            rest = str(value)[match.end():].strip()
            return number, unit or rest or "units"
    return None


def peer_records(text: str, extractions: list[Any]) -> dict[str, list[dict]]:
    """LangExtract's extractions as contract records: the evidence is the sentence around the
    span it aligned in the text (or its own text when it found none)."""
    records: dict[str, list[dict]] = {name: [] for name in RECORD_TYPES}
    for extraction in extractions:
        span = extraction.extraction_text
        interval = extraction.char_interval
        evidence = span
        if interval is not None and interval.start_pos is not None:
            evidence = sentence_around(text, interval.start_pos, interval.end_pos) or span
        cls = (extraction.extraction_class or "").lower()
        if cls == "meeting":
            records["meetings"].append({
                "evidence": evidence, "name": _attribute(extraction, "name") or span,
                "kind": _attribute(extraction, "kind") or "meeting",
                "date": _attribute(extraction, "date"), "place": _attribute(extraction, "place"),
                "organizer": _attribute(extraction, "organizer"),
                "chaired_by": _names(extraction, "chaired_by"),
                "speakers": _names(extraction, "speakers")})
        elif cls == "official":
            records["officials"].append({
                "evidence": evidence, "name": span, "mentions": [span],
                "title": _attribute(extraction, "title"),
                "organization": _attribute(extraction, "organization"),
                "role": _attribute(extraction, "role")})
        elif cls == "initiative":
            records["initiatives"].append({
                "evidence": evidence, "name": _attribute(extraction, "name") or span,
                "mentions": [span], "description": None,
                "level": _attribute(extraction, "level"),
                "period": _attribute(extraction, "period")})
        elif cls == "target":
            reading = _value_and_unit(extraction)
            if reading is None or normalize_quantity(*reading) is None:
                continue
            records["targets"].append({
                "evidence": evidence, "metric": _attribute(extraction, "metric") or span,
                "value": reading[0], "unit": reading[1],
                "comparator": _attribute(extraction, "comparator") or "=",
                "kind": _attribute(extraction, "kind") or "actual",
                "period": _attribute(extraction, "period"),
                "region": _attribute(extraction, "region"), "initiative": None})
        elif cls == "repair":
            repaired = _attribute(extraction, "repaired")
            if repaired:
                records["repairs"].append({
                    "original": span, "repaired": repaired,
                    "category": _attribute(extraction, "category") or "term", "note": None})
    return records


def run_peer_worker(args: argparse.Namespace) -> None:
    """In a child process: LangExtract over the articles, an export file and its counts."""
    import langextract as lx
    from openai.resources.chat.completions import Completions

    counts = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "failed_calls": 0}
    create = Completions.create

    def counted_create(self: Any, *a: Any, **kw: Any) -> Any:
        counts["calls"] += 1
        try:
            response = create(self, *a, **kw)
        except Exception:
            counts["failed_calls"] += 1
            raise
        usage = getattr(response, "usage", None)
        if usage is not None:
            counts["prompt_tokens"] += usage.prompt_tokens or 0
            counts["completion_tokens"] += usage.completion_tokens or 0
        return response

    Completions.create = counted_create  # counts every call LangExtract makes
    provider_kwargs: dict[str, Any] = {"base_url": args.base_url, "api_key": "not-needed",
                                       "max_output_tokens": args.peer_max_tokens}
    if args.temperature is not None:
        provider_kwargs["temperature"] = args.temperature
    config = lx.factory.ModelConfig(model_id=MODEL, provider="OpenAILanguageModel",
                                    provider_kwargs=provider_kwargs)
    lines = []
    for path in sorted(Path(args.articles).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        result = lx.extract(text_or_documents=text, prompt_description=PEER_PROMPT,
                            examples=peer_examples(), config=config, show_progress=False)
        records = peer_records(text, list(result.extractions or []))
        lines.append(json.dumps({"article_id": path.stem, "title": "", "published": None,
                                 "place": None, "repaired_text": text, **records}))
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path(args.stats).write_text(json.dumps(counts), encoding="utf-8")


# -- the runs -----------------------------------------------------------------------------------


def score(gold: Path, source: list[str]) -> dict:
    """`extractor eval --json` on a database or an export: micro and per-type scores."""
    done = subprocess.run([str(EXTRACTOR), "eval", "--gold", str(gold), *source, "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def records_in(export_lines: list[dict]) -> int:
    return sum(len(article.get(name) or []) for article in export_lines for name in RECORD_TYPES)


def run_extractor(articles: Path, gold: Path, base_url: str, slots: int, work: Path) -> dict:
    db = work / "extractor.db"
    started = time.perf_counter()
    # the embedded server is llama.cpp: the run sends it what an embedded run sends
    subprocess.run([str(EXTRACTOR), "run", str(articles), "--db", str(db), "--base-url",
                    base_url, "--model", MODEL, "--concurrency", str(slots)], check=True,
                   env={**os.environ, "EXTRACTOR_COMPACT_JSON": "1"})
    wall = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        calls, prompt, completion = conn.execute(
            "SELECT count(*), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0) FROM llm_calls").fetchone()
    export = subprocess.run([str(EXTRACTOR), "export", "--db", str(db)], capture_output=True,
                            text=True, check=True).stdout
    exported = [json.loads(line) for line in export.splitlines() if line.strip()]
    return {"run": "extractor", "finished": True, "wall_s": wall, "calls": calls,
            "prompt_tokens": prompt, "completion_tokens": completion,
            "records": records_in(exported), "scores": score(gold, ["--db", str(db)])}


def run_peer(label: str, temperature: float | None, articles: Path, gold: Path, base_url: str,
             work: Path, args: argparse.Namespace) -> dict:
    out, stats = work / f"{label}.jsonl", work / f"{label}.stats.json"
    command = [sys.executable, __file__, "--peer-worker", "--articles", str(articles),
               "--base-url", base_url, "--out", str(out), "--stats", str(stats),
               "--peer-max-tokens", str(args.peer_max_tokens)]
    if temperature is not None:
        command += ["--temperature", str(temperature)]
    started = time.perf_counter()
    try:
        subprocess.run(command, check=True, timeout=args.peer_timeout)
    except subprocess.TimeoutExpired:
        return {"run": label, "finished": False,
                "note": f"did not finish in {args.peer_timeout:.0f} s"}
    except subprocess.CalledProcessError as err:
        return {"run": label, "finished": False, "note": f"failed (exit {err.returncode})"}
    wall = time.perf_counter() - started
    counts = json.loads(stats.read_text(encoding="utf-8"))
    exported = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line]
    return {"run": label, "finished": True, "wall_s": wall, "calls": counts["calls"],
            "prompt_tokens": counts["prompt_tokens"],
            "completion_tokens": counts["completion_tokens"], "records": records_in(exported),
            "scores": score(gold, ["--export", str(out)])}


def select(articles_dir: Path, gold_dir: Path, quick: bool, work: Path) -> tuple[Path, Path]:
    """Copies of the articles that have gold (two with --quick) and of their gold."""
    gold_ids = {path.stem for path in gold_dir.glob("*.json")}
    chosen = sorted(p for p in articles_dir.glob("*.txt") if p.stem in gold_ids)
    if not chosen:
        raise SystemExit(f"no article in {articles_dir} has gold in {gold_dir}")
    chosen = chosen[:2] if quick else chosen
    articles, gold = work / "articles", work / "gold"
    articles.mkdir()
    gold.mkdir()
    for path in chosen:
        shutil.copy(path, articles / path.name)
        shutil.copy(gold_dir / f"{path.stem}.json", gold / f"{path.stem}.json")
    return articles, gold


def print_table(rows: list[dict]) -> None:
    header = ("run", "wall s", "calls", "prompt tok", "gen tok", "records", "gen tok/record",
              "micro P", "micro R", "micro F1")
    print(" | ".join(header))
    for row in rows:
        if not row["finished"]:
            print(f"{row['run']} | {row['note']}")
            continue
        micro = row["scores"]["micro"]
        per_record = row["completion_tokens"] / row["records"] if row["records"] else float("nan")
        print(" | ".join([row["run"], f"{row['wall_s']:.0f}", str(row["calls"]),
                          str(row["prompt_tokens"]), str(row["completion_tokens"]),
                          str(row["records"]), f"{per_record:.1f}",
                          f"{micro['precision']:.3f}", f"{micro['recall']:.3f}",
                          f"{micro['f1']:.3f}"]))
    print()
    print("per type F1: " + " | ".join(("run", *RECORD_TYPES)))
    for row in rows:
        if row["finished"]:
            per_type = row["scores"]["per_type"]
            print(" | ".join([row["run"], *(f"{per_type[name]['f1']:.3f}"
                                            for name in RECORD_TYPES)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="two articles; the peer at temperature 0 only")
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds")
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "gold")
    parser.add_argument("--slots", type=int, default=2,
                        help="the server's slots, and extractor's --concurrency")
    parser.add_argument("--peer-timeout", type=float, default=3 * 3600)
    parser.add_argument("--peer-max-tokens", type=int, default=1024,
                        help="LangExtract's max_output_tokens per call")
    parser.add_argument("--peer-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--temperature", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker:
        run_peer_worker(args)
        return
    work = Path(tempfile.mkdtemp(prefix="extractor-peer-"))
    articles, gold = select(args.articles, args.gold, args.quick, work)
    local_server.SLOTS = args.slots
    server = local_server.start_server(echo=lambda line: print(line, file=sys.stderr))
    base_url = server.base_url
    print(f"llama-server: {server.variant.name} kernels, {local_server.SLOTS} slots, "
          f"{' '.join(local_server.server_options()) or 'no extra options'}; "
          f"{len(list(articles.glob('*.txt')))} articles; work folder {work}", file=sys.stderr)
    try:
        rows = [run_extractor(articles, gold, base_url, local_server.SLOTS, work)]
        peers = [("langextract t=0", 0.0)]
        if not args.quick:
            peers.insert(0, ("langextract default t", None))
        for label, temperature in peers:
            rows.append(run_peer(label, temperature, articles, gold, base_url, work, args))
    finally:
        local_server.stop_server(server)
    (work / "results.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print_table(rows)
    finished = [row for row in rows[1:] if row["finished"]]
    if not finished:
        print("wall ratio: n/a  F1 ratio: n/a (no peer run finished)")
        return
    fastest = min(finished, key=lambda row: row["wall_s"])
    ours = rows[0]
    peer_f1 = fastest["scores"]["micro"]["f1"]
    f1_ratio = ours["scores"]["micro"]["f1"] / peer_f1 if peer_f1 else float("inf")
    print(f"\ncompared with the faster finished peer run ({fastest['run']}); "
          f"results in {work / 'results.json'}")
    print(f"wall ratio: {ours['wall_s'] / fastest['wall_s']:.2f}  F1 ratio: {f1_ratio:.2f}")


if __name__ == "__main__":
    main()
