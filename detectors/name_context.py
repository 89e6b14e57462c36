"""What the words around a PERSON or LOCATION candidate say it is: the context rules over name matches.

The NER model and the list rules (:mod:`~piiscan.detectors.names`,
:mod:`~piiscan.detectors.towns`, :mod:`~piiscan.detectors.address`) *propose*
names and places; :func:`refine_names` decides with the context, one class of
error at a time:

* **Titles are outside a name**: "Mr R. T." is reported as "R. T.", "Smith
  LJ" as "Smith", "the United Kingdom" as "United Kingdom"; after a title a
  word is in a name position and no rule below drops it ("Mr Law").
* **Domain vocabulary is no name** (:mod:`~piiscan.detectors.vocabulary`): a
  match whose words are all legal, institutional, medical or form vocabulary,
  ordinals, currencies, numbers or roman numerals ("Law", "Articles 3", "the
  Fourth Section", "Regional Governor", "EUR 138") is dropped; so is a month or
  weekday as a place, and as a person unless it is also a frequent first name.
* **Nationality adjectives are no name**: "German", "Sierra Leonean", "Turkish
  Liras"; nor is a country written as one ("a United Kingdom national").
* **Institutions are organisations**: a capitalised run that ends in an
  institution's head word names a body, and the town in it names the body,
  not a place ("the Ostrava Administrative Court", "Stradom Prison", "the
  Kastamonu prison", "the Mayor of Didim", "the Government of Austria"); so does a
  legal instrument ("the Hague Convention").
* **A State as a party is no place**: its formal name ("the Republic of
  Turkey", "the Kingdom of Sweden"), unless a preposition of place puts it
  there ("born in the Republic of Ireland"), and a country after "against",
  "v." or "in respect of" or before "v.".
* **A translation in brackets is no name**: a non-English term in
  parentheses after its English gloss ("the District Court (Sąd Rejonowy)",
  "a conscription order (Einberufungsbescheid)").
* **Section headings are no name**: "A. Criminal proceedings", "C. Birth of ...".
* **Initials name people**: a span of initials only that the model typed
  LOCATION ("M.K.", "T.B.") is PERSON, unless a place abbreviation ("U.K.").
* **The noun before a name says what it names**: "a company named X" and "the
  periodical X" are organisations, "the locality known as X" and "the village
  of X" are places.
* **"Town, Country" is one place**: "Bremen, Germany", "Kufstein (Austria)".

No rule reads a benchmark: the word lists are general English vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from piiscan.detectors.address import AMBIGUOUS_COUNTRIES
from piiscan.detectors.base import UPPER_LETTERS, Match
from piiscan.detectors.countries import country_name_list
from piiscan.detectors.names import english_stop_words, name_lists
from piiscan.detectors.ner_gate import frequent_names, is_common_word, opens_sentence
from piiscan.detectors.nlp import name_match
from piiscan.detectors.vocabulary import (
    CALENDAR,
    CONNECTORS,
    COURT_TYPES,
    HEADS_FIRST,
    HONORIFICS,
    INSTITUTION_HEADS,
    INSTRUMENT_HEADS,
    LOWER_INSTITUTION_HEADS,
    ORGANISATION_NOUNS,
    PERSON_NOUNS,
    PLACE_NOUNS,
    PLACE_PREPOSITIONS,
    ROMAN,
    STATE_WORDS,
    demonym_phrase_pattern,
    fold,
    is_demonym,
    is_vocabulary,
)

#: Detectors whose PERSON/LOCATION matches these rules judge (street addresses, deny lists, custom
#: detectors and column classification are reported as they are).
JUDGED_DETECTORS = frozenset({"spacy_ner", "person_name", "person_mention", "town_name", "place_name"})
NAME_TYPES = ("PERSON", "LOCATION")

#: A word of a name or of the vocabulary around one: letters, with inner apostrophes and hyphens.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
#: A leading title with its full stop and the space after it ("Mr ", "Dr. ", "Herr ").
_LEADING_WORD = re.compile(r"([^\W\d_]+)(\.?)[ \t]+")
#: Words before a span that put it in a name position ("Mr", "Judge", "Dear").
_NAME_POSITION = re.compile(
    r"(?i)(?<![\w])(?:" + "|".join(sorted(HONORIFICS, key=len, reverse=True)) + r"|dear)\.?[ \t]+$"
)
#: A judge's style after a surname ("Smith LJ", "Brown J").
_STYLE_END = re.compile(r"[ \t]+(?:LJJ|LJ|JJ|J|CJ|VC)$")
#: Only initials: "M.K.", "T. B.", "J.-P."
_INITIALS_ONLY = re.compile(rf"(?:[{UPPER_LETTERS}][a-z]?\.[ \t]?-?){{2,}}")
#: Place abbreviations written as initials.
PLACE_INITIALS = frozenset({"u.s.", "u.s.a.", "u.k.", "e.u.", "u.a.e.", "d.c.", "l.a.", "n.y.", "u.s.s.r.", "p.r.c."})
#: What may stand between a noun and the name it introduces ("a company named X", "the village of X").
_INTRODUCER = re.compile(
    r"(?i)(?<![\w])([^\W\d_]+)(?:[ \t]+(?:named|called|known[ \t]+as|entitled|(?P<of>of)))?[ \t]*[\"“‘'«]?$"
)
_FOLLOWING_ORGANISATION_NOUN = re.compile(
    r"[ \t]+(?:company|firm|newspaper|periodical|magazine|party|association|foundation|bank|hotel|restaurant|shop|"
    r"brand|group|organisation|organization)(?![\w])"
)
#: A State as a party: "against (the) X", "X v. Y" / "Y v. X", "in respect of X".
_PARTY_BEFORE = re.compile(r"(?:(?<![\w])(?:against|versus|vs\.?|v\.?|in[ \t]+respect[ \t]+of))[ \t]+(?:the[ \t]+)?$")
_PARTY_AFTER = re.compile(r"[ \t]+(?:v\.?|vs\.?|versus)[ \t]")
_NATIONAL_AFTER = re.compile(r"[ \t]+(?:nationals?|citizens?|nationality|citizenship|passport)(?![\w])")
#: Joiners inside an institution's name ("Halle/Saale Labour Court", "Bolu and Düzce Criminal Courts").
_JOINER = re.compile(r"[ \t]+(?:and|&)[ \t]+|[ \t]*/[ \t]*|[ \t]+|-")
#: A word after a span, with a trailing possessive apostrophe ("Magistrates’ Court").
_FOLLOW_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*['’]?")
#: "Town, Country" and "Town (Country)".
_QUALIFIER_GAP = re.compile(r"[ \t]*,[ \t]*|[ \t]+\(")

#: Heads of a body's name before "of" besides :data:`INSTITUTION_HEADS` ("the Court of Appeal of X").
OF_HEADS = frozenset({"court", "courts", "society", "association", "bar", "chamber", "prefect"})
#: A person's span that ends in, or is followed by, a street word is a street ("Odysseos Avenue").
_STREET_WORDS = r"(?:Street|Avenue|Road|Boulevard|Highway|Straße|Strasse|Platz|Gatan|Utca|Ulica)"
_STREET_END = re.compile(rf"(?<![\w]){_STREET_WORDS}$")
_STREET_AFTER = re.compile(rf"[ \t]+{_STREET_WORDS}(?![\w])")
#: An acronym: one upper-case word of two to six letters.
_ACRONYM = re.compile(r"[A-ZÀ-ÖØ-Þ]{2,6}")
_BRACKETED = re.compile(r"[ \t]*\(([^()\n]{2,40})\)")
#: How far before a match the rules look, within its line.
LOOK_BACK = 80
#: Words after a match searched for an institution's head word.
HEAD_LOOK_AHEAD = 6


def refine_names(text: str, matches: Sequence[Match]) -> list[Match]:
    """``matches`` judged by their context (see the module docstring): PERSON/LOCATION matches of the
    judged detectors are kept, trimmed, retyped, joined or dropped; all others are kept as they are."""
    out: list[Match] = []
    places: list[Match] = []
    case = TextCase(text)
    for m in matches:
        if m.entity_type not in NAME_TYPES or m.detector not in JUDGED_DETECTORS:
            out.append(m)
            continue
        judged = judge(text, m, case)
        if judged is None:
            continue
        (places if judged.entity_type == "LOCATION" else out).append(judged)
    out.extend(join_qualified_places(text, places))
    return out


class TextCase:
    """Whether a text is all lower or all upper case, computed on first need (once per text, not per match)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: bool | None = None
        self._upper: bool | None = None

    @property
    def lower(self) -> bool:
        if self._lower is None:
            self._lower = self.text.islower()
        return self._lower

    @property
    def upper(self) -> bool:
        if self._upper is None:
            self._upper = self.text.isupper()
        return self._upper


