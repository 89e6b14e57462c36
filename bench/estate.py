#!/usr/bin/env python3
"""Deterministic generator of fake personal-data estates.

Used for the bundled ``examples/estate`` (README quick start), end-to-end tests
and benchmarks of a chosen size::

    python bench/estate.py --out DIR --size-mb 100 --seed 1
    python bench/estate.py --out examples/estate --seed 1 --examples

All data is fake: e-mail domains are the reserved example.com/.org/.net, phone
numbers come from Ofcom's geographic ranges for drama use (14,000 numbers; past
that, numbers are reused and counted), card numbers start 4000 0000, NHS numbers
use the 999 test range, IP addresses the RFC 5737 ranges.  Check digits are
real, so detectors accept the values.  The same seed and size give
byte-identical files.

Nothing about the subjects is written outside the estate: the expected locations
of the planted subjects are returned in memory (:class:`GeneratedEstate`), and
the CLI prints counts only.  Only the standard library is needed, plus pyarrow
for the one Parquet file; :func:`check_values` uses phonenumbers and stdnum.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Alice Oliver Amelia Harry Isla George Olivia Jack Emily Charlie Sophie Thomas Grace James Lily William Ella "
    "Henry Freya Oscar Ruby Samuel Poppy Daniel Hannah Joseph Evie Edward Benjamin Lucy Matthew Charlotte "
    "Alexander Holly Luke Megan Ryan Jessica Nathan Katie Adam Rebecca Michael Sarah David Laura Peter Helen "
    "Robert Margaret John Susan Paul Karen Mark Julie Stephen Claire Andrew Emma Simon Victoria Gareth Rhys "
    "Dylan Cerys Siân Ffion Iwan Seán Róisín Aoife Niamh Ciarán Siobhán Eoin Caoimhe Callum Eilidh Fraser "
    "Morag Hamish Priya Arjun Aisha Mohammed Fatima Imran Ravi Anjali Sanjay Deepa Harpreet Gurpreet Rahul "
    "Nisha Zainab Omar Yusuf Amir Saira Bilal Hassan Ayesha Kiran Sunita Vikram Meera Wei Mei Hiroshi Yuki "
    "Jin Min-jun Seo-yeon Thanh Linh Minh Xiaoling Haruto Sakura Kenji Chinedu Ngozi Oluwaseun Adebayo Amara "
    "Kwame Akosua Kofi Abena Tendai Thandiwe Sipho Zanele Jamal Kemi Tunde Folake Nkechi Desmond Marcia Leroy "
    "Winston Delroy Shanice José María Lucía Javier Carmen Pablo Núria João Inês Gonçalo Beatriz François "
    "Hélène Chloé Renée Théo Zoë Jürgen Björn Søren Åsa Ingrid Lars Anja Matthias Łukasz Małgorzata Agnieszka "
    "Piotr Wojciech Katarzyna Zofia Tomáš Jiří Petra Dragan Ivana Nikola Mihai Ioana Andrei Elena Giulia Marco "
    "Francesca Luca Giorgos Eleni Dimitris Ümit Çağla Emre Elif Mehmet Ayşe Olena Dmytro Oksana Layla Karim "
    "Nour Rania Tariq Samir Yasmin Khalid Hana Reza Shirin Dariush"
)
LAST_NAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
    "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill "
    "Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker "
    "Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy "
    "Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman "
    "Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight "
    "Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey O'Connor O'Brien O'Sullivan "
    "MacDonald McLeod Fraser Stewart Llewelyn Pryce Sharma Gupta Kaur Mistry Chaudhry Rahman Ahmed Iqbal "
    "Malik Shah Desai Nair Reddy Mehta Bose Chowdhury Wang Li Zhang Liu Chen Nguyen Tran Pham Kim Park Choi "
    "Tanaka Suzuki Sato Watanabe Wong Chan Lim Tan Okafor Adeyemi Mensah Boateng Okonkwo Mwangi Dlamini Nkosi "
    "Abiodun Osei Asante Eze Balogun Diallo Traoré García Fernández Martínez López Núñez Muñoz Pérez "
    "Rodríguez Gonçalves Sousa Ferreira Dubois Lefèvre Moreau Müller Schmidt Schäfer Weiß Jensen Sørensen "
    "Andersson Lindqvist Nowak Wójcik Kowalski Lewandowska Łukasiewicz Dvořák Novák Horvat Kovačević Popescu "
    "Ionescu Rossi Bianchi Esposito Papadopoulos Öztürk Yılmaz Şahin Kaya Shevchenko Kovalenko Ivanova Haddad "
    "Mansour Al-Sayed Nasser Farah Karimi Hosseini"
)
STREETS = _words(
    "Mill Lane, Church Street, Station Road, Victoria Road, Park Avenue, Acacia Avenue, Elm Grove, Queens Road, "
    "High Street, Manor Close, Orchard Way, Willow Crescent, Chapel Row, Kings Terrace, Brook Street, Albert Road, "
    "Meadow Drive, Castle Hill, Riverside Walk, Harbour View, Beech Gardens, Canal Street, Green Lane, New Road",
    ", ",
)
TOWNS = (
    ("London", ("E1", "E8", "N1", "N7", "NW3", "SE15", "SW9", "W12")),
    ("Manchester", ("M1", "M4", "M14", "M20")),
    ("Leeds", ("LS1", "LS6", "LS11")),
    ("Bristol", ("BS1", "BS3", "BS7")),
    ("Birmingham", ("B1", "B13", "B29")),
    ("Edinburgh", ("EH1", "EH6", "EH11")),
    ("Glasgow", ("G1", "G12", "G41")),
    ("Liverpool", ("L1", "L8", "L17")),
    ("Belfast", ("BT1", "BT7", "BT9")),
    ("Cardiff", ("CF10", "CF24")),
    ("Reading", ("RG1", "RG4")),
    ("Sheffield", ("S1", "S10")),
    ("Newcastle upon Tyne", ("NE1", "NE6")),
)
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code
DOMAINS = ("example.com", "example.org", "example.net")
#: Ofcom numbers for drama use that libphonenumber accepts as valid GB numbers:
#: (area code, first group, first digit of the last group); 1,000 numbers each.
#: The mobile drama range 07700 900xxx is left out: libphonenumber rejects it.
PHONE_RANGES = (
    ("020", "7946", "0"), ("0113", "496", "0"), ("0114", "496", "0"), ("0116", "496", "0"),
    ("0117", "496", "0"), ("0118", "496", "0"), ("0121", "496", "0"), ("0131", "496", "0"),
    ("0141", "496", "0"), ("0151", "496", "0"), ("0161", "496", "0"), ("0191", "498", "0"),
    ("028", "9649", "6"), ("029", "2018", "0"),
)  # fmt: skip
#: National Insurance number: no D, F, I, Q, U, V (nor O second), not BG, GB, KN, NK, NT, TN, ZZ.
NINO_RE = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")
NINO_PREFIXES = ("AB", "CE", "JG", "HK", "KL", "MA", "NP", "PR", "RE", "SW", "TY", "WX", "EH", "JM", "LP", "YZ")
BANK_CODES = ("WEST", "EXMP", "DEMO")
TAGS = ("newsletter", "vip", "b2b", "churn-risk", "loyalty", "wholesale", "trade", "student")
IPV4_NETS = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges (RFC 5737)
AGENTS = ("Priya", "Tom", "Ngozi", "Marek", "Hannah", "Luis")
LOG_START = date(2026, 11, 1)
#: The example estate is frozen in time: its audit is run as of this date (examples/piiscan.toml ``as_of``).
AUDIT_AS_OF = date(2026, 11, 29)
MB = 1_000_000
SQLITE_DB = "crm.sqlite"

EMAIL, PHONE, CARD = "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"
IBAN, NINO, NHS = "IBAN_CODE", "UK_NINO", "UK_NHS"
DOB, POSTCODE = "DATE_OF_BIRTH", "UK_POSTCODE"
#: Identifiers an ``--email ... --linked`` lookup can follow, in order of preference for ``Location.via``.
LINKING = (PHONE, CARD, NINO, IBAN, NHS)

#: Planted subjects, each in every item with exact expected locations, plus a role:
#: demo        alice.smith@example.com (README); a log line holds only her phone, orders only her card
#: phone-only  his export record and a phoned-in ticket hold only his phone number
#: employee    payroll row (NINO, IBAN, NHS number), linked through an HR ticket quoting the NINO
#: no-email-in-db  her SQLite customers row has no e-mail; a log line holds only her phone
DEMO_EMAIL, DEMO_PHONE = "alice.smith@example.com", "0161 496 0123"
PLANTED = (
    ("Alice", "Smith", "demo"),
    ("José", "Núñez", "phone-only"),
    ("Łukasz", "Wójcik", "employee"),
    ("Zoë", "O'Connor", "no-email-in-db"),
)

Fields = Sequence[tuple[str | None, str]]  # (field name, entity type) written into one record


@dataclass
class Subject:
    """One fake person.  ``phone`` is in national format, e.g. ``0161 496 0123``."""

    customer_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: date
    address: str
    postcode: str
    card_number: str
    employee_id: str | None = None
    nino: str | None = None
    iban: str | None = None
    nhs_number: str | None = None
    phone_shared: bool = False  # True when the fictional number pool ran out and this number is reused

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def phone_e164(self) -> str:
        return "+44" + self.phone.replace(" ", "")[1:]


@dataclass(frozen=True)
class Location:
    """Where one identifier of a planted subject was written.

    ``item`` is a path relative to the estate root for files, a table name in
    ``crm.sqlite`` for source "sqlite".  ``locator`` follows the index:
    ``{"row": n}`` (1-based data row; the line for JSONL), ``{"line": n}``,
    ``{"json_path": "$.tickets[i]"}``, ``{"primary_key": {...}}``, ``{"rowid": n}``.
    ``field`` is the column or dotted JSON key (None for text lines).  ``via``
    is None when the record also holds the subject's e-mail, else the entity
    type that an ``--email ... --linked`` lookup follows to reach it.
    """

    source: str
    item: str
    locator: dict[str, Any]
    field: str | None
    entity_type: str
    via: str | None = None

    @property
    def linked_only(self) -> bool:
        return self.via is not None

    @property
    def locator_json(self) -> str:
        """The locator as the index stores it (sorted keys, compact)."""
        return json.dumps(self.locator, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def __hash__(self) -> int:
        return hash((self.source, self.item, self.locator_json, self.field, self.entity_type, self.via))


@dataclass
class Planted:
    """A planted subject, its role and every location of its identifiers."""

    subject: Subject
    role: str
    locations: list[Location] = field(default_factory=list)


@dataclass
class AuditCases:
    """What the bundled example's audit must flag with ``examples/piiscan.toml`` as of :data:`AUDIT_AS_OF`.

    ``retention`` maps an over-retained item (file path, or ``crm.sqlite`` table name) to its records kept
    too long (lines or rows holding personal data; None: every record of the item); ``unexpected`` and
    ``special`` list the items in an unexpected place and those named like special-category data.
    """

    retention: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)


@dataclass
class GeneratedEstate:
    """What :func:`generate_estate` wrote (held in memory only, never written to disk)."""

    root: Path
    seed: int
    subjects: list[Subject]
    planted: list[Planted]
    files: list[str] = field(default_factory=list)  # relative paths, including crm.sqlite
    total_bytes: int = 0
    phone_reused: int = 0  # subjects sharing a phone number with another (the fictional pool ran out)
    #: the cases planted for ``piiscan audit`` (``--examples`` only): see :meth:`_Writer.audit_cases`
    audit: AuditCases | None = None

    @property
    def demo(self) -> Planted:
        """The README demo subject (alice.smith@example.com)."""
        return self.planted[0]

    def planted_by_email(self, email: str) -> Planted:
        return next(p for p in self.planted if p.subject.email == email.lower())


# ---------------------------------------------------------------- identifier forms


def slug(text: str) -> str:
    """ASCII e-mail local part of a name: ``Łukasz`` -> ``lukasz``, ``O'Connor`` -> ``oconnor``."""
    text = text.translate(str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i", "đ": "d"}))
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def email_forms(email: str) -> list[str]:
    """Lower case, ``Alice.Smith@Example.com`` and upper case."""
    local, domain = email.split("@")
    title = ".".join(p[:1].upper() + p[1:] for p in local.split("."))
    return [email, f"{title}@{domain.capitalize()}", email.upper()]


def phone_forms(phone: str) -> list[str]:
    """National, international, compact, E.164, ``(0161) 496 0123`` and ``+44 (0)161 ...`` forms."""
    area, first, last = phone.split()
    return [
        phone,
        f"+44 {area[1:]} {first} {last}",
        area + first + last,
        f"+44{area[1:]}{first}{last}",
        f"({area}) {first} {last}",
        f"+44 (0){area[1:]} {first} {last}",
    ]


def card_forms(card: str) -> list[str]:
    groups = [card[i : i + 4] for i in range(0, 16, 4)]
    return [card, " ".join(groups), "-".join(groups)]


def iban_forms(iban: str) -> list[str]:
    return [iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))]


