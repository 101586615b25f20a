"""What the article page shows, as plain data: values with their units, records and their
highlight events over the text, the repaired text's spans."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

YEAR_UNITS = frozenset({"year", "years", "yr"})  # 2024 year, not 2,024 year


def format_number(value: Any, *, group: bool = True) -> str:
    """600.0 -> '600', 1234567.0 -> '1,234,567', 15.1 -> '15.1' (no commas: group=False)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    comma = "," if group else ""
    if isinstance(value, int):
        return f"{value:{comma}}"
    return f"{value:{comma}.10g}"


def format_value(value: Any, unit: str | None, comparator: str | None = None) -> str:
    """A target's value with its unit: '600 billion yuan', '15.1%', '> 600 billion yuan'."""
    if value is None or value == "":
        return ""
    unit = str(unit).strip() if unit else ""
    text = format_number(value, group=unit.casefold() not in YEAR_UNITS)
    if unit:
        text = f"{text}{unit}" if unit in {"%", "‰", "‱"} else f"{text} {unit}"
    if comparator and comparator != "=":
        text = f"{comparator} {text}"
    return text


def _field_text(value: Any) -> str:
    """JSON lists become comma-separated text; everything else its string form."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list):
            return ", ".join(str(item) for item in parsed)
        return value
    return format_number(value) if isinstance(value, int | float) else str(value)


def is_suspect(row: dict) -> bool:
    flags = row.get("flags")
    return (flags not in (None, "", "[]")) or row.get("alignment") == "none"


# -- records and segments ---------------------------------------------------------------------
@dataclass
class Record:
    id: str
    type: str
    label: str
    name: str
    start: int | None
    end: int | None
    suspect: bool
    fields: list[tuple[str, str]]
    row_url: str
    order: int = 0
    row: dict = field(default_factory=dict)

    @property
    def located(self) -> bool:
        return self.start is not None

    @property
    def flag_text(self) -> str:
        return _field_text(self.row.get("flags"))

    @property
    def summary(self) -> str:
        """One line of plain text (the title attribute)."""
        parts = [f"{self.label}: {self.name}"]
        parts += [f"{label}: {value}" for label, value in self.fields if value]
        return " | ".join(parts)


@dataclass
class Event:
    """One step of the highlighted text: a text run, or opening/closing a highlight."""

    kind: str  # "text" | "open" | "close"
    text: str = ""
    record: Record | None = None
    continued: bool = False


def build_events(text: str, records: list[Record]) -> list[Event]:
    """Nested open/text/close events for every located record, from sorted boundaries.

    A record is opened once (its element carries data-record-type); when a record ends while
    records opened after it are still open (partial overlap), those are closed and reopened
    as continuation elements, so the markup stays well nested and no text is duplicated.
    """
    length = len(text)
    located = []
    for record in records:
        if record.start is None:
            continue
        start = min(max(record.start, 0), length)
        end = record.end if record.end is not None else start
        end = min(max(end, start), length)
        located.append((start, end, record))
    starts: dict[int, list[tuple[int, int, Record]]] = {}
    for item in located:
        starts.setdefault(item[0], []).append(item)
    for items in starts.values():
        items.sort(key=lambda item: (-item[1], item[2].order))  # longest (outermost) first
    bounds = sorted({0, length} | {s for s, _, _ in located} | {e for _, e, _ in located})
    events: list[Event] = []
    stack: list[tuple[int, int, Record]] = []
    for index, pos in enumerate(bounds):
        ending = [i for i, (_, end, _) in enumerate(stack) if end <= pos]
        if ending:
            lowest = ending[0]
            events.extend(Event("close") for _ in stack[lowest:])
            reopen = [item for item in stack[lowest:] if item[1] > pos]
            del stack[lowest:]
            reopen.sort(key=lambda item: (-item[1], item[2].order))
            for item in reopen:
                events.append(Event("open", record=item[2], continued=True))
                stack.append(item)
        for item in starts.get(pos, []):
            events.append(Event("open", record=item[2]))
            if item[1] == pos:  # empty span: an empty marker at its position
                events.append(Event("close"))
            else:
                stack.append(item)
        if index + 1 < len(bounds):
            chunk = text[pos:bounds[index + 1]]
            if chunk:
                events.append(Event("text", text=chunk))
    events.extend(Event("close") for _ in stack)
    return events


def repaired_spans(repaired_text: str, repairs: list[Record]) -> list[Record]:
    """The repairs with offsets moved into the repaired text (as `apply_repairs` built it)."""
    accepted: list[Record] = []
    for repair in repairs:
        if repair.start is None or repair.end is None or repair.suspect:
            continue
        if all(repair.end <= other.start or repair.start >= other.end  # type: ignore[operator]
               for other in accepted):
            accepted.append(repair)
    accepted.sort(key=lambda r: r.start)  # type: ignore[arg-type,return-value]
    moved: list[Record] = []
    delta = 0
    cursor = 0
    for repair in accepted:
        replacement = str(repair.row.get("repaired") or "")
        start = repair.start + delta  # type: ignore[operator]
        end = start + len(replacement)
        if repaired_text[start:end] != replacement or not replacement:
            found = repaired_text.find(replacement, cursor) if replacement else -1
            if found < 0:
                continue
            start, end = found, found + len(replacement)
        else:
            delta += len(replacement) - (repair.end - repair.start)  # type: ignore[operator]
        cursor = end
        moved.append(Record(id=repair.id, type="repairs", label=repair.label, name=repair.name,
                            start=start, end=end, suspect=False, fields=repair.fields,
                            row_url=repair.row_url, order=repair.order, row=repair.row))
    return moved


# -- data access ------------------------------------------------------------------------------