def judge(text: str, m: Match, case: TextCase | None = None) -> Match | None:
    """One PERSON/LOCATION match in ``text`` judged by its context: kept (maybe trimmed or retyped) or None."""
    case = case or TextCase(text)
    start, end, titled = m.start, m.end, False
    if m.entity_type == "PERSON":
        start, titled = _strip_titles(text, start, end)
        style = _STYLE_END.search(text, start, end)
        if style and style.start() > start:
            end, titled = style.start(), True  # "Harwood LJ": the judge's style is outside the name
    elif text.startswith("the ", start) and end - start > 4:
        start += 4  # "the United Kingdom": the article is no part of the name ("The Hague" keeps its own)
    if start >= end:
        return None
    titled = titled or bool(_NAME_POSITION.search(text, max(0, start - 16), start))
    entity = m.entity_type
    value = text[start:end]
    if m.detector == "spacy_ner" and _not_a_name_shape(value, case):
        return None
    if entity == "PERSON" and not titled:
        if fold(value) in _countries_folded() and fold(value) not in AMBIGUOUS_COUNTRIES:
            entity = "LOCATION"  # "Brenner v. Austria": a country, whatever the model says
        elif _STREET_END.search(value) or _is_qualified_place(text, start, end):
            entity = "LOCATION"  # "Odysseos Avenue", "Kufstein (Austria)"
        elif street := _STREET_AFTER.match(text, end):
            entity, end = "LOCATION", street.end()  # "Isaac Lodge" of "Isaac Lodge Street"
        elif m.detector == "spacy_ner" and _ACRONYM.fullmatch(value) and not case.upper:
            return None  # "the KTFA": an acronym names a body, not a person
    if not titled:
        if _is_vocabulary_only(text, start, end, entity) or _is_nationality(text, start, end):
            return None
        if entity == "PERSON" and m.detector == "spacy_ner" and _common_words_only(value):
            return None
        if _is_institution(text, start, end) or _is_heading(text, start, end) or _in_gloss(text, start, end):
            return None
        noun, via_of = _introducing_noun(text, start)
        if entity == "PERSON" and (
            (noun in ORGANISATION_NOUNS and not via_of) or _FOLLOWING_ORGANISATION_NOUN.match(text, end)
        ):
            return None
        if entity == "PERSON" and noun in PLACE_NOUNS:
            entity = "LOCATION"
    if entity == "LOCATION":
        if _is_state_as_party(text, start, end):
            return None
        if m.detector == "spacy_ner" and _INITIALS_ONLY.fullmatch(value) and fold(value) not in PLACE_INITIALS:
            entity = "PERSON"
    if (start, end, entity) == (m.start, m.end, m.entity_type):
        return m
    return name_match(entity, text, start, end, m.score, m.detector)


