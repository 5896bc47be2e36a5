"""Twenty news stories for bench/articles, each told by three to five posts from several
channels, with names, places, numbers and days drawn from a seeded generator.

Each kind of story has its own vocabulary, so that research (MiniLM similarity to the topic)
finds the story's own posts and not another's. A post's first sentence carries its facts: the
fake Groq writer quotes first sentences, and the gates look for every number and name in the
cited source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CHANNELS = ["kyiv_wire", "odesa_news", "south_daily", "harbour_post", "metro_daily", "river_times"]
PLACES = ["Lviv", "Odesa", "Dnipro", "Sumy", "Poltava", "Rivne", "Lutsk", "Kherson", "Izmail",
          "Kyiv", "Brody", "Uman", "Kovel", "Stryi", "Irpin", "Bucha", "Hlukhiv", "Kaniv",
          "Dubno", "Kalush"]  # fmt: skip
# Short names and plain words: the articles quote these sentences, and readability (Flesch
# reading ease) must reach 60 for an article to be `ready`.
NAMES = ["Ivan Kit", "Olga Rud", "Taras Mak", "Yana Bil", "Petro Zub", "Nina Hay", "Oleh Lis",
         "Vira Dub", "Roman Vovk", "Lida Shum", "Ihor Sych", "Ira Kuts", "Bohdan Pyz", "Zoya Mel",
         "Yuri Ros", "Anna Holt", "Max Tur", "Dana Shpak", "Lev Huk", "Maria Kril"]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Friday", "Sunday"]

# (topic, keywords, post templates). Slots: {place}, {name}, {day}, {n}, {m}, {k}.
KINDS: list[tuple[str, list[str], list[str]]] = [
    (
        "Floods drive thousands from their homes in {place}",
        ["floods", "shelters"],
        [
            "Floods drove {n},000 people from their homes in {place} on {day}. "
            "The Red Cross opened {m} shelters.",
            "Flood water shut the roads by the river in {place}. Mayor {name} said {k} schools "
            "will stay shut.",
            "The flood in {place} began to fall on {day}. Crews will check the dams.",
            "Crews in {place} filled {m},000 sand bags as the river rose.",
            "The flood in {place} could cost {k} million, the mayor said.",
        ],
    ),
    (
        "Fire near {place} forces people to leave",
        ["wildfire", "fire"],
        [
            "A fire burned {n},000 acres of woods near {place} by {day}. {m} crews fight it.",
            "Smoke from the fire shut the road to {place}, fire chief {name} said.",
            "Planes dropped water on the fire near {place} {k} times on {day}.",
            "Towns east of {place} were cleared as the fire moved {m} miles.",
        ],
    ),
    (
        "Earthquake shakes {place}",
        ["earthquake", "quake"],
        [
            "A quake of size {m}.{k} shook {place} on {day}. No one died.",
            "Expert {name} said the quake struck {n} miles below {place}.",
            "Crews found cracks in {k} old homes in {place} after the quake.",
            "{m} more small quakes hit {place} in the night.",
        ],
    ),
    (
        "Dock workers strike at the port of {place}",
        ["strike", "dock workers", "port"],
        [
            "Dock workers at the port of {place} went on strike on {day} for more pay. "
            "{n} ships wait.",
            "Union chief {name} said {m},000 dock workers will stay out for a {k}% raise.",
            "Grain ships that leave {place} fell by half since the strike.",
            "The port of {place} has now offered the dock workers a {k}% raise.",
        ],
    ),
    (
        "{name} wins the race for mayor of {place}",
        ["election", "mayor", "votes"],
        [
            "{name} won the race for mayor of {place} with {n}% of the vote on {day}.",
            "Just {m}0% of the town's voters in {place} cast a vote, the poll board said.",
            "The man who lost the race in {place} called {name} to say well done.",
            "{name} will add {k} new bus routes in {place} in the first year.",
        ],
    ),
    (
        "The central bank lifts its key rate",
        ["interest rate", "inflation"],
        [
            "The central bank lifted its key rate to {n}% on {day} to curb price growth.",
            "Bank head {name} said price growth of {m}.{k}% was too high to wait.",
            "Banks in {place} said home loans will now cost more.",
            "Most had thought the bank would lift the rate by {k} points.",
        ],
    ),
    (
        "Museum in {place} sends paintings back to Greece",
        ["museum", "paintings"],
        [
            "The town museum of {place} will send {n} paintings back to Greece, it said on {day}.",
            "Museum head {name} said the paintings left Greece long ago.",
            "The paintings will be shown in Athens in June, the museum said.",
            "Staff in {place} spent {k} months on the paintings' files.",
        ],
    ),
    (
        "Football club in {place} signs a new striker",
        ["football", "transfer", "striker"],
        [
            "The football club of {place} signed striker {name} for {n} million on {day}.",
            "{name} scored {m} goals in the league last year.",
            "Fans in {place} stood in line for hours to buy his shirt.",
            "The club said the deal runs for {k} years.",
        ],
    ),
    (
        "Vaccine test in {place} shows strong results",
        ["vaccine", "trial"],
        [
            "A vaccine test of {n},000 people in {place} cut time in the ward by {m}0%.",
            "Lead doctor {name} said the shot had only mild side effects.",
            "The state will check the test data from {place} by {day}.",
            "The vaccine needs {k} shots, a month apart.",
        ],
    ),
    (
        "Bridge falls into the river at {place}",
        ["bridge", "collapse"],
        [
            "A road bridge over the river at {place} fell on {day}. {k} drivers were hurt.",
            "Checks had found rust on the bridge at {place} {m} years ago.",
            "The roads chief {name} will check {n} more bridges of the same type.",
            "Boats will take cars across the river at {place} for now.",
        ],
    ),
    (
        "Two airlines in {place} agree to merge",
        ["airline", "merger"],
        [
            "Two airlines from {place} agreed on {day} to merge in a deal worth {n} million.",
            "The new airline will fly {m}0 jets to {k}0 towns, its head {name} said.",
            "Pilots asked that no jobs be lost when the airlines merge.",
            "The state must still clear the airline deal.",
        ],
    ),
    (
        "{name} wins the chess title",
        ["chess", "championship"],
        [
            "{name} won the chess title in {place} on {day}.",
            "{name} scored {m} points from {k} games and lost none.",
            "The chess event in {place} drew {n} players from all parts of the land.",
            "The last game took {m} hours and ended with two rooks on the board.",
        ],
    ),
    (
        "Heat wave brings power cuts to {place}",
        ["heat wave", "power cuts"],
        [
            "It was {n} degrees in {place} on {day}, the hottest day yet.",
            "The grid cut power to {m},000 homes in {place} as fans and air units ran.",
            "Doctors in {place} saw {k} people sick from the heat, health chief {name} said.",
            "Cool rooms were set up in {place} for the heat wave.",
        ],
    ),
    (
        "Hackers steal bank data in {place}",
        ["data breach", "bank", "hackers"],
        [
            "Hackers stole the data of {n},000 bank clients in {place}, the bank said on {day}.",
            "The stolen files hold names and card numbers, bank guard chief {name} said.",
            "The bank in {place} will send {m},000 new cards after the theft.",
            "Police in {place} are on the case of the bank hack.",
        ],
    ),
    (
        "New metro line opens in {place}",
        ["metro", "line", "stations"],
        [
            "A new metro line with {n} stops opened in {place} on {day}.",
            "The metro line cost {m} billion and took {k} years to build.",
            "Mayor {name} rode the first train from the main stop in {place}.",
            "The metro hopes for {m}0,000 riders a day on the new line.",
        ],
    ),
    (
        "Farms near {place} bring in a record wheat crop",
        ["wheat", "harvest"],
        [
            "Farms near {place} brought in a record {n} million tons of wheat this year.",
            "Farm expert {name} said wet spring rain raised the wheat crop by {m}%.",
            "Grain stores near {place} are full and trucks wait {k} days.",
            "The price of wheat fell {k}% on news of the big crop.",
        ],
    ),
    (
        "Satellite built in {place} reaches orbit",
        ["satellite", "launch", "orbit"],
        [
            "A satellite built in {place} reached orbit on {day}.",
            "The satellite weighs {n} kilos and will take shots of crops, its chief {name} said.",
            "Staff in {place} got the first signal from the satellite in {m} minutes.",
            "The satellite should work for {k} years.",
        ],
    ),
    (
        "Children's hospital opens in {place}",
        ["hospital", "children"],
        [
            "A hospital for kids with {n} beds opened in {place} on {day}.",
            "The hospital has {k} rooms for surgery, head doctor {name} said.",
            "Donors gave {m} million to build the kids' hospital in {place}.",
            "The hospital will treat kids from {k} parts of the land.",
        ],
    ),
    (
        "Film from {place} wins the top prize",
        ["film", "festival", "prize"],
        [
            "A film shot in {place} won the top prize at the film fest on {day}.",
            "{name} made the film in {m} weeks for {n},000.",
            "The judges at the fest praised the cast from {place}.",
            "The film will be shown in {k}0 cinemas next month.",
        ],
    ),
    (
        "Runner sets a marathon record in {place}",
        ["marathon", "record", "runner"],
        [
            "{name} set a new best time at the {place} marathon on {day}.",
            "{name} ran the marathon in 2 hours and {m} minutes.",
            "The {place} marathon had {n},000 runners this year.",
            "The new time beat the old best by {k} seconds.",
        ],
    ),
]


@dataclass(frozen=True)
class Story:
    topic: str
    keywords: list[str]
    posts: list[tuple[str, str]]  # (channel, text)


def stories(count: int, seed: int = 12) -> list[Story]:
    """`count` stories (at most one of each kind), each told by 3-5 posts, one per channel."""
    if count > len(KINDS):
        raise ValueError(f"at most {len(KINDS)} stories")
    rng = random.Random(seed)
    made = []
    for number, (topic, keywords, templates) in enumerate(KINDS[:count]):
        slots = {
            "place": PLACES[number],
            "name": NAMES[number],
            "day": rng.choice(DAYS),
            "n": rng.randint(12, 95),
            "m": rng.randint(3, 9),
            "k": rng.randint(2, 9),
        }
        told = len(templates) if number % 3 == 0 else 3
        channels = rng.sample(CHANNELS, k=told)  # one post per channel
        posts = [
            (channels[i], template.format(**slots)) for i, template in enumerate(templates[:told])
        ]
        made.append(Story(topic.format(**slots), keywords, posts))
    return made
