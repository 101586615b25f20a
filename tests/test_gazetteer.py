"""The gazetteer: China's administrative units under their pinyin names."""

from __future__ import annotations

from extractor.text.gazetteer import gazetteer, place_word_key


def _readings(key: str) -> list[tuple[str, str, str, str | None]]:
    return [(p.name, p.level, p.province, p.city) for p in gazetteer().get(key, ())]


def test_cities_counties_and_provinces_are_found_by_their_pinyin() -> None:
    assert ("Zhenjiang", "city", "Jiangsu", "Zhenjiang") in _readings("zhenjiang")
    assert _readings("kunshan") == [("Kunshan", "county", "Jiangsu", "Suzhou")]
    assert _readings("jiangsu") == [("Jiangsu", "province", "Jiangsu", None)]
    assert _readings("shaanxi") == [("Shaanxi", "province", "Shaanxi", None)]
    assert ("Binhai", "county", "Tianjin", "Tianjin") in _readings("binhai")  # 滨海新区
    assert _readings("dongguan") == [("Dongguan", "city", "Guangdong", "Dongguan")]  # no counties


def test_a_name_shared_by_two_places_has_both_readings_cities_first() -> None:
    readings = _readings("taizhou")
    assert {r[2] for r in readings} >= {"Jiangsu", "Zhejiang"}
    assert _readings("nanjing")[0] == ("Nanjing", "city", "Jiangsu", "Nanjing")


def test_keys_ignore_apostrophes_spaces_and_case() -> None:
    assert place_word_key("Ma'anshan") == place_word_key("Maanshan") == "maanshan"
    assert _readings(place_word_key("Maanshan"))[0][0] == "Ma'anshan"
    assert "xian" in gazetteer() and "an" not in gazetteer()  # short keys are English words


def test_names_take_the_pinyin_apostrophe() -> None:
    """A syllable opening with a, e or o after another is written after an apostrophe."""
    assert _readings("jian")[0][:3] == ("Ji'an", "city", "Jiangxi")
    assert ("Zhao'an", "county", "Fujian", "Zhangzhou") in _readings("zhaoan")
    assert _readings("zhenjiang")[0][0] == "Zhenjiang"  # no vowel-initial syllable


def test_autonomous_regions_and_their_cities_are_found() -> None:
    assert ("Guangxi", "province", "Guangxi", None) in _readings("guangxi")
    assert ("Ningxia", "province", "Ningxia", None) in _readings("ningxia")
    assert _readings("xinjiang")[0] == ("Xinjiang", "province", "Xinjiang", None)
    assert ("Hechi", "city", "Guangxi", "Hechi") in _readings("hechi")
    assert ("Guiping", "county", "Guangxi", "Guigang") in _readings("guiping")


def test_an_autonomous_units_peoples_are_not_part_of_its_name() -> None:
    from extractor.text.gazetteer import _bare

    assert _bare("大理白族自治州") == "大理"
    assert _bare("海西蒙古族藏族自治州") == "海西"
    assert _bare("新疆维吾尔自治区") == "新疆"
    assert _bare("东乡族自治县") == "东乡"  # the people's name is the place's name
    assert _bare("姜堰区") == "姜堰"


def test_cities_with_an_english_name_are_found_by_it_and_by_their_pinyin() -> None:
    assert _readings("harbin") == _readings("haerbin") == [
        ("Harbin", "city", "Heilongjiang", "Harbin")]
    assert ("Urumqi", "city", "Xinjiang", "Urumqi") in _readings("urumqi")


def test_xinjiangs_units_lose_their_peoples_written_without_zu() -> None:
    from extractor.text.gazetteer import _bare

    assert _bare("伊犁哈萨克自治州") == "伊犁"
    assert _bare("博尔塔拉蒙古自治州") == "博尔塔拉"
    assert _bare("正镶白旗") == "正镶白"  # 白 without 族 is no people


def test_polyphonic_characters_read_as_place_names_read_them() -> None:
    from extractor.text.gazetteer import gazetteer

    assert [p.chinese for p in gazetteer()["changzhi"]] == ["长治"]  # not "Zhangzhi"
    assert "朝阳" in {p.chinese for p in gazetteer()["chaoyang"]}
    assert "宜都" in {p.chinese for p in gazetteer()["yidu"]}  # 宜都市, not "Yidou"
