"""Post-processing of model records: merge duplicates, then ground every record in the text.

Grounding stores ``char_start``/``char_end``/``alignment``/``matched_text`` for each record's
evidence (repairs: their ``original``) and for each mention, and flags what cannot be trusted:
``evidence_not_found`` and, for targets, ``value_not_in_evidence``. A record whose evidence is
not in the text, a target whose number cannot be read there, or a record that cannot be what
its type says (``REJECTED_FLAGS``) is moved out of its table to ``rejected`` (stored in
``rejected_records`` with its reasons), so every stored record is grounded; the rules then
state the quantity of that sentence if any.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from extractor.models import RECORD_TYPES
from extractor.postprocess.programmes import CHINESE_CHARACTERS, generic_phrase, names_a_programme
from extractor.postprocess.repairs import apply_repairs
from extractor.postprocess.rules import (
    NOT_OFFICIAL,
    glossary_programme_names,
    rule_initiatives,
    rule_officials,
    rule_repairs,
    rule_targets,
)
from extractor.text.articles import lead_end
from extractor.text.candidates import glossary_hits, sentence_spans
from extractor.text.canonical import (
    SURNAMES,
    figure_key,
    is_pinyin,
    merge_initiatives,
    merge_meetings,
    merge_officials,
    merge_targets,
)
from extractor.text.dates import supported_date
from extractor.text.grounding import align, occurrences
from extractor.text.magnitudes import normalize_quantity
from extractor.text.numbers import value_in_evidence
from extractor.text.quantities import Quantity, class_thresholds, find_quantities
from extractor.text.textfixes import MONTH_NAMES, every_instance_repairs

INSTRUCTION_LIKE = re.compile(
    r"\b(?:ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|prompts?)|"
    r"disregard (?:the |all )?(?:previous|prior|above)|you are (?:now )?an? (?:ai|assistant|"
    r"language model)|the assistant must|as an ai\b)|^\s*(?:system|assistant)\s*:", re.I)
NOT_A_NAME = re.compile(r"\b(?:district|zone|area|city|county|province|park|group|company|"
                        r"autonomous|region|prefecture|banner)\b", re.I)
NOT_A_UNIT = re.compile(r"(?:year|years|date|month|day)s?|none|null|n/?a", re.I)
# unit written by the model -> what the evidence must then say (成 "into": 8 into = 80 %; "full
# coverage", "all enterprises will", "more than half"; 百亿产业; 亿 in pinyin: "thousand yi level")
UNIT_CUES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(unit, re.I), re.compile(cue, re.I)) for unit, cue in (
        (r"percentage point", r"percentage point"),
        (r"^%$|percent", r"%|percent|per cent|\binto\b|\bcover(?:age)?\b|\ball\b|\bhalf\b"),
        (r"yuan|rmb", r"yuan|rmb|(?:billion|trillion|million)\s+industr|\byi\b|亿|元"),
        (r"\bton", r"\bton|吨"),
        (r"^rank", r"\brank|\btop\b|\bplace\b|\b(?:first|second|third|fourth|fifth|sixth|"
                   r"seventh|eighth|ninth|tenth)\b|\d+(?:st|nd|rd|th)\b|\bleading\b|\bposition"
                   r"|\brow\b|\bNo\.\s*\d|\bfront\b"),
    )
)
GROUNDED = frozenset({"exact", "normalized", "fuzzy"})
# Flags that keep a record out of its table (it goes to ``rejected``): the text does not say it.
REJECTED_FLAGS: dict[str, frozenset[str]] = {
    "officials": frozenset({"evidence_not_found", "not_a_person_name", "not_an_official"}),
    "meetings": frozenset({"evidence_not_found", "not_a_meeting"}),
    "targets": frozenset({"evidence_not_found", "value_not_in_evidence", "unit_not_in_evidence",
                          "not_a_quantity", "class_threshold", "unit_misread",
                          "value_misread", "figure_not_read"}),
    "initiatives": frozenset({"evidence_not_found", "not_a_programme_name"}),
    "repairs": frozenset({"evidence_not_found", "repair_copies_another", "repair_still_garbled",
                          "repair_changes_nothing", "repair_of_no_span",
                          "repair_drops_figure"}),
}
_NAME_WORD = re.compile(r"[^\W_]+")


def _ground_one(table: str, record: dict, text: str, taken: set[tuple[int, int]]) -> dict:
    evidence = str(record.get(RECORD_TYPES[table].evidence_column) or "")
    anchor = record.pop("anchor", None)  # a rule target's position: its own occurrence
    excluded: set[tuple[int, int]] = taken
    if anchor is not None and evidence:  # (taken itself still records this record's span)
        excluded = taken | {(i, i + len(evidence)) for i in occurrences(evidence, text)
                            if not i <= anchor < i + len(evidence)}
    found = align(evidence, text, taken=excluded)
    flags: list[str] = []
    if found.status not in GROUNDED:
        flags.append("evidence_not_found")
    elif found.start is not None and found.end is not None:
        taken.add((found.start, found.end))
    grounded = {
        **record,
        "char_start": found.start,
        "char_end": found.end,
        "alignment": found.status,
        "matched_text": found.matched_text,
    }
    if table in {"officials", "initiatives"}:
        grounded["mention_spans"] = [
            {"mention": m, "start": a.start, "end": a.end, "alignment": a.status}
            for m in record.get("mentions") or []
            for a in [align(m, text)]
        ]
    if (
        table == "targets"
        and record.get("source") != "rule"  # the rules read the number from the text itself
        and found.matched_text is not None
        and not value_in_evidence(float(record["value"]), record.get("unit"), found.matched_text)
    ):
        flags.append("value_not_in_evidence")
    grounded["flags"] = flags + plausibility_flags(table, record)
    return grounded


def plausibility_flags(table: str, record: dict) -> list[str]:
    """Flags for records that are grounded but cannot be what their type says."""
    if table == "officials":
        tokens = (record.get("name") or "").split()
        if (len(tokens) < 2 or tokens[0].casefold() not in SURNAMES or len(tokens) > 3
                or NOT_A_NAME.search(record.get("name") or "")
                or not all(is_pinyin(token) for token in tokens[1:])):  # "Tang Mountain"
            return ["not_a_person_name"]
        if _credited_not_official(record):
            return ["not_an_official"]
        if _names_a_place(record):
            return ["not_a_person_name"]
    if table == "meetings" and not _MEETING_WORDS.search(record.get("matched_text")
                                                         or record.get("evidence") or ""):
        return ["not_a_meeting"]  # a paragraph of results is no meeting
    if table == "initiatives" and (len(_NAME_WORD.findall(record.get("name") or "")) < 2
                                   or not names_a_programme(record)
                                   or generic_phrase(record)):
        return ["not_a_programme_name"]  # "upgrade", "10", "hundred", a sentence, a meeting
    if table == "targets":
        unit = (record.get("unit") or "").strip()
        if NOT_A_UNIT.fullmatch(unit):
            return ["not_a_quantity"]
        evidence = record.get("matched_text") or record.get("evidence") or ""
        cue = next((c for u, c in UNIT_CUES if u.search(unit)), None)
        if cue is not None and evidence and not cue.search(evidence):
            return ["unit_not_in_evidence"]
        if _only_a_threshold(record, evidence):
            return ["class_threshold"]
    return []


_MEETING_WORDS = re.compile(
    r"\b(?:meeting|conference|symposium|forum|session|ceremony|seminar|congress|assembly|"
    r"visit\w*|inspect\w*|investigat\w*|research|survey\w*|held|hold|holds|convened|"
    r"presided|chaired|attended|signed|signing|launch\w*|mobiliz\w*|deploy\w*|tour\w*)\b"
    r"|会议|座谈|调研", re.I)
_MONTHS = "|".join(MONTH_NAMES)
# the reporters of a dispatch, named in brackets after its date: "Dongguan, December 7 (Xu
# Qingqing, Li Shu)"
_BYLINE = re.compile(
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\s*[(（]([^()（）]{{3,60}})[)）]")


def without_lead_repeats(targets: list[dict], text: str) -> list[dict]:
    """Targets of the headline or summary whose figure (value and unit) the body states again
    are the body's: the lead copy is dropped."""
    end = lead_end(text)
    in_body = {figure_key(t) for t in targets
               if (t.get("char_start") or 0) >= end and not t.get("flags")}
    return [t for t in targets
            if t.get("char_start") is None or t["char_start"] >= end
            or figure_key(t) not in in_body]


