from __future__ import annotations

import pytest

from extractor.postprocess.rules import rule_targets
from extractor.text.quantities import find_quantities, guess_kind, guess_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Industrial taxable sales exceeded 600 billion yuan.", [(600, "billion yuan", ">")]),
        ("Investment increased by 24.3%, ranking fourth in the province.",
         [(24.3, "%", "="), (4, "rank", "=")]),
        ("accounting for 10.5 percentage points higher", [(10.5, "percentage points", "=")]),
        ("energy savings of 319,100 tons of standard coal",
         [(319100, "tons of standard coal", "=")]),
        ("a total of 1,505 projects were launched", [(1505, "projects", "=")]),
        ("special funds shall not be less than 100 million yuan", [(100, "million yuan", ">=")]),
        ("expenses of up to 100 million yuan", [(100, "million yuan", "<=")]),
        ("one of the top 30 in the country", [(30, "rank", "<=")]),
        ("precise docking of top 500 enterprises", []),  # a category, not a ranking
        ("the 2024 plan has 10 aspects and six chains", []),  # no unit: not a quantity
        ("carry out thousands of “smart transformation” projects", [(1000, "projects", ">=")]),
        ("covering thousands of industrial enterprises", [(1000, "enterprises", ">=")]),
        ("thousands of people attended", []),
        ("the goal of a 10 billion industry", [(10, "billion yuan", ">=")]),
        ("its strength will be the first in the province", [(1, "rank", "=")]),
        ("the city must be the first to act", []),
    ],
)
def test_find_quantities(text: str, expected: list[tuple]) -> None:
    found = [(q.value, q.unit, q.comparator) for q in find_quantities(text)]
    assert found == [(float(v), u, c) for v, u, c in expected]
    for quantity in find_quantities(text):
        assert quantity.clause in text


def test_kind_and_period_guesses() -> None:
    assert guess_kind("special funds of 100 million yuan", "") == "funding"
    assert guess_kind("300 megawatts and special funds", "", "megawatts") == "actual"
    assert guess_kind("exceed 600 billion yuan", "strive to exceed 600 billion yuan by 2024") == (
        "target")
    assert guess_kind("sales grew 5%", "In 2021 sales grew 5%.") == "actual"
    assert guess_period("By 2024, revenue will reach 700 billion yuan") == "by 2024"
    assert guess_period("no year here") is None


def test_rule_targets_fill_only_what_the_model_missed() -> None:
    text = "Sales grew 15.1% in 2021, ranking second in the province."
    model = [{"value": 15.1, "unit": "%", "char_start": 11, "char_end": 16, "period": "2021"}]
    added = rule_targets(text, model)
    assert [(t["value"], t["unit"], t["source"]) for t in added] == [(2.0, "rank", "rule")]
    assert added[0]["evidence"] in text and added[0]["period"] == "2021"


def test_count_whose_noun_comes_before_the_number() -> None:
    from extractor.text.quantities import find_quantities

    [count] = find_quantities("the number of high-tech enterprises had exceeded 3,000.")
    assert (count.value, count.unit, count.comparator) == (3000.0, "enterprises", ">")
    [reached, growth] = find_quantities("the number of projects reached 120, up 5%")
    assert (reached.value, reached.unit, reached.comparator) == (120.0, "projects", "=")
    assert growth.unit == "%"
    # a share is not a count
    shares = find_quantities("the number of enterprises on the cloud reached 20 percent")
    assert [(q.value, q.unit) for q in shares] == [(20.0, "%")]


def test_all_enterprises_as_a_goal_is_one_hundred_percent() -> None:
    from extractor.text.quantities import find_quantities

    text = ("By 2023, all industrial enterprises above the designated level will be "
            "transformed from smart to digital.")
    [share] = find_quantities(text)
    assert (share.value, share.unit, share.comparator) == (100.0, "%", "=")
    assert share.clause in text
    assert find_quantities("All enterprises attended the meeting.") == []


