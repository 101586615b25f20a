from __future__ import annotations

from extractor.postprocess.rules import plan_phrases, rule_initiatives, rule_officials, rule_repairs

TEXT = ("We will focus on the three-year action plan for improving the business environment, "
        "build a pilot zone for the integrated development of the Yangtze River Delta, and "
        "improve the “eight-in-one” copper industry system. The mayor, Zhang Zijian, spoke. "
        "The company’s industrial software development action plan was praised.")


def test_plan_phrases_are_verbatim_named_plans() -> None:
    found = plan_phrases(TEXT)
    assert found == [
        "three-year action plan for improving the business environment",
        "pilot zone for the integrated development of the Yangtze River Delta",
        "industrial software development action plan",
    ]
    assert all(phrase in TEXT for phrase in found)
    assert plan_phrases("We must plan ahead and act as a pilot.") == []


def test_rule_initiatives_add_only_what_the_model_missed() -> None:
    model = [{"name": "Business Environment Plan",
              "mentions": ["three-year action plan for improving the business environment"]}]
    added = rule_initiatives(TEXT, model)
    names = [a["name"] for a in added]
    assert "three-year action plan for improving the business environment" not in names
    assert "'eight-in-one' copper industry system" in names  # quoted nickname + its kind
    quoted = next(a for a in added if a["name"].startswith("'eight"))
    # both verbatim forms: a text may cite the nickname alone
    assert quoted["mentions"] == ["“eight-in-one” copper industry system", "“eight-in-one”"]
    assert all(a["source"] == "rule" and a["evidence"] in TEXT for a in added)
    assert all(m in TEXT for a in added for m in a["mentions"])


def test_rule_officials_need_a_title_nearby() -> None:
    added = rule_officials(TEXT, [])
    assert [a["name"] for a in added] == ["Zhang Zijian"]
    assert rule_officials(TEXT, [{"name": "Zhang Zijian", "mentions": ["Zhang Zijian"]}]) == []


def test_rule_officials_take_a_given_name_left_in_lower_case() -> None:
    text = "Yangzhou municipal committee, deputy mayor Chen wenkai read the files."
    [added] = rule_officials(text, [])
    assert (added["name"], added["mentions"]) == ("Chen Wenkai", ["Chen wenkai"])


def test_rule_repairs_come_from_names_and_initiatives_already_repaired() -> None:
    officials = [{"name": "Xu Nanji", "mentions": ["Xu Nanji", "Xu Na"]},
                 {"name": "Chen Wenkai", "mentions": ["Chen wenkai"]},
                 {"name": "Cai Jiang", "mentions": ["CAI Jiang"]}]  # capitals: a style, kept
    initiatives = [{"name": "smart copper capital", "mentions": ["“wisdom copper road”"]},
                   {"name": "two long", "mentions": ["“two long” system"]},  # trimmed only
                   {"name": "Talent Plan", "mentions": ["Eagle Talent Plan"]}]
    model = [{"original": "Party secretary Xu Na attend", "repaired": "x", "category": "name"}]
    added = rule_repairs(model, officials, initiatives)
    assert [(r["original"], r["repaired"]) for r in added] == [
        ("Chen wenkai", "Chen Wenkai"), ("wisdom copper road", "smart copper capital")]
    assert all(r["source"] == "rule" for r in added)
    assert [r["original"] for r in rule_repairs([], officials, [])] == ["Xu Na", "Chen wenkai"]


GLOSSARY = [
    {"garbled": ["wisdom to turn", "intellectual transformation"], "repaired": "智改数转 repaired",
     "programme": "Intelligent Transformation and Digital Transformation"},
    {"garbled": ["chain length system"], "repaired": "chain leader system",
     "programme": "Chain Leader System"},
    {"garbled": ["responsible comrades"], "repaired": "officials in charge"},
]


def test_glossary_terms_naming_a_programme_become_initiatives() -> None:
    from extractor.postprocess.rules import rule_initiatives

    text = ("Promote the wisdom to turn, improve the chain length system; "
            "responsible comrades spoke.")
    added = rule_initiatives(text, [], glossary=GLOSSARY)
    assert [(a["name"], a["mentions"]) for a in added] == [
        ("Intelligent Transformation and Digital Transformation", ["wisdom to turn"]),
        ("Chain Leader System", ["chain length system"]),
    ]
    assert all(a["source"] == "rule" and a["evidence"] in text for a in added)
    model = [{"name": "Chain-Length System", "mentions": ["chain length system"]}]
    assert [a["name"] for a in rule_initiatives(text, model, glossary=GLOSSARY)] == [
        "Intelligent Transformation and Digital Transformation"]


