"""Check annotation files against the contract and eval/ANNOTATION.md (stdlib only).

Usage: python eval/check.py FOLDER [FOLDER ...]
A folder holds articles/<id>.txt and gold/<id>.json. Prints one line per problem and exits 1
if there is any.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ARTICLE_KEYS = [
    "article_id", "title", "published", "place",
    "meetings", "officials", "initiatives", "targets", "repairs", "repaired_text",
]
RECORD_FIELDS = {
    "meetings": ["name", "kind", "date", "place", "organizer", "chaired_by", "speakers", "evidence"],
    "officials": ["name", "mentions", "title", "organization", "role", "evidence"],
    "initiatives": ["name", "mentions", "description", "level", "period", "evidence"],
    "targets": ["metric", "value", "unit", "comparator", "kind", "period", "region",
                "initiative", "evidence"],
    "repairs": ["original", "repaired", "category", "note"],
}
VERBATIM = {"evidence", "original"}
CHOICES = {
    ("targets", "comparator"): {"=", ">", ">=", "<", "<=", "~"},
    ("targets", "kind"): {"target", "actual", "funding"},
    ("repairs", "category"): {"name", "term", "grammar", "number"},
    ("initiatives", "level"): {None, "national", "provincial", "municipal", "district", "enterprise"},
}


def check_file(gold_path: Path, text: str) -> list[str]:
    """Problems of one annotation file, given its article's text."""
    where = gold_path.name
    try:
        data = json.loads(gold_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [f"{where}: not JSON ({exc})"]
    problems = []
    if list(data) != ARTICLE_KEYS:
        problems.append(f"{where}: keys {list(data)} != {ARTICLE_KEYS}")
    if data.get("article_id") != gold_path.stem:
        problems.append(f"{where}: article_id is not the file stem")
    if not data.get("place"):
        problems.append(f"{where}: place is empty")
    names = {o.get("name") for o in data.get("officials", [])}
    initiative_names = {i.get("name") for i in data.get("initiatives", [])}
    for table, fields in RECORD_FIELDS.items():
        for n, record in enumerate(data.get(table, [])):
            at = f"{where}: {table}[{n}]"
            if list(record) != fields:
                problems.append(f"{at}: fields {list(record)} != {fields}")
                continue
            for name in fields:
                value = record[name]
                if name in VERBATIM and (not value or value not in text):
                    problems.append(f"{at}.{name} not verbatim: {value!r}")
                if name == "mentions":
                    problems += [f"{at}.mentions not verbatim: {m!r}" for m in value if m not in text]
                allowed = CHOICES.get((table, name))
                if allowed and value not in allowed:
                    problems.append(f"{at}.{name} {value!r} not one of {sorted(map(str, allowed))}")
            if table == "targets" and not isinstance(record["value"], (int, float)):
                problems.append(f"{at}.value is not a number: {record['value']!r}")
            if table == "targets" and record["initiative"] not in initiative_names | {None}:
                problems.append(f"{at}.initiative {record['initiative']!r} is not an initiative name")
            if table == "meetings":
                for person in record["chaired_by"] + record["speakers"]:
                    if person not in names:
                        problems.append(f"{at}: {person!r} is not an official's name")
    return problems


def check_folder(folder: Path) -> list[str]:
    """Problems of every annotation in one folder, and articles without one."""
    articles = {p.stem: p for p in (folder / "articles").glob("*.txt")}
    golds = {p.stem: p for p in (folder / "gold").glob("*.json")}
    if not articles:
        return [f"{folder}: no articles"]
    problems = [f"{folder}: {stem} has no annotation" for stem in sorted(articles.keys() - golds.keys())]
    problems += [f"{folder}: {stem} has no article" for stem in sorted(golds.keys() - articles.keys())]
    for stem in sorted(articles.keys() & golds.keys()):
        problems += check_file(golds[stem], articles[stem].read_text(encoding="utf-8"))
    return problems


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    found = [p for folder in sys.argv[1:] for p in check_folder(Path(folder))]
    print("\n".join(found) or "ok")
    sys.exit(1 if found else 0)
