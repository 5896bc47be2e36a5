"""Write the bundled sample posts in data/sample/posts/, in the real wire formats.

Deterministic (fixed seed, standard library only, no network): running it twice gives
byte-identical files. The traps each file carries are listed in data/sample/posts/README.md.

One piece on purpose: most of its length is the word lists and story templates the sample is
written from (the vocabulary at the top, one template per story further down); the code that
writes the three formats is short, and splitting the data from it would only add imports to a
script run by hand.

    python scripts/make_sample_posts.py [--out data/sample/posts]
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

SEED = 20240501
FIRST_DAY = datetime(2024, 5, 1, tzinfo=UTC)
DAYS = 16  # 2024-05-01 .. 2024-05-16 UTC
PHOTO_PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# --------------------------------------------------------------------------------------------
# English story material
# --------------------------------------------------------------------------------------------
POLITICIANS = [
    "Prime Minister Elena Marsh",
    "President Tomas Velkov",
    "Foreign Minister Aiko Tanaka",
    "Chancellor Mira Hollenbeck",
    "Senator David Okafor",
    "Interior Minister Jonas Lindqvist",
    "President Amara Diallo",
    "Defence Secretary Rafael Ortega",
    "EU trade commissioner Pieter van Damme",
    "UN envoy Leila Haddad",
]
COUNTRIES = [
    "Poland",
    "Kenya",
    "Brazil",
    "Indonesia",
    "Canada",
    "Portugal",
    "South Korea",
    "Norway",
    "Turkey",
    "Chile",
    "Ghana",
    "Vietnam",
]
CITIES = [
    "Berlin",
    "Nairobi",
    "Jakarta",
    "São Paulo",
    "Warsaw",
    "Toronto",
    "Lagos",
    "Seoul",
    "Lisbon",
    "Madrid",
    "Oslo",
    "Istanbul",
    "Geneva",
    "Brussels",
    "Singapore",
    "Mexico City",
]
POLICY_ISSUES = [
    "grain exports through the Black Sea",
    "a long-delayed free trade agreement",
    "border security and migration",
    "cross-border electricity links",
    "the reconstruction of flood-hit regions",
    "fishing rights in the North Atlantic",
    "a ceasefire monitoring mission",
    "visa-free travel for students",
]
BILLS = [
    "a pension reform bill",
    "a law capping residential rents",
    "a new data protection act",
    "the 2025 defence budget",
    "a ban on single-use plastics",
    "a bill lowering the voting age to 16",
]
PROTESTS = [
    "rising housing costs",
    "plans to raise the retirement age",
    "a proposed mining project near the coast",
    "cuts to university funding",
    "higher fuel taxes",
]
COMPANIES = [
    "Northwind Energy",
    "Helix Biotech",
    "Orbital Dynamics",
    "Meridian Foods",
    "Atlas Freight",
    "Quantix Semiconductors",
    "Bluewater Shipping",
    "Solenne Motors",
    "Crestline Bank",
    "Pinecrest Retail",
]
COMPANY_PRODUCTS = {
    "Northwind Energy": "wind turbines",
    "Helix Biotech": "cancer drugs",
    "Orbital Dynamics": "satellite launches",
    "Meridian Foods": "frozen meals",
    "Atlas Freight": "freight logistics",
    "Quantix Semiconductors": "memory chips",
    "Bluewater Shipping": "container shipping",
    "Solenne Motors": "electric buses",
    "Crestline Bank": "mortgage lending",
    "Pinecrest Retail": "online grocery",
}
COMPANY_SECTOR = {
    "Northwind Energy": "energy",
    "Helix Biotech": "biotech",
    "Orbital Dynamics": "space",
    "Meridian Foods": "food",
    "Atlas Freight": "logistics",
    "Quantix Semiconductors": "chip",
    "Bluewater Shipping": "shipping",
    "Solenne Motors": "carmaking",
    "Crestline Bank": "banking",
    "Pinecrest Retail": "retail",
}
CENTRAL_BANKS = [
    ("the European Central Bank", "the euro zone"),
    ("the Bank of Canada", "Canada"),
    ("the Bank of Korea", "South Korea"),
    ("Norges Bank", "Norway"),
    ("the Central Bank of Brazil", "Brazil"),
]
DEVICES = [
    ("foldable phone", "a 7.8-inch inner screen"),
    ("laptop", "a battery rated for 22 hours"),
    ("smartwatch", "a blood-oxygen sensor"),
    ("e-reader", "a colour display"),
    ("home robot vacuum", "on-device object recognition"),
    ("VR headset", "eye tracking"),
]
SOFTWARE = [
    "the Nimbus web browser",
    "a popular open-source VPN client",
    "the Harbor email server",
    "a widely used router firmware",
    "the Lumen office suite",
]
ATTACKS = [
    "run code remotely",
    "read saved passwords",
    "bypass two-factor login",
    "take over admin accounts",
]
TECH_ISSUES = [
    "the way it handles children's data",
    "alleged abuse of its dominance in app stores",
    "how its recommendation algorithm ranks news",
    "unclear pricing of cloud contracts",
]
AI_CAPABILITIES = [
    "translate speech between 40 languages in real time",
    "summarise long legal contracts",
    "write and test code from a plain-language description",
    "read medical scans and flag likely fractures",
]
TELESCOPES = ["the James Webb Space Telescope", "the Vera Rubin Observatory", "ALMA in Chile"]
ASTRO_FINDINGS = [
    "water vapour in the atmosphere of a rocky exoplanet",
    "one of the most distant galaxies ever observed",
    "a pair of black holes on course to merge",
    "complex organic molecules around a young star",
]
JOURNALS = ["Nature", "Science", "The Lancet", "Cell", "Nature Astronomy", "PLOS Medicine"]
UNIVERSITIES = [
    "the University of Oslo",
    "ETH Zurich",
    "the University of Cape Town",
    "Seoul National University",
    "McGill University",
    "the University of São Paulo",
    "Imperial College London",
]
SCIENCE_FINDINGS = [
    "a bacterium that breaks down PET plastic at room temperature",
    "a cheaper catalyst for producing green hydrogen",
    "evidence that coral reefs recover faster when fishing is paused",
    "a new species of frog in the Atlantic Forest",
    "a battery electrolyte that does not catch fire",
    "a method to date ancient pottery using trapped fat residues",
]
SCIENCE_HEADLINES = {
    SCIENCE_FINDINGS[0]: "plastic-eating bacterium",
    SCIENCE_FINDINGS[1]: "cheaper hydrogen catalyst",
    SCIENCE_FINDINGS[2]: "faster coral recovery",
    SCIENCE_FINDINGS[3]: "new frog species",
    SCIENCE_FINDINGS[4]: "non-flammable battery electrolyte",
    SCIENCE_FINDINGS[5]: "new way to date pottery",
}
MISSIONS = [
    ("the European Space Agency", "the Hera asteroid probe"),
    ("NASA", "the Artemis lunar lander test"),
    ("the Japan Aerospace Exploration Agency", "its new weather satellite"),
    ("the Indian Space Research Organisation", "the Gaganyaan crew capsule test"),
]
DELAY_REASONS = ["high winds", "a sensor fault on the upper stage", "a fuel valve problem"]
DISEASES = ["measles", "dengue fever", "cholera", "avian influenza", "mpox"]
REGIONS = ["West Africa", "Southeast Asia", "southern Europe", "the Andes", "East Africa"]
HEALTH_ADVICE = {
    "measles": "parents to check their children's vaccination records",
    "dengue fever": "travellers to use insect repellent",
    "cholera": "local authorities to boost clean water supplies",
    "avian influenza": "farm workers to report sick birds immediately",
    "mpox": "people with symptoms to seek testing early",
}
TREATMENTS = [
    "a once-weekly insulin injection",
    "a new blood-pressure pill",
    "a mobile app for cognitive therapy",
    "an experimental malaria vaccine",
]
OUTCOMES = ["hospital admissions", "symptoms of depression", "the risk of stroke", "infections"]
TEAMS = [
    "FC Porto",
    "Galatasaray",
    "Celtic",
    "Ajax",
    "Flamengo",
    "Al Ahly",
    "Toronto FC",
    "Club América",
    "Legia Warsaw",
    "Rosenborg",
]
PLAYERS = [
    "Lucas Moreira",
    "Kwame Mensah",
    "Emre Yildiz",
    "Sofia Lindgren",
    "Jae-won Park",
    "Mateo Rojas",
    "Nadia Petrova",
    "Tiago Costa",
]
TOURNAMENTS = ["Madrid Open", "Italian Open", "Geneva Open", "Lisbon Challenger"]
FESTIVALS = ["film festival", "book fair", "jazz festival", "architecture biennale"]
FILMS = ["The Salt Road", "Winter Harbour", "Seven Bridges", "A Quiet Border", "Paper Lanterns"]
DIRECTORS = ["Ines Carvalho", "Oskar Brandt", "Wanjiru Kamau", "Hana Sato", "Diego Alvarez"]
MUSEUMS = ["The British Museum", "The Humboldt Forum", "The Louvre", "The Rijksmuseum"]
BOOKS = [
    ("Marta Kowalska", "The Glass Orchard"),
    ("Chidi Obi", "River of Names"),
    ("Lena Vogt", "Night Train to Trieste"),
    ("Arjun Rao", "The Cartographer's Daughter"),
]
PRIZES = ["International Booker Prize", "European Book Prize", "Commonwealth Fiction Prize"]

# Second sentences, per (topic, story kind), so that each one fits the story it follows.
FOLLOW_UPS: dict[tuple[str, int], list[str]] = {
    ("politics", 0): [
        "A spokesperson said talks would continue next week.",
        "Both sides described the first session as constructive.",
        "",
    ],
    ("politics", 1): [
        "Opposition leaders called the vote rushed and promised to challenge it in court.",
        "Business groups welcomed the decision.",
        "",
    ],
    ("politics", 2): ["Organisers said more protests are planned for next month.", ""],
    ("politics", 3): ["Neighbouring governments welcomed the announcement.", ""],
    ("politics", 4): ["Turnout is expected to be high.", ""],
    ("business", 0): ["Analysts had expected a weaker result.", ""],
    ("business", 1): ["Markets had priced in no change.", "Analysts expect a cut by autumn.", ""],
    ("business", 2): ["Unions said they would seek urgent talks with management.", ""],
    ("business", 3): ["Asian markets followed the move overnight.", ""],
    ("business", 4): ["Shares in both companies rose in early trading.", ""],
    ("technology", 0): ["Pre-orders open on the company's website.", ""],
    ("technology", 1): ["There is no sign yet that the flaw has been exploited.", ""],
    ("technology", 3): ["Critics say the rollout is too fast.", ""],
    ("science", 0): ["The team plans follow-up observations later this year.", ""],
    ("science", 1): [
        "Independent experts called the result promising but preliminary.",
        "The data have been made publicly available.",
        "",
    ],
    ("health", 0): ["Vaccination teams have been sent to the worst-hit districts.", ""],
    ("health", 1): ["The findings still need to be confirmed in a larger study.", ""],
    ("health", 2): ["Patients are asked to call ahead before visiting emergency wards.", ""],
    ("sports", 0): ["The result lifts them to second place in the table.", ""],
    ("sports", 1): ["It is her second title of the season.", ""],
    ("culture", 0): ["Tickets are already sold out for the opening weekend.", ""],
    ("culture", 1): ["Campaigners called the decision long overdue.", ""],
}

SECTION_HOST = {
    "politics": ("world", "news.example"),
    "business": ("business", "markets.news.example"),
    "technology": ("tech", "tech.example.com"),
    "science": ("science", "science.example.org"),
    "health": ("health", "health.example.org"),
    "sports": ("sport", "sport.news.example"),
    "culture": ("culture", "culture.example.com"),
}


@dataclass
class Story:
    topic: str
    headline: str
    body: str  # 1-3 sentences, the post text without links


def _pick(rng: random.Random, items: list, k: int = 1):
    return rng.sample(items, k) if k > 1 else rng.choice(items)


def english_story(rng: random.Random, topic: str, when: datetime) -> Story:
    """One English news story: a headline and a 1-3 sentence body, built from varied parts.

    Weekdays in the text are the publication day or the day before, so the text reads true.
    """
    wd = WEEKDAYS[(when - timedelta(days=rng.choice((0, 0, 1)))).weekday()]
    pct = rng.choice([1.2, 2.4, 3.1, 4.5, 6.8, 8.0, 11.5, 14.2])
    if topic == "politics":
        kind = rng.randrange(5)
        if kind == 0:
            a, b = _pick(rng, POLITICIANS, 2)
            city, issue = rng.choice(CITIES), rng.choice(POLICY_ISSUES)
            head = f"{a.split()[-1]} and {b.split()[-1]} meet in {city}"
            body = (
                f"{a} arrived in {city} on {wd} for talks with {b} on {issue}. "
                "Officials said a joint statement is expected before the weekend."
            )
        elif kind == 1:
            country, bill = rng.choice(COUNTRIES), rng.choice(BILLS)
            who = rng.choice(["president", "upper house", "constitutional court"])
            yes = rng.randrange(180, 260)
            no = rng.randrange(90, yes - 20)
            head = f"{country}'s parliament approves {bill.removeprefix('a ').removeprefix('the ')}"
            body = (
                f"Lawmakers in {country} voted {yes} to {no} on {wd} to approve {bill}. "
                f"The measure now goes to the {who} for signature."
            )
        elif kind == 2:
            city, topic_ = rng.choice(CITIES), rng.choice(PROTESTS)
            crowd = rng.choice(["Thousands of", "Tens of thousands of", "Several thousand"])
            head = f"Protest in {city} over {topic_}"
            body = (
                f"{crowd} people marched through central {city} on {wd} to protest {topic_}. "
                "Police said the rally was largely peaceful."
            )
        elif kind == 3:
            c1, c2 = _pick(rng, COUNTRIES, 2)
            who, city, issue = (
                rng.choice(POLITICIANS),
                rng.choice(CITIES),
                rng.choice(POLICY_ISSUES),
            )
            head = f"{c1} and {c2} resume talks"
            body = (
                f"{c1} and {c2} agreed to reopen negotiations on {issue} after a two-year pause, "
                f"{who} told reporters in {city}."
            )
        else:
            country = rng.choice(COUNTRIES)
            kind_ = rng.choice(["presidential runoff", "snap parliamentary election", "referendum"])
            lead = rng.randrange(1, 4)
            head = f"{country} votes on Sunday"
            body = (
                f"Voters in {country} head to the polls on Sunday in a {kind_} that surveys show "
                f"is too close to call, with the frontrunner ahead by just {lead} points."
            )
    elif topic == "business":
        kind = rng.randrange(5)
        company = rng.choice(COMPANIES)
        if kind == 0:
            rev = rng.choice([1.8, 2.6, 4.1, 7.3, 12.9, 18.4])
            product = COMPANY_PRODUCTS[company]
            move = rng.choice([1.5, 2.7, 3.9, 5.2])
            head = f"{company} revenue beats forecasts"
            body = (
                f"{company} reported quarterly revenue of ${rev} billion, up {pct}% from a year "
                f"earlier, helped by strong demand for {product}. Shares rose {move}% in early "
                "trading."
            )
        elif kind == 1:
            bank, area = rng.choice(CENTRAL_BANKS)
            rate = rng.choice([3.25, 3.75, 4.0, 4.5, 10.5])
            head = f"{bank[4:] if bank.startswith('the ') else bank} holds rates at {rate}%"
            head = head[0].upper() + head[1:]
            body = (
                f"{bank[0].upper() + bank[1:]} left its benchmark rate unchanged at {rate}% on "
                f"{wd}, saying inflation in {area} is cooling more slowly than expected."
            )
        elif kind == 2:
            jobs = rng.choice([400, 850, 1200, 2300, 3100])
            product, city = COMPANY_PRODUCTS[company], rng.choice(CITIES)
            head = f"{company} to cut {jobs:,} jobs"
            body = (
                f"{company} plans to cut about {jobs:,} jobs as it shifts part of its {product} "
                f"business to {city}, the company said in a regulatory filing on {wd}."
            )
        elif kind == 3:
            price = rng.choice([74.10, 78.35, 81.20, 83.95, 86.40])
            drop = rng.choice([0.8, 1.2, 1.9, 2.4, 3.1])
            head = "Oil slips as supply outlook improves"
            body = (
                f"Brent crude fell {drop}% to ${price:.2f} a barrel on {wd} after OPEC+ delegates "
                "signalled that output would rise in June."
            )
        else:
            other = rng.choice([c for c in COMPANIES if c != company])
            deal = rng.choice([1.1, 2.5, 3.8, 6.2, 9.7])
            sector = COMPANY_SECTOR[company]
            area = rng.choice(["Europe", "Latin America", "Asia", "North America"])
            head = f"{company} agrees to buy {other}"
            body = (
                f"{company} agreed to buy {other} for ${deal} billion in cash, creating one of "
                f"the largest {sector} groups in {area}. The deal still needs regulatory approval."
            )
    elif topic == "technology":
        kind = rng.randrange(4)
        company = rng.choice(
            ["Orbital Dynamics", "Quantix Semiconductors", "Lumen Labs", "Kestrel AI", "Vantablue"]
        )
        if kind == 0:
            company = rng.choice(["Lumen Labs", "Vantablue", "Kestrel Devices"])
            device, feature = rng.choice(DEVICES)
            price = rng.choice([299, 449, 799, 1099, 1499])
            month = rng.choice(["June", "July", "September"])
            head = f"{company} unveils new {device}"
            body = (
                f"{company} unveiled a new {device} with {feature}, priced from ${price}. "
                f"Shipments start in {month}."
            )
        elif kind == 1:
            sw, attack = rng.choice(SOFTWARE), rng.choice(ATTACKS)
            ver = f"{rng.randrange(2, 14)}.{rng.randrange(0, 9)}.{rng.randrange(1, 30)}"
            agency = rng.choice(["Germany's BSI", "the US CISA", "the UK's NCSC", "ENISA"])
            head = f"Critical flaw found in {sw.removeprefix('the ').removeprefix('a ')}"
            body = (
                f"A critical flaw in {sw} lets attackers {attack}. {agency[0].upper()}"
                f"{agency[1:]} urged users to update to version {ver} immediately."
            )
        elif kind == 2:
            country, issue = rng.choice(COUNTRIES), rng.choice(TECH_ISSUES)
            head = f"{country} opens probe into {company}"
            body = (
                f"Competition regulators in {country} opened an investigation into {company} "
                f"over {issue}. The company said it would cooperate fully."
            )
        else:
            model = rng.choice(["Aurora-2", "Sable", "Nova XL", "Meridian-7B", "Tern"])
            cap = rng.choice(AI_CAPABILITIES)
            c1, c2 = _pick(rng, CITIES, 2)
            head = f"{company} launches AI model {model}"
            body = (
                f"{company} said its new AI model, {model}, can {cap}. It will be offered to "
                f"developers in {c1} and {c2} first."
            )
    elif topic == "science":
        kind = rng.randrange(3)
        journal = rng.choice([j for j in JOURNALS if j != "The Lancet"])
        if kind == 0:
            tel, find = rng.choice(TELESCOPES), rng.choice(ASTRO_FINDINGS)
            head = f"Astronomers detect {find.split(' in ')[0].split(' around ')[0]}"
            body = (
                f"Astronomers using {tel} have detected {find}, according to a study published "
                f"in {journal} on {wd}."
            )
        elif kind == 1:
            uni, find = rng.choice(UNIVERSITIES), rng.choice(SCIENCE_FINDINGS)
            head = f"{uni.removeprefix('the ')} team reports {SCIENCE_HEADLINES[find]}"
            head = head[0].upper() + head[1:]
            body = f"In a paper published in {journal}, researchers at {uni} described {find}."
        else:
            agency, mission = rng.choice(MISSIONS)
            days = rng.randrange(2, 12)
            reason = rng.choice(DELAY_REASONS)
            head = f"Launch of {mission.removeprefix('the ').removeprefix('its ')} delayed"
            body = (
                f"{agency[0].upper() + agency[1:]} postponed the launch of {mission} by {days} "
                f"days because of {reason}."
            )
    elif topic == "health":
        kind = rng.randrange(3)
        if kind == 0:
            disease, region = rng.choice(DISEASES), rng.choice(REGIONS)
            advice = HEALTH_ADVICE[disease]
            n = rng.randrange(120, 4800)
            head = f"WHO reports rise in {disease} cases"
            body = (
                f"The World Health Organization reported {n:,} new cases of {disease} in "
                f"{region} this week and urged {advice}."
            )
        elif kind == 1:
            n = rng.choice([240, 600, 1150, 3400, 5200])
            uni, treat, out = (
                rng.choice(UNIVERSITIES),
                rng.choice(TREATMENTS),
                rng.choice(OUTCOMES),
            )
            head = f"Trial: {treat.removeprefix('a ').removeprefix('an ')} cuts {out}"
            body = (
                f"A trial of {n:,} patients led by {uni} found that {treat} reduced {out} by "
                f"{pct}%, according to results in The Lancet."
            )
        else:
            city = rng.choice(CITIES)
            cause = rng.choice(
                [
                    "a heatwave pushes temperatures above 40C",
                    "a late flu wave fills emergency wards",
                    "a nurses' strike enters its second week",
                ]
            )
            head = f"Hospitals in {city} under strain"
            body = (
                f"Hospitals in {city} are postponing routine operations as {cause}, the regional "
                "health department said."
            )
    elif topic == "sports":
        kind = rng.randrange(3)
        if kind == 0:
            t1, t2 = _pick(rng, TEAMS, 2)
            s1 = rng.randrange(2, 5)
            s2 = rng.randrange(0, s1)
            player = rng.choice(
                [p for p in PLAYERS if p not in ("Sofia Lindgren", "Nadia Petrova")]
            )
            when = rng.choice(["in the second half", "before the break", "in stoppage time"])
            head = f"{t1} beat {t2} {s1}-{s2}"
            body = (
                f"{t1} beat {t2} {s1}-{s2} on {wd}, with {player} scoring twice {when}. "
                f"The return leg is next {rng.choice(WEEKDAYS)}."
            )
        elif kind == 1:
            p1, p2 = _pick(
                rng, ["Sofia Lindgren", "Nadia Petrova", "Hana Moravec", "Ines Duarte"], 2
            )
            tour = rng.choice(TOURNAMENTS)
            sets = rng.choice(["straight sets", "three sets"])
            head = f"{p1} wins the {tour}"
            body = f"{p1} won the {tour} final on {wd}, beating {p2} in {sets}."
        else:
            team = rng.choice(TEAMS)
            coach = rng.choice(["Henrik Aas", "Paulo Mendes", "Gary Whitlock", "Kemal Arslan"])
            years = rng.randrange(3, 9)
            head = f"{team} coach {coach} to step down"
            body = (
                f"{team} announced that head coach {coach} will leave at the end of the season "
                f"after {years} years in charge."
            )
    else:  # culture
        kind = rng.randrange(3)
        city = rng.choice(CITIES)
        if kind == 0:
            fest, film, director = (
                rng.choice(FESTIVALS),
                rng.choice(FILMS),
                rng.choice(DIRECTORS),
            )
            head = f"{city} {fest} opens"
            body = (
                f'The {city} {fest} opened on {wd} with the premiere of "{film}", '
                f"a drama directed by {director}."
            )
        elif kind == 1:
            museum, country = (
                rng.choice(MUSEUMS),
                rng.choice(["Nigeria", "Ghana", "Peru", "Greece"]),
            )
            n = rng.randrange(12, 140)
            head = f"{museum.removeprefix('The ')} to return artefacts to {country}"
            body = (
                f"{museum} will return {n} artefacts to {country} under an agreement signed in "
                f"{city} on {wd}."
            )
        else:
            (author, book), prize = rng.choice(BOOKS), rng.choice(PRIZES)
            head = f"{author} wins the {prize}"
            body = f'{author}\'s novel "{book}" won the {prize}, judges announced in {city}.'
    follow = rng.choice(FOLLOW_UPS.get((topic, kind), [""]))
    if follow:
        body = f"{body} {follow}"
    return Story(topic, head, body)


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")[:60]


def article_url(story: Story, when: datetime, host: str | None = None) -> str:
    section, default_host = SECTION_HOST[story.topic]
    return f"https://{host or default_host}/{section}/{when:%Y/%m/%d}/{slugify(story.headline)}"


# --------------------------------------------------------------------------------------------
# Russian story material (tech and science channel)
# --------------------------------------------------------------------------------------------
RU_COMPANIES = [
    "«НейроСофт»",
    "«Квант Системы»",
    "«Орбита Лабс»",
    "«Сибирские сенсоры»",
    "«Альфа Робот»",
]
RU_DEVICES = [
    ("отечественный ноутбук на процессоре «Байкал»", "Корпус сделан из переработанного алюминия."),
    ("складной смартфон с двумя экранами", "Аккумулятора хватает на двое суток работы."),
    ("промышленного робота для сварки", "Он уже работает на заводе в Тольятти."),
    ("умную колонку с голосовым помощником", "Помощник понимает русский и татарский языки."),
    (
        "беспилотный грузовик для северных трасс",
        "Испытания прошли при морозе до минус 45 градусов.",
    ),
]
RU_MONTHS_PREP = ["июне", "июле", "сентябре", "конце года"]
RU_UNIS_GEN = [
    "Новосибирского государственного университета",
    "МФТИ",
    "Томского политехнического университета",
    "Казанского федерального университета",
    "Университета ИТМО",
    "МГУ имени Ломоносова",
]
RU_FINDINGS = [
    "разработали аккумулятор, который заряжается за семь минут",
    "обнаружили новый вид бактерий в донных отложениях Байкала",
    "создали алгоритм, предсказывающий засухи за три месяца",
    "получили сверхпрочный сплав для авиационных двигателей",
    "описали механизм старения клеток печени",
    "вырастили кристаллы перовскита размером с монету",
    "показали, что микропластик накапливается в почвах вдоль трасс",
]
RU_JOURNALS = ["Nature Communications", "Physical Review Letters", "Science Advances"]
RU_CITIES_PREP = ["Москве", "Казани", "Новосибирске", "Санкт-Петербурге", "Томске", "Екатеринбурге"]
RU_THEMES = [
    "искусственный интеллект в медицине",
    "квантовые вычисления",
    "кибербезопасность банков",
    "беспилотный транспорт",
    "зелёная энергетика",
]
RU_PEOPLE = [
    "Андрей Соколов",
    "Михаил Лебедев",
    "Игорь Васильев",
    "Дмитрий Орлов",
    "Павел Кузнецов",
]
RU_ORGS_GEN = ["Сколтеха", "Института космических исследований РАН", "«Лаборатории Касперского»"]
RU_CLAIMS = [
    "первые квантовые компьютеры на 100 кубитов появятся в России к 2030 году",
    "число атак на медицинские учреждения за год выросло вдвое",
    "спрос на инженеров по машинному обучению превышает предложение в три раза",
    "спутниковый интернет станет доступен в Арктике уже в следующем году",
]
RU_ROCKETS = ["Союз-2.1б", "Ангара-А5", "Союз-2.1а"]
RU_COSMODROMES_GEN = ["космодрома Восточный", "космодрома Байконур", "космодрома Плесецк"]
RU_REASONS_GEN = ["сильного ветра", "неполадки в системе заправки", "замечаний к телеметрии"]
RU_FOLLOW_UPS = [
    "Эксперты называют это важным шагом.",
    "Следим за развитием событий.",
    "",
    "",
]


def ru_days(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "день"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "дня"
    return "дней"


def russian_story(rng: random.Random) -> Story:
    kind = rng.randrange(6)
    if kind == 0:
        company, (device, detail) = rng.choice(RU_COMPANIES), rng.choice(RU_DEVICES)
        month = rng.choice(RU_MONTHS_PREP)
        topic, head = "technology", f"{company} показала новинку"
        body = f"Компания {company} представила {device}. {detail} Продажи начнутся в {month}."
    elif kind == 1:
        uni, find, journal = (
            rng.choice(RU_UNIS_GEN),
            rng.choice(RU_FINDINGS),
            rng.choice(RU_JOURNALS),
        )
        topic, head = "science", f"Учёные {uni}"
        body = f"Учёные {uni} {find}. Статья опубликована в журнале {journal}."
    elif kind == 2:
        city, theme = rng.choice(RU_CITIES_PREP), rng.choice(RU_THEMES)
        day = rng.choice(["во вторник", "в среду", "в четверг", "сегодня"])
        topic, head = "technology", f"Конференция в {city}"
        body = (
            f"В {city} {day} открылась конференция «ТехФорум-2024». Главная тема — {theme}. "
            f"Участников — более {rng.choice([800, 1500, 2500, 4000])} человек."
        )
    elif kind == 3:
        person, org, claim = rng.choice(RU_PEOPLE), rng.choice(RU_ORGS_GEN), rng.choice(RU_CLAIMS)
        topic, head = "technology", f"{person} о прогнозах"
        body = f"{person} из {org} заявил, что {claim}."
    elif kind == 4:
        rocket, site, reason = (
            rng.choice(RU_ROCKETS),
            rng.choice(RU_COSMODROMES_GEN),
            rng.choice(RU_REASONS_GEN),
        )
        n = rng.randrange(1, 8)
        topic, head = "science", f"Запуск «{rocket}» перенесли"
        body = (
            f"Запуск ракеты «{rocket}» с {site} перенесли на {n} {ru_days(n)} из-за {reason}. "
            "Новую дату объявит Роскосмос."
        )
    else:
        company = rng.choice(RU_COMPANIES)
        amount = rng.choice([120, 350, 600, 900, 1500])
        what = rng.choice(
            ["сервиса распознавания речи", "платформы для телемедицины", "сети зарядных станций"]
        )
        topic, head = "business", f"{company} привлекла инвестиции"
        body = (
            f"Компания {company} привлекла {amount} млн рублей на развитие {what}. "
            "Среди инвесторов — фонд «Сколково»."
        )
    # Launch delays and conferences are complete as they are; a comment would read oddly there.
    follow = "" if kind in (2, 4) else rng.choice(RU_FOLLOW_UPS)
    if follow:
        body = f"{body} {follow}"
    return Story(topic, head, body)


# --------------------------------------------------------------------------------------------
# Hand-written stories shared across channels
# --------------------------------------------------------------------------------------------
# Posted VERBATIM in two channels (Telegram world channel and the JSONL wire, or the RSS feed).
SHARED_VERBATIM = [
    Story(
        "politics",
        "Ceasefire talks resume in Geneva",
        "Delegations from both sides returned to Geneva for a third round of "
        "ceasefire talks mediated by UN envoy Leila Haddad. No timetable has been set.",
    ),
    Story(
        "business",
        "Atlas Freight shares jump on Bluewater deal",
        "Atlas Freight shares jumped 9% after the company confirmed it is in advanced talks to "
        "buy Bluewater Shipping's European container business.",
    ),
    Story(
        "health",
        "Measles vaccination drive in Nairobi",
        "Kenya's health ministry launched a two-week measles vaccination drive in Nairobi, "
        "aiming to reach 1.2 million children under five.",
    ),
    Story(
        "sports",
        "Porto win the cup final",
        "FC Porto won the cup final 2-1 in Lisbon, with Tiago Costa scoring the "
        "winner in extra time.",
    ),
    Story(
        "science",
        "Hera probe passes Mars",
        "The European Space Agency said its Hera probe passed within 5,000 km of Mars, using "
        "the planet's gravity to steer towards the asteroid Didymos.",
    ),
    Story(
        "technology",
        "Quantix opens chip plant in Dresden",
        "Quantix Semiconductors opened a €4 billion chip plant in Dresden, its first in Europe, "
        "creating about 1,500 jobs.",
    ),
    Story(
        "culture",
        "Lisbon book fair breaks attendance record",
        "The Lisbon book fair closed with a record 1.1 million visitors, organisers said, "
        "up from 950,000 last year.",
    ),
]
# The same story told in other words in another channel (near-duplicates).
PARAPHRASES = [
    (
        Story(
            "business",
            "ECB holds rates",
            "The European Central Bank kept interest rates on hold, and President "
            "Christine Lagarde signalled that a cut in June is likely if inflation keeps easing.",
        ),
        Story(
            "business",
            "ECB leaves rates unchanged, hints at June cut",
            "The ECB left its key rates unchanged. Christine Lagarde said a June "
            "rate cut is likely as long as inflation continues to ease.",
        ),
    ),
    (
        Story(
            "politics",
            "Floods hit southern Brazil",
            "Severe floods in Rio Grande do Sul have forced more than 80,000 people from their "
            "homes, Brazilian officials said, as rescuers search for the missing in Porto Alegre.",
        ),
        Story(
            "politics",
            "Brazil floods displace tens of thousands",
            "More than 80,000 people have been driven from their homes by severe flooding in "
            "Brazil's Rio Grande do Sul state, officials said; rescue teams are searching for "
            "missing residents in Porto Alegre.",
        ),
    ),
    (
        Story(
            "sports",
            "Real Madrid reach Champions League final",
            "Real Madrid came from behind to beat Bayern Munich 2-1 at the Bernabéu and reach the "
            "Champions League final at Wembley.",
        ),
        Story(
            "sports",
            "Madrid stun Bayern to reach Wembley",
            "Real Madrid beat Bayern Munich 2-1 in Madrid after trailing, booking a place in the "
            "Champions League final at Wembley.",
        ),
    ),
    (
        Story(
            "technology",
            "Helix Biotech AI drug trial",
            "Helix Biotech said a drug designed with the help of AI met its main goal in a "
            "mid-stage trial in patients with lung fibrosis.",
        ),
        Story(
            "health",
            "AI-designed drug succeeds in trial",
            "A lung fibrosis drug that Helix Biotech designed with artificial intelligence met "
            "its primary goal in a phase 2 trial, the company said.",
        ),
    ),
]
# The same story in English (world channel) and in Russian (tech channel): cross-language pair.
TRANSLATED = [
    (
        Story(
            "science",
            "Soyuz launch postponed",
            "The launch of a Soyuz-2.1b rocket from the Vostochny cosmodrome was postponed by "
            "two days because of strong winds, Roscosmos said.",
        ),
        "Запуск ракеты «Союз-2.1б» с космодрома Восточный отложили на два дня из-за сильного "
        "ветра, сообщил Роскосмос.",
    ),
    (
        Story(
            "technology",
            "Kaspersky: attacks on hospitals doubled",
            "Kaspersky Lab says cyberattacks on hospitals and clinics doubled over the past year, "
            "with ransomware the most common threat.",
        ),
        "«Лаборатория Касперского» сообщает, что число кибератак на больницы и клиники за год "
        "выросло вдвое; чаще всего злоумышленники используют программы-вымогатели.",
    ),
]


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------
def spread_times(rng: random.Random, count: int) -> list[datetime]:
    """`count` UTC instants covering every day of the range, sorted."""
    out = []
    for i in range(count):
        day = i % DAYS
        seconds = rng.randrange(0, 86400)
        out.append(FIRST_DAY + timedelta(days=day, seconds=seconds))
    out.sort()
    return out


def unix(when: datetime) -> int:
    return calendar.timegm(when.utctimetuple())


# --------------------------------------------------------------------------------------------
# Telegram Desktop writer (mirrors export_output_json.cpp)
# --------------------------------------------------------------------------------------------
def tg_string(value: str) -> str:
    """SerializeString: \\n \\r \\t \\" \\\\, other control chars as \\xHH, U+2028/9 as \\u."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 32:
            out.append(f"\\x{code:02X}")  # not valid JSON: the trap tdesktop really writes
        elif ch == "\u2028":
            out.append("\\u2028")
        elif ch == "\u2029":
            out.append("\\u2029")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def tg_object(pairs: list[tuple[str, str]], depth: int) -> str:
    """SerializeObject: keys one space deeper than the braces; empty values are omitted."""
    inner = "\n" + " " * (depth + 1)
    items = [f"{inner}{tg_string(k)}: {v}" for k, v in pairs if v]
    return "{" + ",".join(items) + "\n" + " " * depth + "}"


