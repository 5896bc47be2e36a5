"""Realistic news sources for the research, writer, polish and tracing tests: several channels
telling one story (a central bank holding its rates), one channel telling another, and texts
about something else."""

from enrichment_assets.lib.articles.records import Candidate, ChosenSource

TOPIC = "ECB holds interest rates"
KEYWORDS = ("ECB", "interest rates")

RATES = [
    Candidate(
        "post",
        "World Brief Daily",
        "The European Central Bank held its deposit rate at 3.75% on Thursday. "
        "Christine Lagarde said the bank is not yet ready to cut.",
        post_id=4127,
    ),
    Candidate(
        "post",
        "EuroWire News Agency",
        "The ECB kept rates on hold for the fifth time in a row on 11 April 2024. "
        "Markets now bet on a first cut in June.",
        post_id=9003,
    ),
    Candidate(
        "page",
        "markets.example",
        "Bond yields in the euro zone fell after the ECB decision. "
        "The euro slid 0.4% to $1.07. Traders now price a June cut.",
        url="https://markets.example/ecb-holds",
    ),
    Candidate(
        "post",
        "Frankfurt Ledger",
        "Inflation in the euro zone was 2.4% in March. Wages still grow fast, the ECB said. "
        "Some members of the board wanted to cut now.",
        post_id=311,
    ),
    Candidate(
        "post",
        "World Brief Daily",
        "Lagarde said the ECB will look at new data in June. She would not say more.",
        post_id=4131,
    ),
]

ELSEWHERE = [
    Candidate(
        "post",
        "Sports Desk",
        "Real Madrid beat Bayern 2-1 in Madrid on Wednesday to reach the final.",
        post_id=77,
    ),
    Candidate(
        "post",
        "Science Health Review",
        "Heavy rain flooded Porto Alegre for a third day. Rescue teams moved 8,000 people.",
        post_id=78,
    ),
]


def chosen(candidates: list[Candidate]) -> list[ChosenSource]:
    """`candidates` as research would number them, in the order given."""
    return [
        ChosenSource(n, c.kind, c.channel, c.text, 1.0, c.post_id, c.url)
        for n, c in enumerate(candidates, start=1)
    ]


# One channel telling a story alone: it may be written, but not balanced.
FLOODS_TOPIC = "Floods in Porto Alegre"
FLOODS = [
    Candidate(
        "post",
        "Science Health Review",
        "Heavy rain flooded Porto Alegre for a third day on Monday. "
        "Rescue teams moved 8,000 people to shelters.",
        post_id=501,
    ),
    Candidate(
        "post",
        "Science Health Review",
        "Flood water in Porto Alegre rose to 5.3 metres, the highest level on record. "
        "Officials closed the airport until 30 May.",
        post_id=502,
    ),
    Candidate(
        "post",
        "Science Health Review",
        "The state governor asked for federal help as the floods spread. "
        "Schools in the city will stay shut this week.",
        post_id=503,
    ),
]
