from __future__ import annotations

from extractor.text.figure import clause_at, comparator_for, plural_noun, to_number


def test_the_shares_of_a_list_share_their_clause() -> None:
    text = "Exports, imports and retail grew 7.1%, 4.4% and 2.9% respectively, and prices fell."
    for share in ("7.1%", "4.4%", "2.9%"):
        at = text.index(share)
        assert clause_at(text, at, at + len(share)) == (
            "imports and retail grew 7.1%, 4.4% and 2.9% respectively")
    text = "output rose 5%, and profit fell 2%"
    assert clause_at(text, text.index("5%"), text.index("5%") + 2) == "output rose 5%"
    assert clause_at(text, text.index("2%"), text.index("2%") + 2) == "and profit fell 2%"


def test_number_comparator_and_count_noun() -> None:
    assert to_number("1,234.5") == 1234.5
    assert comparator_for("more than") == ">" and comparator_for("not less than") == ">="
    assert comparator_for(None) == "=" and comparator_for("nearly") == "~"
    assert plural_noun("factory") == "factories" and plural_noun("Project") == "projects"
