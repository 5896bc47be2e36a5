"""The one metadata table builder: no value can break a table."""

from enrichment_assets.lib.common.tables import md_table, shorten


def test_pipes_are_escaped_and_newlines_flattened():
    table = md_table(["a", "b"], [["x|y", "two\nlines"], [None, 3]])
    assert table.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| x\\|y | two lines |",
        "|  | 3 |",
    ]


def test_long_cells_are_cut_with_an_ellipsis():
    table = md_table(["text"], [["word " * 40]], max_width=12)
    assert table.splitlines()[-1] == "| word word w… |"  # 12 characters, the last an ellipsis
    assert shorten("  a\n b  ") == "a b"