def nino_forms(nino: str) -> list[str]:
    return [nino, f"{nino[:2]} {nino[2:4]} {nino[4:6]} {nino[6:8]} {nino[8]}"]


def nhs_forms(nhs: str) -> list[str]:
    return [nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"]


def luhn_digit(body: str) -> str:
    """Check digit that makes ``body + digit`` pass Luhn."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def iban_check(country: str, bban: str) -> str:
    """ISO 13616 mod-97 check digits."""
    return f"{98 - int(''.join(str(int(c, 36)) for c in bban + country + '00')) % 97:02d}"


def nhs_digit(body: str) -> str | None:
    """NHS mod-11 check digit of 9 digits, or None when the body has none."""
    check = -sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    return None if check == 10 else str(check)


# ---------------------------------------------------------------- subjects


def _unique(rng: Random, seen: set[str], make: Callable[[Random], str]) -> str:
    while (value := make(rng)) in seen:
        pass
    seen.add(value)
    return value


def _card(rng: Random) -> str:
    # "4000 0000 ...": written with spaces, no group reads as "00" + a country code (a foreign phone number)
    body = f"40000000{rng.randrange(10**7):07d}"
    return body + luhn_digit(body)


def _nino(rng: Random) -> str:
    return f"{rng.choice(NINO_PREFIXES)}{rng.randrange(10**6):06d}{rng.choice('ABCD')}"


def _iban(rng: Random) -> str:
    while True:  # no digit group of the spaced form starts with 0 or 44: it could read as a phone number
        bban = f"{rng.choice(BANK_CODES)}{rng.randrange(10**6):06d}{rng.randrange(10**8):08d}"
        iban = f"GB{iban_check('GB', bban)}{bban}"
        if not re.search(r" (0|44)", iban_forms(iban)[1]):
            return iban


def _nhs(rng: Random) -> str:
    while (check := nhs_digit(body := f"999{rng.randrange(10**6):06d}")) is None:
        pass
    return body + check


def _address(rng: Random) -> tuple[str, str]:
    town, districts = rng.choice(TOWNS)
    street = f"{rng.randrange(1, 180)} {rng.choice(STREETS)}"
    if rng.random() < 0.15:
        street = f"Flat {rng.randrange(1, 40)}, {street}"
    inward = f"{rng.randrange(10)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    return f"{street}, {town}", f"{rng.choice(districts)} {inward}"


def make_subjects(rng: Random, n: int) -> tuple[list[Subject], list[Planted], int]:
    """``n`` subjects with ids 1..n; the planted ones sit at random ids.  Returns (subjects, planted, phones reused)."""
    n = max(n, 4 * len(PLANTED))
    planted_ids = dict(zip(sorted(rng.sample(range(1, n + 1), len(PLANTED))), PLANTED, strict=True))
    planted_names = {(first, last) for first, last, _ in PLANTED}
    pool = [f"{a} {b} {c}{i:03d}" for a, b, c in PHONE_RANGES for i in range(1000)]
    pool.remove(DEMO_PHONE)
    rng.shuffle(pool)
    reserved = iter(pool[: len(PLANTED)])  # planted subjects' numbers are never reused
    free = iter(pool[len(PLANTED) :])
    holders: dict[str, Subject] = {}  # phone -> its first non-planted holder
    held: list[str] = []  # the keys of holders, for random reuse
    cards: set[str] = set()
    subjects, planted, reused = [], [], 0
    for cid in range(1, n + 1):
        if cid in planted_ids:
            first, last, role = planted_ids[cid]
            phone = DEMO_PHONE if role == "demo" else next(reserved)
        else:
            while (first := rng.choice(FIRST_NAMES), last := rng.choice(LAST_NAMES)) in planted_names:
                pass
            phone = next(free, None) or rng.choice(held)
        email = DEMO_EMAIL if phone == DEMO_PHONE else f"{slug(first)}.{slug(last)}{cid}@{rng.choice(DOMAINS)}"
        dob = date(1940, 1, 1) + timedelta(days=rng.randrange(24_000))
        address, postcode = _address(rng)
        s = Subject(cid, first, last, email, phone, dob, address, postcode, _unique(rng, cards, _card))
        if cid in planted_ids:
            planted.append(Planted(s, role))
        elif phone in holders:
            reused += 1 + (not holders[phone].phone_shared)
            s.phone_shared = holders[phone].phone_shared = True
        else:
            holders[phone] = s
            held.append(phone)
        subjects.append(s)
    # Employees: ~3% of subjects plus the planted employee; they appear in payroll.tsv.
    staff = [s for s in subjects if rng.random() < 0.03 and s.customer_id not in planted_ids]
    staff.append(next(p.subject for p in planted if p.role == "employee"))
    seen: set[str] = set()
    for i, s in enumerate(sorted(staff, key=lambda s: s.customer_id)):
        s.employee_id, s.nino, s.iban = f"E{1001 + i}", _unique(rng, seen, _nino), _unique(rng, seen, _iban)
        if rng.random() < 0.7 or s.customer_id in planted_ids:
            s.nhs_number = _unique(rng, seen, _nhs)
    return subjects, planted, reused


# ---------------------------------------------------------------- writer


class _Writer:
    """Writes one estate; every write of a subject's identifiers goes through :meth:`record`."""

    def __init__(self, root: Path, rng: Random, estate: GeneratedEstate) -> None:
        self.root, self.rng, self.estate = root, rng, estate
        self.planted = {p.subject.customer_id: p for p in estate.planted}
        self.others = [s for s in estate.subjects if s.customer_id not in self.planted]

    # -- helpers

    def record(self, s: Subject, source: str, item: str, locator: dict[str, Any], fields: Fields) -> None:
        """Note the locations of a planted subject's identifiers in one record (no-op for others)."""
        planted = self.planted.get(s.customer_id)
        if planted is None or not fields:
            return
        types = [e for _, e in fields]
        via = None if EMAIL in types else next(t for t in LINKING if t in types)
        planted.locations.extend(Location(source, item, locator, f, e, via) for f, e in fields)

    def email(self, s: Subject, odd: float = 0.2) -> str:
        """The e-mail, in another case with probability ``odd``."""
        return email_forms(s.email)[self.rng.choice((1, 2)) if self.rng.random() < odd else 0]

    def phone(self, s: Subject, usual: int | None = None, odd: float = 0.3) -> str:
        """A random form of the phone number; mostly form ``usual`` when given."""
        forms = phone_forms(s.phone)
        return forms[usual] if usual is not None and self.rng.random() >= odd else self.rng.choice(forms)

    def open(self, rel: str, mode: str = "w") -> Any:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.estate.files.append(rel)
        return path.open(mode, encoding="utf-8", newline="") if "b" not in mode else path.open(mode)

    def pick(self) -> Subject:
        return self.rng.choice(self.others)

    # -- free text

    def note(self, s: Subject) -> tuple[str, Fields]:
        """A CRM note: sometimes the subject's phone, sometimes another person's name."""
        rng, other = self.rng, f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        k = rng.randrange(8)
        if k == 0:
            return f"Called back on {self.phone(s)}, prefers email", [("notes", PHONE)]
        if k == 1:
            return f"Left voicemail on {self.phone(s)} re: late delivery", [("notes", PHONE)]
        if k == 2:
            return f"Spoke to {other} (partner); {s.first_name} happy for them to call", []
        if k == 3:
            return f"Parcel left with neighbour {other}", []
        return rng.choice(("Prefers contact after 6pm", "Opted out of marketing", "VIP since 2019", "")), []

    def ticket_body(self, s: Subject, kind: str) -> tuple[str, str, Fields]:
        """(title, body, identifiers in the body) of a support ticket."""
        rng = self.rng
        order = f"ORD-{rng.randrange(100000, 999999)}"
        if kind == "card":
            card = rng.choice(card_forms(s.card_number))
            body = f"Hi, I was charged twice for {order}. The card used was {card}. Please refund one. {s.first_name}"
            return "Refund request", body, [("body", CARD)]
        if kind == "address":
            return (
                "Change of address",
                f"Hello, I have moved to {s.address}, {s.postcode}. Regards, {s.name}",
                [("body", POSTCODE)],
            )
        if kind == "phone":
            return (
                "Delivery problem",
                f"My parcel for {order} has not arrived. Call me on {self.phone(s)}.",
                [("body", PHONE)],
            )
        if kind == "dob":
            dob = s.date_of_birth.strftime("%d/%m/%Y")
            body = f"Please delete my account under GDPR. For verification my date of birth is {dob}. {s.name}"
            return "Account deletion", body, [("body", DOB)]
        if kind == "hr" and s.nino and s.iban:
            iban, nino = rng.choice(iban_forms(s.iban)), rng.choice(nino_forms(s.nino))
            body = f"Hi payroll team, please pay my salary into {iban} from next month. My NI number is {nino}. Thanks"
            return "Bank details change", body, [("body", IBAN), ("body", NINO)]
        return "Login issue", "I can't log in since the last update, the app says 'session expired'.", []

    def log_event(self, s: Subject, kind: str) -> tuple[str, Fields]:
        """A log line body (after the timestamp) about one subject."""
        rng = self.rng
        ip = f"{rng.choice(IPV4_NETS)}.{rng.randrange(1, 255)}"
        chat = f"support-chat session=chat-{rng.randrange(10000, 99999)} agent={rng.choice(AGENTS)}"
        if kind == "login":
            return f"INFO login ok user={self.email(s)} ip={ip}", [(None, EMAIL)]
        if kind == "failed":
            return f"WARN login failed user={self.email(s)} ip={ip} reason=bad_password", [(None, EMAIL)]
        if kind == "reset":
            return f"INFO password reset email sent to {self.email(s)}", [(None, EMAIL)]
        if kind == "callback":  # the subject's phone and nothing else
            return f'INFO {chat} text="Caller asked for a callback on {self.phone(s)} about a missing parcel"', [
                (None, PHONE)
            ]
        return f'INFO {chat} text="Hi, it\'s {s.name}, please ring me back on {self.phone(s)}"', [(None, PHONE)]

    def noise(self) -> str:
        """A log line body without personal data."""
        rng, k = self.rng, self.rng.randrange(8)
        if k < 3:
            method, area = rng.choice(("GET", "GET", "POST", "PUT")), rng.choice(("orders", "products", "basket"))
            status = rng.choice((200, 200, 200, 201, 204, 304, 404))
            return (
                f"INFO request id=req-{rng.getrandbits(64):016x} method={method} path=/api/v2/{area}/"
                f"{rng.randrange(1000, 99999)} status={status} duration_ms={rng.randrange(2, 900)}"
            )
        if k == 3:
            return f"DEBUG cache {rng.choice(('hit', 'miss'))} key=catalog:sku-{rng.randrange(10000, 99999)} ttl=300"
        if k == 4:
            return f"INFO order ORD-{rng.randrange(100000, 999999)} dispatched carrier=DPD items={rng.randrange(1, 6)}"
        if k == 5:
            return (
                f"INFO service=checkout version=v2.3.{rng.randrange(12)} build={rng.randrange(4000, 5000)} region=eu-2"
            )
        if k == 6:
            return f"WARN slow query table=orders duration_ms={rng.randrange(1000, 9000)} rows={rng.randrange(1, 500)}"
        return (
            f"ERROR upstream timeout service=payments attempt={rng.randrange(1, 4)} id=req-{rng.getrandbits(64):016x}"
        )

    # -- items

    def customers_csv(self) -> None:
        rel = "files/crm/customers.csv"
        with self.open(rel) as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(
                [
                    "customer_id",
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "date_of_birth",
                    "address",
                    "postcode",
                    "notes",
                ]
            )
            for row, s in enumerate(self.estate.subjects, 1):
                if s.customer_id in self.planted:
                    note, note_fields = f"Called back on {phone_forms(s.phone)[4]}, prefers email", [("notes", PHONE)]
                elif self.rng.random() < 0.35:
                    note, note_fields = self.note(s)
                else:
                    note, note_fields = "", []
                out.writerow(
                    [
                        s.customer_id,
                        s.first_name,
                        s.last_name,
                        self.email(s, 0.05),
                        self.phone(s, 0),
                        s.date_of_birth.isoformat(),
                        s.address,
                        s.postcode,
                        note,
                    ]
                )
                fields = [("email", EMAIL), ("phone", PHONE), ("date_of_birth", DOB), ("postcode", POSTCODE)]
                self.record(s, "files", rel, {"row": row}, [*fields, *note_fields])

    def customers_jsonl(self) -> None:
        rel, rng, line = "files/crm/customers_export.jsonl.gz", self.rng, 0
        with self.open(rel, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            for s in self.estate.subjects:
                role = self.planted[s.customer_id].role if s.customer_id in self.planted else None
                if role is None and rng.random() < 0.25:
                    continue
                contact: dict[str, str] = {"phone": phone_forms(s.phone)[1] if role else self.phone(s)}
                fields = [("contact.phone", PHONE)]
                if role != "phone-only" if role else rng.random() > 0.06:
                    contact = {"email": email_forms(s.email)[1] if role else self.email(s, 0.3), **contact}
                    fields.insert(0, ("contact.email", EMAIL))
                doc = {
                    "id": s.customer_id,
                    "name": {"first": s.first_name, "last": s.last_name},
                    "contact": contact,
                    "tags": rng.sample(TAGS, rng.randrange(3)),
                }
                gz.write(json.dumps(doc, ensure_ascii=False).encode() + b"\n")
                line += 1
                self.record(s, "files", rel, {"row": line}, fields)

    def tickets_json(self) -> None:
        rel, rng = "files/support/tickets.json", self.rng
        kinds = ("card", "address", "phone", "dob", "login", "login")
        plan = [(self.pick(), rng.choice(kinds)) for _ in range(max(6, len(self.estate.subjects) // 4))]
        plan += [(s, "hr") for s in self.others if s.nino and rng.random() < 0.5]
        for p in self.planted.values():  # the ticket that links each planted subject's card (or NINO) to the e-mail
            plan.append((p.subject, "card"))
            plan += [(p.subject, "hr")] if p.role == "employee" else []
            plan += [(p.subject, "phone")] if p.role == "phone-only" else []
        rng.shuffle(plan)
        tickets = []
        for i, (s, kind) in enumerate(plan):
            title, body, fields = self.ticket_body(s, kind)
            customer: dict[str, str] = {"name": s.name}
            if kind == "phone" and (s.customer_id in self.planted or rng.random() < 0.5):  # a phoned-in ticket
                customer["phone"], channel = self.phone(s), "phone"
                fields = [("customer.phone", PHONE), *fields]
            else:
                customer["email"], channel = self.email(s), "email"
                fields = [("customer.email", EMAIL), *fields]
            created = f"2026-10-{rng.randrange(1, 32):02d}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z"
            tickets.append(
                {
                    "id": f"T-{100001 + i}",
                    "created_at": created,
                    "channel": channel,
                    "status": rng.choice(("open", "pending", "closed")),
                    "subject": title,
                    "body": body,
                    "customer": customer,
                }
            )
            self.record(s, "files", rel, {"json_path": f"$.tickets[{i}]"}, fields)
        with self.open(rel) as f:
            json.dump({"exported_at": "2026-11-01T00:00:00Z", "tickets": tickets}, f, ensure_ascii=False, indent=2)
            f.write("\n")

    def payroll_tsv(self) -> None:
        rel = "files/hr/payroll.tsv"
        staff = sorted((s for s in self.estate.subjects if s.employee_id), key=lambda s: s.employee_id or "")
        with self.open(rel) as f:
            out = csv.writer(f, delimiter="\t", lineterminator="\n")
            out.writerow(["employee_id", "name", "nino", "iban", "nhs_number", "dob", "department"])
            for row, s in enumerate(staff, 1):
                assert s.nino and s.iban
                nhs = self.rng.choice(nhs_forms(s.nhs_number)) if s.nhs_number else ""
                out.writerow(
                    [
                        s.employee_id,
                        s.name,
                        self.rng.choice(nino_forms(s.nino)),
                        self.rng.choice(iban_forms(s.iban)),
                        nhs,
                        s.date_of_birth.isoformat(),
                        self.rng.choice(("Warehouse", "Support", "Finance", "IT", "Sales")),
                    ]
                )
                fields = [("nino", NINO), ("iban", IBAN), *([("nhs_number", NHS)] if nhs else []), ("dob", DOB)]
                self.record(s, "files", rel, {"row": row}, fields)

    def newsletter_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rel, rng = "files/analytics/newsletter.parquet", self.rng
        chosen = [s for s in self.estate.subjects if s.customer_id in self.planted or rng.random() < 0.4]
        table = pa.table(
            {
                "subscriber_id": [s.customer_id for s in chosen],
                "email": [s.email for s in chosen],
                "subscribed_on": [date(2020, 1, 1) + timedelta(days=rng.randrange(2400)) for _ in chosen],
                "source": [rng.choice(("web", "checkout", "event")) for _ in chosen],
            }
        )
        with self.open(rel, "wb") as f:
            pq.write_table(table, f, row_group_size=50_000)
        for row, s in enumerate(chosen, 1):
            self.record(s, "files", rel, {"row": row}, [("email", EMAIL)])

    def crm_sqlite(self) -> None:
        path, rng = self.root / SQLITE_DB, self.rng
        path.unlink(missing_ok=True)
        self.estate.files.append(SQLITE_DB)
        db = sqlite3.connect(path)
        db.executescript("""
            PRAGMA page_size = 4096;
            CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT,
                                    phone TEXT, birth_date TEXT, address TEXT, postcode TEXT);
            CREATE TABLE orders (order_id INTEGER PRIMARY KEY,
                                 customer_id INTEGER REFERENCES customers(customer_id),
                                 placed_at TEXT, total REAL, card_number TEXT);
            CREATE TABLE order_lines (order_id INTEGER REFERENCES orders(order_id), line_no INTEGER, sku TEXT,
                                      qty INTEGER, PRIMARY KEY (order_id, line_no));
            CREATE TABLE audit_log (logged_at TEXT, actor TEXT, message TEXT);
        """)
        customers, orders, lines = [], [], []
        for s in self.estate.subjects:
            role = self.planted[s.customer_id].role if s.customer_id in self.planted else None
            if role is None and rng.random() < 0.1:
                continue
            email = None if role == "no-email-in-db" or (role is None and rng.random() < 0.03) else self.email(s, 0.1)
            phone = self.phone(s, 3)
            customers.append(
                (
                    s.customer_id,
                    s.first_name,
                    s.last_name,
                    email,
                    phone,
                    s.date_of_birth.isoformat(),
                    s.address,
                    s.postcode,
                )
            )
            fields = [
                *([("email", EMAIL)] if email else []),
                ("phone", PHONE),
                ("birth_date", DOB),
                ("postcode", POSTCODE),
            ]
            self.record(s, "sqlite", "customers", {"primary_key": {"customer_id": s.customer_id}}, fields)
            for _ in range(max(rng.randrange(-1, 4), 1 if role else 0)):
                order_id = 100001 + len(orders)
                placed = f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:00:00"
                card = rng.choice(card_forms(s.card_number)[:2])
                orders.append((order_id, s.customer_id, placed, round(rng.uniform(4, 400), 2), card))
                self.record(s, "sqlite", "orders", {"primary_key": {"order_id": order_id}}, [("card_number", CARD)])
                lines += [
                    (order_id, n, f"SKU-{rng.randrange(10000, 99999)}", rng.randrange(1, 4))
                    for n in range(1, rng.randrange(2, 6))
                ]
        audit: list[tuple[str, str, str, Subject | None]] = []
        for i in range(len(self.estate.subjects) // 2):
            when, actor = f"2026-10-{i % 28 + 1:02d}T09:{i % 60:02d}:00Z", f"staff-{rng.randrange(1, 40)}"
            if i % 3:
                audit.append((when, actor, f"customer export job {i} finished in {rng.randrange(2, 90)}s", None))
            else:
                s = self.pick()
                audit.append((when, actor, f"password reset link sent to {self.email(s)}", s))
        for p in self.planted.values():  # one entry per planted subject, at a random place
            message = f"marketing consent withdrawn by {self.email(p.subject)}"
            audit.insert(rng.randrange(len(audit) + 1), ("2026-10-15T12:00:00Z", "staff-7", message, p.subject))
        for rowid, (*_, s) in enumerate(audit, 1):
            if s is not None:
                self.record(s, "sqlite", "audit_log", {"rowid": rowid}, [("message", EMAIL)])
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", customers)
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
        db.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?)", lines)
        db.executemany("INSERT INTO audit_log VALUES (?, ?, ?)", [row[:3] for row in audit])
        db.commit()
        db.close()

    def static_files(self, photo_bytes: int) -> None:
        with self.open("files/README.txt") as f:
            f.write(
                "Shared drive of the customer operations team.\n\n"
                "crm/      nightly CRM exports (kept 90 days)\n"
                "logs/     application logs, rotated daily\n"
                "support/  support ticket export\n"
                "hr/       payroll extract (restricted)\n"
                "analytics/ newsletter subscriber list\n\n"
                "Retention: delete exports older than 90 days. Questions: see the data protection policy.\n"
            )
        with self.open("files/misc/photo.bin", "wb") as f:
            f.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + self.rng.randbytes(photo_bytes))

    def logs(self, budget: int) -> None:
        """Daily log files of about ``budget`` bytes in all: mostly noise, some subject events."""
        rng = self.rng
        for old in (self.root / "files/logs").glob("app-*.log"):
            old.unlink()
        days = max(3, math.ceil(budget / (5 * MB)))
        per_day = budget // days
        planted: list[list[tuple[Subject, str]]] = [[] for _ in range(days)]
        for p in self.planted.values():
            events = ["login", "failed" if p.role == "no-email-in-db" else "reset"]
            events += ["callback"] if p.role in ("demo", "no-email-in-db") else []
            for kind in events:
                planted[rng.randrange(days)].append((p.subject, kind))
        kinds = ("login",) * 8 + ("failed", "reset", "chat", "chat")
        for d in range(days):
            bodies: list[tuple[str, Subject | None, Fields]] = []
            size = 0
            while size < per_day:
                if rng.random() < 0.25:
                    s = self.pick()
                    body, fields = self.log_event(s, rng.choice(kinds))
                    bodies.append((body, s, fields))
                else:
                    body = self.noise()
                    bodies.append((body, None, ()))
                size += len(body) + 22
            for s, kind in planted[d]:
                body, fields = self.log_event(s, kind)
                bodies.insert(rng.randrange(len(bodies) + 1), (body, s, fields))
            day = (LOG_START + timedelta(days=d)).isoformat()
            rel = f"files/logs/app-{day}.log"
            seconds = sorted(rng.randrange(86400) for _ in bodies)
            with self.open(rel) as f:
                for line, ((body, s, fields), t) in enumerate(zip(bodies, seconds, strict=True), 1):
                    f.write(f"{day}T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z {body}\n")
                    if s is not None:
                        self.record(s, "files", rel, {"line": line}, fields)

    # -- audit cases (the bundled example only)

    def audit_cases(self) -> None:
        """Plant what ``piiscan audit`` with examples/piiscan.toml must flag as of :data:`AUDIT_AS_OF`, next
        to data inside its policies: a 2019 log (web logs: 30 days), CRM contacts whose last purchase is more
        than four years old, a stray customer export under ``tmp/``, a sickness-absence file (a health hint)
        and a recent support-chat transcript (chats: 13 months, inside the policy)."""
        cases = self.estate.audit = AuditCases()
        rng = self.rng
        rel = "files/logs/app-2019-03-02.log"
        with self.open(rel) as f:
            for t in sorted(rng.randrange(86400) for _ in range(40)):
                body = self.log_event(self.pick(), "login")[0] if rng.random() < 0.4 else self.noise()
                f.write(f"2019-03-02T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z {body}\n")
        cases.retention[rel] = None
        cases.retention["customers"] = self._last_purchase()
        rel = "files/tmp/customers-backup.csv"
        with self.open(rel) as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(["customer_id", "name", "email", "phone"])
            for s in sorted(rng.sample(self.others, 25), key=lambda s: s.customer_id):
                out.writerow([s.customer_id, s.name, self.email(s), self.phone(s)])
        cases.unexpected.append(rel)
        rel = "files/hr/sickness_absence.csv"
        staff = sorted((s for s in self.others if s.nino), key=lambda s: s.employee_id or "")
        with self.open(rel) as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(["employee_id", "name", "nino", "first_day", "days"])
            for s in staff:
                first = date(2026, 1, 5) + timedelta(days=rng.randrange(300))
                out.writerow([s.employee_id, s.name, s.nino, first.isoformat(), rng.randrange(1, 10)])
        cases.special.append(rel)
        rel = "files/support/chats/2026-06-14-chat-4411.txt"
        s = self.pick()
        with self.open(rel) as f:
            f.write(
                f"[10:02] {s.first_name}: Hi, my order has not arrived\n"
                f"[10:03] agent {rng.choice(AGENTS)}: Sorry to hear that, which e-mail is the order under?\n"
                f"[10:03] {s.first_name}: {self.email(s)}\n"
                f"[10:05] agent: Thanks, I will ring you back on {self.phone(s)} today\n"
            )

    def _last_purchase(self) -> list[dict[str, Any]]:
        """Add ``customers.last_purchase`` to crm.sqlite: the last order's date, else a date in the last
        three years; 12 customers without orders last bought more than four years before the audit date.
        Returns the locators of those rows."""
        rng = self.rng
        path = self.root / SQLITE_DB
        db = sqlite3.connect(path)
        last = dict(db.execute("SELECT customer_id, MAX(substr(placed_at, 1, 10)) FROM orders GROUP BY customer_id"))
        ids = [row[0] for row in db.execute("SELECT customer_id FROM customers ORDER BY customer_id")]
        idle = [i for i in ids if i not in last and i not in self.planted]
        old = set(rng.sample(idle, 12))
        dates = {}
        for customer_id in ids:
            if customer_id in last:
                dates[customer_id] = last[customer_id]
            elif customer_id in old:  # before the four-year cutoff (2022-11-29), by a clear margin
                dates[customer_id] = (date(2019, 1, 1) + timedelta(days=rng.randrange(1300))).isoformat()
            else:
                dates[customer_id] = (date(2023, 12, 1) + timedelta(days=rng.randrange(1000))).isoformat()
        db.execute("ALTER TABLE customers ADD COLUMN last_purchase TEXT")
        db.executemany(
            "UPDATE customers SET last_purchase = ? WHERE customer_id = ?", [(d, i) for i, d in dates.items()]
        )
        db.commit()
        db.execute("VACUUM")
        db.close()
        return [{"primary_key": {"customer_id": i}} for i in sorted(old)]


# ---------------------------------------------------------------- API

#: Rough bytes each subject adds to the structured items (CSV, JSONL, JSON, SQLite, Parquet).
BYTES_PER_SUBJECT = 600
STRUCTURED_SHARE = 0.6  # of the target size; daily logs fill the rest
EXAMPLES_SUBJECTS, EXAMPLES_SIZE_MB = 300, 0.5  # the bundled examples/estate


def generate_estate(
    out_dir: Path, size_mb: float = 0.2, seed: int = 1, *, subjects: int | None = None
) -> GeneratedEstate:
    """Write a fake estate of about ``size_mb`` MB (10^6 bytes) under ``out_dir``.

    ``subjects`` overrides the number of people derived from the size.  The
    planted subjects (the first is alice.smith@example.com) are always present.
    Existing generated files in ``out_dir`` are replaced.
    """
    root, rng, target = Path(out_dir), Random(seed), int(size_mb * MB)
    n = subjects or max(20, int(target * STRUCTURED_SHARE / BYTES_PER_SUBJECT))
    people, planted, reused = make_subjects(rng, n)
    estate = GeneratedEstate(root=root, seed=seed, subjects=people, planted=planted, phone_reused=reused)
    w = _Writer(root, rng, estate)
    root.mkdir(parents=True, exist_ok=True)
    w.customers_csv()
    w.customers_jsonl()
    w.tickets_json()
    w.payroll_tsv()
    w.newsletter_parquet()
    w.crm_sqlite()
    photo = min(2 * MB, max(8192, target // 50))
    w.static_files(photo)
    used = sum((root / rel).stat().st_size for rel in estate.files)
    w.logs(max(20_000, target - used))
    estate.total_bytes = sum((root / rel).stat().st_size for rel in estate.files)
    return estate


def generate_examples(out_dir: Path, seed: int = 1) -> GeneratedEstate:
    """The bundled ``examples/estate``: 300 subjects, about 0.5 MB (seed 1 is what is committed), plus the
    cases its minimisation audit finds (:meth:`_Writer.audit_cases`)."""
    estate = generate_estate(out_dir, EXAMPLES_SIZE_MB, seed, subjects=EXAMPLES_SUBJECTS)
    # a generator of its own, so every file generate_estate writes stays byte-identical
    _Writer(estate.root, Random(f"audit-{seed}"), estate).audit_cases()
    estate.total_bytes = sum((estate.root / rel).stat().st_size for rel in estate.files)
    return estate


def iter_planted_values(estate: GeneratedEstate) -> Iterator[str]:
    """Every raw identifier value of every subject, in every form the generator may write.

    E-mails, phone numbers, card numbers, NINOs, IBANs and NHS numbers (a
    superset of what was written); names, dates and postcodes are left out.
    """
    seen: set[str] = set()
    for s in estate.subjects:
        forms = [*email_forms(s.email), *card_forms(s.card_number)]
        if s.phone not in seen:
            seen.add(s.phone)
            forms += phone_forms(s.phone)
        forms += nino_forms(s.nino) if s.nino else []
        forms += iban_forms(s.iban) if s.iban else []
        forms += nhs_forms(s.nhs_number) if s.nhs_number else []
        yield from forms


def check_values(estate: GeneratedEstate) -> list[str]:
    """Validate every subject's identifiers with phonenumbers and stdnum; returns problems (no values)."""
    import phonenumbers
    from stdnum import iban, luhn
    from stdnum.gb import nhs

    problems = []
    for phone in dict.fromkeys(s.phone for s in estate.subjects):
        if not all(phonenumbers.is_valid_number(phonenumbers.parse(f, "GB")) for f in phone_forms(phone)):
            problems.append("invalid phone number")
    for s in estate.subjects:
        checks = [("card", luhn.is_valid(s.card_number))]
        checks += [("iban", iban.is_valid(s.iban))] if s.iban else []
        checks += [("nhs", nhs.is_valid(s.nhs_number))] if s.nhs_number else []
        checks += [("nino", bool(NINO_RE.fullmatch(s.nino)))] if s.nino else []
        problems += [f"subject {s.customer_id}: invalid {what}" for what, ok in checks if not ok]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a fake personal-data estate (prints counts only).")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--size-mb", type=float, default=0.2, help="approximate total size in MB (default 0.2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--subjects", type=int, help="number of people (default: derived from the size)")
    parser.add_argument("--examples", action="store_true", help="the bundled examples/estate (300 subjects, 0.5 MB)")
    parser.add_argument("--check", action="store_true", help="validate identifiers with phonenumbers and stdnum")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.examples:
        estate = generate_examples(args.out, args.seed)
    else:
        estate = generate_estate(args.out, args.size_mb, args.seed, subjects=args.subjects)
    elapsed = time.perf_counter() - started
    print(
        f"{len(estate.files)} files, {estate.total_bytes} bytes, {len(estate.subjects)} subjects "
        f"({len(estate.planted)} planted, {estate.phone_reused} sharing a phone) in {elapsed:.1f}s"
    )
    if args.check and (problems := check_values(estate)):
        print(f"{len(problems)} invalid identifiers, e.g. {problems[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