_THOUSAND_BILLION = re.compile(r"(?<![\d.,])1,?000\s*billion\b", re.I)


def thousand_billion_read_right(target: dict) -> dict:
    """A target of "1000 billion" yuan is 千亿, 100 billion yuan (a trillion is written so)."""
    magnitude = normalize_quantity(target.get("value"), target.get("unit"))
    evidence = target.get("matched_text") or target.get("evidence") or ""
    if (magnitude is None or magnitude[0] != "currency" or magnitude[1] != 1e12
            or not _THOUSAND_BILLION.search(evidence)):
        return target
    return {**target, "value": 100, "unit": "billion yuan"}


def misread_flag(target: dict, quantities: Sequence[Quantity]) -> str | None:
    """How a model target misreads the figure its evidence states, if it does: the quantities
    found in its evidence hold its value in another unit family ("1 industrial cluster above
    100 billion yuan" read as 1 billion yuan: ``unit_misread``), or only other amounts of its
    unit family ("break through 100 billion yuan" read as 1 billion yuan: ``value_misread``),
    or no figure of its own at all (``figure_not_read``: the rules read every stated figure, and
    on the seeds and both halves a model target they do not read was wrong far more often than
    right)."""
    start, end = target.get("char_start"), target.get("char_end")
    wanted = normalize_quantity(target.get("value"), target.get("unit"))
    if target.get("flags") or start is None or end is None or wanted is None:
        return None
    found = [(q, m) for q in quantities if start <= q.start < end
             and (m := normalize_quantity(q.value, q.unit)) is not None]
    if any(m[:2] == wanted[:2] for _, m in found):
        return None
    if any(q.value == float(target["value"]) and m[0] != wanted[0] for q, m in found):
        return "unit_misread"
    if any(m[0] == wanted[0] for _, m in found):
        return "value_misread"
    return "figure_not_read"