def _line_start(text: str, start: int, width: int) -> int:
    """Where the line holding ``start`` begins, looking back at most ``width`` characters."""
    lo = max(0, start - width)
    return max(lo, text.rfind("\n", lo, start) + 1)


def _not_a_name_shape(value: str, case: TextCase) -> bool:
    """A model's span that cannot be a name: a URL or an e-mail address, or no capitalised word in a
    text that is not all lower case ("bus driver", a phrase of another language's common words)."""
    if "://" in value or "@" in value:
        return True
    return not any(w[:1].isupper() for w in _WORD.findall(value)) and not case.lower


def _common_words_only(value: str) -> bool:
    """Every word an everyday English word and none a name of the Census lists or a place ("Discipline",
    "Guilty Pleasures", "Cautionary Tales", not "Belle"): capitalised for emphasis or in a title, no
    person, outside a name position."""
    first_names, surnames = name_lists()
    words = [fold(w) for w in _WORD.findall(value)]
    return bool(words) and all(is_common_word(w) and w not in first_names and w not in surnames for w in words)


def _is_qualified_place(text: str, start: int, end: int) -> bool:
    """One word followed by a country in brackets: "Kufstein (Austria)" is a town, not a person."""
    after = _BRACKETED.match(text, end)
    return " " not in text[start:end] and after is not None and fold(after.group(1)) in _countries_folded()


