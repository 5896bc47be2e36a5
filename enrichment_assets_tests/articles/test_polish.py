from enrichment_assets.lib.articles.citations import citations, citations_resolve
from enrichment_assets.lib.articles.polish import article_sources, polish
from enrichment_assets.lib.articles.records import ChosenSource


def _source(n, channel, post_id=None, url=None):
    return ChosenSource(
        n, "post" if url is None else "page", channel, f"text {n}", 0.5, post_id, url
    )


SOURCES = [
    _source(1, "World Brief Daily", post_id=4127),
    _source(2, "EuroWire News Agency", post_id=9003),
    _source(3, "markets.example", url="https://markets.example/ecb-holds"),
    _source(4, "Frankfurt Ledger", post_id=311),
]


def test_the_article_is_title_lead_sections_and_the_sources_it_cites():
    polished = polish(
        "ECB holds rates",
        "The bank held its rate [3].",
        [("Markets", "Yields fell [2]. The euro slid [3]."), ("Outlook", "A cut may come [1].")],
        SOURCES,
    )
    assert polished.title == "ECB holds rates"
    assert polished.markdown == (
        "# ECB holds rates\n\n"
        "The bank held its rate [1].\n\n"
        "## Markets\n\nYields fell [2]. The euro slid [1].\n\n"
        "## Outlook\n\nA cut may come [3].\n\n"
        "## Sources\n\n"
        "- [1] markets.example — https://markets.example/ecb-holds\n"
        "- [2] EuroWire News Agency — post 9003\n"
        "- [3] World Brief Daily — post 4127\n"
    )
    # Renumbered by first appearance; source 4 is never cited, so it is not the article's.
    assert polished.numbering == {3: 1, 2: 2, 1: 3}
    assert [(s.n, s.channel) for s in article_sources(polished, SOURCES)] == [
        (1, "markets.example"),
        (2, "EuroWire News Agency"),
        (3, "World Brief Daily"),
    ]
    assert citations_resolve(polished.markdown, [1, 2, 3]).passed


def test_a_repeated_sentence_is_kept_once_with_the_citations_of_both():
    polished = polish(
        "T",
        "Rates stayed at 3.75% [2].",
        [
            ("A", "The euro slid [1]. Rates stayed at 3.75%! [4]"),
            ("B", "rates stayed at 3.75% [2, 3]"),
        ],
        SOURCES,
    )
    body = polished.markdown.split("## Sources")[0]
    assert body.count("stayed at 3.75%") == 1
    assert "Rates stayed at 3.75% [1, 2, 3].\n\n## A\n\nThe euro slid [4].\n\n" in body
    assert "## B" not in body  # nothing of it was left
    assert polished.numbering == {2: 1, 4: 2, 3: 3, 1: 4}
    assert sorted(citations(polished.markdown)) == [1, 2, 3, 4]


def test_merged_citations_join_the_group_that_ends_the_sentence():
    sections = [("A", "Yields fell. [1] The euro slid. Yields fell [3]. The euro slid [2].")]
    polished = polish("T", "", sections, SOURCES)
    assert "Yields fell. [1, 2] The euro slid. [3]\n" in polished.markdown
    assert polished.numbering == {1: 1, 3: 2, 2: 3}


def test_a_dangling_citation_survives_as_the_writer_wrote_it():
    polished = polish(
        "T", "", [("A", "Yields fell [9]. The euro slid [3]. Rates held [9][2].")], SOURCES
    )
    assert "Yields fell [9]. The euro slid [1]. Rates held [9][2]." in polished.markdown
    assert polished.numbering == {3: 1, 2: 2}  # [9] is no source: it maps to nothing
    assert "- [9]" not in polished.markdown
    result = citations_resolve(polished.markdown, [s.n for s in article_sources(polished, SOURCES)])
    assert not result.passed
    assert result.reason == "cited but no such source: [9]"


def test_lists_and_paragraphs_keep_their_shape():
    body = "First point [1].\n\n- one item [2]\n- two item [4]\n\n> A quote [1]."
    polished = polish("T", "", [("A", body)], SOURCES)
    assert "## A\n\nFirst point [1].\n\n- one item [2]\n- two item [3]\n\n> A quote [1].\n" in (
        polished.markdown
    )


def test_an_article_citing_nothing_has_no_source_list():
    polished = polish("  A   title ", "Nothing cited.", [], SOURCES)
    assert polished.markdown == "# A title\n\nNothing cited.\n"
    assert polished.numbering == {}
    assert article_sources(polished, SOURCES) == []


def test_a_quotation_repeated_under_another_verb_is_kept_once():
    lead = "EuroWire says: “The ECB held rates.” [2]"
    body = (
        "EuroWire writes: “The ECB held rates.” [2] "
        "World Brief Daily reports: “The euro slid.” [1] "
        "Traders said “The ECB held rates.” and sold bonds [4]."
    )
    polished = polish("T", lead, [("A", body)], SOURCES)
    assert polished.markdown.startswith(
        "# T\n\nEuroWire says: “The ECB held rates.” [1]\n\n## A\n\n"
        "World Brief Daily reports: “The euro slid.” [2] "
        "Traders said “The ECB held rates.” and sold bonds [3].\n"  # more than a quotation: kept
    )
