"""Word lists the demo generator builds names, titles and pages from (no Faker at runtime).

Company domains come from ``COMPANY_FIRST x COMPANY_SECOND x DOMAIN_PATTERNS``; the lists are
chosen so that every combination is a distinct domain (a test checks it).
"""

from __future__ import annotations

# fmt: off
FIRST_NAMES: tuple[str, ...] = tuple("""
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Sandra Mark Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kevin Carol
Brian Amanda George Melissa Timothy Deborah Ryan Stephanie Jason Rebecca Jeffrey Laura Jacob
Sharon Gary Cynthia Nicholas Kathleen Eric Amy Jonathan Angela Justin Anna Scott Emma Brandon
Olivia Benjamin Sophia Samuel Isabella Gregory Mia Alexander Charlotte Patrick Amelia Frank
Harper Raymond Evelyn Jack Abigail Dennis Ella Jerry Chloe Tyler Grace Aaron Victoria Henry
Zoe Adam Hannah Nathan Lily Peter Natalie Zachary Leah Kyle Aria Noah Maya Liam Priya Lucas
Aisha Mateo Sofia Arjun Ananya Wei Mei Hiroshi Yuki Kenji Sakura Min-jun Ji-woo Omar Fatima
Ahmed Layla Carlos Lucia Diego Valentina Luca Giulia Matteo Chiara Lars Ingrid Sven Astrid
Pierre Camille Louis Margaux Jan Katarzyna Piotr Agnieszka Tomas Eva Mikhail Olga Kwame Amara
Chinedu Ngozi Rahul Deepa Vikram Sanjay Mohammed Noor Elif Emre Jonas Lena Felix Mila
""".split())  # noqa: SIM905 - a word list reads better quoted once

