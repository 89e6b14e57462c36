"""PERSON by name lists and cue phrases, beside the NER model.

The small spaCy model misses names it has not seen ("Antti Poutiainen",
"Vsevolod"), names in lower case ("my name is vitoria") and repeated
mentions.  Three cheap, explainable rules add them:

* a *cue phrase* ("my name is", "Name:", "Dear", "Mrs.") followed by one to
  three name-like words;
* *first + last name* from the US Census name-frequency lists (public
  domain, shipped in the MIT-licensed ``names`` package): a capitalised known
  first name followed by a known surname, or either one around an initial
  ("Gladys L. Leblanc");
* a *repeated mention*: once a text has a PERSON, the same capitalised word
  elsewhere in it is that person too (:func:`propagate_names`).

Words that are street types, months, titles of organisations or places are
never part of a name found here.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

from piiscan.detectors.base import UPPER_LETTERS, Match
from piiscan.detectors.countries import country_name_list
from piiscan.detectors.nlp import NameRuleDetector, name_match
from piiscan.detectors.vocabulary import HONORIFICS, PERSON_NOUNS, ROLES, fold, is_demonym, is_vocabulary


def _words(text: str) -> frozenset[str]:
    """A word list written as text."""
    return frozenset(text.split())


_UPPER = UPPER_LETTERS
#: A capitalised word ("Árnþórsson", "O'Neil", "Jean-Luc") and an initial ("L.", "B").
NAME_WORD = rf"[{_UPPER}][^\W\d_A-Z]+(?:['’\-][{_UPPER}]?[^\W\d_]+)*"
INITIAL = rf"[{_UPPER}]\.?"
#: Runs of capitalised words and initials on one line.
CAPITALISED_RUN = re.compile(rf"(?<![\w'’])(?:{NAME_WORD}|{INITIAL})(?:[ \t]+(?:{NAME_WORD}|{INITIAL}))*(?![\w])")
_TOKEN = re.compile(rf"{NAME_WORD}|{INITIAL}")
#: Initials as written in names ("K.", "Cz.", "A.-M.", "K.H.", "M.Ş."), case-sensitive inside the cue.
INITIALS = rf"(?-i:[{_UPPER}][a-z]?\.(?:-?[{_UPPER}][a-z]?\.)*)"
_INITIALS_TOKEN = re.compile(INITIALS)
#: Phrases after which a name follows.  Case-insensitive: "my name is vitoria".  Not "so-called".
CUE = re.compile(
    r"(?i)(?<![\w])(?<!so[ \-‑])(?:my name is|my name's|name is|name's|i am called|named|called|call me|calls me|"
    r"known as|signed|regards,|thanks,|dear|a certain|mr\.?|mrs\.?|ms\.?|miss|mx\.?|dr\.?|prof\.?|sir|madam|"
    r"(?:first|last|full|maiden|given|family|middle|sur)\s?name(?: is|:|\?)|name:)(?:(?<=[.:,?])|(?![\w]))"
    r"[ \t]*\n?[ \t]*(?:(?:him|her|them|me|us|it)[ \t]+)?(?:(?:mrs|mr|ms|miss|mx|dr|prof)\.?[ \t]+)?"
    rf"(?P<name>(?:{INITIALS}|[^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*)"
    rf"(?:[ \t]+(?:{INITIALS}|[^\W\d_]\.|[^\W\d_][^\W\d_'’\-]*)){{0,3}})"
)
#: Lower-case particles inside a name after a title ("Mr van Dijk", "Ms de la Cruz").
NAME_PARTICLES = _words("van von de der den ter ten da di do dos du del della la le bin ibn al el")
#: "Vinka: What a wife." - a chat or script line's speaker.
SPEAKER = re.compile(rf"(?m)^[ \t>|*]*(?P<a>{NAME_WORD}):[ \t]*(?=[\"“'A-Za-z])")
#: Three or more single capitalised words in a comma list ("Efimiya, Mary, Ariana and Jodi").
NAME_LIST = re.compile(
    rf"(?<![\w'’\-]){NAME_WORD}(?:,[ \t]+{NAME_WORD}){{1,}},?[ \t]+(?:and|&)[ \t]+{NAME_WORD}(?![\w\-])"
)
LIST_SCORE = 0.7
LOWER_WORD = re.compile(r"(?<![\w'’\-])[^\W\d_]{2,}(?![\w'’\-])")
#: Substrings one of which every CUE match contains.
CUE_KEYS = ("name", "call", "known", "sign", "regards", "thanks", "dear", "mr", "ms", "miss", "mx", "dr", "prof",
            "sir", "madam", "certain")  # fmt: skip
NAME_LINE = re.compile(rf"(?m)^[ \t>|*]*(?P<a>{NAME_WORD})[ \t]+(?P<b>{NAME_WORD})[ \t]*$")
SINGLE_WORD = re.compile(rf"(?<![\w'’\-]){NAME_WORD}(?![\w\-])")
SINGLE_FIRST_SCORE = 0.65
#: First names in the census lists that are also everyday English words, months or places:
#: alone they need another signal (a cue phrase, a surname, a repeated mention).
COMMON_WORD_NAMES = _words(
    """
    will may june april august mark bill grant rose hope faith joy summer dawn art ray guy jack frank
    sue pat rich chase page young long major sky star max miles penny ruby amber jade pearl iris lily
    holly ivy daisy violet heather olive ginger candy sandy rusty buck chip chuck cliff dale dean drew
    earl gene glen hunter lane lee reed rod sterling wade ward warren wood woody christian king royal
    precious unique love honey sunny storm rain river ocean autumn winter spring brook brooke forest
    stone clay ash gray grey green brown white black bell belle carol carter cash cole cook early farmer
    fisher golden hall harmony heath hill kit lance noble oakley paris parker price rice rocky sage
    shepherd sherman sonny stormy taylor tucker tyler walker wallace webb wells york
    """
)
#: Field labels that are also names in the census lists ("Mobile:", "Desk:", "Will:").
LABELS = _words(
    """
    name address phone mobile email note notes subject date time user bot agent customer answer question
    desk office fax website status title summary comment example tip warning error info where when who
    what home work cell tel ref price total city country
    """
)
_HONORIFIC = re.compile(r"(?i)(?:dear|mr|mrs|ms|miss|mx|dr|prof|sir|madam|a certain)(?![\w])")
#: Cues that are titles: after one, a name's words are capitalised (particles aside).
_TITLE_CUE = re.compile(r"(?i)(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam)(?![\w])")
#: "Smith LJ", "Brown J", "Denning and Bridge LJJ": a judge's style after one or two surnames.  A "J"
#: followed by a full stop and a capitalised word is an initial ("Brown J. Smith"), not a style.
JUDICIAL_STYLE = re.compile(
    rf"(?<![\w'’\-])(?P<a>{NAME_WORD})(?:[ \t]+(?:and|&)[ \t]+(?P<b>{NAME_WORD}))?[ \t]+"
    r"(?:LJJ|LJ|JJ|J|CJ|VC)(?![\w])(?!\.?[ \t]*[A-Z][a-z])"
)
JUDICIAL_KEYS = re.compile(r"[a-z][ \t]+(?:LJJ|LJ|JJ|J|CJ|VC)(?![\w])")
#: Initials after a person's noun and a comma ("her nephew, R.W.,", "the witness, K. L."), maybe with a surname.
INITIALS_APPOSITION = re.compile(
    rf"(?<![\w])(?P<noun>[^\W\d_]+),[ \t]+(?P<name>[{_UPPER}][a-z]?\.(?:[ \t]?-?[{_UPPER}][a-z]?\.)+"
    rf"(?:[ \t]+{NAME_WORD})?)(?![\w])"
)
#: Score by rule (the NER threshold, 0.6 by default, applies).
CUE_SCORE = 0.85
CUE_LOWER_SCORE = 0.7
FIRST_LAST_SCORE = 0.75
WITH_INITIAL_SCORE = 0.8
INITIAL_UNKNOWN_SCORE = 0.7
LINE_NAME_SCORE = 0.7
PROPAGATED_SCORE = 0.7

#: Words that are never part of a person's name found by these rules.
NOT_NAME_WORDS = _words(
    """
    street st road rd avenue ave lane drive court place close way boulevard terrace square park station
    hill via rue calle avenida strasse straße gasse gatan katu vej weg apt suite unit box flat floor
    room inc ltd llc plc co corp corporation company group holdings bank university college school
    hospital orchestra band club society association foundation trust council ministry department sons
    brothers january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday mr mrs ms miss dr prof sir madam dear hi
    hello thanks regards the a an and or of in on at to for by with from my your his her our their this
    that i we you he she it they not no yes ok king queen prince princess royal duke duchess earl baron
    lord lady pope saint president senator lines airlines motors systems technologies solutions services
    partners associates industries international global labs media networks software consulting capital
    ventures enterprises logistics
    """
)


@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), case-folded, from the US Census 1990 lists in the ``names`` package."""

    def read(*files: str) -> frozenset[str]:
        root = resources.files("names")
        words = set()
        for file in files:
            for line in root.joinpath(file).read_text(encoding="ascii").splitlines():
                if line.strip():
                    words.add(line.split()[0].casefold())
        return frozenset(words - NOT_NAME_WORDS)

    return read("dist.female.first", "dist.male.first"), read("dist.all.last")