def without_scale_repeats(targets: list[dict]) -> list[dict]:
    """A money figure of 1,000 billion yuan or more that is ten times another figure of the
    article is that figure with 亿 read as "billion" (2180亿 = 218 billion yuan written "2180
    billion yuan"): the garbled copy is dropped."""
    magnitudes = [normalize_quantity(t.get("value"), t.get("unit")) for t in targets]
    money = {round(m[1] / 1e6) for t, m in zip(targets, magnitudes, strict=True)
             if m is not None and m[0] == "currency" and not t.get("flags")}
    return [t for t, m in zip(targets, magnitudes, strict=True)
            if m is None or m[0] != "currency" or m[1] < 1e12
            or round(m[1] / 1e7) not in money]


_PLACE_AFTER = re.compile(r"\s+(?:sub-?cent(?:er|re)|district|county|city|new area|zone|town|"
                          r"port|park|economic|development|high-tech)\b", re.I)


def _names_a_place(official: dict) -> bool:
    """An "official" whose every mention in its evidence is followed by a place word ("Peng
    City", "Liao Zhong sub-center"): a place, not a person."""
    evidence = official.get("matched_text") or official.get("evidence") or ""
    ends = [m.end() for form in official.get("mentions") or [official.get("name") or ""]
            for m in re.finditer(re.escape(form), evidence)]
    return bool(ends) and all(_PLACE_AFTER.match(evidence, end) for end in ends)


_BUSINESS_TITLE = re.compile(r"\b(?:chairman|chairwoman|general manager|CEO|founder|president|"
                             r"managing director)\b.*\b(?:co\.?|company|corporation|group|ltd\.?|"
                             r"electric|technolog(?:y|ies)|industr(?:y|ies)|holdings?)\b", re.I)
_PUBLIC_BODY = re.compile(r"\b(?:party|government|people's|congress|CPPCC|committee|bureau|"
                          r"commission|department|administration|municipal|provincial|"
                          r"federation|association|state-owned)\b", re.I)