LAST_NAMES: tuple[str, ...] = tuple("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar
Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy
Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter
Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold
Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson
Carroll Lane Riley Andrews Ray Berry Perkins Hoffman Johnston Matthews Pena Richards Willis
Wang Li Zhang Liu Yamamoto Tanaka Suzuki Sato Park Choi Singh Sharma Gupta Kumar Khan Ali
Hassan Okafor Mensah Mwangi Schneider Fischer Weber Becker Schulz Muller Rossi Russo Ferrari
Bianchi Dubois Laurent Lefebvre Moreau Jansen deVries Bakker Andersson Johansson Larsen
Nielsen Kowalski Nowak Novak Petrov Ivanova Yilmaz Demir Costa Pereira Oliveira
""".split())  # noqa: SIM905 - a word list reads better quoted once

# Company names: "<first> <second> <industry suffix>", domain "<first><second>" + a pattern.
COMPANY_FIRST: tuple[str, ...] = tuple("""
Blue Silver North South East West Summit Cedar Maple Oak Pine Birch Willow Aspen Cobalt Amber
Crimson Scarlet Golden Granite Iron Copper Bright Clear Swift Bold True Prime Noble Royal Grand
Great Little Open Quiet Rapid Steady Solid Vivid Lucid Modern Future Next Nova Terra Astra Luna
Sol Polar Arctic Coastal Island Prairie Canyon Desert Meadow Forest River Lake Ocean Delta
Alpine Highland Lowland Valley Evergreen Sterling Atlas Apex Vertex Zenith Orbit Pixel Quantum
Vector Signal Beacon Keystone Cornerstone Lighthouse Frontier Pioneer Liberty
Union Central Metro Urban Civic Global Pacific Atlantic Nordic Baltic Alder Elm Hazel Juniper
Laurel Rowan Sage Thyme Indigo Violet Ivory Onyx Jade Ruby Sapphire Emerald Opal Pearl Coral
Falcon Eagle Hawk Raven Fox Wolf Bear Lynx Otter Heron Crane Sparrow Kestrel Osprey Bison Stag
Thunder Storm Rain Snow Frost Sunny Dawn Dusk Twilight Horizon Skyline Echo Harmony
""".split())  # noqa: SIM905 - a word list reads better quoted once

COMPANY_SECOND: tuple[str, ...] = tuple("""
Harbor Ridge Peak Field Stone Bridge Gate Path Point Grove Brook Creek Springs Falls Hill Hollow
Crest Rock Shore Bay Cove Port Wharf Mill Forge Works Yard Gardens Hall Tower Castle Haven Den
Nest Hive Circle Square Loop Line Lane Way Road Street Trail Track Arc Axis Core Base Hub Node
Grid Mesh Wave Pulse Spark Flame Flare Glow Beam Ray Light Shade Shadow Cloud Mist Wind Breeze
Current Tide Stream Flow Wells Root Branch Leaf Seed Sprout Bloom Petal Thorn Vine Orchard
Acre Farm Ranch Pasture Range Plains Mesa Butte Dune Cliff Glen Dale Moor Heath Marsh Fen Isle
Reef Atoll Lagoon Sound Strait Channel Inlet Fjord Cape Ledge Step Stair Arch Dome
Vault Keep Ward Watch Guard Shield Crown Scepter Banner Flag Compass Anchor Sail Mast Keel Helm
Oar Rudder Lantern Candle Torch Ember Cinder Ash Quill Ink Scroll Page Chapter Verse Rhyme
""".split())  # noqa: SIM905 - a word list reads better quoted once

DOMAIN_PATTERNS: tuple[str, ...] = (
    "{}.com", "{}.io", "{}hq.com", "get{}.com", "{}.co", "{}group.com", "{}.net", "try{}.com",
    "{}.ai", "{}global.com", "{}app.com", "{}.tech", "{}.dev", "use{}.com", "{}inc.com", "{}.org",
)

INDUSTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Software", 0.22, ("Software", "Labs", "Systems", "Technologies", "Cloud")),
    ("Financial services", 0.10, ("Capital", "Financial", "Partners", "Bank")),
    ("Manufacturing", 0.10, ("Manufacturing", "Industries", "Fabrication")),
    ("Healthcare", 0.09, ("Health", "Medical", "Care")),
    ("Retail & e-commerce", 0.09, ("Retail", "Goods", "Brands", "Market")),
    ("Logistics", 0.07, ("Logistics", "Freight", "Shipping")),
    ("Professional services", 0.09, ("Consulting", "Advisors", "Associates")),
    ("Marketing & media", 0.07, ("Media", "Studios", "Creative")),
    ("Education", 0.05, ("Learning", "Academy", "Education")),
    ("Energy", 0.04, ("Energy", "Power", "Renewables")),
    ("Real estate", 0.04, ("Properties", "Realty", "Estates")),
    ("Telecommunications", 0.04, ("Networks", "Telecom", "Communications")),
)

# (ISO code, weight, dialling code)
COUNTRIES: tuple[tuple[str, float, str], ...] = (
    ("US", 0.45, "1"), ("GB", 0.12, "44"), ("DE", 0.10, "49"), ("CA", 0.06, "1"),
    ("FR", 0.05, "33"), ("NL", 0.04, "31"), ("AU", 0.04, "61"), ("SE", 0.03, "46"),
    ("ES", 0.03, "34"), ("IN", 0.03, "91"), ("IE", 0.02, "353"), ("SG", 0.02, "65"),
    ("BR", 0.01, "55"),
)

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de",
)

DEPARTMENTS: tuple[tuple[str, float, str], ...] = (
    # (department, weight, individual-contributor role)
    ("Marketing", 0.22, "Marketing Specialist"),
    ("Sales", 0.14, "Account Executive"),
    ("Revenue Operations", 0.08, "RevOps Analyst"),
    ("Data & Analytics", 0.16, "Data Analyst"),
    ("Finance", 0.10, "Financial Analyst"),
    ("IT", 0.10, "Systems Administrator"),
    ("Engineering", 0.08, "Software Engineer"),
    ("Operations", 0.08, "Operations Analyst"),
    ("Customer Success", 0.04, "Customer Success Manager"),
)

EXECUTIVE_TITLES: dict[str, str] = {
    "Marketing": "Chief Marketing Officer",
    "Sales": "Chief Revenue Officer",
    "Revenue Operations": "Chief Revenue Officer",
    "Data & Analytics": "Chief Data Officer",
    "Finance": "Chief Financial Officer",
    "IT": "Chief Information Officer",
    "Engineering": "Chief Technology Officer",
    "Operations": "Chief Operating Officer",
    "Customer Success": "Chief Customer Officer",
}

# (seniority key of crm.Seniority, weight)
SENIORITIES: tuple[tuple[str, float], ...] = (
    ("owner", 0.03), ("executive", 0.06), ("vp", 0.08), ("director", 0.16),
    ("manager", 0.27), ("senior", 0.20), ("entry", 0.15), ("other", 0.05),
)
# fmt: on


TITLE_FORMATS: dict[str, str] = {
    "owner": "Founder & CEO",
    "vp": "VP of {department}",
    "director": "Director of {department}",
    "manager": "{department} Manager",
    "senior": "Senior {role}",
    "entry": "Junior {role}",
    "other": "{department} Consultant",
}


def title_for(seniority: str, department: str, role: str) -> str:
    """A realistic job title for a seniority and department."""
    if seniority == "executive":
        return EXECUTIVE_TITLES[department]
    return TITLE_FORMATS[seniority].format(department=department, role=role)


LANDING_PAGES: dict[str, tuple[str, ...]] = {
    "paid_search": ("/lp/analytics-demo", "/lp/revenue-dashboards", "/pricing", "/lp/vs-legacy-bi"),
    "paid_social": ("/lp/benchmark-report", "/lp/revenue-dashboards", "/lp/free-trial"),
    "organic_search": (
        "/blog/pipeline-metrics-that-matter",
        "/blog/mql-vs-sql",
        "/blog/marketing-attribution-guide",
        "/blog/sales-forecasting-basics",
        "/guides/revenue-operations",
        "/",
    ),
    "email": ("/resources/newsletter", "/resources/benchmark-report", "/webinars", "/pricing"),
    "webinar": ("/webinars/analytics-masterclass", "/webinars/forecasting-live"),
    "event": ("/events", "/events/meet-us"),
    "content": ("/resources/state-of-revops", "/resources/benchmark-report", "/resources/ebook"),
    "referral": ("/referral", "/", "/customers"),
    "direct": ("/", "/pricing", "/contact-sales", "/product"),
    "partner": ("/partners", "/integrations", "/"),
}

REFERRERS: dict[str, str] = {
    "organic_search": "https://www.google.com/",
    "paid_social": "https://www.linkedin.com/",
    "referral": "https://www.g2.com/",
    "partner": "https://partners.example.net/",
}

AD_CONTENT: tuple[str, ...] = ("ad-a", "ad-b", "carousel", "video", "single-image")
SEARCH_TERMS: tuple[str, ...] = (
    "revenue analytics",
    "sales dashboard software",
    "marketing attribution tool",
    "pipeline analytics",
    "b2b funnel metrics",
    "revops platform",
    "sales forecasting software",
)

PLANS: tuple[tuple[float, str], ...] = (
    # (amount threshold, plan label): the first threshold the amount is below
    (8_000.0, "Starter plan"),
    (25_000.0, "Growth plan"),
    (60_000.0, "Business plan"),
    (float("inf"), "Enterprise plan"),
)

WON_REASONS: tuple[str, ...] = (
    "Best fit for their reporting needs",
    "Fastest time to value",
    "Integrations with their CRM",
    "Champion pushed it through",
    "Competitive price",
)
LOST_REASONS: tuple[str, ...] = (
    "Chose a competitor",
    "No decision / status quo",
    "Budget frozen",
    "Price too high",
    "Missing feature: real-time data",
    "Project postponed",
)
SAL_RECYCLE_REASONS: tuple[str, ...] = (
    "No active project",
    "Timing: revisit next quarter",
    "Budget not approved yet",
)
SQL_RECYCLE_REASONS: tuple[str, ...] = (
    "Went quiet after discovery",
    "No decision-maker engaged",
    "Requirements not a fit",
)

FIRST_CALL_SUBJECTS: tuple[str, ...] = ("Intro call", "Follow-up call", "Qualification call")
EMAIL_SUBJECTS: dict[str, str] = {
    "paid_search": "Your demo request",
    "paid_social": "The benchmark report you downloaded",
    "organic_search": "Following up on your visit",
    "email": "Thanks for reading our newsletter",
    "webinar": "Thanks for joining the masterclass",
    "event": "Great meeting you at our booth",
    "content": "The report you downloaded",
    "referral": "Introduction from a mutual customer",
    "direct": "Your enquiry",
    "partner": "Introduction from our partner",
}
