"""The article's place: the model's answer weighed against the places the text names."""

from __future__ import annotations

from extractor.postprocess.place import article_place, place_mentions

NANJING = ("The responsible comrades of the Jiangbei New Area, Qixia District, Pukou District "
           "and Liuhe District exchanged speeches. The city of Nanjing will build ...")


def test_districts_vote_for_their_city_over_a_wrong_model_answer() -> None:
    assert article_place(NANJING, "Shanghai, Shanghai") == "Nanjing, Jiangsu"


def test_a_person_is_not_the_place() -> None:
    text = "Yingtan held a meeting. Party secretary Xu Nanji spoke in Yingtan about Yingtan."
    assert article_place(text, "Xu Nanji, Jiangxi",
                         [{"name": "Xu Nanji", "mentions": ["Xu Nanji"]}]) == "Yingtan, Jiangxi"


def test_an_officials_given_name_is_not_read_as_a_county() -> None:
    text = "Mayor Li Yongxing of Changsha inspected Changsha's parks."
    officials = [{"name": "Li Yongxing", "mentions": ["Li Yongxing"]}]
    assert all("Yongxing" not in {p.name for p in m} for m in place_mentions(text, officials))
    assert article_place(text, None, officials) == "Changsha, Hunan"


def test_a_county_named_more_often_than_its_city_is_the_place() -> None:
    text = ("Kunshan held its work meeting. Kunshan's output grew; Suzhou praised Kunshan. "
            "Jiangsu province ...")
    assert article_place(text, "Suzhou, Jiangsu") == "Kunshan, Jiangsu"


def test_an_ambiguous_name_takes_the_province_the_article_names() -> None:
    text = "Taizhou, Zhejiang: Taizhou's private economy in Zhejiang grew fast."
    assert article_place(text, None) == "Taizhou, Zhejiang"
    text = "Taizhou in Jiangsu province: Taizhou's medical city, Jiangsu's pride."
    assert article_place(text, None) == "Taizhou, Jiangsu"


def test_a_province_level_article_and_no_place_at_all() -> None:
    assert article_place("Hebei province issued a plan. Hebei will ...", None) == "Hebei"
    assert article_place("The city held a meeting.", "Somewhere") == "Somewhere"
    assert article_place("Chongqing's Liangjiang area and Chongqing ...", None) == "Chongqing"


def test_a_districts_own_news_is_about_the_district_it_names() -> None:
    text = ("On March 9, the district committee and district government held the mobilization "
            "conference; the whole district will act. Shenyang's plan ... so that the Liao Zhong "
            "sub-center rises. Shenyang and Shenyang again.")
    assert article_place(text, "Shenyang, Liaoning") == "Liaozhong, Liaoning"


def test_named_district_governments_are_not_the_article_speaking_as_a_district() -> None:
    text = ("Qixia District Government, Pukou District Government and Liuhe District Government "
            "spoke. Nanjing will ... Nanjing's plan.")
    assert article_place(text, None) == "Nanjing, Jiangsu"


def test_a_provinces_news_naming_a_city_in_passing_is_about_the_province() -> None:
    text = ("Hengyang Daily: Hunan issues its plan. Our province will cultivate ...; the whole "
            "province ...; our province has ...; the province will ...; our province ... Hunan.")
    assert article_place(text, "Hengyang, Hunan") == "Hunan"


def test_a_municipalitys_district_can_be_the_place() -> None:
    text = "Binhai New Area of Tianjin: Binhai New Area's output grew; Binhai leads Tianjin."
    assert article_place(text, "Tianjin") == "Binhai, Tianjin"


def test_a_dateline_and_an_outlet_name_the_outlet_not_the_place() -> None:
    text = ("China News Service, Chengdu, March 3 (Reporter Zhao Min) Sichuan Province will "
            "build 20 smart factories. Sichuan's digital economy grew 9%. Sichuan aims to ...")
    assert article_place(text, None) == "Sichuan"
    text = ("Xiangcheng Metropolis Daily (Correspondent: Li Ke) Chongyang county signed 12 "
            "projects. Chongyang will ...")
    assert article_place(text, None) == "Chongyang, Hubei"
    text = "JINAN, Oct. 19 (Xinhua) -- Zibo signed 30 projects worth 9 billion yuan."
    assert article_place(text, None) == "Zibo, Shandong"  # without the dateline: Jinan