def tg_array(values: list[str], depth: int) -> str:
    inner = "\n" + " " * (depth + 1)
    return "[" + ",".join(inner + v for v in values) + "\n" + " " * depth + "]"


# A text part: (type, text, extra key, extra value already serialized or "")
Part = tuple[str, str, str, str]

MESSAGE_DEPTH = 2  # top object, then the messages array


def tg_text(parts: list[Part], as_objects: bool) -> str:
    if not parts:
        return "[]" if as_objects else '""'
    if not as_objects and len(parts) == 1 and parts[0][0] == "plain":
        return tg_string(parts[0][1])
    rendered = []
    for kind, text, extra_key, extra_value in parts:
        if kind == "plain" and not as_objects:
            rendered.append(tg_string(text))
        else:
            rendered.append(
                tg_object(
                    [
                        ("type", tg_string(kind)),
                        ("text", tg_string(text)),
                        (extra_key, extra_value),
                    ],
                    MESSAGE_DEPTH + 2,
                )
            )
    return tg_array(rendered, MESSAGE_DEPTH + 1)


def plain(text: str) -> Part:
    return ("plain", text, "", "")


def ent(kind: str, text: str) -> Part:
    return (kind, text, "", "")


def text_link(text: str, href: str) -> Part:
    return ("text_link", text, "href", tg_string(href))


