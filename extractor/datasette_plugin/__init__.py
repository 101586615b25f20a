"""Datasette plugin for extractor databases (registered by the `datasette` entry point).

* ``/-/article/<article_id>``: the original text with every extracted record highlighted at its
  stored offsets (coloured by record type, with a legend and a tooltip of the record's fields),
  the repaired text beside it with every repair marked, the suspect records listed, and links to
  the previous and next article.
* ``render_cell``: a target's value is shown with its unit ("600 billion yuan"); the evidence of
  every record (and a record's id on its row page) links to its highlight in the article page;
  an article's title links to its article page; a query column named ``article_page`` becomes a
  link to that article page.
* ``get_metadata``: the packaged ``metadata.yaml`` (titles, descriptions, facets, canned
  queries); its ``databases: "*"`` section applies to every database served (Datasette 0.x only
  matches databases by name, which depends on the file name).
* ``canned_queries``: ``runs_compared`` still runs before any ``extractor eval`` created the
  ``evals`` table.

All article text reaches the page through Jinja autoescaping: the template receives plain
strings, never markup built from article text.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

import markupsafe
import yaml
from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from extractor.config import DASHBOARDS, DATASETTE_METADATA
from extractor.datasette_plugin.highlights import (  # noqa: F401
    Event,
    Record,
    _field_text,
    build_events,
    format_number,
    format_value,
    is_suspect,
    repaired_spans,
)
from extractor.models import FLAGS, RECORD_TYPES

# bookkeeping columns not shown among a record's fields
HIDDEN_FIELDS = frozenset({
    "id", "article_id", "run_id", "position", "char_start", "char_end", "matched_text",
    "mention_spans", "person_id", "programme_id", "value", "unit", "comparator", "flags",
})
TOOLTIP_EVIDENCE_CHARS = 160
LINKED_TABLES = {name: name for name in RECORD_TYPES} | {
    f"trusted_{name}": name for name in RECORD_TYPES
}


# -- the article page -------------------------------------------------------------------------
def _databases(datasette: Any, wanted: str | None) -> list[Any]:
    names = [wanted] if wanted else [n for n in datasette.databases if not n.startswith("_")]
    return [datasette.databases[n] for n in names if n in datasette.databases]


async def _find_article(datasette: Any, article_id: str,
                        wanted: str | None) -> tuple[Any, dict] | None:
    for db in _databases(datasette, wanted):
        if not await db.table_exists("articles"):
            continue
        result = await db.execute("SELECT * FROM articles WHERE article_id = ?", [article_id])
        row = result.first()
        if row is not None:
            return db, dict(row)
    return None


async def _not_found(datasette: Any, request: Any, message: str) -> Response:
    """A plain 404 page (raising NotFound would print a traceback in the server log)."""
    html = await datasette.render_template(
        "error.html", {"ok": False, "error": message, "status": 404, "title": "Not found"},
        request=request,
    )
    return Response.html(html, status=404)


def _column_label(column: str) -> str:
    return column.replace("_", " ").capitalize()


async def _load_records(datasette: Any, db: Any, article_id: str) -> list[Record]:
    records: list[Record] = []
    order = 0
    for table, record_type in RECORD_TYPES.items():
        label, name_column = record_type.label, record_type.name_column
        if not await db.table_exists(table):
            continue
        result = await db.execute(
            f"SELECT * FROM [{table}] WHERE article_id = ? ORDER BY position", [article_id]
        )
        for raw in result.rows:
            row = dict(raw)
            fields: list[tuple[str, str]] = []
            if table == "targets":
                fields.append(("Value", format_value(row.get("value"), row.get("unit"),
                                                     row.get("comparator"))))
            quality = ("alignment", "merged_from")
            columns = [c for c in row if c not in quality] + [c for c in quality if c in row]
            for column in columns:
                if column in HIDDEN_FIELDS or column == name_column:
                    continue
                text = _field_text(row[column])
                if column in {"evidence", "original"} and len(text) > TOOLTIP_EVIDENCE_CHARS:
                    text = text[:TOOLTIP_EVIDENCE_CHARS - 1].rstrip() + "…"
                fields.append((_column_label(column), text))
            if row.get("char_start") is not None:
                end = row.get("char_end")
                fields.append(("Offsets", f"{row['char_start']}–{end if end is not None else '?'}"))
            records.append(Record(
                id=str(row["id"]), type=table, label=label,
                name=_field_text(row.get(name_column)) or str(row["id"]),
                start=row.get("char_start"), end=row.get("char_end"),
                suspect=is_suspect(row), fields=fields,
                row_url=datasette.urls.row(db.name, table, tilde_encode(str(row["id"]))),
                order=order, row=row,
            ))
            order += 1
    return records


async def _neighbours(db: Any, article_id: str) -> tuple[dict | None, dict | None]:
    prev_row = (await db.execute(
        "SELECT article_id, title FROM articles WHERE article_id < ? "
        "ORDER BY article_id DESC LIMIT 1", [article_id])).first()
    next_row = (await db.execute(
        "SELECT article_id, title FROM articles WHERE article_id > ? "
        "ORDER BY article_id LIMIT 1", [article_id])).first()
    return (dict(prev_row) if prev_row else None, dict(next_row) if next_row else None)


def article_url(datasette: Any, article_id: str, record_id: str | None = None,
                db_name: str | None = None) -> str:
    url = datasette.urls.path(f"/-/article/{quote(str(article_id), safe='')}")
    if db_name:
        url += "?" + urlencode({"db": db_name})
    if record_id:
        url += f"#rec-{quote(str(record_id), safe=':')}"
    return url


# -- routes -----------------------------------------------------------------------------------
async def article_page(datasette: Any, request: Any) -> Response:
    article_id = request.url_vars["article_id"]
    wanted = request.args.get("db")
    found = await _find_article(datasette, article_id, wanted)
    if found is None:
        return await _not_found(datasette, request, f"No article {article_id!r} in the served "
                                "databases.")
    db, article = found
    text = article.get("text") or ""
    repaired_text = article.get("repaired_text") or ""
    records = await _load_records(datasette, db, article_id)
    repairs = [r for r in records if r.type == "repairs"]
    moved = repaired_spans(repaired_text, repairs) if repaired_text else []
    prev_row, next_row = await _neighbours(db, article_id)
    keep_db = wanted if wanted else None
    legend = []
    for table, record_type in RECORD_TYPES.items():
        label = record_type.label
        of_type = [r for r in records if r.type == table]
        legend.append({
            "type": table, "label": label, "total": len(of_type),
            "located": sum(1 for r in of_type if r.located),
            "suspect": sum(1 for r in of_type if r.suspect),
        })
    context = {
        "article": article,
        "article_id": article_id,
        "database": db.name,
        "records": records,
        "located_count": sum(1 for r in records if r.located),
        "events": build_events(text, records),
        "repaired_events": build_events(repaired_text, moved),
        "repair_count": len(moved),
        "suspects": [r for r in records if r.suspect or not r.located],
        "legend": legend,
        "prev": prev_row and {**prev_row,
                              "url": article_url(datasette, prev_row["article_id"],
                                                 db_name=keep_db)},
        "next": next_row and {**next_row,
                              "url": article_url(datasette, next_row["article_id"],
                                                 db_name=keep_db)},
        "row_url": datasette.urls.row(db.name, "articles", tilde_encode(article_id)),
        "source_paths": _field_text(article.get("source_paths")),
    }
    html = await datasette.render_template(
        "extractor_article.html", context, request=request, view_name="extractor_article"
    )
    return Response.html(html)


async def first_article(datasette: Any, request: Any) -> Response:
    for db in _databases(datasette, request.args.get("db")):
        if await db.table_exists("articles"):
            row = (await db.execute("SELECT min(article_id) AS id FROM articles")).first()
            if row and row["id"]:
                return Response.redirect(article_url(datasette, row["id"],
                                                     db_name=request.args.get("db")))
    return await _not_found(datasette, request, "No articles in the served databases.")


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/article/?$", first_article),
        (r"^/-/article/(?P<article_id>[^/]+)$", article_page),
    ]


# -- cells ------------------------------------------------------------------------------------
def _plain(row: Any, column: str) -> Any:
    """A row value, unwrapping Datasette's expanded foreign keys ({"value", "label"})."""
    try:
        value = row[column]
    except (KeyError, IndexError):
        return None
    if isinstance(value, dict):
        return value.get("value")
    return value


