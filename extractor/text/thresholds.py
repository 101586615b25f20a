"""Money amounts that define a class of projects or enterprises (以上 thresholds), not a
figure: "projects of over 2 billion yuan" names which projects count."""

from __future__ import annotations

import re

# A money amount that defines which projects or enterprises count (以上 thresholds): "projects
# of over 2 billion yuan", "enterprises with annual revenue of 20 million yuan or more",
# "introduce projects with investment of 5 billion yuan and above", "enterprises whose output
# exceeded 100 million yuan", "243 enterprises exported more than 100 million yuan each". Not a
# goal or a result (the count of such enterprises is). A class is plural: "the Zhonghuan project
# with a total investment of 9 billion yuan" states the project's figure.
_CLASS_NOUN = r"\b(?:projects?|enterprises?|companies|firms|factories|clusters?|industr(?:y|ies))\b"
_CLASS_NOUNS = r"\b(?:projects|enterprises|companies|firms|factories|clusters|industries)\b"
_THRESHOLD_BEFORE = re.compile(
    _CLASS_NOUNS + r"\s+(?:(?:(?:with|of)\s+(?:an?\s+)?(?:(?:annual|total|fixed[- ]asset|"
    r"equipment)\s+)*(?:investment|revenue|income|output(?:\s+value)?|sales|scale)\s+)?"
    r"(?:of\s+)?(?:(?:over|above|more than|exceeding|at least|not less than)\s+)?|"
    # "24 projects have an investment of more than 1 billion yuan" (each), not "have a total"
    r"(?:have|has)\s+(?:an?\s+)?(?:(?:annual|fixed[- ]asset)\s+)?(?:investment|revenue|"
    r"output(?:\s+value)?)\s+of\s+(?:over|above|more than|exceeding|at least)\s+)$", re.I)
_THRESHOLD_WORD = re.compile(r"\b(?:of|with|over|above|exceeding|more than|at least)\s*$|"
                             r"\b(?:of|with|over|above)\b", re.I)
# "enterprises whose output exceeded 100 million yuan", "enterprises that invested over ..."
_THRESHOLD_RELATIVE = re.compile(
    _CLASS_NOUNS + r"\s+(?:whose|that|which|with)\b[^,;.，；\d]{0,50}$", re.I)
# "... 100 million yuan or more", "... of exports each"
_THRESHOLD_AFTER = re.compile(
    r"^[^,;.，；]{0,40}?\b(?:(?:and|or)\s+(?:above|more|over)|"
    r"each(?!\s+(?:year|month|quarter|week|day)))\b", re.I)
_THRESHOLD_CONTEXT = re.compile(
    _CLASS_NOUN + r"|\b(?:investment|revenue|income|output|sales)\b", re.I)
_THRESHOLD_WINDOW = 60
# "10 zones each generating annual revenue above": the size each of them reaches
_EACH_ABOVE = re.compile(r"\beach\b[^,;.，；\d]{0,50}\b(?:above|over|more than|exceeding|"
                         r"of at least|reach(?:ing|es)?)\s*$", re.I)
# 以上 after the amount, of all or each of them: "All project investment all in 5 yi yuan above"
# ("plan complete year investment 3000 hundred million yuan above" is a goal of at least it)
_EVERY = re.compile(r"\b(?:all|each|every)\b", re.I)
_ABOVE_AFTER = re.compile(r"^\s*(?:and\s+|or\s+)?above\b(?!\s+(?:the|its|last|that|target)\b)",
                          re.I)
_QUALIFIER = re.compile(r"\b(?:over|above|more than|exceed\w*|at least|not less than|whose|that|"
                        r"which)\b", re.I)
_COUNT_BEFORE = re.compile(r"\d[\d,]*\s+(?:[a-z-]+\s+){0,3}$", re.I)


# a sum over the class, not its threshold: "41 projects with a total investment of 45.7 billion",
# "21 projects with a combined investment of", "22 projects with pledged investment totaling"
_A_TOTAL = re.compile(r"\b(?:total(?:l?ing|l?ed)?|combined|aggregate|cumulative)\b"
                      r"(?!.*\b(?:over|above|more than|exceeding|at least|not less than)\b)",
                      re.I)
# the qualifier before the amount and the class noun after it, Chinese order (5000万元以上技改项目)
_ABOVE_BEFORE = re.compile(r"\b(?:above|over|exceed(?:s|ing)?|more than)\s*$", re.I)
_QUALIFIED_NOUN_AFTER = re.compile(
    r"^\s+(?:(?!(?:in|to|for|of|and|was|were|is|are|will)\b)[a-z-]+\s+){0,3}"
    r"(?:projects?|enterprises?)\b", re.I)
_ABOVE_NOUN_AFTER = re.compile(
    r"^\s+(?:and |or )?(?:above|or more)\s+(?:[a-z-]+\s+){0,5}?(?:projects?|enterprises?)\b"
    # or the count of the class right after it: "project 1 hundred million yuan above 12 items"
    r"|^\s+(?:and |or )?above\s+(?:[a-z-]+\s+){0,3}?\d[\d,]*\s+(?:items?|famil(?:y|ies)|homes?|"
    r"pieces?)\b", re.I)
# a count of the class earlier in the clause: "300 technique change items of 1000 ten thousand
# yuan above" (the amount says which of the 300 count)
_COUNTED_BEFORE = re.compile(r"\d[\d,]*\s+(?:[a-z-]+\s+){0,3}(?:items|projects|enterprises)\s+"
                             r"(?:of|with)\s+$", re.I)


def is_class_threshold(text: str, start: int, end: int) -> bool:
    """Whether the money amount at ``text[start:end]`` defines a class of projects or
    enterprises rather than stating a figure."""
    before = text[max(0, start - _THRESHOLD_WINDOW):start]
    before = re.split(r"[,;.，；]", before)[-1]  # the same clause only
    if _EACH_ABOVE.search(before):
        return True
    found = _THRESHOLD_BEFORE.search(before)
    if (found and _THRESHOLD_WORD.search(found.group())  # a bare "projects 5 ..." is no class
            and not _A_TOTAL.search(found.group())  # "41 projects with a total investment"
            and not _counted_sum(before, found)):
        return True
    relative = _THRESHOLD_RELATIVE.search(before)
    if relative and not _A_TOTAL.search(relative.group()) and not _counted_sum(before, relative):
        return True
    if _QUALIFIED_NOUN_AFTER.match(text[end:end + _THRESHOLD_WINDOW]) and _ABOVE_BEFORE.search(
            before):  # "above 50 million yuan technical transformation projects"
        return True
    if _ABOVE_NOUN_AFTER.match(text[end:end + _THRESHOLD_WINDOW]):
        return True  # 亿元以上项目: "the 100 million yuan above project"
    if _ABOVE_AFTER.match(text[end:end + _THRESHOLD_WINDOW]) and _COUNTED_BEFORE.search(before):
        return True
    after = text[end:end + _THRESHOLD_WINDOW]
    return bool((_THRESHOLD_AFTER.match(after)
                 or (_ABOVE_AFTER.match(after) and _EVERY.search(before)))
                and _THRESHOLD_CONTEXT.search(before))


def _counted_sum(before: str, match: re.Match[str]) -> bool:
    """"22 projects with pledged investment of" (no "over", no "above"): the sum over the
    projects counted just before, not the size that defines them."""
    return (not _QUALIFIER.search(match.group())
            and bool(_COUNT_BEFORE.search(before[:match.start()])))