@dataclass
class TgMessage:
    id: int
    when: datetime
    parts: list[Part] = field(default_factory=list)
    kind: str = "message"  # message | service | unsupported
    action: str = ""
    title: str = ""
    pinned_id: int = 0
    edited: datetime | None = None
    author: str = ""
    forwarded_from: str | None = ""  # None = forwarded from a hidden name (written as null)
    reply_to: int = 0
    photo: bool = False
    reactions: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class TgChannel:
    name: str
    directory: str
    peer_id: int
    utc_offset_hours: int  # local zone of the machine that made the export
    messages: list[TgMessage] = field(default_factory=list)

    def local(self, when: datetime) -> str:
        local = when.astimezone(UTC) + timedelta(hours=self.utc_offset_hours)
        return local.strftime("%Y-%m-%dT%H:%M:%S")

    def serialize_message(self, m: TgMessage) -> str:
        if m.kind == "unsupported":
            return tg_object([("id", str(m.id)), ("type", tg_string("unsupported"))], MESSAGE_DEPTH)
        pairs = [
            ("id", str(m.id)),
            ("type", tg_string(m.kind)),
            ("date", tg_string(self.local(m.when))),
            ("date_unixtime", tg_string(str(unix(m.when)))),
        ]
        if m.edited:
            pairs += [
                ("edited", tg_string(self.local(m.edited))),
                ("edited_unixtime", tg_string(str(unix(m.edited)))),
            ]
        me = f"channel{self.peer_id}"
        if m.kind == "service":
            pairs += [("actor", tg_string(self.name)), ("actor_id", tg_string(me))]
            pairs.append(("action", tg_string(m.action)))
            if m.action == "create_channel":
                pairs.append(("title", tg_string(m.title)))
            if m.action == "pin_message":
                pairs.append(("message_id", str(m.pinned_id)))
        else:
            pairs += [("from", tg_string(self.name)), ("from_id", tg_string(me))]
            if m.author:
                pairs.append(("author", tg_string(m.author)))
            if m.forwarded_from is None:
                pairs.append(("forwarded_from", "null"))
            elif m.forwarded_from:
                pairs.append(("forwarded_from", tg_string(m.forwarded_from)))
            if m.reply_to:
                pairs.append(("reply_to_message_id", str(m.reply_to)))
            if m.photo:
                pairs += [
                    ("photo", tg_string(PHOTO_PLACEHOLDER)),
                    ("photo_file_size", "0"),
                    ("width", "1280"),
                    ("height", "853"),
                ]
        pairs.append(("text", tg_text(m.parts, as_objects=False)))
        pairs.append(("text_entities", tg_text(m.parts, as_objects=True)))
        if m.reactions:
            rendered = [
                tg_object(
                    [
                        ("type", tg_string("emoji")),
                        ("count", str(count)),
                        ("emoji", tg_string(emoji)),
                    ],
                    MESSAGE_DEPTH + 2,
                )
                for emoji, count in m.reactions
            ]
            pairs.append(("reactions", tg_array(rendered, MESSAGE_DEPTH + 1)))
        return tg_object(pairs, MESSAGE_DEPTH)

    def render(self) -> str:
        head = (
            "{\n"
            f' "name": {tg_string(self.name)},\n'
            f' "type": "public_channel",\n'
            f' "id": {self.peer_id},\n'
            ' "messages": ['
        )
        body = ",".join("\n  " + self.serialize_message(m) for m in self.messages)
        return head + body + "\n ]\n}"  # tdesktop writes no final newline