def _render_query_cell(row: Any, value: Any, column: str, datasette: Any) -> Any:
    """Query columns named by convention: article_page, record_id, value (next to unit)."""
    if value in (None, ""):
        return None
    if column == "article_page":
        return markupsafe.Markup('<a href="{}" title="{}">{}</a>').format(
            article_url(datasette, str(value)), "Open the article page", str(value))
    if column == "record_id" and isinstance(value, str) and value.count(":") >= 2:
        article_id = value.rsplit(":", 2)[0]
        return markupsafe.Markup('<a href="{}" title="{}">{}</a>').format(
            article_url(datasette, article_id, value), "Show in the article", value)
    if column == "value" and isinstance(value, int | float):
        unit = _plain(row, "unit")
        if isinstance(unit, str):
            return format_value(value, unit)
    return None


# record columns holding a JSON list of strings, shown as a readable list
JSON_LIST_COLUMNS = frozenset({"flags", "mentions", "chaired_by", "speakers"})


def _list_cell(value: Any) -> Any:
    """'["a", "b"]' -> 'a · b' (an empty list: nothing); anything else as Datasette shows it."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return None
    return markupsafe.Markup('<span class="extractor-list">{}</span>').format(" · ".join(items))


def _db_param(datasette: Any, database: str | None) -> str | None:
    """Name the database in article links only when several are served."""
    served = [name for name in datasette.databases if not name.startswith("_")]
    return database if database and len(served) > 1 else None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Any:
    if table is None:  # canned or arbitrary query results
        return _render_query_cell(row, value, column, datasette)
    base = LINKED_TABLES.get(table)
    if base == "targets" and column == "value" and value not in (None, ""):
        return format_value(value, _plain(row, "unit"))
    if base is not None:
        evidence_column = RECORD_TYPES[base].evidence_column
        if column in {evidence_column, "id"} and value not in (None, ""):
            article_id, record_id = _plain(row, "article_id"), _plain(row, "id")
            if not article_id or not record_id:
                return None
            url = article_url(datasette, str(article_id), str(record_id),
                              db_name=_db_param(datasette, database))
            if column == "id":
                return markupsafe.Markup('{} <a href="{}" title="{}">(in article)</a>').format(
                    str(value), url, "Show this record highlighted in its article")
            return markupsafe.Markup('<a href="{}" title="{}">{}</a>').format(
                url, "Show in the article", str(value))
        if column in JSON_LIST_COLUMNS:
            return _list_cell(value)
        return None
    if table == "articles" and column == "title":
        article_id = _plain(row, "article_id")
        if article_id:
            return markupsafe.Markup('<a href="{}">{}</a>').format(
                article_url(datasette, str(article_id), db_name=_db_param(datasette, database)),
                str(value or article_id))
    return None


# -- metadata and queries ---------------------------------------------------------------------
@functools.cache
def packaged_metadata() -> dict[str, Any]:
    """The metadata shipped in the package (metadata.yaml beside this module), with the list of
    flags filled in from ``models.FLAGS`` (``{flags}``, ``{flags_html}``)."""
    text = DATASETTE_METADATA.read_text(encoding="utf-8")
    text = text.replace("{flags_html}", ", ".join(f"<code>{name}</code>" for name in FLAGS))
    loaded = yaml.safe_load(text.replace("{flags}", ", ".join(FLAGS)))
    if not isinstance(loaded, dict) or "*" not in (loaded.get("databases") or {}):
        raise ValueError(f"{DATASETTE_METADATA}: expected a databases: \"*\" section")
    return loaded


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict | None:
    """The packaged metadata (titles, descriptions, facets, canned queries) for every database.

    Its ``databases: "*"`` section applies to each database served, whatever its file name,
    so plain ``datasette extract.db`` shows it; metadata given with ``--metadata`` wins, and
    a ``"*"`` section there replaces the packaged one."""
    packaged = packaged_metadata()
    local_databases = (getattr(datasette, "_metadata_local", None) or {}).get("databases") or {}
    star = local_databases.get("*") or packaged["databases"]["*"]
    # Datasette merges later sources into what a hook returns, and adds the canned_queries
    # hooks' answers to the "queries" dict it finds there: a database that the local metadata
    # also describes gets a deep copy, every other one its own "queries" dict, so the shared
    # section is never changed.
    databases = {name: copy.deepcopy(star) if name in local_databases
                 else {**star, "queries": dict(star.get("queries") or {})}
                 for name in datasette.databases if not name.startswith("_")}
    metadata = {**{name: value for name, value in packaged.items() if name != "databases"},
                "databases": databases}
    if key in (None, "plugins"):  # the dashboards are built only when they are asked for
        metadata["plugins"] = {"datasette-dashboards": dashboards(databases)}
    return metadata


@functools.cache
def _dashboard_templates() -> dict[str, Any]:
    return yaml.safe_load(DASHBOARDS.read_text(encoding="utf-8"))


def dashboards(databases: Iterable[str]) -> dict[str, Any]:
    """The packaged dashboards for each database served: slug ``overview`` for the first,
    ``overview-<database>`` for the others; every chart runs against its database. A fresh
    copy every call (datasette-dashboards writes its filters into the dashboard it reads)."""
    found: dict[str, Any] = {}
    for index, database in enumerate(databases):
        for slug, template in _dashboard_templates().items():
            dashboard = copy.deepcopy(template)
            for chart in dashboard.get("charts", {}).values():
                if "query" in chart:
                    chart["db"] = database
            if index:
                dashboard["title"] = f"{dashboard['title']} ({database})"
            found[slug if index == 0 else f"{slug}-{database}"] = dashboard
    return found


RUNS_WITHOUT_EVALS = """
SELECT r.id AS run, r.started, r.model, r.status, r.articles_done, r.articles_failed,
  r.llm_calls, r.prompt_tokens, r.completion_tokens,
  r.prompt_tokens + r.completion_tokens AS total_tokens,
  round((r.prompt_tokens + r.completion_tokens) * 1.0 / nullif(r.articles_done, 0))
    AS tokens_per_article,
  round(r.seconds, 1) AS seconds, round(r.grounding_rate, 3) AS grounding_rate,
  NULL AS gold_set, NULL AS micro_f1, NULL AS micro_precision, NULL AS micro_recall
FROM runs r
ORDER BY r.id DESC
"""


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> Any:
    """Before `extractor eval` ran there is no `evals` table: compare runs without scores."""

    async def inner() -> dict:
        if database not in datasette.databases:
            return {}
        db = datasette.get_database(database)
        if not await db.table_exists("runs") or await db.table_exists("evals"):
            return {}
        queries = datasette.metadata("queries", database=database, fallback=False) or {}
        query = queries.get("runs_compared")
        if not isinstance(query, dict):
            return {}
        description = (query.get("description") or "").strip()
        return {"runs_compared": {
            **query, "sql": RUNS_WITHOUT_EVALS.strip(),
            "description": (description + " No evaluation stored yet: run "
                            "`extractor eval --gold ... --db ...` to fill the scores.").strip(),
        }}

    return inner