def test_money_that_defines_a_class_of_projects_is_not_a_quantity() -> None:
    from extractor.text.quantities import class_thresholds

    text = ("Including 10 projects of over 2 billion yuan; enterprises with annual revenue of "
            "20 million yuan or more reached 5,860, and the city will introduce projects with "
            "investment of 5 billion yuan and above. Industrial sales exceeded 600 billion yuan.")
    found = {(q.value, q.unit) for q in find_quantities(text)}
    assert (600.0, "billion yuan") in found and (10.0, "projects") in found
    assert not found & {(2.0, "billion yuan"), (20.0, "million yuan"), (5.0, "billion yuan")}
    assert {(q.value, q.unit) for q in class_thresholds(text)} == {
        (2.0, "billion yuan"), (20.0, "million yuan"), (5.0, "billion yuan")}


def test_per_enterprise_amounts_are_thresholds_but_yearly_amounts_are_not() -> None:
    text = ("The 725 enterprises whose output exceeded 100 million yuan produced 584.54 billion "
            "yuan; 243 enterprises exported more than 50 million yuan each; a special fund of "
            "1 billion yuan each year supports enterprises.")
    found = {(q.value, q.unit) for q in find_quantities(text)}
    assert found == {(725.0, "enterprises"), (584.54, "billion yuan"), (243.0, "enterprises"),
                     (1.0, "billion yuan")}


def test_counts_with_words_between_number_and_noun_but_not_years() -> None:
    text = "There are 77 industrial projects, 20 service projects; the 2023 key projects started."
    assert {(q.value, q.unit) for q in find_quantities(text)} == {
        (77.0, "projects"), (20.0, "projects")}


def test_enterprises_counted_with_the_measure_word_translated_as_families() -> None:
    text = ("The city newly added industrial enterprises 27 families, the total number reached "
            "512 families. He visited 3 families in the village.")
    assert {(q.value, q.unit) for q in find_quantities(text)} == {
        (27.0, "enterprises"), (512.0, "enterprises")}


def test_size_classes_named_by_an_amount_count_their_members_not_the_amount() -> None:
    from extractor.text.quantities import class_thresholds

    text = ("By 2025 cultivate 6 trillion-level industries; the province has 14 industries of "
            "100 billion level, and 10 billion yuan enterprises. Eyeglasses, a 10 billion "
            "industry; the construction industry cultivates 1 trillion industry.")
    assert {(q.value, q.unit) for q in find_quantities(text)} == {
        (6.0, "industries"), (14.0, "industries"), (10.0, "billion yuan"), (1.0, "industries")}
    assert {(q.value, q.unit) for q in class_thresholds(text)} == {
        (6.0, "trillion yuan"), (100.0, "billion yuan"), (10.0, "billion yuan"),
        (1.0, "trillion yuan")}


def test_one_projects_investment_is_a_figure_not_a_class() -> None:
    text = "the solid waste treatment project with a total investment of 650 million yuan"
    assert [(q.value, q.unit) for q in find_quantities(text)] == [(650.0, "million yuan")]