def _credited_not_official(official: dict) -> bool:
    """An editor, reporter or photographer credited by name (``Editor: Liu Min``, a dispatch's
    byline), or a company's chairman, not an official: the title says so, or every mention in
    its evidence follows such a word or stands in the byline."""
    title = official.get("title") or ""
    if NOT_OFFICIAL.search(title):
        return True
    if _BUSINESS_TITLE.search(title) and not _PUBLIC_BODY.search(title):
        return True  # "Chairman of Gree Electric": business people are not officials
    evidence = official.get("matched_text") or official.get("evidence") or ""
    bylines = [(m.start(1), m.end(1)) for m in _BYLINE.finditer(evidence)]
    places = [m.start() for form in official.get("mentions") or [official.get("name") or ""]
              for m in re.finditer(re.escape(form), evidence)]
    return bool(places) and all(NOT_OFFICIAL.search(evidence[max(0, at - 20):at])
                                or any(start <= at < end for start, end in bylines)
                                for at in places)


def _only_a_threshold(target: dict, evidence: str) -> bool:
    """The target's amount stands in its evidence only as a class threshold ("projects of over
    2 billion yuan")."""
    key = figure_key(target)

    def same(q: Quantity) -> bool:
        return key is not None and key[1] == q.unit and abs(q.value - key[0]) < 1e-9

    thresholds = class_thresholds(evidence)
    return any(map(same, thresholds)) and not any(map(same, find_quantities(evidence)))


def _content_words(text: str) -> set[str]:
    return {w.casefold() for w in _NAME_WORD.findall(text) if len(w) > 3}


# a piece of text, not a garbled span: it runs over a sentence end ("etc. The launching") or
# ends on a word that cannot end a phrase ("wuxi is the")
_NOT_ONE_SPAN = re.compile(r"[.!?。]\s+[A-Z]|\b(?:the|a|an|is|are|was|of|to|and|or|by|for)\s*$",
                           re.I)


def repair_flags(repairs: Sequence[dict], glossary: Sequence[dict]) -> list[list[str]]:
    """Per repair, the flags of a model repair that repairs nothing: its repair is another
    repair's (or the prompt example's) pasted onto an unrelated span ("“outstanding”" ->
    "Party-building leadership"), or it still holds a garbled form of the glossary; and any repair
    written in Chinese characters."""
    flags: list[list[str]] = []
    for index, repair in enumerate(repairs):
        found: list[str] = []
        if repair.get("source", "model") == "model":
            repaired = (repair.get("repaired") or "").casefold().strip()
            words = _content_words(repair.get("original") or "")
            if any(i != index and (other.get("repaired") or "").casefold().strip() == repaired
                   and not words & _content_words(other.get("original") or "")
                   for i, other in enumerate(repairs)):
                found.append("repair_copies_another")
            if glossary_hits(repair.get("repaired") or "", glossary):
                found.append("repair_still_garbled")
            if changes_nothing(repair.get("original") or "", repair.get("repaired") or ""):
                found.append("repair_changes_nothing")
            if (_NOT_ONE_SPAN.search(repair.get("original") or "")
                    and not words & _content_words(repair.get("repaired") or "")):
                found.append("repair_of_no_span")
            if (re.search(r"\d", repair.get("original") or "")
                    and not re.search(r"\d", repair.get("repaired") or "")):
                found.append("repair_drops_figure")  # "89.3 billion yuan" -> "money"
            elif _rescaled_amounts(repair.get("original") or "",
                                   repair.get("repaired") or ""):
                found.append("repair_changes_figure")  # "15 yi yuan" -> "15 million yuan"
        unglossed = re.sub(r"[(（][^()（）]*[)）]", "", repair.get("repaired") or "")
        if CHINESE_CHARACTERS.search(unglossed):
            found.append("repair_not_english")  # "new energy" -> "“新能源”", not "... (科创)"
        flags.append(found)
    return flags


_CHINESE_SCALE = re.compile(r"\b(?:yi|wan)\b|[亿万]|hundred million|ten thousand", re.I)


def _money(text: str) -> list[tuple[Quantity, float]]:
    """The amounts of money ``text`` states, each with its magnitude in yuan."""
    return [(q, m[1]) for q in find_quantities(text)
            if (m := normalize_quantity(q.value, q.unit)) is not None and m[0] == "currency"]


