from decimal import Decimal

import pytest

from enrichment_assets.lib.common.figures import figures, quantities, quantity_keys
from enrichment_assets.lib.embeddings import similarity


def test_similarity_still_exports_the_same_figures():
    assert similarity.figures is figures
    assert figures("80,000 displaced; 3,75%") == {"80000", "3.75"}


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("80,000 displaced", {"80000"}),
        ("80 000 displaced", {"80000"}),
        ("80\u202f000 displaced", {"80000"}),
        ("80k displaced", {"80000"}),
        ("80 thousand displaced", {"80000"}),
        ("1.2 million", {"1200000"}),
        ("3bn", {"3000000000"}),
        ("rates at 3,75%", {"3.75"}),
        ("rates at 3.75 per cent", {"3.75"}),
        ("5 m tall", {"5"}),  # a lone m apart from the digits is a unit, not a million
        ("see https://x.example/2024/05 and #2024 @wire7", set()),
        ("no numbers here", set()),
    ],
)
def test_quantities_normalise_to_comparable_keys(text, keys):
    assert quantity_keys(text) == keys


def test_a_quantity_knows_where_it_stands_and_whether_it_is_a_percentage():
    text = "Inflation 3,75% and 80,000 displaced"
    first, second = quantities(text)
    assert (first.value, first.percent, text[first.start : first.end]) == (
        Decimal("3.75"),
        True,
        "3,75%",
    )
    assert (second.key, second.percent, text[second.start : second.end]) == (
        "80000",
        False,
        "80,000",
    )
