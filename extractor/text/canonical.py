"""Canonical names for officials and initiatives, and merging of duplicate records.

Officials are romanised Chinese names, surname first. Machine translation truncates them
("Xu Na" for "Xu Nanji"), shouts them ("CAI Jiang"), lower-cases them ("Chen wenkai") and glues
titles on ("Party secretary Xu Na"). All functions here are pure.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any


def _word_set(words: str) -> frozenset[str]:
    """Frozen set of the whitespace-separated words in a string."""
    return frozenset(words.split())


# Words stripped from the edges of a person mention. Place words are not here: a mention such
# as "Mayor of Yingtan Zhang Zijian" is resolved by the surname scan in `clean_person_name`.
TITLE_WORDS = _word_set(
    """
    mr mrs ms miss dr prof professor comrade sir madam
    party secretary secretaries deputy vice executive mayor mayors governor governors
    director directors chairman chairwoman chair chairperson president minister chief head
    member members committee standing municipal provincial city county district town
    general secretary-general vice-mayor vice-governor deputy-secretary leader leaders
    commissioner inspector magistrate officer official cpc ccp communist people's peoples
    congress cppcc government bureau department office of the and
    """
)

# Common single-syllable and compound Chinese surnames in pinyin (Hanyu Pinyin spelling).
SURNAMES = _word_set(
    """
    ai an ao bai ban bao bei bi bian bo bu cai cao cen chang chao che chen cheng chi chu cong
    cui dai dang deng di diao ding dong dou du duan fan fang fei feng fu gan gao ge geng gong
    gu guan guo han hao he hong hou hu hua huang ji jia jian jiang jin jing kang ke kong kuang
    lai lan lang lei li lian liang liao lin ling liu long lou lu luo lv lyu ma mai man mao mei
    meng mi miao min ming mo mu ning niu ou pan pang pei peng pi ping pu qi qian qiao qin qiu
    qu quan ran ren rong ruan sang shan shang shao shen sheng shi shu si song su sun tan tang
    tao teng tian tong tu wan wang wei wen weng wu xi xia xiang xiao xie xin xing xiong xu xue
    yan yang yao ye yi yin ying you yu yuan yue yun zang zeng zhai zhan zhang zhao zhen zheng
    zhong zhou zhu zhuang zhuo zong zou zuo
    ouyang sima zhuge shangguan situ dongfang murong xiahou huangfu duanmu gongsun
    chai ni nie
    """
)

_BRACKETED = re.compile(r"\([^)]*\)|（[^）]*）|\[[^\]]*\]|【[^】]*】")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_SEPARATORS = re.compile(r"[,;:/|、，；：]")
# One pinyin syllable without tones: optional initial, vowel cluster, optional -n/-ng/-r.
_PINYIN_SYLLABLE = re.compile(r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouvü]{1,3}(?:ng|n|r)?")


@functools.cache
def _pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (read off the CJK block with pypinyin)."""
    from pypinyin import lazy_pinyin

    read = lazy_pinyin([chr(c) for c in range(0x4E00, 0x9FA6)])
    return frozenset(s for s in read if re.search("[aeiouv]", s))  # not 嗯 "n", 呣 "m"


def is_pinyin(word: str) -> bool:
    """``word`` splits into pinyin syllables ("Jiatao", "Lan Fo'an"'s "Fo'an"); an English word
    ("Mountain", "Bridge") does not."""
    letters = re.sub(r"['’-]", "", word).casefold().replace("ü", "v")
    syllables = _pinyin_syllables()
    reachable = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        reachable[end] = any(reachable[start] and letters[start:end] in syllables
                             for start in range(max(0, end - 6), end))
    return bool(letters) and reachable[-1]


def _fix_case(token: str) -> str:
    """Title-case one name token: CAI -> Cai, wenkai -> Wenkai, ya-qing -> Ya-qing."""
    return token[:1].upper() + token[1:].lower()


def _strip_titles(tokens: list[str]) -> list[str]:
    """Drop title words from both ends of a token list."""
    start, end = 0, len(tokens)
    while start < end and tokens[start].casefold() in TITLE_WORDS:
        start += 1
    while end > start and tokens[end - 1].casefold() in TITLE_WORDS:
        end -= 1
    return tokens[start:end]