# forms of the genre: the Chinese word order, thresholds and totals, figures in two parts
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the Chinese order: the noun, then its count, at the end of the clause
        ("the fair signed industrial project 212 and a total investment of 9 billion yuan",
         [(212, "projects", "="), (9, "billion yuan", "=")]),
        ("new provincial smart workshop 3, green factory 1.",
         [(3, "workshops", "="), (1, "factories", "=")]),
        ("specialized enterprises more than 150.", [(150, "enterprises", ">")]),
        ("renovation projects under construction have 64, up 5%",
         [(64, "projects", "="), (5, "%", "=")]),
        # singular nouns and more counted things
        ("help more than 8,000 enterprise move onto the cloud", [(8000, "enterprises", ">")]),
        ("release 40 scenarios and 12 demonstrations", [(40, "scenarios", "="),
                                                       (12, "demonstrations", "=")]),
        # physical quantities with their scale
        ("revitalise 1.2 million square meters of idle buildings",
         [(1.2, "million square meters", "=")]),
        ("coal output of 10 million tons and 25GW of wafers",
         [(10, "million tons", "="), (25, "GW", "=")]),
        ("industrial land of 3000 mu", [(3000, "mu", "=")]),
        # not counts: a label, a category, attendance, a decimal amount
        ("introduce the “No. 1 Project” first", []),
        ("Fortune 500 companies invested here", []),
        ("more than 300 enterprise representatives attended", []),
        ("output of enterprises above designated size reached 161.5 billion yuan",
         [(161.5, "billion yuan", "=")]),
        ("projects started in 2023.", []),
        # a sum over the class is a figure
        ("the districts signed 41 projects with a total investment of 45.7 billion yuan",
         [(41, "projects", "="), (45.7, "billion yuan", "=")]),
        # a threshold in the Chinese order defines the class
        ("the city's above 50 million yuan technical renovation projects have 186.",
         [(186, "projects", "=")]),
        ("introduce the 100 million yuan above project 10, and", [(10, "projects", "=")]),
        ("enterprises with a total output of over 1 billion yuan each", []),
        # a figure written in two parts, as 亿 and 万 are
        ("industrial added value of 35 billion 628 million yuan, up 22.3%",
         [(35.628, "billion yuan", "="), (22.3, "%", "=")]),
        ("a GDP of 398 million 660 thousand yuan", [(398.66, "million yuan", "=")]),
        # thousands of a measure or a count, and three words before the noun
        ("an annual output of 20 thousand tons of anode materials", [(20, "thousand tons", "=")]),
        ("more than 10 thousand enterprises use the cloud", [(10000, "enterprises", ">")]),
        ("build more than 500 smart manufacturing demonstration factories",
         [(500, "factories", ">")]),
        # modifiers a count's noun carries in English renderings of the genre
        ("47 national-level industrial internet platforms and 3 cultural and tourism projects",
         [(47, "platforms", "="), (3, "projects", "=")]),
        ("a target of 600 “little giant” enterprises", [(600, "enterprises", "=")]),
        ("complete 12 key tasks and industrial projects", []),
        ("12 cities and 300 projects", [(300, "projects", "=")]),
        # the currency before the figure, "per cent", energy and land in English measures
        ("exports reached RMB845.24 billion, up 5 per cent",
         [(845.24, "billion yuan", "="), (5, "%", "=")]),
        ("revenue will exceed RMB 2 trillion", [(2, "trillion yuan", ">")]),
        ("RMB 500 million yuan", [(500, "million yuan", "=")]),
        ("a 3GWh battery line on 300 acres", [(3, "GWh", "="), (300, "acres", "=")]),
        # a measure word translated literally, the Chinese order of a part
        ("45 piece industry land total area 12000 mu", [(45, "plots", "="), (12000, "mu", "=")]),
        ("accounted for 955 of the above-scale enterprises", [(955, "enterprises", "=")]),
        ("factories reach the level of industry 3.0.", []),
        ("ensure the county economy first in the province", [(1, "rank", "=")]),
    ],
)
def test_genre_forms_of_quantities(text: str, expected: list[tuple]) -> None:
    found = [(q.value, q.unit, q.comparator) for q in find_quantities(text)]
    assert found == [(float(v), u, c) for v, u, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 亿 and 万 left in characters or in pinyin
        ("an investment of 3亿元 was made", [(3, "hundred million yuan")]),
        ("a subsidy of 5000万元", [(5000, "ten thousand yuan")]),
        ("a total investment of 15.6 yi yuan", [(15.6, "hundred million yuan")]),
        ("an award of 30 wan yuan", [(30, "ten thousand yuan")]),
        # any plural noun a whole number counts, unless it counts time, parts or attendees
        ("it is expected to create more than 1,000 jobs", [(1000, "jobs")]),
        ("attracted 18 high-level talents", [(18, "talents")]),
        ("More than 600 cadres attended the meeting", []),
        ("the plan deployed 8 major actions in 3 years", []),
        ("383 robots per 10,000 workers", []),
        ("of which 41 newly started this year", []),
        ("the second batch includes 41 items with a total investment of 3 billion yuan",
         [(41, "items"), (3, "billion yuan")]),
        ("the plan has 10 items", []),
        ("it will employ up to 4000 people", [(4000, "people")]),
        ("more than 300 people attended the meeting", []),
        ("an annual output of 6 billion watts of batteries", []),
        ("raw coal output was 104.94 million metric tons", [(104.94, "million metric tons")]),
        ("the national 03 special pilot demonstration", []),  # a label, not a count
        ("build 3 logistics hubs", [(3, "hubs")]),
        ("30 enterprises representatives signed", []),
        ("more than 200 entrepreneurs attended the conference", []),
        ("Figure 2 shows", []),
        ("On March 15 reporters learned", []),
        ("in the first 3 quarters", []),
        ("the top 10 brands", [(10, "rank")]),
    ],
)
def test_amounts_in_chinese_units_and_counts_of_any_noun(text: str,
                                                         expected: list[tuple]) -> None:
    assert [(q.value, q.unit) for q in find_quantities(text)] == expected