@cache
def _stop_words() -> frozenset[str]:
    """English stop words and :data:`NOT_NAME_WORDS`."""
    return english_stop_words() | NOT_NAME_WORDS


@cache
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from their own module file: importing ``spacy.lang.en`` would
    import all of spaCy (about 80 MB in a worker that may scan only tables)."""
    spec = importlib.util.find_spec("spacy")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / "en" / "stop_words.py"
    file_spec = importlib.util.spec_from_file_location("_piiscan_en_stop_words", path)
    assert file_spec is not None and file_spec.loader is not None  # a .py path always has a source loader
    module = importlib.util.module_from_spec(file_spec)
    file_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def _person(text: str, start: int, end: int, score: float, detector: str) -> Match:
    return name_match("PERSON", text, start, end, score, detector)


class NameDetector(NameRuleDetector):
    """PERSON by cue phrases and census name lists (see module doc)."""

    name = "person_name"
    version = "2"
    entity = "PERSON"

    def canonical(self, value: str) -> str | None:
        return None  # lookups normalise names like NER does (identifiers.normalise_value)

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        taken: list[tuple[int, int]] = []
        for m in self._cued(text):
            taken.append((m.start, m.end))
            yield m
        for m in self._first_last(text):
            if not any(s < m.end and m.start < e for s, e in taken):
                taken.append((m.start, m.end))
                yield m
        for m in self._name_lines(text):
            if not any(s < m.end and m.start < e for s, e in taken):
                taken.append((m.start, m.end))
                yield m
        rules = (
            self._judicial_styles,
            self._initials_in_apposition,
            self._lower_case_names,
            self._speakers,
            self._name_lists,
            self._single_first_names,
        )
        for m in (m for rule in rules for m in rule(text)):
            if not any(s < m.end and m.start < e for s, e in taken):
                taken.append((m.start, m.end))
                yield m

    def _lower_case_names(self, text: str) -> Iterator[Match]:
        """In text typed all in lower case, a known first name followed by a known surname
        ("follow up with patricia desrosiers"), unless either is an everyday word."""
        if not text.islower():
            return
        first_names, surnames = name_lists()
        stop = _stop_words()
        words = list(LOWER_WORD.finditer(text))
        for a, b in itertools.pairwise(words):
            first, last = a.group(), b.group()
            if text[a.end() : b.start()].strip(" \t") or first in stop or last in stop:
                continue
            if first in first_names and last in surnames and not {first, last} & COMMON_WORD_NAMES:
                yield _person(text, a.start(), b.end(), LIST_SCORE, self.name)

    def _speakers(self, text: str) -> Iterator[Match]:
        """Speaker labels of a transcript whose word is a known name, not a field label ("Phone:")."""
        first_names, surnames = name_lists()
        for m in SPEAKER.finditer(text):
            word = m.group("a").casefold()
            if (word in first_names or word in surnames) and word not in _stop_words() and word not in LABELS:
                yield _person(text, m.start("a"), m.end("a"), LIST_SCORE, self.name)

    def _name_lists(self, text: str) -> Iterator[Match]:
        """Every word of a list of three or more capitalised words, two of them known first names."""
        first_names, _ = name_lists()
        stop = _stop_words()
        for m in NAME_LIST.finditer(text):
            words = list(_WORD_IN_NAME.finditer(m.group()))
            folded = [w.group().casefold() for w in words]
            if sum(f in first_names for f in folded) < 2 or any(f in stop for f in folded):
                continue
            for w in words:
                yield _person(text, m.start() + w.start(), m.start() + w.end(), LIST_SCORE, self.name)

    def _cued(self, text: str) -> Iterator[Match]:
        lowered = text.lower()
        if not any(k in lowered for k in CUE_KEYS):
            return  # substring tests are far cheaper than the case-insensitive alternation
        stop = _stop_words()
        pos = 0
        while m := CUE.search(text, pos):
            pos = m.start("name")  # the name may stop early: the next cue may follow it ("X and Ms Y")
            titled = bool(_TITLE_CUE.match(m.group()))
            words = list(re.finditer(r"[^\s]+", m.group("name")))
            kept: list[tuple[int, int]] = []
            for w in words:
                token = w.group()
                initials = _INITIALS_TOKEN.match(token)
                word = initials.group() if initials else token.rstrip(".,;:!?")
                if word.casefold() in stop or not word:
                    break
                if titled and kept and word[:1].islower() and word not in NAME_PARTICLES:
                    break  # after a title a name is capitalised: "Mrs K. died", not "K. died"
                kept.append((w.start(), w.start() + len(word)))
            if not kept:
                pos = max(pos, m.start() + 1)
                continue
            start, end = m.start("name") + kept[0][0], m.start("name") + kept[-1][1]
            pos = end
            value = text[start:end]
            first, _, rest = value.partition(" ")
            capitalised = value[:1].isupper() or (first in NAME_PARTICLES and rest[:1].isupper())  # "van Dijk"
            if not capitalised and (not value.islower() or _HONORIFIC.match(m.group())):
                continue  # "eBay" is no name; after "Sir", "Dear" or "a certain" a name is capitalised
            yield _person(text, start, end, CUE_SCORE if capitalised else CUE_LOWER_SCORE, self.name)

    def _judicial_styles(self, text: str) -> Iterator[Match]:
        """A judge's style after the surname: "Smith LJ", "Brown J", "Denning and Bridge LJJ"."""
        if not JUDICIAL_KEYS.search(text):
            return
        stop = _stop_words()
        for m in JUDICIAL_STYLE.finditer(text):
            for group in ("a", "b"):
                if m.group(group) and m.group(group).casefold() not in stop and not is_vocabulary(m.group(group)):
                    yield _person(text, m.start(group), m.end(group), CUE_SCORE, self.name)

    def _initials_in_apposition(self, text: str) -> Iterator[Match]:
        """Initials standing for a person after a person's noun: "sued her nephew, R.W., before ..."."""
        for m in INITIALS_APPOSITION.finditer(text):
            if m.group("noun").casefold() in PERSON_NOUNS:
                yield _person(text, m.start("name"), m.end("name"), WITH_INITIAL_SCORE, self.name)

    def _first_last(self, text: str) -> Iterator[Match]:
        first_names, surnames = name_lists()
        for run in CAPITALISED_RUN.finditer(text):
            tokens = [(t.start() + run.start(), t.end() + run.start(), t.group()) for t in _TOKEN.finditer(run.group())]
            i = 0
            while i < len(tokens) - 1:
                found = self._name_at(tokens, i, first_names, surnames)
                if found is None:
                    i += 1
                    continue
                j, score = found
                if fold(text[tokens[i][0] : tokens[j][1]]) in _country_names():
                    i += 1  # "Sierra Leone" is a country, not a first name and a surname
                    continue
                yield _person(text, tokens[i][0], tokens[j][1], score, self.name)
                i = j + 1

    def _name_at(
        self, tokens: list[tuple[int, int, str]], i: int, first_names: frozenset[str], surnames: frozenset[str]
    ) -> tuple[int, float] | None:
        """(index of the last token, score) of a name starting at token ``i``, or None."""

        def word(k: int) -> str:
            return tokens[k][2].casefold().rstrip(".")

        def is_initial(k: int) -> bool:
            return len(tokens[k][2].rstrip(".")) == 1

        if is_initial(i) or word(i) in NOT_NAME_WORDS:
            return None
        first_known = word(i) in first_names
        j = i + 1
        if j < len(tokens) and is_initial(j) and j + 1 < len(tokens):
            last = j + 1
            if is_initial(last) or word(last) in NOT_NAME_WORDS:
                return None
            # an initial between two capitalised words is itself a sign of a name ("Ravil G Yefimov")
            known = first_known or word(last) in surnames
            return last, WITH_INITIAL_SCORE if known else INITIAL_UNKNOWN_SCORE
        if j < len(tokens) and first_known and not is_initial(j) and word(j) in surnames:
            if word(j) in NOT_NAME_WORDS:
                return None
            return j, FIRST_LAST_SCORE
        return None

    def _name_lines(self, text: str) -> Iterator[Match]:
        """A line that is just two capitalised words, one a known first name or surname: the
        name line heading a letter, CV or signature ("Layla Gairbekov\n\nAccountant")."""
        first_names, surnames = name_lists()
        for m in NAME_LINE.finditer(text):
            words = [w.casefold() for w in (m.group("a"), m.group("b"))]
            if any(w in NOT_NAME_WORDS or w in COMMON_WORD_NAMES for w in words):
                continue
            if words[0] in first_names or words[1] in surnames:
                yield _person(text, m.start("a"), m.end("b"), LINE_NAME_SCORE, self.name)

    def _single_first_names(self, text: str) -> Iterator[Match]:
        """A known first name standing alone ("Sandra lives on ...", "They had 6: Mary, Isabel ..."),
        unless it is also a common English word ("Will", "May", "Grant")."""
        first_names, _ = name_lists()
        for m in SINGLE_WORD.finditer(text):
            word = m.group().casefold()
            if word not in first_names or word in COMMON_WORD_NAMES or word in _stop_words():
                continue
            if is_demonym(word) or is_vocabulary(word) or _in_country_name(text, m.start(), m.end()):
                continue  # "a German national", "the Patient", "born in Sierra Leone"
            yield _person(text, m.start(), m.end(), SINGLE_FIRST_SCORE, self.name)