def post_text(parts: list[Part]) -> str:
    return "".join(p[1] for p in parts)


# --------------------------------------------------------------------------------------------
# Building the sources
# --------------------------------------------------------------------------------------------
TOPICS = ["politics", "business", "technology", "science", "health", "sports", "culture"]
REACTION_EMOJI = ["👍", "🔥", "😢", "👏", "🤔", "❤"]


def unique_stories(
    rng: random.Random, times: list[datetime], seen: set[str], topics: list[str]
) -> list[Story]:
    count = len(times)
    stories = []
    attempts = 0
    while len(stories) < count:
        attempts += 1
        if attempts > count * 200:
            raise RuntimeError("story pools too small for the requested count")
        topic = topics[len(stories) % len(topics)]
        story = english_story(rng, topic, times[len(stories)])
        if story.body in seen:
            continue
        seen.add(story.body)
        stories.append(story)
    return stories


def decorate_parts(rng: random.Random, story: Story, url: str, style: int) -> list[Part]:
    """Telegram text in one of several real shapes: bare string, bold headline, links, tags."""
    hashtag = "#" + story.topic
    if style == 0:
        return [plain(story.body)]
    if style == 1:
        return [plain(f"{story.body}\n\n"), ent("link", url)]
    if style == 2:
        return [
            ent("bold", story.headline),
            plain(f"\n\n{story.body}\n\n"),
            text_link("Read more", url),
        ]
    if style == 3:
        return [plain(f"{story.body}\n\n"), ent("hashtag", hashtag), plain(" "), ent("link", url)]
    return [
        ent("bold", story.headline),
        plain(f"\n{story.body}\nSource: "),
        ent("mention", "@globalwire"),
    ]