def test_glossary_forms_of_one_programme_get_its_name() -> None:
    from extractor.postprocess.rules import glossary_programme_names

    rows = [{"name": "wisdom to turn", "mentions": ["wisdom to turn"]},
            {"name": "Intellectual Transformation", "mentions": ["“intellectual transformation”"]},
            {"name": "Wisdom to Turn Special Funds", "mentions": ["“wisdom to turn” special funds "
                                                                  "for key enterprises"]},
            {"name": "Policy Calculator", "mentions": ["policy calculator"]}]
    names = [r["name"] for r in glossary_programme_names(rows, GLOSSARY)]
    assert names == ["Intelligent Transformation and Digital Transformation",
                     "Intelligent Transformation and Digital Transformation",
                     "Wisdom to Turn Special Funds",  # a fund named after it is not the campaign
                     "Policy Calculator"]


def test_items_of_and_other_systems_lists_are_initiatives() -> None:
    from extractor.postprocess.rules import listed_systems

    text = ("Keep promises, improve the implementation of industrial operation scheduling, "
            "government and enterprise round table, enterprise commissioner and other systems. "
            "Apples, pears and other fruits. Build river chief and other mechanisms.")
    assert listed_systems(text) == [
        ("industrial operation scheduling", "system"),
        ("government and enterprise round table", "system"),
        ("enterprise commissioner", "system"),
    ]  # one item alone ("river chief and other mechanisms") is no list
    added = rule_initiatives(text, [{"name": "Round Table",
                                     "mentions": ["government and enterprise round table"]}])
    assert [(a["name"], a["mentions"]) for a in added] == [
        ("Industrial operation scheduling system", ["industrial operation scheduling"]),
        ("Enterprise commissioner system", ["enterprise commissioner"]),
    ]


def test_a_post_fused_onto_a_name_is_repaired_to_the_post_and_the_name() -> None:
    from extractor.postprocess.rules import rule_repairs

    officials = [{"name": "Xiao Yafei", "mentions": ["Xiao Yafei", "Xiao Yafeishu"]}]
    assert rule_repairs([], officials, []) == [{
        "original": "Xiao Yafeishu", "repaired": "Secretary Xiao Yafei", "category": "name",
        "note": "the post fused onto the name", "source": "rule"}]


def test_programmes_written_out_in_words_are_found_but_not_plain_verbs_of_action() -> None:
    from extractor.postprocess.rules import plan_phrases

    text = ("Implement the chain-wide digital empower action and the intelligent project "
            "construction action; set up 20 billion high quality development fund. We must take "
            "practical action, carry out the action of the city, and the government fund pays.")
    assert plan_phrases(text) == ["chain-wide digital empower action",
                                  "intelligent project construction action",
                                  "high quality development fund"]


def test_rule_repairs_store_each_garbled_form_once_whatever_its_case() -> None:
    text = ("Ginger weir district held a meeting. The ginger weir district committee spoke, "
            "and ginger weir will grow.")
    added = rule_repairs([], [], [], text)
    assert [(r["original"], r["repaired"]) for r in added] == [
        ("Ginger weir district", "Jiangyan District")]


def test_a_plan_named_in_the_chinese_order_is_found_whole() -> None:
    text = ("The city issued the equipment number intelligent transform three-year action plan "
            "(2023-2025), and the province district piece chain develop three year action plan.")
    assert plan_phrases(text) == [
        "equipment number intelligent transform three-year action plan (2023-2025)",
        "province district piece chain develop three year action plan"]


def test_garbled_forms_of_an_officials_name_are_repaired_even_when_not_listed() -> None:
    from extractor.postprocess.rules import rule_repairs

    officials = [{"name": "Zhou Weiming", "mentions": ["Zhou Weiming"]}]
    text = "Mayor Zhou Weiming attended. Zhou Wei Ming spoke; Zhouweiming left. Zhou Wei-ming."
    assert [(r["original"], r["note"]) for r in rule_repairs([], officials, [], text)] == [
        ("Zhou Wei Ming", "given name split"), ("Zhouweiming", "name fused")]
    text = "Mayor Zhou Weiming attended. Zhou Wei said the plan would go ahead."
    assert [(r["original"], r["repaired"], r["note"])
            for r in rule_repairs([], officials, [], text)] == [
        ("Zhou Wei", "Zhou Weiming", "name cut short")]


def test_a_phrase_between_mojibake_quotes_is_a_quoted_name() -> None:
    text = "Build the â€œDigital Anhuiâ€ brand and the â€œone park one policyâ€ mechanism."
    found = rule_initiatives(text, [])
    assert [i["mentions"] for i in found] == [["Digital Anhui"], ["one park one policy"]]


def test_an_initiative_named_with_none_of_its_mentions_words_implies_no_repair() -> None:
    text = "They implement the “four big pieces” plan and the “hard backbone” campaign."
    initiatives = [{"name": "home appliances, cars and equipment industries",
                    "mentions": ["four big pieces"]},
                   {"name": "industry backbone", "mentions": ["hard backbone"]}]
    repairs = rule_repairs([], [], initiatives, text)
    assert [(r["original"], r["repaired"]) for r in repairs] == [
        ("hard backbone", "industry backbone")]
