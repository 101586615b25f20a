from __future__ import annotations

import pytest

from extractor.text.dates import supported_date

DISPATCH = "China News Yangzhou February 26 (reporter Li Ming) The meeting was held in 2021."


@pytest.mark.parametrize(
    ("date", "text", "published", "expected"),
    [
        ("2022-04-23", "Yesterday afternoon the city held its meeting.", "2022-04-23", "2022"),
        ("2022-04-23", DISPATCH, "2022-04-23", "2022-02-26"),  # the dispatch day, not the repost
        ("2023-07-22", "On July 22 the 2023 plan was reviewed.", None, "2023-07-22"),
        ("2023-02-16", "On February 16 the 2021 report was read.", None, None),  # invented year
        ("2023-07-01", "From January to July, 1,505 projects started.", None, None),
        ("2021-05", "In May 2021 the city met.", None, "2021-05"),
        ("2021-06", "In May 2021 the city met.", None, "2021"),  # a month the text never says
        ("2021", "In 2021 the city met.", None, "2021"),
        (None, "In 2021 the city met.", None, None),
        ("next week", "In 2021 the city met.", None, None),
    ],
)
def test_supported_date(date, text, published, expected) -> None:
    assert supported_date(date, text, published) == expected