# Positions (in time order) of the hand-written stories in the world channel; trap posts below
# are chosen at other positions so these texts stay verbatim.
VERBATIM_AT = (4, 15, 26, 37, 48, 59, 70)
PARAPHRASE_AT = (9, 31, 53, 75)
TRANSLATED_AT = (18, 64)


def build_world_channel(rng: random.Random, seen: set[str]) -> tuple[TgChannel, dict]:
    channel = TgChannel("World Brief Daily", "world_brief_daily", 1734529361, utc_offset_hours=-4)
    extras: dict = {"verbatim": [], "paraphrase": [], "translated": []}
    count = 84
    times = spread_times(rng, count)
    # Force a few posts just after UTC midnight: the exporter's local (UTC-4) `date` puts them
    # on the previous day.
    for i, day in enumerate((2, 7, 12)):
        times[i * 5] = FIRST_DAY + timedelta(days=day, hours=1, minutes=10 + i * 7)
    times.sort()
    stories = unique_stories(rng, times, seen, TOPICS)
    # Slot in the hand-written stories at fixed positions.
    special: dict[int, tuple[str, Story]] = {}
    for pos, story in zip(VERBATIM_AT, SHARED_VERBATIM, strict=True):
        special[pos] = ("verbatim", story)
    for pos, (original, _) in zip(PARAPHRASE_AT, PARAPHRASES, strict=True):
        special[pos] = ("paraphrase", original)
    for pos, (english, _) in zip(TRANSLATED_AT, TRANSLATED, strict=True):
        special[pos] = ("translated", english)

    msg_id = 4100
    messages = [
        TgMessage(
            1,
            datetime(2023, 3, 14, 9, 2, 11, tzinfo=UTC),
            kind="service",
            action="create_channel",
            title=channel.name,
        )
    ]
    for i, when in enumerate(times):
        msg_id += rng.randrange(2, 5)  # ids are not contiguous: deleted posts leave gaps
        label, story = special.get(i, ("", stories[i]))
        url = article_url(story, when)
        if label == "verbatim":
            parts = [plain(story.body)]
            extras["verbatim"].append((msg_id, story, when))
        elif label in ("paraphrase", "translated"):
            parts = [plain(f"{story.body}\n\n"), ent("link", url)]
            extras.setdefault(label, []).append(msg_id)
        else:
            parts = decorate_parts(rng, story, url, rng.randrange(5))
        msg = TgMessage(msg_id, when, parts)
        if rng.random() < 0.35:
            msg.reactions = [
                (e, rng.randrange(1, 400)) for e in rng.sample(REACTION_EMOJI, rng.randrange(1, 4))
            ]
        if rng.random() < 0.2:
            msg.author = rng.choice(["Anna Keller", "Tom Brennan", "M. Okoye"])
        messages.append(msg)

    by_index = {m.id: m for m in messages}
    ids = [m.id for m in messages if m.kind == "message"]
    traps: dict[str, int] = {}

    # Edited post.
    edited = by_index[ids[12]]
    edited.edited = edited.when + timedelta(minutes=47, seconds=13)
    edited.parts = [*edited.parts, plain("\n\nUpdated with official figures.")]
    traps["edited"] = edited.id
    # Forwarded post (named source) and a forward whose origin name is hidden (null).
    fwd = by_index[ids[20]]
    fwd.forwarded_from = "Global Markets Wire"
    traps["forwarded"] = fwd.id
    fwd_null = by_index[ids[41]]
    fwd_null.forwarded_from = None
    traps["forwarded_null"] = fwd_null.id
    # Reply to an earlier post.
    reply = by_index[ids[27]]
    reply.reply_to = ids[25]
    traps["reply"] = reply.id
    # A control character inside the text: tdesktop writes it as \x0B, which json.loads rejects.
    ctl = by_index[ids[33]]
    ctl.parts = [
        plain(
            "Markets at the close:\x0bStocks in Europe ended higher, led by carmakers; "
            "the DAX rose 0.8% and the CAC 40 gained 0.5%."
        )
    ]
    traps["control_char_x0B"] = ctl.id
    # A U+2028 line separator, written as \u2028.
    sep = by_index[ids[50]]
    sep.parts = [plain("Breaking\u2028"), *sep.parts]
    traps["u2028"] = sep.id
    # Photo-only post (empty text) and a photo with a caption.
    photo_only = TgMessage(ids[60] + 1, by_index[ids[60]].when + timedelta(minutes=2), photo=True)
    photo_only.reactions = [("🔥", 58)]
    traps["photo_only"] = photo_only.id
    by_index[ids[61]].photo = True
    traps["photo_with_caption"] = ids[61]
    # Unsupported message and a pin.
    unsupported = TgMessage(ids[70] + 1, by_index[ids[70]].when, kind="unsupported")
    traps["unsupported"] = unsupported.id
    pin = TgMessage(
        ids[45] + 1,
        by_index[ids[45]].when + timedelta(minutes=1),
        kind="service",
        action="pin_message",
        pinned_id=ids[44],
    )
    traps["pin_message"] = pin.id
    messages += [photo_only, unsupported, pin]
    messages.sort(key=lambda m: m.id)
    assert len({m.id for m in messages}) == len(messages)
    channel.messages = messages
    extras["traps"] = traps
    return channel, extras


