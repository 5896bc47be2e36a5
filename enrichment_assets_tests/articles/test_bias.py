from enrichment_assets.lib.articles.bias import bias, bias_score, loaded_terms, perspective_balance

NEUTRAL = (
    "Rescue teams said 80,000 people were displaced by the floods on Sunday. "
    "The Red Cross opened 40 shelters in the old town. Roads near the river were closed."
)
LOADED = (
    "The radical regime slammed the so-called protesters in a disastrous crackdown. "
    "Its shameful propaganda is a witch hunt."
)


def test_loaded_terms_are_whole_words_and_phrases():
    assert sorted(loaded_terms(LOADED)) == sorted(
        [
            "radical",
            "regime",
            "slammed",
            "so-called",
            "disastrous",
            "shameful",
            "propaganda",
            "witch hunt",
        ]
    )
    assert loaded_terms("The regimented schedule and radicals") == []


def test_a_plain_report_passes():
    result = bias(NEUTRAL)
    assert result.passed
    assert result.score == bias_score(NEUTRAL) < 20


def test_loaded_language_fails_and_is_named():
    result = bias(LOADED)
    assert not result.passed
    assert result.score >= 20
    assert "regime" in result.reason


def test_sentiment_skew_alone_raises_the_score():
    gushing = "What a wonderful, amazing, fantastic, brilliant success! Everyone loves it, great!"
    assert loaded_terms(gushing) == []
    assert bias_score(gushing) > bias_score(NEUTRAL)


def test_the_threshold_is_an_argument_and_no_words_means_no_score():
    assert not bias(NEUTRAL, threshold=0).passed
    empty = bias("")
    assert not empty.passed and empty.score is None


def test_sources_from_several_channels_balance():
    result = perspective_balance(["kyiv_wire", "odesa_news", "south_daily"])
    assert result.passed
    assert result.reason == "3 sources from 3 channels"


def test_one_channel_fails_with_the_count_of_sources_and_channels():
    result = perspective_balance(["kyiv_wire", "kyiv_wire"])
    assert not result.passed
    assert result.reason.startswith("2 sources from 1 channel")


def test_a_channel_above_the_max_share_fails():
    channels = ["kyiv_wire", "kyiv_wire", "odesa_news"]
    result = perspective_balance(channels)
    assert not result.passed
    assert "kyiv_wire holds 67%" in result.reason
    assert perspective_balance(channels, max_share=0.7).passed


def test_no_cited_source_means_no_score():
    result = perspective_balance([])
    assert not result.passed and result.score is None