_WORD_IN_NAME = re.compile(rf"{NAME_WORD}")


def propagate_names(text: str, matches: list[Match], detector: str = "person_mention") -> list[Match]:
    """Other mentions of a found person's capitalised name words in the same text ("… Westgård and starring
    Westgård"), as PERSON matches where nothing else was found.  Only a confident name is repeated
    (:func:`is_confident_name`), and never a word of the domain vocabulary or a nationality."""
    words = {
        w.group()
        for m in matches
        if m.entity_type == "PERSON" and is_confident_name(text, m)
        for w in _WORD_IN_NAME.finditer(text, m.start, m.end)
        if len(w.group()) > 2
        and w.group().casefold() not in _stop_words()
        and not (is_vocabulary(w.group()) or is_demonym(w.group()))
    }
    out = _coordinated(text, matches, detector)
    if not words:
        return out
    spans = sorted((m.start, m.end) for m in (*matches, *out))
    for start, end in mentions(text, words):
        if not any(s < end and start < e for s, e in spans):
            out.append(_person(text, start, end, PROPAGATED_SCORE, detector))
    return out


#: Rule scores of a confident name: a cue phrase, a known first name with a surname or an initial.
CONFIDENT_RULE_SCORE = FIRST_LAST_SCORE
_NAME_TOKEN = re.compile(rf"{NAME_WORD}|[{_UPPER}]\.")
_TITLE_BEFORE = re.compile(r"(?i)(?<![\w])(?:mr|mrs|ms|miss|mx|dr|prof|judge|herr|frau|madame|monsieur|sir)\.?[ \t]+$")