def build_russian_channel(rng: random.Random) -> tuple[TgChannel, dict]:
    channel = TgChannel("Техно и наука | Обзор", "tekhno_i_nauka", 1592837460, utc_offset_hours=3)
    count = 48
    times = spread_times(rng, count)
    # Late-evening UTC posts: local (UTC+3) `date` puts them on the next day.
    for i, day in enumerate((3, 9, 14)):
        times[i * 7 + 2] = FIRST_DAY + timedelta(days=day, hours=22, minutes=15 + i * 9)
    times.sort()
    seen: set[str] = set()
    stories = []
    while len(stories) < count:
        story = russian_story(rng)
        if story.body not in seen:
            seen.add(story.body)
            stories.append(story)
    for n, (_, russian) in enumerate(TRANSLATED):
        stories[10 + n * 20] = Story("science", "", russian)
    messages = [
        TgMessage(
            1,
            datetime(2022, 11, 2, 17, 40, 5, tzinfo=UTC),
            kind="service",
            action="create_channel",
            title="Техно и наука",
        )
    ]
    msg_id = 2250
    hosts = ["tech.example.com", "science.example.org", "habr.example"]
    traps: dict[str, int] = {}
    for i, when in enumerate(times):
        msg_id += rng.randrange(2, 4)
        story = stories[i]
        url = f"https://{rng.choice(hosts)}/ru/{when:%Y/%m/%d}/{msg_id}"
        style = rng.randrange(4)
        if style == 0:
            parts = [plain(story.body)]
        elif style == 1:
            parts = [plain(f"{story.body}\n\n"), ent("link", url)]
        elif style == 2:
            parts = [
                plain(f"{story.body} "),
                text_link("Подробнее", url),
                plain("\n\n"),
                ent("hashtag", "#наука" if story.topic == "science" else "#технологии"),
            ]
        else:
            parts = [ent("italic", "Коротко: "), plain(story.body)]
        msg = TgMessage(msg_id, when, parts)
        if rng.random() < 0.4:
            msg.reactions = [(e, rng.randrange(1, 120)) for e in rng.sample(REACTION_EMOJI, 2)]
        messages.append(msg)
    ids = [m.id for m in messages if m.kind == "message"]
    by_id = {m.id: m for m in messages}
    edited = by_id[ids[5]]
    edited.edited = edited.when + timedelta(hours=2, minutes=3)
    traps["edited"] = edited.id
    fwd = by_id[ids[15]]
    fwd.forwarded_from = "Наука сегодня"
    traps["forwarded"] = fwd.id
    sep = by_id[ids[22]]
    sep.parts = [*sep.parts, plain("\u2028— редакция")]
    traps["u2028"] = sep.id
    bold = next(by_id[i] for i in ids[8:] if by_id[i].parts[0][0] == "plain")
    bold.parts = [ent("bold", "Важно. "), *bold.parts]
    traps["bold"] = bold.id
    photo_only = TgMessage(ids[30] + 1, by_id[ids[30]].when + timedelta(minutes=5), photo=True)
    traps["photo_only"] = photo_only.id
    unsupported = TgMessage(ids[40] + 1, by_id[ids[40]].when, kind="unsupported")
    traps["unsupported"] = unsupported.id
    pin = TgMessage(
        ids[3] + 1,
        by_id[ids[3]].when + timedelta(minutes=30),
        kind="service",
        action="pin_message",
        pinned_id=ids[2],
    )
    traps["pin_message"] = pin.id
    messages += [photo_only, unsupported, pin]
    messages.sort(key=lambda m: m.id)
    assert len({m.id for m in messages}) == len(messages)
    channel.messages = messages
    return channel, {"traps": traps, "translated_ids": [ids[10], ids[30]]}


