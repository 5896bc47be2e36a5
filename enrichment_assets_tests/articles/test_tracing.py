from enrichment_assets.lib.articles.records import TracedClaim
from enrichment_assets.lib.articles.tracing import source_sentences, trace_claims
from enrichment_assets_tests.articles.fixtures import DRAFT, DRAFT_TEXTS, HONEST, TEXTS

ECB = {
    1: "The European Central Bank held its deposit rate at 3.75% on Thursday. "
    "Christine Lagarde said the bank is not yet ready to cut.",
    2: "Bond yields in the euro zone fell after the decision.\nThe euro slid 0.4% to $1.07. "
    "Traders now price a June cut.",
}


def test_each_claim_is_traced_to_the_sentence_that_holds_its_figure():
    markdown = (
        "# ECB\n\nThe euro slid 0.4% [2]. Lagarde said the bank is not ready [1, 2]. "
        "Markets rallied.\n\n## Sources\n\n- [1] a\n- [2] b\n"
    )
    assert trace_claims(markdown, ECB) == [
        TracedClaim(0, "The euro slid 0.4%.", (2,), 2, "The euro slid 0.4% to $1.07.", True),
        TracedClaim(
            1,
            "Lagarde said the bank is not ready.",
            (1, 2),
            1,
            "Christine Lagarde said the bank is not yet ready to cut.",
            True,
        ),
        TracedClaim(2, "Markets rallied.", (), None, None, False, "cites nothing"),
    ]


def test_the_span_is_the_sentence_with_the_number_not_the_one_with_more_words():
    markdown = "The bank held the deposit rate on Thursday at 3.75% [1]."
    [claim] = trace_claims(markdown, ECB)
    assert claim.span == "The European Central Bank held its deposit rate at 3.75% on Thursday."
    markdown = "The bank is not yet ready to cut its rate from 3.75% [1]."
    [claim] = trace_claims(markdown, ECB)
    assert claim.span.startswith("The European Central Bank held")  # 3.75% outweighs the words


def test_an_inflated_figure_or_a_dangling_citation_is_unsupported_with_the_reason():
    traced = trace_claims(DRAFT, DRAFT_TEXTS)
    assert [(c.supported, c.reason) for c in traced] == [
        (False, "120000 not in [1]"),
        (False, "cites [3], which does not exist"),
    ]
    # The inflated claim still shows what its source says instead; the dangling one has nothing.
    assert traced[0].source_n == 1
    assert traced[0].span.startswith("Rescue teams said 80,000 people were displaced")
    assert (traced[1].source_n, traced[1].span) == (None, None)


def test_an_honest_article_is_supported_claim_by_claim():
    traced = trace_claims(HONEST, TEXTS)
    assert len(traced) == 5
    assert all(claim.supported and claim.reason is None for claim in traced)
    assert [claim.source_n for claim in traced] == [1, 1, 2, 2, 3]
    assert traced[4].span == "The water began to fall on Tuesday."


def test_a_claim_without_facts_is_supported_when_its_source_exists():
    [claim] = trace_claims("Traders now price a cut [2].", ECB)
    assert claim.supported and claim.source_n == 2
    [claim] = trace_claims("Traders now price a cut [5].", ECB)
    assert not claim.supported and claim.reason == "cites [5], which does not exist"


def test_an_attribution_is_supported_by_the_channel_when_channels_are_given():
    markdown = "World Brief Daily reports: “The euro slid 0.4% to $1.07.” [2]"
    [claim] = trace_claims(markdown, ECB)
    assert claim.reason == "brief daily not in [2]"
    [claim] = trace_claims(markdown, ECB, channels={2: "World Brief Daily"})
    assert claim.supported and claim.span == "The euro slid 0.4% to $1.07."


def test_a_line_break_ends_a_source_sentence():
    assert source_sentences(ECB[2])[0] == "Bond yields in the euro zone fell after the decision."
    assert source_sentences("Bank of Korea holds rates\nIt left the rate at 4.0%.") == [
        "Bank of Korea holds rates",
        "It left the rate at 4.0%.",
    ]