def _is_joined_given_name(tokens: list[str]) -> bool:
    """True for "Xu Nan Ji": a surname followed by two single pinyin syllables."""
    return (
        len(tokens) == 3
        and tokens[0].casefold() in SURNAMES
        and all(_PINYIN_SYLLABLE.fullmatch(t.casefold()) for t in tokens[1:])
    )


def _name_tokens(segment: str) -> list[str]:
    """Name tokens of one comma-free segment: titles stripped, given name joined, and for
    longer leftovers ("Mayor of Yingtan Zhang Zijian") the first surname + given name."""
    tokens = _strip_titles(_NAME_TOKEN.findall(segment))
    if _is_joined_given_name(tokens):
        return [tokens[0], tokens[1] + tokens[2].lower()]
    if len(tokens) <= 2:
        return tokens
    for i in range(len(tokens) - 1):
        if tokens[i].casefold() in SURNAMES and tokens[i + 1].casefold() not in TITLE_WORDS:
            return tokens[i : i + 2]
    return tokens


def clean_person_name(raw: str) -> str:
    """Strip titles, honorifics, brackets and punctuation and fix casing: "CAI Jiang" ->
    "Cai Jiang", "Mayor Zhang Zijian" -> "Zhang Zijian", "Xu Nan Ji" -> "Xu Nanji"."""
    text = unicodedata.normalize("NFKC", _BRACKETED.sub(" ", raw or ""))
    text = _CJK.sub(" ", text)
    tokens: list[str] = []
    for segment in _SEPARATORS.split(text):  # "Zhang Zijian, mayor of Yingtan"
        tokens = _name_tokens(segment)
        if tokens:
            break
    return " ".join(_fix_case(t) for t in tokens)


def _split_name(name: str) -> tuple[str, str]:
    """(casefolded surname, casefolded given name without spaces/hyphens) of a cleaned name."""
    parts = clean_person_name(name).casefold().split()
    if not parts:
        return "", ""
    return parts[0], re.sub(r"[-'’]", "", "".join(parts[1:]))


def is_truncation(short: str, full: str) -> bool:
    """True when short is full with the given name cut short ("Xu Na" of "Xu Nanji").

    The surnames must match and the short given name must be a strict prefix of at least
    one char; a bare surname ("Xu") is not enough.
    """
    s_sur, s_given = _split_name(short)
    f_sur, f_given = _split_name(full)
    return (
        bool(s_sur and s_given)
        and s_sur == f_sur
        and len(s_given) < len(f_given)
        and f_given.startswith(s_given)
    )


def same_person(a: str, b: str) -> bool:
    """True when two mentions name the same person: equal once cleaned, or one truncates the
    other. A bare surname never matches."""
    a_sur, a_given = _split_name(a)
    b_sur, b_given = _split_name(b)
    if not (a_sur and a_given and b_sur and b_given):
        return False
    return (a_sur, a_given) == (b_sur, b_given) or is_truncation(a, b) or is_truncation(b, a)


def _contains_words(haystack: str, needle: str) -> bool:
    """Case-insensitive whole-word containment, with any whitespace between words."""
    words = needle.split()
    if not words:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    return re.search(pattern, haystack, flags=re.IGNORECASE) is not None


# A post's pinyin fused onto the given name: "Xiao Yafeishu" is 萧亚非书记, Secretary Xiao Yafei.
TITLE_SYLLABLES = {"shuji": "Secretary", "shu": "Secretary", "shizhang": "Mayor",
                   "quzhang": "District Head", "xianzhang": "County Head", "zhuren": "Director",
                   "juzhang": "Director", "buzhang": "Minister", "tingzhang": "Director"}


def fused_title(mention: str, name: str) -> str | None:
    """The post fused onto ``name`` in ``mention`` ("Xiao Yafeishu", "Xiao Yafei" ->
    "Secretary"), or None."""
    m_sur, m_given = _split_name(mention)
    n_sur, n_given = _split_name(name)
    if not (m_sur and n_given) or m_sur != n_sur or not m_given.startswith(n_given):
        return None
    return TITLE_SYLLABLES.get(m_given[len(n_given):])


