from enrichment_assets.lib.articles.claims import (
    Claim,
    facts_supported,
    no_contradicted_claims,
    split_claims,
    unsupported_reason,
)
from enrichment_assets_tests.articles.fixtures import DRAFT, DRAFT_TEXTS, HONEST, TEXTS


def test_an_article_splits_into_claims_each_with_its_citations():
    markdown = (
        "# A heading states nothing\n\n"
        "Rescue teams said 80,000 people fled [1]; the Red Cross opened 40 shelters [2]. "
        "Roads closed on 12 May and 300 schools shut [3]. Officials met and talked [1].\n\n"
        "## Sources\n[1] a"
    )
    assert split_claims(markdown) == [
        Claim("Rescue teams said 80,000 people fled", (1,)),
        Claim("the Red Cross opened 40 shelters.", (2,)),
        Claim("Roads closed on 12 May", (3,)),  # no citation of its own: the sentence's
        Claim("300 schools shut.", (3,)),
        Claim("Officials met and talked.", (1,)),  # "and" without a fact either side stays
    ]


def test_a_quotation_with_several_sentences_is_one_claim():
    claims = split_claims("Kyiv Wire says: “Aid arrived. 40 shelters opened.” [1] Then more.")
    assert claims[0] == Claim("Kyiv Wire says: “Aid arrived. 40 shelters opened.”", (1,))


def test_claims_whose_facts_are_in_their_cited_sources_pass():
    result = facts_supported(split_claims(HONEST), TEXTS)
    assert result.passed
    assert result.score == 100


def test_a_number_missing_from_the_cited_source_fails_and_says_what_is_missing():
    claims = [
        Claim("Rescue teams said 120,000 people were displaced.", (1,)),
        Claim("The Red Cross opened 40 shelters.", (1,)),
    ]
    result = facts_supported(claims, TEXTS)
    assert not result.passed
    assert result.score == 50
    assert "120000 not in [1]" in result.reason


def test_a_name_or_date_missing_from_the_cited_source_is_unsupported():
    claims = [Claim("The Blue Crescent opened shelters on 13 May.", (1,))]
    result = facts_supported(claims, TEXTS)
    assert not result.passed
    assert "05-13, blue crescent not in [1]" in result.reason


def test_a_claim_citing_nothing_or_a_missing_source_is_unsupported():
    result = facts_supported([Claim("40 shelters opened.", ())], TEXTS)
    assert not result.passed and "cites nothing" in result.reason
    result = facts_supported([Claim("40 shelters opened.", (9,))], TEXTS)
    assert not result.passed and "[9], which does not exist" in result.reason


def test_the_threshold_is_an_argument():
    claims = [Claim("40 shelters opened.", (1,)), Claim("41 shelters opened.", (1,))]
    assert not facts_supported(claims, TEXTS).passed
    assert facts_supported(claims, TEXTS, threshold=50).passed


def test_without_a_fact_bearing_claim_there_is_no_score_and_the_gate_fails():
    result = facts_supported([Claim("Officials met.", (1,))], TEXTS)
    assert not result.passed
    assert result.score is None
    assert result.reason.startswith("no score")


def test_a_figure_the_source_gives_otherwise_is_a_contradiction():
    result = no_contradicted_claims(split_claims(DRAFT), DRAFT_TEXTS)
    assert not result.passed
    assert result.score == 1
    assert "120000 displaced, but [1] says 80000 displaced" in result.reason


def test_the_same_figure_in_another_spelling_or_a_figure_of_another_thing_is_no_contradiction():
    claims = [
        Claim("About 80k people were displaced.", (1,)),
        Claim("Some 12 buses were sent.", (1,)),  # the source counts no buses
        Claim("Rescue teams counted 40 shelters.", (9,)),  # a missing source: another gate's
    ]
    result = no_contradicted_claims(claims, TEXTS)
    assert result.passed
    assert result.score == 0
    assert no_contradicted_claims(split_claims(HONEST), TEXTS).passed


def test_an_article_without_claims_has_no_score():
    result = no_contradicted_claims([], TEXTS)
    assert not result.passed and result.score is None


def test_unsupported_reason_says_why_or_none():
    assert unsupported_reason(Claim("The Red Cross opened 40 shelters.", (1,)), TEXTS) is None
    claim = Claim("The Red Cross opened 41 shelters.", (1, 2))
    assert unsupported_reason(claim, TEXTS) == "41 not in [1], [2]"
    assert unsupported_reason(Claim("Officials met.", (9,)), TEXTS) == (
        "cites [9], which does not exist"
    )


def test_a_name_is_supported_by_the_channel_of_the_source_cited_and_no_other():
    claim = Claim("World Brief Daily reports: “The Red Cross opened 40 shelters.”", (1,))
    assert unsupported_reason(claim, TEXTS) == "brief daily not in [1]"
    assert unsupported_reason(claim, TEXTS, {1: "World Brief Daily"}) is None
    assert unsupported_reason(claim, TEXTS, {1: "world_brief_daily"}) is None
    assert unsupported_reason(claim, TEXTS, {1: "EuroWire", 2: "World Brief Daily"}) == (
        "brief daily not in [1]"
    )
    assert facts_supported([claim], TEXTS, channels={1: "World Brief Daily"}).passed
    assert not facts_supported([claim], TEXTS).passed