def is_confident_name(text: str, match: Match) -> bool:
    """Whether a PERSON match is sure enough to be repeated to other mentions: a rule's cue or known
    names (score :data:`CONFIDENT_RULE_SCORE` or more), or a model's name of two or more words or
    initials, after a title, or of one word that is a census first name or surname.  A single
    unknown word the model calls a person ("Varnok", "Clinique") is not repeated."""
    if match.detector == "person_mention":
        return False
    if match.detector != "spacy_ner":
        return match.detector != "person_name" or match.score >= CONFIDENT_RULE_SCORE
    tokens = _NAME_TOKEN.findall(text, match.start, match.end)
    if len(tokens) >= 2 and any(len(t) > 2 for t in tokens):
        return True
    if _TITLE_BEFORE.search(text, max(0, match.start - 12), match.start):
        return True
    first_names, surnames = name_lists()
    folded = _unaccented(tokens[0]) if len(tokens) == 1 else ""
    return folded in first_names or folded in surnames


def _unaccented(word: str) -> str:
    """``word`` case-folded without its diacritics, as the census lists write names ("Tómas" -> "tomas")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


_NEIGHBOUR_BEFORE = re.compile(r"([^\W\d_]+)[ \t]+$")
_NEIGHBOUR_AFTER = re.compile(r"[ \t]+([^\W\d_]+)")


def _in_country_name(text: str, start: int, end: int) -> bool:
    """Whether the word at ``start:end`` is half of a two-word country name ("Sierra Leone", "Costa Rica")."""
    word = text[start:end]
    before = _NEIGHBOUR_BEFORE.search(text, max(0, start - 30), start)
    after = _NEIGHBOUR_AFTER.match(text, end)
    countries = _country_names()
    return bool(
        (before and fold(f"{before.group(1)} {word}") in countries)
        or (after and fold(f"{word} {after.group(1)}") in countries)
    )


@cache
def _country_names() -> frozenset[str]:
    return frozenset(fold(n) for n in country_name_list())


def mentions(text: str, words: set[str]) -> list[tuple[int, int]]:
    """Where ``words`` occur in ``text`` as whole words, as a regex alternation of them (longest
    first) would find them: no letter, digit, "_" or apostrophe before, no letter, digit or "_" after.

    Searched with ``str.find`` rather than a regex compiled per text (each text has its own names).
    """
    found: list[tuple[int, int]] = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            before = text[at - 1] if at else " "
            after = text[end] if end < len(text) else " "
            if not (before.isalnum() or before in "_'’") and not (after.isalnum() or after == "_"):
                found.append((at, end))
            at = text.find(word, at + 1)
    found.sort(key=lambda span: (span[0], -span[1]))
    out: list[tuple[int, int]] = []
    for start, end in found:  # leftmost first, the longest word at a start, none inside the last taken
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


#: Words that make the capitalised words before them an organisation ("Hall Orchestra", "Thomas and Sons").
ORGANISATION_AFTER = re.compile(
    r"(?:[ \t]*,?[ \t]+(?:and|&)[ \t]+(?:Sons|Daughters|Brothers|Partners|Associates|Co)\b|"
    r"[ \t]*,?[ \t]+(?:Inc|Incorporated|Ltd|Limited|LLC|LLP|PLC|GmbH|AG|SA|SAS|BV|NV|AB|Oy|Corp|Corporation|"
    r"Company|Co|Group|Holdings|Orchestra|Band|Bank|University|College|Foundation|Institute|Industries|International|"
    r"Technologies|Solutions|Systems|Partners|Associates|Consulting|Media|Labs|Ventures|Capital)\b\.?)"
)


def is_organisation(text: str, match: Match) -> bool:
    """Filter: a PERSON span that is (or is followed by) a company or band name's suffix, or one of the
    surnames of a firm's name ("Hawkins, Richardson and Santana")."""
    if match.entity_type != "PERSON":
        return False
    value = text[match.start : match.end]
    last = value.rsplit(None, 1)[-1] if value.strip() else ""
    return bool(
        ORGANISATION_AFTER.match(text, match.end)
        or ORGANISATION_AFTER.fullmatch(" " + last)
        or in_firm_name(text, match.start, match.end)
    )


