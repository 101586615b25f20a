from __future__ import annotations

import pytest

from extractor.text.thresholds import is_class_threshold


@pytest.mark.parametrize(
    ("text", "amount", "is_threshold"),
    [
        ("it landed 18 projects with a combined investment of 6.2 billion yuan", "6.2", False),
        ("won 9 projects with pledged investment totaling 3.3 billion yuan", "3.3", False),
        ("They signed 22 projects with pledged investment of 4.1 billion yuan", "4.1", False),
        ("9 projects with investment of over 1 billion yuan each", "1 billion", True),
        ("introduce projects with investment of 5 billion yuan", "5 billion", True),
        ("725 enterprises whose output exceeded 100 million yuan", "100", True),
        ("to have 10 parks each generating annual revenue above 50 billion yuan", "50", True),
        ("All project investment all in 5 yi yuan above", "5 yi", True),
        ("plan complete year investment 3000 hundred million yuan above", "3000", False),
        # the Chinese order: the class noun or its count after the amount
        ("investment exceed 2 hundred million yuan industry project 40 items", "2", True),
        ("new Tianjin project 5 hundred million yuan above 7 items,", "5", True),
        ("implement 200 upgrading items of 2000 ten thousand yuan above", "2000", True),
        ("complete year investment 800 hundred million yuan above", "800", False),
    ],
)
def test_class_thresholds(text: str, amount: str, is_threshold: bool) -> None:
    start = text.index(amount)
    end = text.index("yuan", start) + len("yuan")
    assert is_class_threshold(text, start, end) is is_threshold
