import pytest

from enrichment_assets.lib.articles.facts import facts, numbers_in_context


@pytest.mark.parametrize(
    "text", ["80,000 displaced", "80 000 displaced", "80k displaced", "80000 displaced"]
)
def test_numbers_are_comparable_whatever_their_spelling(text):
    assert facts(text).numbers == {"80000"}


def test_a_decimal_comma_and_a_percentage():
    assert facts("Rates rose to 3,75%.").numbers == {"3.75"}


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("It began on 2024-05-12.", "2024-05-12"),
        ("It began on 12 May 2024.", "2024-05-12"),
        ("It began on May 12, 2024.", "2024-05-12"),
        ("It began on May 12.", "--05-12"),
        ("It began on 12 May.", "--05-12"),
    ],
)
def test_dates_and_their_digits_are_not_numbers(text, date):
    found = facts(text)
    assert found.dates == {date}
    assert found.numbers == frozenset()


def test_names_are_capitalised_runs_not_the_first_word_of_a_sentence():
    found = facts("The Red Cross met John Smith in the Port of Odesa. Rescue teams arrived.")
    assert found.names == {"red cross", "john smith", "port of odesa"}
    assert facts("Officials met [2].").names == frozenset()  # nor a citation's digits
    assert facts("Officials met [2].").numbers == frozenset()
    assert not facts("Nothing to check here.")


def test_each_number_carries_the_words_that_say_what_it_counts():
    found = numbers_in_context("120,000 people were displaced and 3% of homes flooded")
    assert found == [("120000", {"people", "displaced"}), ("3", {"%", "home", "flooded"})]