# -- titles --------------------------------------------------------------------
def _strip_titles(text: str, start: int, end: int) -> tuple[int, bool]:
    """``start`` moved past any leading titles ("Mr ", "Dr. ", "Judge "), and whether there was one."""
    titled = False
    while True:
        lead = _LEADING_WORD.match(text, start, end)
        if lead is None or fold(lead.group(1)) not in HONORIFICS:
            return start, titled
        start, titled = lead.end(), True


# -- vocabulary, nationality ---------------------------------------------------
def _is_vocabulary_only(text: str, start: int, end: int, entity: str) -> bool:
    """No word of the span is a name: each is vocabulary, an initial, a connector, a roman numeral or a
    calendar word (as a place; as a person only when no frequent first name), and at least one is
    vocabulary ("Articles 3", "the Fourth Section", "Regional", "Reports 87", "A. Criminal")."""
    words = list(_WORD.finditer(text, start, end))
    if not words:
        return not any(c.isalpha() for c in text[start:end])
    vocabulary = 0
    first_names = frequent_names(1_000, 0)
    for w in words:
        word = w.group()
        folded = fold(word)
        if len(word) == 1:
            continue
        calendar = folded in CALENDAR and (entity == "LOCATION" or folded not in first_names)
        if calendar or is_vocabulary(word) or folded in STATE_WORDS or folded == "union":
            vocabulary += 1
        elif folded in CONNECTORS or ROMAN.fullmatch(word):
            continue
        else:
            return False
    return vocabulary > 0


def _is_nationality(text: str, start: int, end: int) -> bool:
    """The span is nationality adjectives (with vocabulary or currency: "Turkish Liras") or a country
    written as one ("a United Kingdom national")."""
    if _NATIONAL_AFTER.match(text, end):
        return True
    phrases = [p.span() for p in demonym_phrase_pattern().finditer(text, max(0, start - 20), end + 20)]
    words = list(_WORD.finditer(text, start, end))
    demonyms = 0
    for w in words:
        if any(s <= w.start() and w.end() <= e for s, e in phrases) or is_demonym(w.group()):
            demonyms += 1
        elif not (is_vocabulary(w.group()) or fold(w.group()) in CONNECTORS):
            return False
    return demonyms > 0


# -- institutions --------------------------------------------------------------
def base(word: str) -> str:
    """``word`` folded, without a possessive ending ("Governor’s" -> "governor", "Magistrates’" -> "magistrates")."""
    return re.sub(r"['’]s?$", "", fold(word))


def _is_head(word: str, previous: str | None, run_has_the: bool) -> bool:
    """Whether capitalised ``word`` heads an institution's or instrument's name after ``previous``
    (not after a first name: "Jude Law" is a person)."""
    folded = base(word)
    if folded in INSTITUTION_HEADS or folded in INSTRUMENT_HEADS:
        return previous is None or fold(previous) not in name_lists()[0]
    if folded in ("court", "courts"):
        return run_has_the or (previous is not None and base(previous) in COURT_TYPES)
    if folded in ("centre", "center"):
        return previous is not None and base(previous) in COURT_TYPES
    return False