# --------------------------------------------------------------------------------------------
# RSS 2.0
# --------------------------------------------------------------------------------------------
ZONES = [("GMT", 0), ("EST", -5), ("EDT", -4), ("+0200", 2), ("-0700", -7), ("+0530", 5.5)]


def rfc822(when: datetime, zone: str, offset_hours: float) -> str:
    local = when + timedelta(hours=offset_hours)
    return local.strftime("%a, %d %b %Y %H:%M:%S ") + zone


def build_rss(rng: random.Random, seen: set[str], verbatim: list[Story]) -> tuple[str, dict]:
    count = 40
    times = spread_times(rng, count)
    stories = unique_stories(rng, times, seen, ["business", "technology", "business", "politics"])
    for n, story in enumerate(verbatim):
        stories[6 + n * 15] = story
    items = []
    traps: dict[str, str] = {}
    for i, (when, story) in enumerate(zip(times, stories, strict=True)):
        url = article_url(story, when, host="business.news.example")
        link = f"{url}?utm_source=rss&utm_medium=feed"
        zone, offset = ZONES[i % len(ZONES)]
        creator = rng.choice(["Sarah Lindholm", "Raj Patel", "Business Desk", "Ana Ruiz"])
        lines = [
            "  <item>",
            f"   <title>{escape(story.headline)}</title>",
            f"   <link>{escape(link)}</link>",
        ]
        if i == 3:
            traps["no_guid"] = story.headline
        elif i % 5 == 1:
            guid = f"bd-{unix(when)}-{i:03d}"
            lines.append(f'   <guid isPermaLink="false">{guid}</guid>')
            traps.setdefault("guid_not_permalink", guid)
        else:
            lines.append(f"   <guid>{escape(url)}</guid>")
        lines += [
            f"   <pubDate>{rfc822(when, zone, offset)}</pubDate>",
            f"   <dc:creator>{escape(creator)}</dc:creator>",
            f"   <category>{story.topic}</category>",
            f"   <description><![CDATA[<p>{story.body}</p>]]></description>",
        ]
        if i % 4 == 0:
            lines.append(
                "   <content:encoded><![CDATA["
                f"<p><strong>{story.headline}.</strong> {story.body}</p>"
                f'<p>More:&nbsp;<a href="{url}?ref=feed&amp;section={story.topic}">'
                "full coverage</a></p>]]></content:encoded>"
            )
        if i % 9 == 2:
            lines.append(
                f'   <enclosure url="https://cdn.news.example/img/{slugify(story.headline)}.jpg'
                f'?w=1200&amp;h=630" length="184320" type="image/jpeg"/>'
            )
            traps.setdefault("enclosure", story.headline)
        lines.append("  </item>")
        items.append("\n".join(lines))
    zones_used = sorted({z for z, _ in ZONES})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">\n'
        " <channel>\n"
        "  <title>Business &amp; Markets Daily</title>\n"
        "  <link>https://business.news.example/</link>\n"
        "  <description>Markets, companies and the economy.</description>\n"
        "  <language>en-us</language>\n"
        '  <atom:link href="https://business.news.example/feed.rss" rel="self"'
        ' type="application/rss+xml"/>\n'
        f"  <lastBuildDate>{rfc822(times[-1], 'GMT', 0)}</lastBuildDate>\n"
        + "\n".join(items)
        + "\n </channel>\n</rss>\n"
    )
    return xml, {"count": count, "traps": traps, "zones": zones_used}