def _rescaled_amounts(original: str, repaired: str) -> tuple[set[float], list[Quantity]] | None:
    """When the original writes an amount with 亿 or 万 (whose meaning is fixed) and the repair
    states other amounts only (a misread scale, not a repair): the original's magnitudes and
    the repair's amounts."""
    if not _CHINESE_SCALE.search(original):
        return None
    before = {magnitude for _, magnitude in _money(original)}
    after = _money(repaired)
    if not before or not after or before & {magnitude for _, magnitude in after}:
        return None
    return before, [q for q, _ in after]


def _yuan_text(amount: float) -> str:
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if amount >= scale:
            return f"{amount / scale:g} {word} yuan"
    return f"{amount:g} yuan"


def restate_chinese_figures(repairs: Sequence[dict]) -> list[dict]:
    """A model repair that reads one amount written with 亿 or 万 at another scale ("15 yi yuan"
    -> "15 million yuan") states it at its own scale ("1.5 billion yuan"); with several amounts
    it is left for ``repair_flags`` to flag (it marks a garbled span; its rewrite is not
    applied)."""
    restated = []
    for repair in repairs:
        repaired = repair.get("repaired") or ""
        rescaled = (_rescaled_amounts(repair.get("original") or "", repaired)
                    if repair.get("source", "model") == "model" else None)
        if rescaled is not None:
            before, after = rescaled
            if len(before) == 1 and len(after) == 1:
                amount, wrong = next(iter(before)), after[0]
                if repaired[wrong.end - 4:wrong.end].lower() == "yuan":  # the figure, its unit
                    repair = {**repair, "repaired": repaired[:wrong.start] + _yuan_text(amount)
                              + repaired[wrong.end:],
                              "note": repair.get("note") or "亿/万 restated"}
        restated.append(repair)
    return restated


