"""LOCATION: postal addresses as one multi-token, multi-line span.

NER models tag place names ("Leeds") but not "12 Crown St, Apt. 3\\nLeeds
LS1 4AP": a street address is a structure, not an entity the small spaCy
model learned.  This recognizer finds an *anchor* — a street with a number, a
flat/suite/PO box, a military address — and then takes in the parts that
follow it on the same line or on the next lines of an address block: units,
towns, region codes, postcodes and country names.  Each part adds evidence;
an address is reported only with enough of it (a bare "Room 101" or "Windows
10" is not one).

Street vocabulary: the USPS street suffixes (Publication 28), the usual UK
ones, and the street words of the European languages whose addresses UK/EU
estates hold (Via, Rue, Calle, ul., -straße, -gatan, -katu ...).  Country
names come from phonenumbers' bundled English names, so no list of ours
drifts out of date.  Pure regular expressions over the text: cheap enough to
run on every chunk that has a digit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import ClassVar

from piiscan.detectors.base import UPPER_LETTERS, Match, has_min_digits

# the bundled list and its regeneration stay importable from here ("X as X": re-exported)
from piiscan.detectors.countries import COUNTRY_NAMES_FILE as COUNTRY_NAMES_FILE
from piiscan.detectors.countries import country_name_list
from piiscan.detectors.countries import english_country_names as english_country_names
from piiscan.detectors.countries import write_country_names as write_country_names
from piiscan.detectors.nlp import NameRuleDetector, name_match

#: Capitalised word, any Latin/Greek/Cyrillic script, maybe abbreviated ("St.", "Dobrovského", "ΠΑΦΟΣ").
_UPPER = UPPER_LETTERS
CAP = rf"[{_UPPER}][^\W\d_]*(?:['’\-][^\W\d_]+)*\.?"
#: Lower-case words that sit inside street and town names ("Via dei Fiorentini", "Soto del Barco").
PARTICLES = (
    "de", "del", "della", "delle", "dei", "degli", "di", "da", "das", "do", "dos", "du", "des", "d'", "la", "le",
    "les", "el", "al", "van", "von", "der", "den", "ten", "ter", "y", "am", "an", "im", "auf", "sur", "sul",
    "st.", "ul.", "al.", "os.", "u.", "str.", "c/", "r.", "av.", "avda.", "pl.", "ter.",
)  # fmt: skip
_PARTICLE = "(?:" + "|".join(re.escape(p) for p in sorted(PARTICLES, key=len, reverse=True)) + ")"
#: Street-type words, as their own word (USPS Publication 28 suffixes, UK and European street words).
STREET_WORDS = (
    # English (USPS suffixes and abbreviations, UK usage)
    "street", "st", "road", "rd", "avenue", "ave", "av", "lane", "ln", "drive", "dr", "court", "ct", "place", "pl",
    "close", "way", "boulevard", "blvd", "terrace", "terr", "crescent", "cres", "square", "sq", "trail", "trl",
    "loop", "parkway", "pkwy", "highway", "hwy", "circle", "cir", "grove", "gardens", "gdns", "mews", "row", "walk",
    "hill", "rise", "green", "yard", "wharf", "alley", "path", "pike", "plaza", "ridge", "route", "rte", "vista",
    "ferry", "heights", "hollow", "junction", "knoll", "knolls", "landing", "meadow", "meadows", "mill", "mills",
    "orchard", "oval", "pass", "point", "port", "ranch", "shore", "shores", "spring", "springs", "stream", "summit",
    "trace", "track", "turnpike", "valley", "village", "ville", "cove", "coves", "flat", "flats", "union", "unions",
    "forge", "forges", "creek", "crossing", "crossroad", "dale", "dam", "divide", "estate", "estates", "expressway",
    "falls", "fields", "forest", "fort", "freeway", "gateway", "glen", "glens", "harbor", "harbour", "haven",
    "lakes", "lights", "locks", "lodge", "manor", "manors", "motorway", "plains", "prairie", "radial", "ramp",
    "rapids", "skyway", "spur", "stravenue", "throughway", "tunnel", "underpass", "viaduct", "bypass", "branch",
    "bridge", "brook", "brooks", "burg", "burgs", "canyon", "causeway", "cliff", "cliffs", "commons", "corners",
    "crest", "curve", "extension", "isle", "mountain", "shoal", "shoals", "bluff", "bluffs", "bottom", "bend",
    "parade", "precinct", "quay", "embankment", "broadway", "circus", "chase", "croft", "fold", "gate", "hey",
    "wynd", "vale", "approach",
    # Romance and other languages (words before the name)
    "via", "viale", "piazza", "piazzetta", "piazzale", "corso", "largo", "vicolo", "strada", "contrada", "rue",
    "allée", "allee", "impasse", "chemin", "quai", "calle", "avenida", "avda", "paseo", "camino", "carrer",
    "carretera", "travesía", "rua", "travessa", "praça", "praca", "estrada", "rodovia", "ul", "ulica", "aleja",
    "plac", "náměstí", "namesti", "utca", "út", "tér", "ulitsa", "odos", "leoforos", "str", "cesta", "iela",
    "gatve", "tänav", "tee", "gade", "vej", "gata", "gatan", "vägen", "veien", "vei", "vegen", "stræde", "katu",
    "tie", "kuja", "straat", "laan", "plein", "gracht", "kade", "weg", "steeg", "strasse", "straße", "gasse",
    "platz", "markt", "ring", "damm", "ufer", "cite", "cité", "quartier", "residence", "résidence", "rr",
)  # fmt: skip
#: Word endings that make a compound street name in Germanic, Nordic and Finnic languages ("Koskikatu").
STREET_ENDINGS = (
    "strasse", "straße", "str", "gasse", "weg", "allee", "platz", "ring", "damm", "ufer", "markt", "graben",
    "gatan", "gata", "vägen", "väg", "veien", "vei", "vegen", "gade", "gaden", "vej", "vejen", "stræde", "stien",
    "katu", "kuja", "tie", "polku", "straat", "laan", "plein", "gracht", "kade", "dreef", "singel", "steeg",
    "braut", "vegur", "stræti", "brekka", "tänav", "iela", "gatve", "utca", "ulica", "ulice", "cesta",
    "torget", "torg", "backen", "bakken", "stig", "lund",
)  # fmt: skip
_STREET_WORD = "(?:" + "|".join(re.escape(w) for w in sorted(STREET_WORDS, key=len, reverse=True)) + r")\.?"
_STREET_ENDING = "(?:" + "|".join(sorted(STREET_ENDINGS, key=len, reverse=True)) + ")"
_NUM = r"\d{1,5}[A-Za-z]?\.?"
#: Street words written in lower case after the name in Central European, Nordic and Baltic addresses
#: ("Erzsébet tér 19.", "Trenerys gate 232", "Luite tee 87", "Árpád fejedelem útja 62.").
LOWER_STREET_AFTER = (
    "tér", "tere", "út", "útja", "utca", "utcája", "körút", "köz", "sor", "sétány", "gate", "gata", "gatan",
    "vei", "veien", "vegen", "vej", "vejen", "gade", "vägen", "väg", "tee", "tänav", "iela", "gatve", "katu",
    "tie", "kuja", "ulica", "cesta", "náměstí", "nábřeží", "třída", "straat", "laan", "weg", "allee",
)  # fmt: skip
_LOWER_AFTER = "(?:" + "|".join(sorted(LOWER_STREET_AFTER, key=len, reverse=True)) + r")(?![\w'’\-])"
#: a lower-case common noun before such a street word ("Árpád fejedelem útja": Prince Árpád's road)
_WORD = rf"(?:{CAP}|{_PARTICLE}|\d{{1,3}}(?:st|nd|rd|th)\b|(?:[^\W\d_]+[ \t]+)?{_LOWER_AFTER})"
_GAP = r"[ \t]+"
#: Street words written in lower case before the name in French, Spanish, Italian and Portuguese
#: addresses ("12 rue de la Paix", "8 avenue Victor Hugo").
LOWER_STREET_WORDS = (
    "rue", "avenue", "boulevard", "bd", "place", "allée", "impasse", "chemin", "quai", "cours", "route",
    "calle", "avenida", "paseo", "plaza", "camino", "via", "viale", "piazza", "corso", "largo", "vicolo",
    "rua", "travessa", "praça", "estrada",
)  # fmt: skip
_LOWER_STREET = "(?:" + "|".join(sorted(LOWER_STREET_WORDS, key=len, reverse=True)) + ")"
#: Up to five name words, the first capitalised (or an abbreviation like "ul.", "C/"), maybe after a
#: lower-case street word and its particles ("rue de la Paix").
_NAME = rf"(?:{_LOWER_STREET}{_GAP}(?:{_PARTICLE}{_GAP}){{0,2}}|{_PARTICLE}{_GAP})?{CAP}(?:{_GAP}{_WORD}){{0,4}}"
_NO_DIGIT_BEFORE = r"(?<![\w.,:/\-+])"

#: "6750 Koskikatu 25", "2450 Crown St", "975 3968 Bay Street", "846 31 Rue Al Imam Al Bakri".
NUMBER_FIRST = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?P<num>\d{{1,6}}[A-Za-z]?)(?:[ \t]\d{{1,5}}[A-Za-z]?)?{_GAP}(?P<name>{_NAME})"
    rf"(?:{_GAP}(?P<house>{_NUM})(?![\w/]|[ \t]\d))?"
)
#: "Via dei Fiorentini 17", "Augsburger Strasse 36", "ul. Zamkowa 33", "Maneeži 75".
NAME_FIRST = re.compile(
    rf"(?<![\w.])(?P<name>{_NAME}){_GAP}(?P<house>\d{{1,5}}[A-Za-z]?)(?![\w/:.,]\d|[\w/]|[ \t]\d)\.?"
)
#: Flats, suites, PO boxes, US military addresses.
UNIT = re.compile(
    r"(?i)(?<![\w])(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|p\.?\s?o\.?\s?box|"
    r"post\s?box|postbox|box|psc|cmr)\.?\s?#?\s?\d{1,6}[A-Za-z]?(?![\w])"
)
MILITARY = re.compile(r"(?i)(?<![\w])(?:[AFD]PO\s(?:AA|AE|AP)\s\d{5}|(?:USNS|USS|USNV|USCGC)\s[A-Z][a-z]+)(?![\w])")
#: What an address's later parts may be.
POSTCODE = re.compile(
    r"(?:\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3,4}|\d{4}\s?[A-Z]{2}(?![\w])|\d{3}\s\d{2}|\d{3,6}"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\w])"
)
REGION_CODE = re.compile(r"[A-Z]{2,3}(?![\w])")
_TOWN_WORD = rf"{CAP}(?![\w])"
TOWN = re.compile(rf"{_TOWN_WORD}(?:[ \t\-]+(?:{_TOWN_WORD}|{_PARTICLE}|\([A-Z][a-z]+\))){{0,3}}")
#: Missing-value markers that data exports put where a region or postcode belongs.
MISSING = re.compile(r"(?:nan|null|none|n/a)(?![\w])", re.IGNORECASE)
_SEPARATOR = re.compile(r"[ \t]*,[ \t]*|[ \t]+")
#: Prefixes of quoted or bulleted lines ("> ", "??? ", "  - ").
_LINE_PREFIX = re.compile(r"[ \t>|*•?\-]*")
#: Words that introduce an address in prose.
CUES = re.compile(
    r"(?i)\b(?:address(?:es)?|addr|lives?|living|located|situated|based|corner of|moved|moving|deliver(?:ed|y)?|"
    r"ship(?:ped|ping)?|send|sent|post(?:ed)?|mail(?:ed)?|return(?:ed)?|stop at|drops? you off at|located at|"
    r"residence|resides?|reside|home|office at)\b[^\n.!?]{0,12}$"
)
#: "the corner of <street> and <street>": the second street needs no number.
CORNER = re.compile(r"(?i)\bcorner of[ \t]+(?:the[ \t]+)?$")
AND_STREET = re.compile(rf"[ \t]+(?:and|&)[ \t]+{_NAME}(?:{_GAP}{_NUM})?")
#: Evidence needed to report an address, and its score by evidence.
MIN_EVIDENCE = 2
SCORES = {2: 0.7, 3: 0.85}
TOP_SCORE = 0.95


@cache
def country_names() -> re.Pattern[str]:
    """Any country name (longest first), with an optional qualifier in brackets."""
    alternatives = "|".join(re.escape(n) for n in country_name_list())
    return re.compile(rf"(?i)(?:{alternatives})(?:\s\([^)\n]{{1,20}}\))?(?![\w])")


@cache
def country_first_words() -> frozenset[str]:
    """First words of the country names, case-folded: a cheap test before matching the whole name."""
    return frozenset(re.split(r"[\s.]", n.casefold())[0] for n in country_name_list())


_CAPITALISED_WORD = re.compile(rf"(?<![\w'’\-])[{_UPPER}][^\W\d_]*\.?")


def is_street_name(name: str) -> bool:
    """Whether a name has a street word ("Crown St", "Via Roma") or a street ending ("Koskikatu")."""
    return bool(_STREET_TYPE.search(name) or _COMPOUND.search(name))


_STREET_TYPE = re.compile(rf"(?i)(?<![\w]){_STREET_WORD}(?![\w])")
_COMPOUND = re.compile(rf"(?i)\w{{2,}}{_STREET_ENDING}\b")


#: Capitalised words that start dates, counts and document references, not places
#: ("15 May 2020", "Windows 10", "Figure 3", "Mobile: ...").
_NOT_A_PLACE = re.compile(
    r"(?i)(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tue|wed|thu|fri|sat|sun|figure|fig|table|chapter|section|page|pages|version|step|level|item|part|"
    r"column|line|grade|class|year|years|day|days|week|weeks|hour|hours|minute|minutes|series|model|type|size|"
    r"volume|vol|no|number|issue|order|invoice|ticket|case|windows|python|java|ios|android|phase|stage|round|"
    r"verse|psalm|act|scene|episode|season|track|disc|vers|rev|revision|release|build|patch|mobile|phone|tel|"
    r"fax|desk|office|cell|ext|call|text|mr|mrs|ms|dr|id|ref|tel\.|top|the|a|an|i|we|you|he|she|it|they|my|our|"
    # phone labels of the EU languages: "Teléfono 612 345 678" is no street, nor a town after an address
    r"telefon|teléfono|telefono|téléphone|telefoon|telefone|tél|móvil|movil|cellulare|handy|mobil|mobiel|"
    r"portable|telemóvel|"
    r"your|his|her|their|this|that|these|those|"
    # prepositions of time: "During 1971", "Since 2004" start a date, not a street and house number
    r"during|since|until|till|before|after|circa|around|from|by|in|on|at|for|of|to)(?![\w])"
)
#: A capitalised English function word inside a name without a street word: a headline or a title
#: ("5 Musicians Of The 70s"), not a street ("5 Avenue Of The Americas" has its street word).
_HEADLINE_WORD = re.compile(r"(?<![\w])(?:Of|The|And|To|For|With|About|From|Your|You)(?![\w])")
_LEADING_COMMA = re.compile(r"[ \t]*,[ \t]*")
#: A full stop after a word longer than a street abbreviation ("St.", "Blvd.") and before another word:
#: a sentence ends inside the name.
_SENTENCE_INSIDE = re.compile(r"([^\W\d_]{5,})\.[ \t]+\S")
#: A bracketed year before a number: a law-report citation ("[2001] 3 WLR 206", "(1990) 12 EHRR 33").
_CITATION_BEFORE = re.compile(r"[\[(]\d{4}[\])][ \t]*$")


#: What follows an address's closing part when its sentence goes on: its punctuation or a lower-case word.
_SENTENCE_GOES_ON = re.compile(r"[?!.)]|[ \t]+[a-z]")


class _Block:
    """An address being assembled: its end, evidence, towns seen, and whether a postcode/country closed it."""

    __slots__ = ("closed", "closed_on_line", "end", "evidence", "towns")

    def __init__(self, end: int, evidence: int = 0, towns: int = 0, closed: bool = False) -> None:
        self.end, self.evidence, self.towns, self.closed = end, evidence, towns, closed
        self.closed_on_line = -1  # line start of the postcode that closed it: "00-950 Warszawa" may follow

    def take(self, end: int, evidence: int, closes: bool = False, line: int = -1) -> bool:
        self.end, self.evidence = end, self.evidence + evidence
        if closes and not self.closed:
            self.closed, self.closed_on_line = True, line
        return True


#: A word of three letters or more with a full stop, then a capitalised word: a sentence's end
#: ("Madrid. Teléfono"), not an abbreviation inside a town's name ("St. Gallen").
_SENTENCE_END_IN_TOWN = re.compile(r"[^\W\d_]{4,}\.(?=[ \t])")


def _town(text: str, at: int) -> re.Match[str] | None:
    """:data:`TOWN` at ``at``, cut before a sentence's end inside it ("28013 Madrid. Teléfono ...")."""
    m = TOWN.match(text, at)
    if m is None:
        return None
    cut = _SENTENCE_END_IN_TOWN.search(text, m.start(), m.end())
    return TOWN.match(text, at, cut.end() - 1) if cut and cut.end() < m.end() else m