# --------------------------------------------------------------------------------------------
# Atom 1.0
# --------------------------------------------------------------------------------------------
def w3c(when: datetime, offset_hours: int, millis: int | None) -> str:
    local = when + timedelta(hours=offset_hours)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if millis is not None:
        text += f".{millis:03d}"
    if offset_hours == 0:
        return text + "Z"
    sign = "+" if offset_hours > 0 else "-"
    return f"{text}{sign}{abs(offset_hours):02d}:00"


def build_atom(rng: random.Random, seen: set[str], paraphrases: list[Story]) -> tuple[str, dict]:
    count = 34
    times = spread_times(rng, count)
    stories = unique_stories(rng, times, seen, ["science", "health", "culture", "technology"])
    for n, story in enumerate(paraphrases):
        stories[5 + n * 8] = story
    entries = []
    traps: dict[str, str] = {}
    for i, (when, story) in enumerate(zip(times, stories, strict=True)):
        offset = [3, 0, -5, 9, 2][i % 5]
        millis = rng.randrange(0, 1000) if i % 3 == 0 else None
        stamp = w3c(when, offset, millis)
        path = f"/{SECTION_HOST[story.topic][0]}/{when:%Y/%m/%d}/{slugify(story.headline)}"
        if i % 2 == 0:
            href = path  # relative: resolves only against the feed's own link
            traps.setdefault("relative_link", f"tag:science.example.org,2024:{i + 1}")
        else:
            href = "https://science.example.org" + path
        if i % 4 == 1:
            title = (
                '<title type="html">' + escape(f"<em>{escape(story.headline)}</em>") + "</title>"
            )
            traps.setdefault("html_title", f"tag:science.example.org,2024:{i + 1}")
        else:
            title = f"<title>{escape(story.headline)}</title>"
        author = rng.choice(["Dr. Priya Nair", "Lukas Becker", "Science Desk", "Maria Santos"])
        entries.append(
            "  <entry>\n"
            f"    <id>tag:science.example.org,2024:{i + 1}</id>\n"
            f"    {title}\n"
            f'    <link rel="alternate" type="text/html" href={quoteattr(href)}/>\n'
            f"    <updated>{stamp}</updated>\n"
            f"    <author><name>{escape(author)}</name></author>\n"
            f'    <category term="{story.topic}"/>\n'
            f'    <summary type="html">{escape("<p>" + escape(story.body) + "</p>")}</summary>\n'
            "  </entry>"
        )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        "  <title>Science &amp; Health Review</title>\n"
        "  <subtitle>Research, medicine and culture, every day.</subtitle>\n"
        "  <id>urn:uuid:6f1c2a9e-3b7d-4f0a-9c55-2d8e1b7a4c10</id>\n"
        '  <link rel="alternate" type="text/html" href="https://science.example.org/"/>\n'
        '  <link rel="self" type="application/atom+xml" href="https://science.example.org/feed.atom"/>\n'
        f"  <updated>{w3c(times[-1], 3, 0)}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
    )
    return xml, {"count": count, "traps": traps}


# --------------------------------------------------------------------------------------------
# JSONL
# --------------------------------------------------------------------------------------------
def iso_with_offset(when: datetime, offset_hours: int) -> str:
    zone = UTC if offset_hours == 0 else timezone(timedelta(hours=offset_hours))
    return when.astimezone(zone).isoformat()


def build_jsonl(
    rng: random.Random, seen: set[str], verbatim: list[tuple[int, Story, datetime]], paraphrase
) -> tuple[str, dict]:
    count = 32
    times = spread_times(rng, count)
    stories = unique_stories(rng, times, seen, TOPICS)
    positions = {}
    for n, (_, story, world_time) in enumerate(verbatim):
        pos = 2 + n * 4
        stories[pos] = story
        # The wire publishes the same text 10-40 minutes after the Telegram channel.
        times[pos] = world_time + timedelta(minutes=10 + 5 * n)
        positions[pos] = "verbatim"
    stories[-3] = paraphrase
    lines = []
    for i, (when, story) in enumerate(zip(times, stories, strict=True)):
        offset = [2, 0, -5, 1, 8][i % 5]
        record: dict = {
            "channel": "eurowire",
            "channel_title": "EuroWire News Agency",
            "id": f"ew-2024-{i + 1:05d}",
            "published_at": iso_with_offset(when, offset),
            "text": story.body,
        }
        if i % 3 != 2:
            url = article_url(story, when, host="eurowire.example.com")
            record["url"] = url
            record["urls"] = [url]
            if i % 6 == 0:
                record["urls"].append(f"https://docs.example.org/sources/{slugify(story.headline)}")
        if i % 4 != 3:
            record["author"] = rng.choice(["Eva Lindner", "Marco Bianchi", "Kofi Asante"])
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n", {"count": count}


# --------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/sample/posts"))
    args = parser.parse_args()
    rng = random.Random(SEED)
    seen: set[str] = {s.body for s in SHARED_VERBATIM}
    for pair in PARAPHRASES:
        seen.update(s.body for s in pair)

    world, world_info = build_world_channel(rng, seen)
    russian, russian_info = build_russian_channel(rng)
    verbatim = world_info["verbatim"]
    # Five stories go verbatim to the JSONL wire, two more verbatim to the RSS feed.
    rss_xml, rss_info = build_rss(rng, seen, [s for _, s, _ in verbatim[5:]])
    atom_xml, atom_info = build_atom(rng, seen, [p[1] for p in PARAPHRASES[:3]])
    jsonl_text, jsonl_info = build_jsonl(rng, seen, verbatim[:5], PARAPHRASES[3][1])

    out: Path = args.out
    for channel in (world, russian):
        target = out / "telegram" / channel.directory / "result.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(channel.render().encode("utf-8"))
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    (out / "feeds" / "business_markets_daily.xml").write_bytes(rss_xml.encode("utf-8"))
    (out / "feeds" / "science_health_review.xml").write_bytes(atom_xml.encode("utf-8"))
    (out / "jsonl").mkdir(parents=True, exist_ok=True)
    (out / "jsonl" / "eurowire.jsonl").write_bytes(jsonl_text.encode("utf-8"))

    def kinds(channel: TgChannel) -> dict:
        counts: dict[str, int] = {}
        for m in channel.messages:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        return counts

    summary = {
        "world_brief_daily": {"messages": kinds(world), "traps": world_info["traps"]},
        "tekhno_i_nauka": {"messages": kinds(russian), "traps": russian_info["traps"]},
        "verbatim_ids_world": [m for m, _, _ in verbatim],
        "paraphrase_ids_world": world_info["paraphrase"],
        "translated_ids": {
            "world": world_info["translated"],
            "russian": russian_info["translated_ids"],
        },
        "rss": rss_info,
        "atom": atom_info,
        "jsonl": jsonl_info,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