def test_a_count_of_any_noun_reads_its_qualifier() -> None:
    [jobs] = find_quantities("It is expected to create more than 1,000 jobs.")
    assert (jobs.value, jobs.unit, jobs.comparator) == (1000, "jobs", ">")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("revenue rose to RMB412.5bn", [(412.5, "billion yuan", "=")]),
        ("a 7.5mn yuan subsidy", [(7.5, "million yuan", "=")]),
        # 万亿 and 千亿 word by word; 以上 after the figure
        ("total investment 3.1 ten thousand hundred million yuan", [(3.1, "trillion yuan", "=")]),
        ("the industry scale striving break thousand hundred million",
         [(100, "billion yuan", "=")]),
        ("year investment 2000 hundred million yuan above", [(2000, "hundred million yuan", ">=")]),
        ("land tax of 250,000 yuan per mu", [(250000, "yuan per mu", "=")]),
        ("capacity 18.5 hundred million kilowatt hours and 200 megawatts",
         [(18.5, "hundred million kWh", "="), (200, "MW", "=")]),
        # garbled ranks
        ("in the country 15 sub-provincial city row seventh", [(7, "rank", "=")]),
        ("the province rank No. 4, electronic", [(4, "rank", "=")]),
        ("ranked among the first batch of pilots", []),
        # a range is its lower bound
        ("will have 60 to 90 industrial companies", [(60, "companies", ">=")]),
        ("cultivate one or two enterprises", [(1, "enterprises", ">=")]),
    ],
)
def test_quantities_of_garbled_translations(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trade reached 6.3 billion US dollars, up 9%", [(6.3, "billion US dollars", "="),
                                                         (9, "%", "=")]),
        ("output topped US$4.1 billion", [(4.1, "billion US dollars", "=")]),
        # a conversion or an alternative of a yuan figure is not a second figure
        ("sales of 7 billion yuan ($1 billion)", [(7, "billion yuan", "=")]),
        ("invest 2 billion yuan or 300 million US dollars", [(2, "billion yuan", "="),]),
        ("the plant made 2.35 million vehicles", [(2350000, "vehicles", "=")]),
        ("its capacity is 4 times more than before", [(4, "times", "=")]),
    ],
)
def test_dollars_millions_of_a_count_and_multiples(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("faster by 4.2 and 11.5 percentage points", [(4.2, "percentage points", "="),
                                                      (11.5, "percentage points", "=")]),
        ("grew 3.5, 6.1 and 9 per cent", [(3.5, "%", "="), (6.1, "%", "="), (9, "%", "=")]),
        ("enter the whole province front 20", [(20, "rank", "<=")]),
        ("growth in the district row front three", [(3, "rank", "<=")]),
        ("income 3000 ten thousand yuan above of newly entered storage enterprise gets", []),
    ],
)
def test_pairs_fronts_and_thresholds(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what a review of round 4 found over-reaching
        ("There are 1,200 enterprises above designated size", [(1200, "enterprises", "=")]),
        ("ranked No. 2 in the province", [(2, "rank", "=")]),
        ("strives to rank among the top 10 in the province", [(10, "rank", "<=")]),
        ("rose from 120 to 300 enterprises", [(300, "enterprises", "=")]),
        ("8 to 10 thousand enterprises", [(10000, "enterprises", "=")]),
        ("The photovoltaic project will power 2,000 homes", []),
        ("In 2022, 35% of enterprises went digital", [(35, "%", "=")]),
        ("In the front three quarters, output rose 5%", [(5, "%", "=")]),
        ("signed 35 projects and completed 12.8 billion in investment", [(35, "projects", "=")]),
        ("exceed two thousand hundred million yuan", []),
        ("ranked among the best for the third consecutive year", []),
        ("output grew in 10 of 12 months", []),
    ],
)
def test_what_the_review_found(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 亿 and 万亿 hyphenated, or 万亿 in pinyin
        ("total throw capital 1203 hundred-million yuan,", [(1203, "hundred million yuan", "=")]),
        ("output strives to break through 2 ten-thousand hundred-million yuan.",
         [(2, "trillion yuan", ">")]),
        ("sign contract investment 1.2 wan yi yuan", [(1.2, "trillion yuan", "=")]),
        # 千亿 in pinyin with no number, a goal when "level" ends the clause, a class before a noun
        ("the copper industry reach thousand yi level, new", [(100, "billion yuan", "=")]),
        ("cultivate thousand yi level enterprises", []),
        # 突破: "break" is more than
        ("revenue will break 500 billion yuan", [(500, "billion yuan", ">")]),
        # 排第二位 word by word, and the second rank of a pair
        ("in the whole province arranged third position.", [(3, "rank", "=")]),
        ("output and growth respectively row the province fifth and second position",
         [(5, "rank", "="), (2, "rank", "=")]),
        ("the first and second batch of pilots", []),
        # 亿 as "100 million" after a figure; 亿 or 万 left in characters, with or without a unit
        ("total value will increase 2150 100 million yuan,", [(2150, "hundred million yuan", "=")]),
        ("raised 100 million yuan for it", [(100, "million yuan", "=")]),
        ("output value reach 300亿,", [(300, "hundred million yuan", "=")]),
        ("crude output stable at 2500万吨.", [(2500, "ten thousand tons", "=")]),
        ("produced shale gas 2.3亿 cubic meters,", [(2.3, "hundred million cubic meters", "=")]),
        ("liquor output reached 8.5 ten thousand kiloliters,",
         [(8.5, "ten thousand kiloliters", "=")]),
        # 亿 with no unit is money only where the clause speaks of money
        ("industry output value realized 412.6 hundred millions,",
         [(412.6, "hundred million yuan", "=")]),
        ("the population reached 3.2 hundred millions,", []),
        # ranks: an ordinal ending its clause after "is", 稳居 word by word
        ("in northern Anhui is second,", [(2, "rank", "=")]),
        ("growth speed is the first of western Hunan.", [(1, "rank", "=")]),
        ("steady sit whole province third position.", [(3, "rank", "=")]),
        ("it is the first of its kind.", []),
        # attendance and a list's name with an adjective
        ("responsible persons of more than 80 key enterprises attended", []),
        ("The top 20 private enterprises of the city grew 9.1%", [(9.1, "%", "=")]),
    ],
)
def test_scales_and_qualifiers_of_new_writing(text: str, expected: list[tuple]) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(text)] == [
        (float(v), u, c) for v, u, c in expected]
