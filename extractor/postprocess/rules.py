"""Deterministic completion of the model's records from candidates found in the text.

The model labels candidates; where it skips one that the rules are confident about, a record
is added with ``source = "rule"`` so analysts can tell them apart (and filter them out):
- targets: every number with a unit or a ranking (``quantities.find_quantities``);
- officials: romanised names next to an official title word;
- initiatives: quoted phrases of two or more words (translations quote named programmes);
- repairs: what the other records already repaired: a name cut short or left in lower case
  ("Xu Na" -> "Xu Nanji", "Chen wenkai" -> "Chen Wenkai"), and an initiative whose name
  replaces words of its mention ("wisdom copper road" -> "smart copper road").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.postprocess.assemble import (
    evidence_sentence,
    head_and_nickname,
    official_mentions,
    with_programme_head,
)
from extractor.text.candidates import (
    glossary_hits,
    name_candidates,
    quoted_phrases,
    sentence_around,
)
from extractor.text.canonical import (
    choose_canonical,
    clean_person_name,
    fused_title,
    initiative_key,
    is_truncation,
    same_person,
)
from extractor.text.magnitudes import normalize_quantity
from extractor.text.quantities import Quantity, find_quantities, guess_kind, guess_period
from extractor.text.textfixes import ONCE_PER_FORM, mojibake_quoted, post_model_repairs

TITLE_WORDS = re.compile(
    r"\b(?:secretary|mayor|governor|director|deputy|chairman|chairwoman|head|chief|"
    r"commissioner|party committee|municipal government|leaders?)\b", re.I)
NOT_OFFICIAL = re.compile(r"\b(?:reporter|correspondent|journalist|editor|photo)\b", re.I)
TITLE_WINDOW = 80


# -- targets --------------------------------------------------------------------------------
def _covered(quantity: Quantity, targets: Sequence[dict]) -> bool:
    """A model target states this quantity: same magnitude and unit family, overlapping span."""
    wanted = normalize_quantity(quantity.value, quantity.unit)
    for target in targets:
        if target.get("flags"):  # a suspect model target does not cover anything
            continue
        got = normalize_quantity(target.get("value"), target.get("unit"))
        if wanted is None or got is None or got[:2] != wanted[:2]:
            continue
        start, end = target.get("char_start"), target.get("char_end")
        if start is not None and end is not None and start < quantity.end and quantity.start < end:
            return True
    return False


def _nearest_period(position: int, targets: Sequence[dict]) -> str | None:
    """Period of the closest model target before ``position`` (the paragraph's year)."""
    before = [t for t in targets if t.get("char_start") is not None and t["char_start"] <= position]
    closest = max(before, key=lambda t: t["char_start"], default=None)
    return closest.get("period") if closest else None


def rule_targets(text: str, targets: Sequence[dict],
                 quantities: Sequence[Quantity] | None = None) -> list[dict]:
    """Targets for the quantities with units that no (grounded) model target covers
    (``quantities``: ``find_quantities(text)``, when the caller has it already)."""
    added = []
    for quantity in find_quantities(text) if quantities is None else quantities:
        if _covered(quantity, targets):
            continue
        sentence = sentence_around(text, quantity.start, quantity.end)
        added.append({
            "metric": quantity.clause, "value": quantity.value, "unit": quantity.unit,
            "comparator": quantity.comparator,
            "kind": guess_kind(quantity.clause, sentence, quantity.unit),
            "period": guess_period(sentence) or _nearest_period(quantity.start, targets),
            "region": None, "initiative": None, "evidence": quantity.clause, "source": "rule",
            "anchor": quantity.start,  # grounded at its own occurrence (finalize)
        })
    return added


# -- officials ------------------------------------------------------------------------------
def _looks_official(name: str, text: str) -> bool:
    for match in re.finditer(re.escape(name), text):
        before = text[max(0, match.start() - TITLE_WINDOW):match.start()]
        after = text[match.end():match.end() + TITLE_WINDOW]
        if NOT_OFFICIAL.search(before[-30:]):
            return False
        if TITLE_WORDS.search(before[-40:]) or TITLE_WORDS.search(after):
            return True
    return False


def rule_officials(text: str, officials: Sequence[dict]) -> list[dict]:
    """Officials for romanised names next to a title word that the model did not list."""
    known = [m for o in officials for m in [o.get("name") or "", *(o.get("mentions") or [])]]
    added: list[dict] = []
    for name in name_candidates(text, lowercase_given=True):
        if any(same_person(name, k) for k in known) or not _looks_official(name, text):
            continue
        mentions = official_mentions(name, text)
        added.append({"name": choose_canonical([name], mentions), "mentions": mentions,
                      "title": None, "organization": None,
                      "role": None, "evidence": evidence_sentence(text, name), "source": "rule"})
        known.extend(mentions)
    return added


# -- initiatives ----------------------------------------------------------------------------
def _is_programme_phrase(phrase: str) -> bool:
    inner = phrase.strip("“”\"").strip().replace("”", " ").replace("“", " ")
    if inner.startswith("(") or "hereinafter" in inner.lower():
        return False
    return len(inner.split()) >= 2 or any(ch.isdigit() for ch in inner)


# Named plans and designations the genre writes out in lower case: "the three-year action plan
# for improving the business environment", "industrial software development action plan",
# "a pilot zone for the integrated development of ...", "national ... pilot city".
_DESIGNATION = r"(?:zones?|cit(?:y|ies)|areas?|bases?)\b"
_NOT_IN_NAME = (r"(?:the|a|an|this|that|these|its|their|our|of|to|in|on|for|with|and|or|by|"
                r"as|at|from|into|take|taking|took|launch|launched|carry|carried|out|implement|"
                r"implementing|start|started|will|shall|must|should|joint|practical|concrete|"
                r"strong|more|further|such|other|every|each|all|any|new|is|are|was|were|be|"
                r"been|has|have|had|yuan|hundred|thousand|million|billion|trillion|"
                r"(?:arrange|set|establish|use|allocate|provide|support|give|grant|invest|"
                r"increase|expand|build|create|promote|launch|make|do|strengthen|improve|"
                r"deepen|accelerate|focus|set up|put|open|push|release|issue)"
                r"(?:s|es|d|ed|ing)?)\b")
_PLAN_TAIL = r"(?:\s+(?:for|of|on)\s+(?:the\s+)?[^,;.:()“”\"\n]{3,70})?(?=[,;.:()“”\"\n]|$)"
PLAN_PHRASES = (
    re.compile(r"\b(?:new round of\s+)?(?:three|five|two)-year action plan" + _PLAN_TAIL, re.I),
    # the Chinese order, its subject first and its period after: "manufacturing number
    # intelligent transform three-year action plan (2022-2024)"
    re.compile(r"(?<![\w-])(?:(?!" + _NOT_IN_NAME + r"|\w+ed\b|first\b|second\b|third\b)"
               r"(?-i:[a-z][a-z-]+)\s+){1,6}(?:three|five|two)"
               r"[- ]year action plan(?:\s*\((?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d\))?", re.I),
    re.compile(r"(?<![’'])\b(?:[a-z-]+\s+){1,3}development action plan\b", re.I),
    re.compile(r"\b(?:national|provincial)\s+(?:[a-z-]+\s+){0,6}?pilot " + _DESIGNATION
               + _PLAN_TAIL, re.I),
    re.compile(r"\bpilot " + _DESIGNATION
               + r" for (?:the\s+)?[^,;.:()“”\"\n]{3,70}?(?=[,;.:()“”\"\n])", re.I),
    re.compile(r"\bnational\s+(?:[a-z-]+\s+){0,3}?(?:innovative|demonstration|manufacturing)\s+"
               + _DESIGNATION, re.I),
    # a programme written out in words: "chain-wide digital empower action", "high quality
    # development fund", "industrial transformation upgrading special fund" (no article, verb
    # or adverb among its two to four words)
    re.compile(r"(?<![\w-])(?:(?!" + _NOT_IN_NAME + r")[a-z][a-z-]+\s+){2,4}"
               r"(?:action|fund|special campaign)\b(?!\s+(?:of|to|for|on|plan)\b)", re.I),
)


def plan_phrases(text: str) -> list[str]:
    """Verbatim named plans and designations (see ``PLAN_PHRASES``), longest first per place."""
    spans = sorted({(m.start(), m.end()) for pattern in PLAN_PHRASES
                    for m in pattern.finditer(text)}, key=lambda se: (se[0], -se[1]))
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if not any(s <= start and end <= e for s, e in kept):
            kept.append((start, end))
    return [text[start:end].strip() for start, end in kept]


# "improve A, B, C and other systems" (……等制度/机制): each listed item names a system. The
# list runs back to the clause's verb phrase ("improve the implementation of").
_LISTED_SYSTEMS = re.compile(r"\s+and other (?P<kind>systems|mechanisms)\b", re.I)
_LIST_START = re.compile(r"[.;:!?()“”\"\n][^.;:!?()“”\"\n]*$")
_LIST_REACH = 400  # characters a list may run back from its "and other systems"
_LIST_LEAD = re.compile(r"\b(?:of|implement|implementing|improve|improving|establish|"
                        r"establishing|build|building|perfect|perfecting)\s+(?:the\s+)?", re.I)
_LIST_SPLIT = re.compile(r"\s*[,、]\s*")


def listed_systems(text: str) -> list[tuple[str, str]]:
    """(verbatim item, kind) for each comma-separated item of "A, B and other systems" lists,
    which start after the last verb phrase before them ("improve the implementation of")."""
    found = []
    for match in _LISTED_SYSTEMS.finditer(text):
        before = text[max(0, match.start() - _LIST_REACH):match.start()]
        start = _LIST_START.search(before)
        span = before[start.start() + 1:] if start else before
        leads = list(_LIST_LEAD.finditer(span))
        items = _LIST_SPLIT.split(span[leads[-1].end():] if leads else span)
        if len(items) < 2:
            continue
        kind = match.group("kind").lower().rstrip("s")
        found.extend((item.strip(), kind) for item in items
                     if 2 <= len(item.split()) <= 8 and item.strip() in text)
    return found


def _is_covered(key: str, covered: set[str]) -> bool:
    return not key or key in covered or any(key in c or c in key for c in covered if c)


def glossary_programme_names(initiatives: Sequence[dict], glossary: Sequence[dict]) -> list[dict]:
    """Initiatives whose name or mention is a glossary term for a programme, renamed to the
    programme's name, so that every form of one programme ("wisdom to turn", "intellectual
    transformation") merges into one record."""
    renamed = []
    for initiative in initiatives:
        forms = [initiative.get("name") or "", *(initiative.get("mentions") or [])]
        programme = next((hit.programme for form in forms
                          for hit in glossary_hits(form, glossary) if hit.programme
                          and len(hit.garbled) >= 0.6 * len(form.strip("“”\"' "))), None)
        renamed.append({**initiative, "name": programme} if programme else initiative)
    return renamed


def _rule_initiative(name: str, mention: str, text: str,
                     description: str | None = None, quoted: str = "") -> dict:
    return {"name": name, "mentions": head_and_nickname(mention, quoted or mention),
            "description": description, "level": None,
            "period": None, "evidence": evidence_sentence(text, mention), "source": "rule"}


def rule_initiatives(text: str, initiatives: Sequence[dict], repairs: Sequence[dict] = (),
                     glossary: Sequence[dict] = ()) -> list[dict]:
    """Initiatives for glossary terms that name a programme, items of "and other systems"
    lists, written-out named plans and quoted multi-word phrases that no model initiative
    mentions."""
    covered = {initiative_key(m.strip("“”\"")) for i in initiatives
               for m in [i.get("name") or "", *(i.get("mentions") or [])]}
    added = []
    for hit in glossary_hits(text, glossary):
        keys = {initiative_key(hit.garbled.strip("“”\"")), initiative_key(hit.programme or "")}
        if not hit.programme or any(_is_covered(key, covered) for key in keys):
            continue
        added.append(_rule_initiative(hit.programme, hit.garbled, text, hit.repaired))
        covered |= keys
    for item, kind in listed_systems(text):
        key = initiative_key(item)
        if _is_covered(key, covered):
            continue
        name = item if item.casefold().endswith(kind) else f"{item} {kind}"
        added.append(_rule_initiative(name[:1].upper() + name[1:], item, text))
        covered.add(key)
    for phrase in plan_phrases(text):
        key = initiative_key(phrase)
        if _is_covered(key, covered):
            continue
        added.append(_rule_initiative(phrase, phrase, text))
        covered.add(key)
    # (a phrase between mojibake quotes, "â€œDigital Fujianâ€", as its words alone)
    for phrase in [*quoted_phrases(text), *mojibake_quoted(text)]:
        inner = phrase.strip("“”\"").strip()
        key = initiative_key(inner)
        repaired = next((r["repaired"] for r in repairs
                         if inner.casefold() in (r.get("original") or "").casefold()), None)
        mention, name = with_programme_head(phrase, repaired or inner, text)
        if _is_covered(key, covered) or not _is_programme_phrase(mention):
            continue
        added.append(_rule_initiative(name, mention, text, quoted=phrase))
        covered.add(key)
    return added


# -- repairs --------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def _name_repairs(officials: Sequence[dict]) -> list[dict]:
    found = []
    for official in officials:
        name = official.get("name") or ""
        for mention in official.get("mentions") or []:
            if title := fused_title(mention, name):
                found.append({"original": mention, "repaired": f"{title} {name}",
                              "category": "name", "note": "the post fused onto the name"})
                continue
            if is_truncation(mention, name):
                note = "name cut short"
            elif (mention != clean_person_name(mention) and mention.casefold() == name.casefold()
                  and mention.split()[-1].islower()):
                note = "given name left in lower case"
            else:
                continue
            found.append({"original": mention, "repaired": name, "category": "name",
                          "note": note})
    return found


_SYLLABLE = re.compile(r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouv]{1,3}(?:ng|n|r)?")


def _name_forms_in_text(officials: Sequence[dict], text: str) -> list[dict]:
    """Every form of a kept official's name that the text garbles, whether the model listed it
    or not: the given name cut to its first syllable ("Liu Guang" of Liu Guangbin), split ("Liu
    Ru Ping") or fused with the surname ("Caizhansheng", "Sunji Ping")."""
    found = []
    for official in officials:
        parts = (official.get("name") or "").split()
        if len(parts) != 2 or not parts[1].isalpha() or len(parts[1]) < 3:
            continue
        surname, given = parts
        first = _SYLLABLE.match(given.lower())
        if not first or not 0 < first.end() < len(given):
            continue
        head, rest = given[:first.end()], given[first.end():]
        s, h, r = (re.escape(part) for part in (surname, head, rest))
        forms = [(rf"\b{s}\s+{h}\s+{r}\b", "given name split"),
                 (rf"\b{s}{h}{r}\b|\b{s}{h}\s+{r}\b", "name fused"),
                 (rf"\b{s}\s+{h}\b(?!\s+{r}\b|[-'’])", "name cut short")]
        for pattern, note in forms:
            for match in re.finditer(pattern, text, re.I):
                if match.group(0) != f"{surname} {given}" and match.group(0)[0].isupper():
                    found.append({"original": match.group(0), "repaired": f"{surname} {given}",
                                  "category": "name", "note": note})
    return found


_QUOTE_MARK = re.compile("[“”\"‘’]")


def _initiative_repairs(initiatives: Sequence[dict]) -> list[dict]:
    found = []
    for initiative in initiatives:
        name = initiative.get("name") or ""
        for mention in (initiative.get("mentions") or [])[:1]:
            inner = mention.strip("“”\"‘’'")
            if _QUOTE_MARK.search(inner):  # "“wisdom change number turn” campaign": keep both
                inner = mention.strip()
            added, dropped = _words(name) - _words(inner), _words(inner) - _words(name)
            kept = {w for w in _words(name) & _words(inner) if len(w) >= 3}
            # words replaced, not trimmed, and the same thing named: a name that shares no word
            # with its mention ("four big pieces" named "home electricity, motorcar, ...") is
            # the model's misreading, not a repair
            if added and dropped and kept and len(inner.split()) >= 2:
                found.append({"original": inner, "repaired": name, "category": "term",
                              "note": "initiative name"})
    return found


def rule_repairs(repairs: Sequence[dict], officials: Sequence[dict],
                 initiatives: Sequence[dict], text: str = "") -> list[dict]:
    """Repairs the officials and initiatives imply, and the figure, date and encoding slips of
    the text (``textfixes.post_model_repairs``), that no repair (model or glossary) covers."""
    seen = [(r.get("original") or "").casefold() for r in repairs]
    added = []
    for repair in [*_name_repairs(officials), *_name_forms_in_text(officials, text),
                   *_initiative_repairs(initiatives)]:
        original = repair["original"].casefold()
        if any(original in other or other in original for other in seen if other):
            continue
        seen.append(original)
        added.append({**repair, "source": "rule"})
    found = {r.original: r for r in post_model_repairs(text)}  # one record per garbled form
    forms_listed: set[str] = set()
    for original, repair in found.items():
        if repair.note in ONCE_PER_FORM:  # listed at its first instance
            if repair.note in forms_listed:
                continue
            forms_listed.add(repair.note)
        if not any(original.casefold() in other or other in original.casefold()
                   for other in seen if other):
            seen.append(original.casefold())  # "ginger weir" after "Ginger weir district"
            added.append({**repair.model_dump(), "source": "rule"})
    return added