def test_a_city_named_once_where_a_provinces_plan_was_announced_is_not_the_place() -> None:
    text = ("At a press conference held in Chengdu, Sichuan said that by 2025 Sichuan's digital "
            "economy will exceed 2 trillion yuan, and Sichuan will build 30 platforms.")
    assert article_place(text, None) == "Sichuan"
    text = text + " The city will also ..."
    assert article_place(text, None) == "Chengdu, Sichuan"


def test_a_provinces_news_listing_its_cities_is_about_the_province() -> None:
    text = ("Jiangxi will strengthen its digital economy. Jiangxi's digital economy reached 835 "
            "billion yuan. Nanchang, Jiujiang and Shangrao were selected as pilots; Jiangxi "
            "issued a plan, and Nanchang and Yingtan host data centres. Jiangxi, Jiangxi, Jiangxi")
    assert article_place(text, None) == "Jiangxi"


def test_other_provinces_named_do_not_make_a_citys_news_a_provinces() -> None:
    assert article_place("Zhejiang, Anhui and Shandong firms came to Kunshan.",
                         None) == "Suzhou, Jiangsu"
    text = ("Suichang County signed 12 projects with firms from Zhejiang. The county will build "
            "parks; the county aims to lead Zhejiang, and Zhejiang will support it.")
    assert article_place(text, None) == "Suichang, Zhejiang"


def test_a_county_written_after_its_city_is_the_place() -> None:
    text = ("Zhejiang Lishui Suichang County published the design of a battery project. The "
            "project will invest 6 billion yuan.")
    assert article_place(text, None) == "Suichang, Zhejiang"


def test_an_autonomous_regions_city_is_the_place() -> None:
    text = "Hechi signed five projects with enterprises in Shenzhen; Guangxi and Hechi ..."
    assert article_place(text, None) == "Hechi, Guangxi"


def test_outlet_spans_cover_datelines_and_newspaper_names() -> None:
    from extractor.postprocess.place import outlet_spans

    text = ("JINAN, Oct. 19 (Xinhua) -- Shandong plans ...\n"
            "China News Service, Chengdu, January 30 (Reporter He Shaoqing) Sichuan ...\n"
            "Xiangcheng Metropolis Daily (Correspondent: Wang) Chongyang ...\n"
            "BAOTOU, Oct. 13 -- Fortune 500 companies ...\n"
            "Jinan, the capital, held a meeting on Oct. 19 (Monday).")
    spans = [text[a:b] for a, b in outlet_spans(text)]
    assert spans == ["JINAN, Oct. 19 (Xinhua) --",
                     "China News Service, Chengdu, January 30 (Reporter He Shaoqing)",
                     "Xiangcheng Metropolis Daily (Correspondent: Wang)",
                     "BAOTOU, Oct. 13 --", "Xiangcheng Metropolis Daily"]


def test_a_name_that_is_also_a_province_reads_as_the_province() -> None:
    # 河南蒙古族自治县, a county of Qinghai, romanises as Henan
    assert article_place("Henan will build. Henan grows. Experts from Qinghai came.",
                         None) == "Henan"
    # the other reading counts when the text names its city
    assert article_place("Wuhai's Hainan district signed 10 projects; Hainan district and "
                         "Wuhai will ...", None) == "Hainan, Inner Mongolia"


def test_a_province_that_speaks_of_itself_and_names_its_cities_is_the_place() -> None:
    text = ("Shanxi zones held ceremonies. The province signed 300 projects; the whole province "
            "started 200. Jinzhong led, Jinzhong signed most, Jinzhong and Taiyuan hosted. "
            "Shanxi aims higher; our province will build more. Shanxi and Shanxi parks grew.")
    assert article_place(text, None) == "Shanxi"