def choose_canonical(
    candidates: Sequence[str], mentions: Sequence[str], *, text: str | None = None
) -> str:
    """Pick the canonical name for a person.

    A proposed name (LLM output) is accepted only if it is consistent with a mention: equal
    after cleaning, or a mention truncates it AND the full name itself occurs in the mentions
    or in `text`. Of the accepted names the longest wins; it is then upgraded to a longer
    mention it truncates. With no accepted name, the longest cleaned mention wins. With no
    usable mentions at all, the first cleaned candidate is returned unvalidated.
    """
    cleaned_mentions = [m for m in (clean_person_name(x) for x in mentions) if m]
    cleaned_candidates = [c for c in (clean_person_name(x) for x in candidates) if c]
    if not cleaned_mentions:
        return cleaned_candidates[0] if cleaned_candidates else ""
    sources = [*mentions, text or ""]

    def supported(name: str) -> bool:
        if any(_split_name(name) == _split_name(m) for m in cleaned_mentions):
            return True
        return any(is_truncation(m, name) for m in cleaned_mentions) and any(
            _contains_words(src, name) for src in sources
        )

    accepted = [c for c in cleaned_candidates if supported(c)]
    if accepted:
        best = max(accepted, key=len)
        longer = [m for m in cleaned_mentions if is_truncation(best, m)]
        best = max(longer, key=len) if longer else best
    else:
        best = max(cleaned_mentions, key=len)
    # a name with a post fused on is the shorter mention it extends ("Xiao Yafeishu")
    bare = [m for m in cleaned_mentions if fused_title(best, m)]
    return max(bare, key=len) if bare else best


def person_key(name: str) -> str:
    """Key for cross-article identity: the casefolded cleaned name, given name unhyphenated."""
    surname, given = _split_name(name)
    return f"{surname} {given}".strip()


# ---------------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------------


def _dedupe(items: list[str]) -> list[str]:
    """Order-preserving exact dedupe, dropping empty strings."""
    return list(dict.fromkeys(i for i in items if i))


def _first(records: Sequence[dict], key: str) -> Any:
    """First value of key that is not None/empty, else None."""
    return next((r.get(key) for r in records if r.get(key) not in (None, "", [])), None)


def _longest(records: Sequence[dict], key: str) -> Any:
    """Longest non-empty string value of key (first on ties), else None."""
    values = [r.get(key) for r in records if isinstance(r.get(key), str) and r.get(key)]
    return max(values, key=len) if values else None


def _combine(cluster: Sequence[dict]) -> dict:
    """Union of a cluster's keys (earlier records win), mentions unioned, merged_from summed."""
    merged: dict = {}
    for record in cluster:
        for key, value in record.items():
            if merged.get(key) in (None, "", []):
                merged[key] = value
    merged["mentions"] = _dedupe([m for r in cluster for m in (r.get("mentions") or [])])
    merged["merged_from"] = sum(int(r.get("merged_from") or 1) for r in cluster)
    return merged


def _cluster(
    records: Sequence[dict], joins: Callable[[list[dict], dict], bool]
) -> list[list[dict]]:
    """Greedy order-preserving clustering: each record joins the first cluster it fits."""
    clusters: list[list[dict]] = []
    for record in records:
        home = next((c for c in clusters if joins(c, record)), None)
        if home is None:
            clusters.append([record])
        else:
            home.append(record)
    return clusters


def _official_identity(record: dict) -> str:
    """The record's validated name: its proposed name checked against its own mentions."""
    return choose_canonical([record.get("name") or ""], record.get("mentions") or [])


def merge_officials(officials: Sequence[dict]) -> list[dict]:
    """Merge records of the same person within one article.

    Mentions are unioned (verbatim, order kept, deduped); the name comes from
    `choose_canonical`; title is the longest one given; organization and role the first
    given; evidence the first record's (or first given). Other keys are kept, earlier records
    winning. 'merged_from' counts the input records merged (summing earlier counts).
    A record joins a group only if it is the same person as every record already in it, so
    "Xu Na" cannot bridge "Xu Nanji" and a different "Xu Nanxi".
    """
    identities = {id(r): _official_identity(r) for r in officials}

    def joins(cluster: list[dict], record: dict) -> bool:
        name = identities[id(record)]
        return all(same_person(name, identities[id(other)]) for other in cluster)

    merged_records = []
    for cluster in _cluster(officials, joins):
        merged = _combine(cluster)
        names = sorted(
            (r.get("name") or "" for r in cluster), key=lambda n: -len(clean_person_name(n))
        )
        merged["name"] = choose_canonical(names, merged["mentions"])
        merged["title"] = _longest(cluster, "title")
        merged["organization"] = _first(cluster, "organization")
        merged["role"] = _first(cluster, "role")
        merged["evidence"] = cluster[0].get("evidence") or _first(cluster, "evidence")
        merged_records.append(merged)
    return merged_records