def _is_institution(text: str, start: int, end: int) -> bool:
    """The span is, or is the first part of, a body's or an instrument's name, or follows
    "<Head> of" ("the Ostrava Administrative Court", "Stradom Prison", "the Mayor of Didim")."""
    run_has_the = text[max(0, start - 4) : start].casefold() == "the "
    words = [w.group() for w in _WORD.finditer(text, start, end)]
    if len(words) > 1 and fold(words[0]) in HEADS_FIRST and fold(words[1]) in CONNECTORS:
        return True  # "Clinique des Lilas", "Tribunal de Grande Instance": the head comes first
    for i, word in enumerate(words):
        if i and word[:1].isupper() and _is_head(word, words[i - 1], run_has_the):
            return True
    previous = words[-1] if words else None
    pos = end
    for _ in range(HEAD_LOOK_AHEAD):
        joiner = _JOINER.match(text, pos)
        if joiner is None:
            break
        follows = _FOLLOW_WORD.match(text, joiner.end())
        if follows is None:
            break
        value = follows.group()
        if value[:1].isupper():
            if _is_head(value, previous, run_has_the):
                return True
        elif run_has_the and base(value) in LOWER_INSTITUTION_HEADS:
            return True
        elif not (run_has_the and base(value) in COURT_TYPES):
            break
        previous, pos = value, follows.end()
    return _after_head_of(text, start)


def _after_head_of(text: str, start: int) -> bool:
    """The span follows "<Head> of (the)", maybe after coordinated names ("Municipalities of A and B")."""
    line = _line_start(text, start, LOOK_BACK)
    before = text[max(line, start - LOOK_BACK) : start]
    before = re.sub(r"(?:[^\W\d_][\w'’\-]*(?:[ \t]*,[ \t]*|[ \t]+(?:and|&)[ \t]+))+$", "", before)
    found = re.search(r"([^\W\d_][\w'’]*)[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?$", before)
    if found is None or not found.group(1)[:1].isupper():
        return False
    head = base(found.group(1))
    return head in INSTITUTION_HEADS or head in OF_HEADS


# -- States --------------------------------------------------------------------
_STATE_OF = re.compile(r"(?i)(?<![\w])(?:" + "|".join(sorted(STATE_WORDS)) + r")[ \t]+of[ \t]+(?:the[ \t]+)?$")
#: Capitalised words and "and" before a span ("... of Great Britain and Northern "), stripped to find
#: what precedes them.
_COORDINATED_BEFORE = re.compile(rf"(?:(?<![\w])(?:[{UPPER_LETTERS}][\w'’\-]*|and|&)[ \t]+)+$")
_NAME_BEFORE = re.compile(rf"(?:(?<![\w])(?:[{UPPER_LETTERS}][\w'’\-]*|the|of)[ \t]+)*$")


def _is_state_as_party(text: str, start: int, end: int) -> bool:
    """A State's formal name outside a place context, or a country as a party to proceedings."""
    line = _line_start(text, start, LOOK_BACK)
    before = text[max(line, start - LOOK_BACK) : start]
    if _PARTY_BEFORE.search(before) or _PARTY_AFTER.match(text, end):
        return True
    words = [fold(w.group()) for w in _WORD.finditer(text, start, end)]
    if not (any(w in STATE_WORDS for w in words) and "of" in words):
        coordinated = _COORDINATED_BEFORE.search(before)
        if coordinated:
            before = before[: coordinated.start()]
        if not _STATE_OF.search(before):
            return False
    # the word before the State's whole name ("the United Kingdom of ..."): a preposition of place
    # makes it a place again ("born in the Republic of Ireland")
    name = _NAME_BEFORE.search(before)
    lead = re.search(r"([^\W\d_]+)[ \t]*$", before[: name.start()] if name else before)
    return lead is None or fold(lead.group(1)) not in PLACE_PREPOSITIONS


