"""Place names: split into the most local unit and its province, compared for scoring."""

from __future__ import annotations

from extractor.text.placenames import place_key, same_place, split_article_place


def test_article_place_splits_into_city_and_province() -> None:
    assert split_article_place("Zhenjiang, Jiangsu") == ("Zhenjiang", "Jiangsu")
    assert split_article_place("Yingtan City, Jiangxi Province") == ("Yingtan", "Jiangxi")
    assert split_article_place("Shanghai") == ("Shanghai", "Shanghai")
    assert split_article_place(None) == (None, None)
    assert place_key("Zhenjiang City") == place_key("zhenjiang") == "zhenjiang"


def test_same_place_needs_the_same_most_local_unit() -> None:
    assert same_place("Zhenjiang, Jiangsu", "Zhenjiang City, Jiangsu Province")
    assert same_place("Zhenjiang, Jiangsu", "zhenjiang")  # no province named: the city decides
    assert not same_place("Zhenjiang, Jiangsu", "Jiangsu")  # the province is not the city
    assert not same_place("Zhenjiang, Jiangsu", "Zhenjiang, Zhejiang")
    assert not same_place("Kunshan, Jiangsu", "Suzhou, Jiangsu")
    assert same_place("Shanghai", "Shanghai")
    assert not same_place("Zhenjiang, Jiangsu", None)
    assert same_place(None, None)