_STOPWORDS = frozenset({"the", "of", "and", "a", "an", "to"})
_KEEP_S = frozenset({"news", "series", "species", "business", "status", "plus", "gas", "bus"})
_KEY_TOKEN = re.compile(r"[^\W_]+|\+")


def _singular(word: str) -> str:
    """Singularise simple English plurals: chains -> chain, cities -> city, boxes -> box."""
    if len(word) <= 3 or word in _KEEP_S or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def initiative_key(name: str) -> str:
    """Normalised initiative name for matching: casefold, drop quotes/punctuation and the
    stopwords the/of/and/a/an/to, singularise simple plurals ("Four Groups and Eight chains"
    and "four groups of eight chain" -> "four group eight chain")."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    words = [_singular(w) for w in _KEY_TOKEN.findall(text) if w not in _STOPWORDS]
    return " ".join(words)


def merge_initiatives(initiatives: Sequence[dict]) -> list[dict]:
    """Merge records of the same initiative within one article.

    Records are the same when their name keys (`initiative_key`) are equal or one record's
    name key equals one of the other's mention keys. Mentions are unioned; name is the first
    record's (first non-empty); description the longest; level, period and evidence the first
    given. Other keys are kept; 'merged_from' counts the input records merged.
    """

    def keys(record: dict) -> tuple[str, set[str]]:
        mention_keys = {initiative_key(m) for m in record.get("mentions") or []}
        return initiative_key(record.get("name") or ""), mention_keys - {""}

    def joins(cluster: list[dict], record: dict) -> bool:
        name_key, mention_keys = keys(record)
        for other in cluster:
            other_name, other_mentions = keys(other)
            if name_key and (name_key == other_name or name_key in other_mentions):
                return True
            if other_name and other_name in mention_keys:
                return True
        return False

    merged_records = []
    for cluster in _cluster(initiatives, joins):
        merged = _combine(cluster)
        merged["name"] = _first(cluster, "name") or ""
        merged["description"] = _longest(cluster, "description")
        merged["level"] = _first(cluster, "level")
        merged["period"] = _first(cluster, "period")
        merged["evidence"] = _first(cluster, "evidence")
        merged_records.append(merged)
    return merged_records


def _meeting_key(record: dict) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (record.get("name") or "").casefold()))


def _same_meeting(a: dict, b: dict) -> bool:
    """Same meeting: same non-null date, identical evidence, or the same normalised name."""
    if a.get("date") and a.get("date") == b.get("date"):
        return True
    if a.get("evidence") and a.get("evidence") == b.get("evidence"):
        return True
    return bool(_meeting_key(a)) and _meeting_key(a) == _meeting_key(b)


def merge_meetings(meetings: Sequence[dict]) -> list[dict]:
    """Merge the records a model repeats for one meeting (the first keeps its fields; chairs
    and speakers are united; ``merged_from`` counts the records)."""
    merged: list[dict] = []
    for record in meetings:
        target = next((m for m in merged if _same_meeting(m, record)), None)
        if target is None:
            merged.append({**record, "merged_from": record.get("merged_from", 1)})
            continue
        for key in ("chaired_by", "speakers"):
            target[key] = _dedupe([*(target.get(key) or []), *(record.get(key) or [])])
        for key in ("place", "organizer", "date"):
            target[key] = target.get(key) or record.get(key)
        target["merged_from"] += record.get("merged_from", 1)
    return merged


def figure_key(target: dict) -> tuple[float, str] | None:
    """(value, unit) of a target, the unit case- and space-folded; None without a number."""
    try:
        value = float(target.get("value"))
    except (TypeError, ValueError):
        return None
    return value, " ".join(str(target.get("unit") or "").casefold().split())


def _spaced(text: str) -> str:
    return " ".join(str(text or "").casefold().split())


def merge_targets(targets: Sequence[dict]) -> list[dict]:
    """One record per figure stated once: records with the same value and unit whose evidence
    is the same clause (or one clause inside the other) are the model repeating itself (the
    first is kept). A figure stated in two places stays two."""
    merged: list[dict] = []
    for record in targets:
        key, evidence = figure_key(record), _spaced(record.get("evidence"))
        same = next((m for m in merged if key is not None and figure_key(m) == key and evidence
                     and ((other := _spaced(m.get("evidence"))) in evidence
                          or evidence in other)), None)
        if same is None:
            merged.append(record)
    return merged