# -- glosses and headings --------------------------------------------------------
_GLOSS_WORD = re.compile(r"([^\W\d_][\w'’\-]*)[\"”’']?$")
#: Longest parenthesis searched for a gloss, either side of a span.
GLOSS_CHARS = 200


def _in_gloss(text: str, start: int, end: int) -> bool:
    """The span lies in parentheses that follow an English gloss: a lower-case word other than a person's
    noun, a capitalised common word or vocabulary, or a number or date ("District Court (Sąd Rejonowy)",
    "the Law of 3 March 2011 (Ustawa o ...)"), with no English word before it in the brackets; a
    country in brackets ("Kufstein (Austria)") is a qualifier."""
    line = _line_start(text, start, GLOSS_CHARS + 40)
    opening = text.rfind("(", line, start)
    if opening < 0 or ")" in text[opening:start]:
        return False
    closing = text.find(")", end, end + GLOSS_CHARS)
    if closing < 0 or "\n" in text[end:closing]:
        return False
    if fold(text[start:end]) in _countries_folded():
        return False
    if any(fold(w) in english_stop_words() for w in _WORD.findall(text, opening, start)):
        return False  # "(not by Jonas Nielsen)", "(though X's song ...)": an English aside, not a gloss
    before = text[max(line, opening - 40) : opening].rstrip(" \t")
    if before[-1:].isdigit():
        return True
    gloss = _GLOSS_WORD.search(before)
    if gloss is None:
        return False
    word = gloss.group(1)
    folded = fold(word)
    if folded in PERSON_NOUNS:
        return False
    if word[:1].islower():
        return True
    return is_vocabulary(word) or folded in INSTITUTION_HEADS or folded in INSTRUMENT_HEADS or is_common_word(folded)


_HEADING = re.compile(r"[A-Z]\.[ \t]+([^\W\d_]+)")


def _is_heading(text: str, start: int, end: int) -> bool:
    """ "A. Criminal proceedings", "C. Birth of ...": a letter and a common word opening a line or sentence."""
    heading = _HEADING.match(text, start, end)
    return heading is not None and opens_sentence(text, start) and is_common_word(fold(heading.group(1)))


def _introducing_noun(text: str, start: int) -> tuple[str | None, bool]:
    """The noun just before the span, past "named", "called", "known as", "of" or an opening quote, and
    whether it was "of" ("the village of X")."""
    line = _line_start(text, start, LOOK_BACK)
    found = _INTRODUCER.search(text[max(line, start - 40) : start])
    return (fold(found.group(1)), found.group("of") is not None) if found else (None, False)


@cache
def _countries_folded() -> frozenset[str]:
    return frozenset(fold(n) for n in country_name_list())


# -- Town, Country ---------------------------------------------------------------
def join_qualified_places(text: str, places: list[Match]) -> list[Match]:
    """LOCATION matches with "Town, Country" / "Town (Country)" joined into one ("Bremen, Germany"), and
    "Town, Region" where the region ends a clause ("lives in Dayton, Ohio.")."""
    if len(places) < 2:
        return places
    places = sorted(places, key=lambda m: (m.start, m.end))
    countries = _countries_folded()
    out: list[Match] = []
    for m in places:
        if out:
            last = out[-1]
            gap = _QUALIFIER_GAP.fullmatch(text, last.end, m.start)
            closing = text[m.end : m.end + 1] in ("", ".", ";", ":", ")", "\n")  # "lives in Dayton, Ohio."
            qualifies = fold(text[m.start : m.end]) in countries or closing
            if gap is not None and qualifies and "\n" not in text[last.end : m.end]:
                end = m.end + 1 if "(" in gap.group() and text.startswith(")", m.end) else m.end
                score = max(last.score, m.score)
                out[-1] = name_match("LOCATION", text, last.start, end, score, last.detector)
                continue
        out.append(m)
    return out