class AddressDetector(NameRuleDetector):
    """LOCATION: street addresses and address blocks (see module doc)."""

    name = "street_address"
    version = "2"
    entity = "LOCATION"
    #: characters before an anchor searched for an address cue ("lives at", "Address:")
    cue_window: ClassVar[int] = 30

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 1)

    def canonical(self, value: str) -> str | None:
        """Addresses are looked up as LOCATION names (normalised like NER's), not parsed here."""
        return None

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        if not self.might_match(text):
            return
        merged: list[list[int]] = []  # [start, end, evidence]; an anchor inside a block is part of it
        for start, end, evidence in sorted(self._anchors(text)):
            if merged and start < merged[-1][1]:
                if merged[-1][2] >= MIN_EVIDENCE or evidence <= merged[-1][2]:
                    continue
                merged.pop()  # a weak anchor ("Kudryashov 233", a name and a number) yields to a street in it
            if CUES.search(text, max(0, start - self.cue_window), start):
                evidence += 1
            end, more = self._extend(text, end)
            if CORNER.search(text, max(0, start - self.cue_window), start):
                other = AND_STREET.match(text, end)  # "the corner of Bygget 64 and Komel Club"
                if other:
                    end, more = self._extend(text, other.end())
                    evidence += 1
            merged.append([start, end, evidence + more])
        for start, end, evidence in merged:
            if evidence < MIN_EVIDENCE:
                continue
            score = SCORES.get(evidence, TOP_SCORE)
            if score < self.threshold:
                continue
            yield name_match(self.entity, text, start, end, score, self.name)

    # -- anchors and parts -----------------------------------------------------
    def _anchors(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, evidence) of streets, units and military addresses."""
        for m in NUMBER_FIRST.finditer(text):
            name = m.group("name")
            if _NOT_A_PLACE.match(name):
                continue
            if _CITATION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue  # "[2001] 3 WLR 206": a law report, volume and page
            sentence_end = _SENTENCE_INSIDE.search(name)
            if sentence_end:  # "22 Queen Street. On Monday ...": the street ends with its sentence
                name = name[: sentence_end.start() + len(sentence_end.group(1))]
                if is_street_name(name):
                    yield m.start(), m.start("name") + len(name), 2
            elif is_street_name(name):
                yield m.start(), m.end(), 2 + bool(m.group("house"))
            elif m.group("house") and not _HEADLINE_WORD.search(name):
                yield m.start(), m.end(), 2
        for m in NAME_FIRST.finditer(text):
            name = m.group("name")
            if _SENTENCE_INSIDE.search(name):
                continue  # "... the Lowmoor Regional Court. On 30 October": a sentence ends inside
            # a lower-case particle before a street is a preposition or article ("an Goethestraße 7"), not "an"
            if _NOT_A_PLACE.match(name) and not (name[0].islower() and is_street_name(name)):
                continue
            street = is_street_name(name)
            if not street and _HEADLINE_WORD.search(name):
                continue
            yield m.start(), m.end(), 2 if street else 1
        for m in UNIT.finditer(text):
            yield m.start(), m.end(), 1
        for m in MILITARY.finditer(text):
            yield m.start(), m.end(), 2

    def _extend(self, text: str, pos: int) -> tuple[int, int]:
        """End of the address that continues at ``pos``, and the evidence its further parts add."""
        block = _Block(end=pos)
        self._parts_on_line(text, block, pos, leading=False)
        while True:
            line_end = text.find("\n", block.end)
            # the rest of the line must be empty (or closing punctuation) to continue on the next one
            if line_end < 0 or text[block.end : line_end].strip(" \t,.;\r"):
                return block.end, block.evidence
            nxt = line_end + 1
            if text.startswith("\n", nxt) or text.startswith("\r\n", nxt):  # one blank line inside a block
                nxt = text.find("\n", nxt) + 1
            prefix = _LINE_PREFIX.match(text, nxt)
            line_start = prefix.end() if prefix else nxt
            next_line_end = text.find("\n", line_start)
            next_line_end = len(text) if next_line_end < 0 else next_line_end
            trial = _Block(block.end, block.evidence, block.towns, block.closed)
            self._parts_on_line(text, trial, line_start, leading=True)
            if trial.end <= line_start:
                return block.end, block.evidence
            rest = text[trial.end : next_line_end]
            if rest.strip(" \t,.;\r"):
                # the sentence goes on after a last line that closes the address ("Spain 97197 in case of
                # an issue.", "Cyprus 36903? I am in ..."): that line is the address's, the rest is not
                if trial.closed and not block.closed and _SENTENCE_GOES_ON.match(rest):
                    return trial.end, trial.evidence
                return block.end, block.evidence
            block = trial

    def _parts_on_line(self, text: str, block: _Block, pos: int, leading: bool) -> None:
        """Consume address parts from ``pos`` to where they stop on this line, into ``block``."""
        at = pos
        if leading:
            comma = _LEADING_COMMA.match(text, at)  # ", CO" on a line of its own
            at = comma.end() if comma else at
        else:
            sep = _SEPARATOR.match(text, at)
            if not sep:
                return
            at = sep.end()
        while self._part(text, at, block):
            sep = _SEPARATOR.match(text, block.end)
            if not sep:
                return
            at = sep.end()

    def _part(self, text: str, at: int, block: _Block) -> bool:
        """Take one address part at ``at`` into ``block``; False if there is none."""
        if at >= len(text):
            return False
        for pattern, gained in ((UNIT, 1), (MILITARY, 2)):
            m = pattern.match(text, at)
            if m and not block.closed:
                # "APO AE 09012" ends a military address as a postcode does; a ship's name ("USS Mahler") does not
                return block.take(m.end(), gained, closes=m.group()[1:3] == "PO")
        m = country_names().match(text, at)
        if m and text[at].isupper():
            return block.take(m.end(), 1, closes=True)
        line = text.rfind("\n", 0, at)
        m = POSTCODE.match(text, at)
        if m:
            return block.take(m.end(), 1, closes=True, line=line)
        m = MISSING.match(text, at)
        if m:
            return block.take(m.end(), 0)
        m = REGION_CODE.match(text, at)
        if m and block.towns:
            return block.take(m.end(), 0)
        m = _town(text, at)
        open_here = not block.closed or block.closed_on_line == line
        if m and block.towns < 2 and open_here and not _NOT_A_PLACE.fullmatch(m.group()):
            # a town is followed by the end of the line or sentence, a comma, or another part
            after = text[m.end() : m.end() + 1]
            if not after or after in "\n\r,;.?!)" or (after in " \t" and self._continues(text, m.end())):
                block.towns += 1
                return block.take(m.end(), 1)
        return False

    def _continues(self, text: str, pos: int) -> bool:
        """Whether a postcode, region code, country or line end follows a town at ``pos``."""
        sep = _SEPARATOR.match(text, pos)
        at = sep.end() if sep else pos
        if at >= len(text) or text[at] in "\n\r":
            return True
        return bool(
            POSTCODE.match(text, at)
            or REGION_CODE.match(text, at)
            or MISSING.match(text, at)
            or (country_names().match(text, at) and text[at].isupper())
        )


#: Phrases after which a place name follows ("flew to Leeds", "originally from Mavčiče",
#: "grew up in SUND", "the University of Porvoo", "I am in Hirvli for a business trip").
PLACE_CUE = re.compile(
    r"(?i)(?<![\w])(?:(?:flew|fly|flying|flown|travel(?:l?ed|l?ing)?|moved?|moving|relocated?|returned?|"
    r"drove|driving|arrived?|arriving|born|grew up|raised|lives?|lived|living|based|located|situated|"
    r"stationed|headquartered|emigrated|immigrated|commute[sd]?|trip|holiday|vacation|visit(?:ed|ing)?|"
    r"home city|hometown|home town)(?:[ \t]+(?:here|there|back|home|up|out))?[ \t]+(?:to|in|at|from|near|of)?|"
    r"originally from|(?:i am|i'm|we are|we're|currently) in|(?:city|town|village|university|county|"
    r"province|state|region|suburbs|outskirts) of|(?:welcome|directions|way|route) to)[ \t]+(?:the[ \t]+)?"
)
_PLACE_WORD = rf"(?:[{_UPPER}][^\W\d_]*(?:-[^\W\d_]+)*|[{_UPPER}]{{2,}})(?![\w'’])"
PLACE = re.compile(rf"{_PLACE_WORD}(?:[ \t\-]+(?:{_PLACE_WORD}|{_PARTICLE}(?=[ \t]+[{_UPPER}]))){{0,3}}")
#: Country names that are also common names or words ("Jordan", "Chad", "Turkey", "China").
AMBIGUOUS_COUNTRIES = frozenset(("jordan", "chad", "georgia", "turkey", "china", "guinea", "niger", "cuba", "jersey"))
COUNTRY_SCORE = 0.75
CUED_PLACE_SCORE = 0.7


class PlaceNameDetector(NameRuleDetector):
    """LOCATION: country names (phonenumbers' English names) and capitalised place names after
    a movement or residence phrase; the small NER model misses both in short sentences."""

    name = "place_name"
    version = "1"
    entity = "LOCATION"

    def canonical(self, value: str) -> str | None:
        return None  # looked up as LOCATION names, like NER's

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        taken: list[tuple[int, int]] = []
        for m in PLACE_CUE.finditer(text):
            place = PLACE.match(text, m.end())
            if place is None or _NOT_A_PLACE.fullmatch(re.split(r"[\s'’]", place.group())[0]):
                continue
            start, end = place.span()
            taken.append((start, end))
            yield name_match(self.entity, text, start, end, CUED_PLACE_SCORE, self.name)
        first_words = country_first_words()
        for word in _CAPITALISED_WORD.finditer(text):
            if word.group().rstrip(".").casefold() not in first_words:
                continue
            country = country_names().match(text, word.start())  # the whole name, only where its first word is
            if country is None:
                continue
            start, end = country.span()
            value = country.group()
            if value.casefold() in AMBIGUOUS_COUNTRIES or any(s < end and start < e for s, e in taken):
                continue
            yield name_match(self.entity, text, start, end, COUNTRY_SCORE, self.name)