#: "Hawkins, Richardson and Santana", "Barnett, Melton & Garcia": three bare surnames in a firm's style.
FIRM_NAME = re.compile(
    rf"(?<![\w'’\-.])(?P<a>{NAME_WORD}),[ \t]+(?P<b>{NAME_WORD}),?[ \t]+(?:and|&)[ \t]+(?P<c>{NAME_WORD})(?![\w'’\-])"
)
#: What introduces a list of people rather than a firm: a colon ("our 3 founders: A, B and C") or a
#: person noun, role or title just before it ("Judges Bratza, Casadevall and Garlicki").
_LIST_INTRODUCER = re.compile(r"(?:[:;][ \t]*|(?P<word>[^\W\d_]+)\.?[ \t]+)$")
#: A verb after the list that makes it people ("Smith, Jones and Brown were arrested").
_PEOPLE_VERB_AFTER = re.compile(r"[ \t]+(?:were|are|have|had|all|both|who|each|together|themselves)(?![\w])")


def in_firm_name(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is one of three bare surnames written like a law or accounting firm's
    name (:data:`FIRM_NAME`): every word a surname of the Census lists, the list not introduced by a colon,
    a person noun, a role or a title, and not the subject of a plural verb.  Why: firms are named after
    their founders in exactly this form, and people listed by surname alone are introduced or followed by
    what makes them people."""
    _, surnames = name_lists()
    for m in FIRM_NAME.finditer(text, max(0, start - 60), min(len(text), end + 60)):
        if not (m.start() <= start and end <= m.end()):
            continue
        if not all(fold(m.group(g)) in surnames for g in ("a", "b", "c")):
            return False
        if text[max(0, m.start() - 2) : m.start()].rstrip().endswith(","):
            return False  # the end of a longer list ("Amy, Nathaniel, Donald and Kristen"): people
        before = _LIST_INTRODUCER.search(text, max(0, m.start() - 30), m.start())
        if before is not None:
            word = before.group("word")
            if word is None or fold(word) in PERSON_NOUNS or fold(word) in ROLES or fold(word) in HONORIFICS:
                return False
        return _PEOPLE_VERB_AFTER.match(text, m.end()) is None
    return False


_GAP = re.compile(r"[ \t]+")
AND_NAME_AFTER = re.compile(rf"[ \t]+(?:and|&)[ \t]+(?P<name>{NAME_WORD}(?:[ \t]+{NAME_WORD})?)(?![\w'’\-])")
AND_NAME_BEFORE = re.compile(rf"(?<![\w'’\-])(?P<name>{NAME_WORD}(?:[ \t]+{NAME_WORD})?)[ \t]+(?:and|&)[ \t]+$")


def _coordinated(text: str, matches: list[Match], detector: str) -> list[Match]:
    """The other half of "<person> and <Name>" / "<Name> and <person>" ("Kadiev and Adams were ...")."""
    stop = _stop_words()
    taken = [(m.start, m.end) for m in matches]
    out = []
    for m in matches:
        if m.entity_type != "PERSON" or m.detector == detector:
            continue
        after = AND_NAME_AFTER.match(text, m.end)
        before = AND_NAME_BEFORE.search(text, max(0, m.start - 60), m.start)
        for other in (after, before):
            if other is None:
                continue
            start, end = other.span("name")
            words = other.group("name").casefold().split()
            if any(w in stop for w in words) or any(s < end and start < e for s, e in taken):
                continue
            gap = _GAP.match(text, end)
            if gap and any(s == gap.end() for s, _ in taken):
                continue  # "A and Selin Umay Tarhan": the first name of a name already found
            taken.append((start, end))
            out.append(_person(text, start, end, PROPAGATED_SCORE, detector))
    return out