def test_three_cities_named_once_each_are_the_provinces_news() -> None:
    text = "Projects in Hami, in Turpan and in Aksu started; Xinjiang invested 10 billion yuan."
    assert article_place(text, None) == "Xinjiang"


def test_a_city_that_speaks_of_itself_more_than_of_a_county_is_the_place() -> None:
    text = ("Ordos statistics: the city output rose; the city investment rose; the city exports "
            "rose. Dalad Banner and the county nearby grew; the county led.")
    assert article_place(text, None) == "Ordos, Inner Mongolia"


def test_whole_province_without_the_article_speaks_as_the_province() -> None:
    text = ("Hainan held its meeting in Haikou. Whole province industry grew; whole province "
            "investment rose; whole province exports rose; Hainan will build more.")
    assert article_place(text, None) == "Hainan"


def test_a_district_naming_three_cities_is_still_the_district() -> None:
    text = ("Qixia District signed deals. The district met firms from Suzhou, from Wuxi and "
            "from Changzhou; the district will grow. Qixia led.")
    assert article_place(text, None) == "Qixia, Jiangsu"


def test_a_district_named_in_its_citys_news_leaves_the_place_with_the_city() -> None:
    text = ("Zibo held the conference in Zhangdian. The city will reward 326 enterprises; the "
            "whole city aims higher, and the city's parks in Zhangdian grow.")
    assert article_place(text, None) == "Zibo, Shandong"
    # a county-level city (巩义市) speaks of itself as "the city": it stays the place
    text = "Gongyi held a meeting. Gongyi of Zhengzhou: the city grew, the city will, Gongyi."
    assert article_place(text, None) == "Gongyi, Henan"


def test_a_district_that_speaks_as_the_district_is_still_the_place() -> None:
    text = "Keqiao district news: the district committee met; Keqiao and Shaoxing. Keqiao grew."
    assert article_place(text, None) == "Keqiao, Zhejiang"


def test_a_municipality_named_far_more_often_than_any_city_is_the_place() -> None:
    text = ("Chongqing signed 36 projects. Chongqing's output, Chongqing's parks, vice mayor "
            "Luo Qingyun presided. Chongqing ... Chongqing and Chongqing. Qingyun.")
    assert article_place(text, None) == "Chongqing"
    # a partner named often is not the place: Tangshan's promotion meeting held in Beijing
    text = ("Tangshan held a promotion meeting in Beijing for Beijing enterprises. Tangshan "
            "welcomes Beijing capital; Beijing firms visit the city, Beijing.")
    assert article_place(text, None) == "Tangshan, Hebei"


def test_a_city_naming_several_of_its_counties_is_the_place() -> None:
    text = ("Zunyi held the meeting. Renhuai grew; Renhuai liquor; Renhuai again. Xishui, "
            "Chishui, Huichuan and Xishui also grew, Huichuan and Zunyi. Renhuai.")
    assert article_place(text, None) == "Zunyi, Guizhou"


def test_a_figure_for_one_district_names_that_district() -> None:
    from extractor.postprocess.place import figure_region

    text = "Tangshan signed 16 projects. In Caofeidian the port grew. Tangshan's output rose."
    assert figure_region("In Caofeidian the port grew 8%", "Tangshan, Hebei", None,
                         text) == "Caofeidian, Hebei"
    assert figure_region("Tangshan's output rose 5%", "Tangshan, Hebei", None,
                         text) == "Tangshan, Hebei"
    # a model region the text never names is not kept
    assert figure_region("output rose 5%", "Tangshan, Hebei", "Shanghai, Shanghai",
                         text) == "Tangshan, Hebei"


def test_a_place_name_split_into_words_is_read_and_a_model_place_the_text_never_names_is_not(
) -> None:
    text = "Tangshan news: Cao Fei Dian signed 9 projects; Caofei dian port grew."
    assert {p.name for m in place_mentions(text) for p in m} >= {"Caofeidian"}
    assert article_place("The meeting pushed enterprises to transform.", "Shanghai") is None
