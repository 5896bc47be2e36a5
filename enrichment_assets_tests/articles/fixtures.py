"""Articles and sources the gate tests share: an honest extractive article and the issue's
draft that inflates a figure and cites a source that does not exist."""

from enrichment_assets.lib.articles.records import Source

SOURCES = [
    Source(
        1,
        "kyiv_wire",
        "Rescue teams said 80,000 people were displaced by the floods on 12 May 2024. "
        "The Red Cross opened 40 shelters in the old town.",
    ),
    Source(
        2,
        "odesa_news",
        "Roads near the river were closed on Monday. About 300 schools shut for the week.",
    ),
    Source(3, "south_daily", "The water began to fall on Tuesday. Crews will check the dams."),
]
TEXTS = {source.n: source.text for source in SOURCES}

# What the local writer makes: attributed, quoted sentences of its sources, each cited.
HONEST = """# Floods in the south

Kyiv Wire reports: “Rescue teams said 80,000 people were displaced by the floods on
12 May 2024.” [1] It adds: “The Red Cross opened 40 shelters in the old town.” [1]

Odesa News says: “Roads near the river were closed on Monday.” [2] It also says: “About 300
schools shut for the week.” [2]

South Daily writes: “The water began to fall on Tuesday.” [3]

## Sources
[1] kyiv_wire
[2] odesa_news
[3] south_daily
"""

# The case: 120,000 where the source says 80,000, and [3] cited with only two stored.
DRAFT_SOURCES = SOURCES[:2]
DRAFT_TEXTS = {source.n: source.text for source in DRAFT_SOURCES}
DRAFT = """# Floods in the south

Rescue teams said 120,000 people were displaced by the floods [1]. The Red Cross opened
40 shelters in the old town [3].
"""
