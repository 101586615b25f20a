"""Pydantic models for the extraction contract (shared/spec/extraction-contract.md).

Field order puts ``evidence`` first: under grammar-constrained decoding the model quotes the
source before it derives values from it, which keeps small models grounded. Exports use the
contract's field order (see ``CONTRACT_FIELDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

Comparator = Literal["=", ">", ">=", "<", "<=", "~"]
TargetKind = Literal["target", "actual", "funding"]
RepairCategory = Literal["name", "term", "grammar", "number"]
Level = Literal["national", "provincial", "municipal", "district", "enterprise"]

_COMPARATOR_ALIASES = {"≥": ">=", "≤": "<=", "==": "=", "≈": "~", "about": "~"}


def _normalise_comparator(value: object) -> object:
    if isinstance(value, str):
        stripped = value.strip()
        return _COMPARATOR_ALIASES.get(stripped, stripped)
    return value


def _lower_or_none(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in {"", "null", "none", "n/a"}:
        return None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalLevel = Annotated[
    Level | None, BeforeValidator(_lower_or_none), BeforeValidator(_blank_to_none)
]
Evidence = Annotated[str, Field(min_length=1, max_length=600)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Names = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=12)]


class Meeting(BaseModel):
    """A meeting, conference or supervision visit the article reports as taking place."""

    evidence: Evidence
    name: ShortText
    kind: ShortText
    date: OptionalText = None
    place: OptionalText = None
    organizer: OptionalText = None
    chaired_by: Names = []
    speakers: Names = []


class Official(BaseModel):
    """A named person holding an official post."""

    evidence: Evidence
    name: Annotated[str, Field(min_length=1, max_length=80)]
    mentions: Names = []
    title: OptionalText = None
    organization: OptionalText = None
    role: OptionalText = None


class Initiative(BaseModel):
    """A named programme, campaign, plan, system, designation or slogan."""

    evidence: Evidence
    name: ShortText
    mentions: Names = []
    description: OptionalText = None
    level: OptionalLevel = None
    period: OptionalText = None


class QuantitativeTarget(BaseModel):
    """A number stating a goal, a reported result or an amount of money."""

    evidence: Evidence
    metric: ShortText
    value: float
    unit: Annotated[str, Field(min_length=1, max_length=60)]
    comparator: Annotated[Comparator, BeforeValidator(_normalise_comparator)] = "="
    kind: Annotated[TargetKind, BeforeValidator(_lower_or_none)] = "actual"
    period: OptionalText = None
    region: OptionalText = None
    initiative: OptionalText = None


class Repair(BaseModel):
    """A garbled stretch of the translation and its plain-English repair."""

    original: Evidence
    repaired: Annotated[str, Field(min_length=1, max_length=600)]
    category: Annotated[RepairCategory, BeforeValidator(_lower_or_none)]
    note: OptionalText = None


# -- stage outputs ---------------------------------------------------------------------------
# What the model is asked to write. They are compact on purpose (on 2 CPU cores every generated
# token costs ~0.1 s): evidence is referenced by sentence number or by a short verbatim mention
# and the full contract records are assembled deterministically (extractor.postprocess.assemble).


class RepairItem(BaseModel):
    """A repair as the model writes it: short spans only (the grammar enforces the lengths)."""

    original: Annotated[str, Field(min_length=2, max_length=120)]
    repaired: Annotated[str, Field(min_length=1, max_length=160)]
    category: Annotated[RepairCategory, BeforeValidator(_lower_or_none)]


class RepairResult(BaseModel):
    """What the repair stage returns for one article."""

    title: ShortText
    place: OptionalText = None
    repairs: Annotated[list[RepairItem], Field(max_length=20)] = []


class MeetingItem(BaseModel):
    """One meeting: a short verbatim mention; its evidence sentence is found in the text."""

    mention: Annotated[str, Field(min_length=2, max_length=120)]
    name: ShortText
    kind: ShortText
    date: OptionalText = None
    place: OptionalText = None
    organizer: OptionalText = None
    chaired_by: Names = []
    speakers: Names = []


class MeetingList(BaseModel):
    meetings: Annotated[list[MeetingItem], Field(max_length=4)] = []


class OfficialItem(BaseModel):
    """One person: the name as written; mentions and evidence are found in the text."""

    name: Annotated[str, Field(min_length=2, max_length=60)]
    title: OptionalText = None
    organization: OptionalText = None
    role: OptionalText = None


class OfficialList(BaseModel):
    officials: Annotated[list[OfficialItem], Field(max_length=20)] = []


class InitiativeItem(BaseModel):
    """One programme: a short verbatim mention, then its repaired name (its level and period
    are read from the text by rules)."""

    mention: Annotated[str, Field(min_length=2, max_length=120)]
    name: ShortText


class InitiativeList(BaseModel):
    initiatives: Annotated[list[InitiativeItem], Field(max_length=30)] = []


class TargetItem(BaseModel):
    """One number: the candidate sentence it is in, then its reading (its comparator and period
    are read from the sentence by rules)."""

    sentence: Annotated[int, Field(ge=1, le=60)]
    value: float
    unit: Annotated[str, Field(min_length=1, max_length=40)]
    metric: ShortText
    kind: Annotated[TargetKind, BeforeValidator(_lower_or_none)] = "actual"
    region: OptionalText = None


class TargetList(BaseModel):
    targets: Annotated[list[TargetItem], Field(max_length=30)] = []


class ArticleResult(BaseModel):
    """Everything extracted from one article (the contract's export object)."""

    article_id: str
    title: str
    published: str | None = None
    place: str | None = None
    repaired_text: str
    meetings: list[Meeting] = []
    officials: list[Official] = []
    initiatives: list[Initiative] = []
    targets: list[QuantitativeTarget] = []
    repairs: list[Repair] = []


@dataclass(frozen=True)
class RecordType:
    """One kind of extracted record: its table, the contract's model and field order, the
    columns that name it and hold its evidence, and the stage whose answer it comes from."""

    table: str
    label: str
    contract: type[BaseModel]
    fields: tuple[str, ...]  # the contract's field order (exports, gold files)
    name_column: str
    evidence_column: str
    stage: str


# The one registry of record types, in the order they are stored, exported and scored.
RECORD_TYPES: dict[str, RecordType] = {
    record.table: record for record in (
        RecordType("meetings", "Meeting", Meeting,
                   ("name", "kind", "date", "place", "organizer", "chaired_by", "speakers",
                    "evidence"), "name", "evidence", "meetings"),
        RecordType("officials", "Official", Official,
                   ("name", "mentions", "title", "organization", "role", "evidence"),
                   "name", "evidence", "officials"),
        RecordType("initiatives", "Initiative", Initiative,
                   ("name", "mentions", "description", "level", "period", "evidence"),
                   "name", "evidence", "initiatives"),
        RecordType("targets", "Target", QuantitativeTarget,
                   ("metric", "value", "unit", "comparator", "kind", "period", "region",
                    "initiative", "evidence"), "metric", "evidence", "targets"),
        RecordType("repairs", "Repair", Repair, ("original", "repaired", "category", "note"),
                   "original", "original", "repair"),
    )
}
RECORD_TABLES: tuple[str, ...] = tuple(RECORD_TYPES)
CONTRACT_FIELDS: dict[str, tuple[str, ...]] = {
    table: record.fields for table, record in RECORD_TYPES.items()}

# Why a record is suspect: every flag a stored or rejected record can carry, and its meaning.
# The Datasette metadata and the README list these (a test keeps the README in step).
FLAGS: dict[str, str] = {
    "evidence_not_found": "the evidence could not be aligned to the article text",
    "value_not_in_evidence": "a target's number does not occur in its evidence",
    "not_a_person_name": "an 'official' whose name is not a romanised personal name "
                         "(a district, a company)",
    "not_a_meeting": "a 'meeting' whose evidence reports no meeting, visit or event (a "
                     "paragraph of results)",
    "not_an_official": "a person credited as editor, reporter or photographer, or a company's "
                       "chairman, not an official",
    "not_a_quantity": "a 'target' whose unit is a year or a date",
    "class_threshold": "a 'target' whose amount only defines which projects or enterprises "
                       "count ('projects of over 2 billion yuan')",
    "unit_not_in_evidence": "a target's unit (%, yuan, tons, rank, percentage points) is not "
                            "stated in its evidence",
    "unit_misread": "a model target whose number its evidence states with another unit ('1 "
                    "industrial cluster above 100 billion yuan' read as 1 billion yuan)",
    "value_misread": "a model target whose evidence states other amounts of its unit and not its "
                     "own ('break through 100 billion yuan' read as 1 billion yuan)",
    "figure_not_read": "a model target whose figure no rule reads in its evidence (a number "
                       "inside a name, a date, a figure the model made up)",
    "participant_from_injected_instruction": "a meeting names a participant found only in an "
                                             "injected instruction sentence",
    "not_a_programme_name": "an 'initiative' that names no programme: a single word ('upgrade', "
                            "'10'), an amount, a body, people, a result or a piece of a sentence",
    "repair_copies_another": "a model repair whose repair is another repair's, pasted onto an "
                             "unrelated span",
    "repair_still_garbled": "a model repair whose 'repair' holds a garbled form of the glossary "
                            "(the prompt example echoed)",
    "repair_changes_nothing": "a model repair that only drops quotes or punctuation, or echoes a "
                              "long stretch nearly unchanged",
    "repair_of_no_span": "a model repair whose original runs over a sentence end or ends on a "
                         "dangling word, and whose repair shares none of its words",
    "repair_drops_figure": "a model repair whose original states a figure that its repair drops "
                           "('89.3 billion yuan' -> 'money')",
    "repair_changes_figure": "a model repair that reads amounts written with 亿 or 万 at "
                             "another scale ('3 yi and 4 yi yuan' -> '3 million and 4 million "
                             "yuan'): it marks a garbled span but is not applied",
    "repair_not_english": "a repair that writes Chinese characters instead of plain English "
                          "('new energy' -> '新能源'): it marks a garbled span but is not "
                          "applied to the repaired text",
    "evidence_in_injected_instruction": "the evidence lies in a sentence addressed to an AI "
                                        "('ignore previous instructions', 'SYSTEM:'): prompt "
                                        "injection inside the article",
}


SCHEMA_MODELS: tuple[type[BaseModel], ...] = (
    ArticleResult,
    Meeting,
    Official,
    Initiative,
    QuantitativeTarget,
    Repair,
    RepairResult,
    MeetingList,
    OfficialList,
    InitiativeList,
    TargetList,
)


# -- provenance ---------------------------------------------------------------------------
@dataclass
class CallRecord:
    """One HTTP attempt to the model server."""

    article_id: str
    stage: str
    model: str
    attempt: int
    status: str  # ok | invalid_output | http_error | connection_error | timeout | replay_miss
    started: str
    latency_ms: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_processed: int | None = None  # llama.cpp timings.prompt_n (after prompt cache)
    server_ms: float | None = None  # llama.cpp timings.prompt_ms + predicted_ms (server's own time)
    server_prompt_ms: float | None = None  # llama.cpp timings.prompt_ms (reading the prompt)
    server_generation_ms: float | None = None  # llama.cpp timings.predicted_ms (writing)
    error_type: str | None = None
    error: str | None = None
    response_text: str | None = None  # the model's raw output, for review
