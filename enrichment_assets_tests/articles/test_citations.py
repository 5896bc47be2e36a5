from enrichment_assets.lib.articles.citations import citations, citations_resolve


def test_citations_are_read_in_every_form_and_links_and_the_source_list_are_not():
    markdown = (
        "One [1]. Two [1, 3]. Three [2][4]. A [link](https://x.example) and [5](https://y) and "
        "a footnote [^6].\n\n## Sources\n[7] somewhere"
    )
    assert citations(markdown) == [1, 1, 3, 2, 4]


def test_every_citation_stored_and_every_source_cited_passes():
    result = citations_resolve("A [1]. B [2, 3].", [1, 2, 3])
    assert result.passed
    assert result.score == 0


def test_a_dangling_and_an_uncited_number_fail_and_are_named():
    result = citations_resolve("A [1]. B [3].", [1, 2])
    assert not result.passed
    assert result.score == 2
    assert "no such source: [3]" in result.reason
    assert "never cited: [2]" in result.reason


def test_an_article_citing_nothing_fails():
    result = citations_resolve("Nothing cited here.", [])
    assert not result.passed
    assert "cites nothing" in result.reason