def _letters(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def changes_nothing(original: str, repaired: str) -> bool:
    """A "repair" that only drops quotes or punctuation ("“765”" -> "765"), or copies a long
    stretch with a word or two changed (a sentence echoed as its own repair)."""
    before, after = _letters(original), _letters(repaired)
    if before == after:
        return True
    return (len(before.split()) >= 10
            and difflib.SequenceMatcher(None, before, after).ratio() >= 0.9)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Sentences that address an AI model ("ignore previous instructions", "SYSTEM:") — text
    injected into an article, never a source of facts."""
    return [(start, end) for start, end in sentence_spans(text)
            if INSTRUCTION_LIKE.search(text[start:end])]


def ground_records(table: str, records: Sequence[dict], text: str,
                   taken: set[tuple[int, int]] | None = None) -> list[dict]:
    """Attach offsets, alignment status and flags; repeated spans take successive occurrences
    (``taken``: spans already claimed by records grounded before these)."""
    taken = set() if taken is None else taken
    grounded = [_ground_one(table, record, text, taken) for record in records]
    injected = instruction_spans(text)
    for record in grounded:
        start, end = record.get("char_start"), record.get("char_end")
        if start is not None and end is not None and _overlaps(start, end, injected):
            record["flags"] = [*record["flags"], "evidence_in_injected_instruction"]
        names = [*(record.get("chaired_by") or []), *(record.get("speakers") or [])]
        if injected and any(_only_in_injected(name, text, injected) for name in names):
            record["flags"] = [*record["flags"], "participant_from_injected_instruction"]
    return grounded


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _only_in_injected(name: str, text: str, injected: Sequence[tuple[int, int]]) -> bool:
    """The name occurs in the text, but only inside injected instructions."""
    hits = [(m.start(), m.end()) for m in re.finditer(re.escape(name), text, re.I)]
    return bool(hits) and all(_overlaps(s, e, injected) for s, e in hits)


def finalize(records: dict[str, list[dict]], text: str, published: str | None = None,
             glossary: Sequence[dict] = ()) -> dict[str, list[dict]]:
    """Canonicalise officials and initiatives, ground every table, complete the targets.
    ``published`` is the article's date line (meeting dates keep only what the text states);
    ``glossary`` terms that name a programme complete the initiatives."""
    merged = {table: [{**row, "source": row.get("source", "model")} for row in rows]
              for table, rows in records.items()}
    if "meetings" in merged:
        merged["meetings"] = [{**m, "date": supported_date(m.get("date"), text, published)}
                              for m in merge_meetings(merged["meetings"])]
    if "targets" in merged:
        merged["targets"] = merge_targets(merged["targets"])
    if "officials" in merged:
        officials = merge_officials(merged["officials"])
        merged["officials"] = officials + rule_officials(text, officials)
    if "initiatives" in merged:
        initiatives = merge_initiatives(glossary_programme_names(merged["initiatives"],
                                                                 glossary))
        # a model "initiative" that is no programme (an event, a body) covers no phrase: the
        # quoted names it lists as its mentions are still found by rule
        programmes = [i for i in initiatives if not plausibility_flags("initiatives", i)]
        merged["initiatives"] = initiatives + rule_initiatives(
            text, programmes, merged.get("repairs", []), glossary)
    if "repairs" in merged:
        # only a record that is kept implies a repair: an "initiative" rejected as an amount or a
        # concept ("89.3 billion yuan" named "money") repairs nothing
        kept = {table: [r for r in merged.get(table, []) if not plausibility_flags(table, r)]
                for table in ("officials", "initiatives")}
        merged["repairs"] = restate_chinese_figures(merged["repairs"]) + rule_repairs(
            merged["repairs"], kept["officials"], kept["initiatives"], text)
    grounded = {table: ground_records(table, rows, text) for table, rows in merged.items()}
    if "repairs" in grounded:
        for repair, flags in zip(grounded["repairs"], repair_flags(grounded["repairs"], glossary),
                                 strict=True):
            repair["flags"] = [*repair["flags"], *flags]
    if "targets" in grounded:
        quantities = find_quantities(text)
        model_targets = [{**t, "flags": [*t["flags"], flag]}
                         if (flag := misread_flag(t, quantities)) else t
                         for t in grounded["targets"]]
        claimed = {(t["char_start"], t["char_end"]) for t in model_targets
                   if t["alignment"] in GROUNDED and not t["flags"]}
        extra = ground_records("targets", rule_targets(text, model_targets, quantities), text,
                               claimed)
        grounded["targets"] = [thousand_billion_read_right(t) for t in without_scale_repeats(
            without_lead_repeats(model_targets + extra, text))]
    rejected: list[dict] = []
    for table, flags in REJECTED_FLAGS.items():
        if table in grounded:
            grounded[table], dropped = split_rejected(grounded[table], flags)
            rejected.extend({"table": table, **row} for row in dropped)
    if rejected:
        grounded["rejected"] = rejected
    return grounded


def finalize_article(records: dict[str, list[dict]], text: str, published: str | None,
                     glossary: Sequence[dict]) -> tuple[dict[str, list[dict]], str]:
    """``finalize``, and the repaired article built from the repairs it keeps (the rules'
    included; one written in Chinese characters marks a garbled span but is not applied)."""
    final = finalize(records, text, published, glossary)
    pairs = [(r["original"], r["repaired"]) for r in final.get("repairs", [])
             if not {"repair_not_english", "repair_changes_figure"} & set(r["flags"])]
    # (those mark a garbled span; their rewrite is not applied); a form listed once (a figure
    # in Chinese units, a rank) is mended at every instance
    pairs += [(r.original, r.repaired) for r in every_instance_repairs(text)]
    return final, apply_repairs(text, pairs)


def split_rejected(rows: Sequence[dict], flags: frozenset[str]) -> tuple[list[dict], list[dict]]:
    """(rows kept, rows carrying one of ``flags``)."""
    kept: list[dict] = []
    rejected: list[dict] = []
    for row in rows:
        (rejected if flags.intersection(row.get("flags") or []) else kept).append(row)
    return kept, rejected


def grounding_counts(records: dict[str, list[dict]]) -> tuple[int, int]:
    """(grounded and unflagged records, all records kept; rejected ones are not counted)."""
    rows = [row for table, rows in records.items() if table != "rejected" for row in rows]
    return sum(1 for row in rows if not row.get("flags")), len(rows)
