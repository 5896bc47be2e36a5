from enrichment_assets.lib.articles.headings import heading_for, heading_terms, title_case

EURO = [
    "Inflation in the euro zone was 2.4% in March.",
    "Bond yields in the euro zone fell after the ECB decision.",
    "The euro slid 0.4%.",
]


def test_a_heading_is_the_term_the_sentences_share_most():
    assert heading_for(EURO) == "Euro zone"  # a pair two sentences use beats a word three do
    assert heading_for(["Officials closed the airport.", "Heavy rain flooded Porto Alegre."]) == (
        "Porto Alegre"  # a name says more than a common word
    )


def test_a_second_name_joins_the_first():
    cluster = ["Real Madrid beat Bayern Munich 2-1.", "Real Madrid reached the final."]
    assert heading_for(cluster) == "Real Madrid and Bayern Munich"


def test_central_sentences_weigh_more_and_earlier_headings_are_not_repeated():
    assert heading_for(EURO, [0.1, 0.9, 0.2], taken=["Euro zone"]) == "ECB"
    assert heading_for(EURO, [0.9, 0.1, 0.2], taken=["Euro zone"]) == "Inflation"
    assert heading_for(["It was so."]) == "More"


def test_the_terms_of_a_sentence():
    assert heading_terms("ECB holds the deposit rate, the European Central Bank said.") == [
        ("ECB", False),
        ("ECB holds", True),
        ("holds", False),
        ("deposit", False),
        ("deposit rate", True),
        ("rate", False),
        ("European Central Bank", False),
    ]


def test_the_title_is_the_topic_in_title_case():
    assert title_case("  ECB holds interest rates in the euro zone. ") == (
        "ECB Holds Interest Rates in the Euro Zone"
    )
