"""PHONE_NUMBER: phone-shaped digit groups, read with Google's libphonenumber metadata (``phonenumbers``).

Candidates are runs of 7-15 digits written like a phone number: groups
separated by one space, "-", "." or "/" (spaces allowed on both sides of the
punctuation), a group in parentheses ("(0161) 496 0000", "(898)666-3621"), an
optional leading "+" or "00" and a trunk "(0)" after the country code
("+44 (0)20 7946 0958"), and an optional extension ("x123", "ext. 12",
"extension 4", "#12") that is part of the span.  Parentheses around a whole
number are not ("(800-292-9263)").  Not phone numbers:

* runs glued to a word, "@", "\\" or an identifier's prefix ("req-9956670835dc",
  "CVE-2025-40258", "<54574397.4060000@host>", "0011.shtml");
* dates, date-times, IPv4 addresses (scanned whole: "2025-12-13 12:20:39"
  gives no "2025-12-13 12"), compact dates ("20150808"), ranges of years, a
  date inside a run, the hour of a time after a run ("... 0000 12:30");
* dotted versions ("10.0.19041.1"), decimals among other figures
  ("441.576 319.502"), runs with two one-digit groups, two slashes,
  punctuation spaced on one side only or unbalanced parentheses, runs
  standing among other figures on their line (unless a context word is near);
* runs next to a currency ("£1 234 567"), house numbers before a street name
  ("5533 119 Countess Close"), US ZIP+4 codes after a state ("MA 02110-1301");
* runs in the layout of a US SSN or ITIN, 3-2-4 digits with one dash or space
  throughout ("078-05-1123"), with no context word: no numbering plan groups
  its numbers so, and the SSN and ITIN detectors read them;
* national runs of 13-19 digits that pass Luhn (card numbers: the card
  detector's), unbroken national runs of more than 12 digits, "0 0 ..." read
  through the "00" prefix, and runs of more than 15 digits that are not two
  valid numbers each written with its "0" or "+" ("020 7946 0958 / 020 7946 0959").

Scores (``score_threshold`` is 0.5 by default):

* **valid** 0.75, with a context word 1.0: valid per phonenumbers and written
  internationally ("+CC", "00CC": no region needed); or national, valid in a
  configured region and written the way that region writes numbers: with its
  trunk "0" where its fixed and mobile numbers carry one ("1879048192" is no
  British number), and, outside the default region, grouped as its national
  format groups ("01 84 17 61 18" for France; merged groups only after a
  trunk "0").  Regions are tried in order, default first, then the first
  whose format is the grouping exactly, then one whose groups it merges; a
  cheap test against each region's number pattern runs before the slow
  parse, and readings are cached per digit string.  With a dozen regions
  almost any 8-10 digits are valid somewhere (Denmark, Norway, the US), so
  an unbroken or oddly grouped run gets no more than:
* **phone-shaped** 0.4, with a context word 0.7: two or more groups of 7-15
  digits in all, or one unbroken run of a length some configured region
  uses.  Alone it stays below the threshold: "Call me on 9472 7916" is
  reported, a bare "9472 7916" is not.
* **phone field** 0.85: where the field name says phone, a whole value that
  is one phone-shaped number but not valid (numbers outdated by Chile's 2016
  renumbering, mistyped "+453 3331 9991", "+"-less "1 (780) 836-9987").

Context words (:data:`PHONE_WORDS`: phone, tel, mobile, call, ring, text, sms,
message, fax, whatsapp, reach, ext ...) match as whole words in their
inflections ("calls", "called", "texted", "dialled":
:func:`piiscan.detectors.base.context_pattern`), ignoring case, within
``context_window`` characters before or after the number, across line breaks
("Phone:\n(71) 4233-6306"), or in the field name of table data
("mobile_no", "$.contact.phones[*]").  :data:`LABEL_WORDS` (home, work,
office, desk ...), "number" ("my number is ...", not "order number" or "the
number of") and one-letter labels ("T:", "M:") count only right next to the
number, elsewhere they are ordinary words ("does not work").  An "ext."
marker in the span counts.  A negative label (:data:`NEGATIVE_WORDS`: order,
invoice, ref, account, tracking, serial, ISBN, id, sku, version, bug, card,
licence, address, suite ..., or a "#") right before the number (only
"no."/"number"/"#"/":"/"is" between: "Order no. 212-555-0123", "card number
is ...") rejects it unless it is valid and international, whatever else the
window holds: the label names the number; a phone word right before the
label keeps it ("Caller ID: ...").  So does a field whose own name (the last
segment of a JSON path) is negative and has no phone word, for a number
that is the whole value ("order_ref"; not a number in "order_notes").

Normalisation (what is hashed, :mod:`piiscan.detectors.canonical`; lookups read a value
the same way, so a number written two ways hashes the same wherever that can
be known):

* international ("+", "00"): E.164 as phonenumbers parses it (trunk "(0)"
  dropped), or "+" and the digits if it cannot;
* national, the default region first: written with its trunk "0" and a
  possible number there (its number pattern holds, phonenumbers says
  ``IS_POSSIBLE``), valid or not, E.164 in the default region: "07700 900123"
  is ``+447700900123`` though phonenumbers calls it invalid for GB and valid
  for DE.  Valid there, no other region is asked; invalid, the other regions
  give it its score tier as they always did (valid and written their way:
  strong), and, only if it is grouped unlike the default region's format, their
  reading as the fallback ("01.84.17.61.18" is French);
* else (the fallback) a valid number (either tier): E.164 in the region chosen
  above, else the default region if it is valid there without its trunk "0",
  else the first configured region in which it is valid and whose numbers may
  start that way ("(949) 877-7106" and "Fax 9498777106" -> ``+19498777106``);
* else national: E.164 if a first group of 1-3 digits is a country code
  without its "+" ("1 (780) 836-9987" -> ``+17808369987``), else E.164 with
  the default region's country code if phonenumbers calls it a possible
  number there, else the bare digits.

A national number read in a region other than the default one says so in its
preview (``+49 ******* 67 (read as DE)``): a DPO sees which numbers the
fallback filed, and the index never holds the number.

The extension is in the span but not in the normalised value: a number with
and without "x565" is one subject key.  Previews keep the country code and
the last two digits (``+44 ******** 58``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from enum import Enum
from itertools import accumulate
from typing import ClassVar, Literal, NamedTuple, Self

import phonenumbers
from phonenumbers import (
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)

from piiscan.detectors.base import (
    Detector,
    Match,
    Validation,
    field_words,
    fixed_context_pattern,
    has_min_digits,
    inflections,
)
from piiscan.detectors.settings import DetectorSettings

#: The shortest national numbers we care about have 7 digits; E.164 allows 15.
MIN_DIGITS = 7
MAX_DIGITS = 15
#: Digits a national number written without any separator may have (longer: ids, timestamps, card numbers).
MAX_UNBROKEN_DIGITS = 12
#: Scores: valid number; phone-shaped (or valid but oddly grouped) alone / with a context word;
#: the whole value of a phone field that is not valid.
VALID_SCORE = 0.75
SHAPED_SCORE = 0.4
SHAPED_CONTEXT_SCORE = 0.7
LOOSE_SCORE = 0.85
#: distinct readings remembered per detector (tables and logs repeat values)
_CACHE_SIZE = 50_000

#: Generic phone vocabulary (matched whole-word with inflections: "calls", "called", "texting"), anywhere
#: within ``context_window`` characters of the number.
PHONE_WORDS: tuple[str, ...] = (
    "phone", "telephone", "tel", "mobile", "mob", "cell", "cellphone", "fax", "call", "ring", "rang", "rung",
    "dial", "text", "sms", "message", "whatsapp", "landline", "contact", "ext", "extension", "reach",
    "voicemail", "helpline", "hotline", "callback", "tlf", "telefon", "telefono", "teléfono", "téléphone",
    "telefone", "gsm",
    # German, French, Spanish, Italian, Dutch and Portuguese: phones and calling ("llame al 934 826 157")
    "telefoon", "tél", "handy", "mobil", "mobiel", "móvil", "movil", "portable", "cellulare", "telemóvel",
    "telemovel", "anrufen", "rufen", "erreichbar", "appeler", "appelez", "appelle", "joindre", "llamar", "llame",
    "llámenos", "chiamare", "chiami", "chiamate", "telefonare", "telefonate", "bellen", "bel", "belt",
    "bereikbaar", "ligar", "ligue",
)  # fmt: skip
#: Words that say phone only as the number's label, right before it ("Work: ...", "home 0113 ...") or right
#: after it ("... (office)"): elsewhere they are ordinary words ("does not work").
LABEL_WORDS: tuple[str, ...] = ("home", "work", "office", "desk", "direct", "switchboard", "main", "private")
#: Labels of a number that is not a phone number.
NEGATIVE_WORDS: tuple[str, ...] = (
    # references
    "order", "invoice", "inv", "ref", "reference", "account", "acct", "tracking", "serial", "isbn", "issn", "id",
    "transaction", "txn", "po", "sku", "part", "ticket", "case", "receipt", "booking", "confirmation", "version",
    "ver", "build", "policy", "claim", "bug", "issue", "cve", "patch", "commit", "revision", "rev", "erratum",
    "errata", "rfc",
    # other people's identifiers ("card number 6304 2737 3398", "social security number is 853-37-1694")
    "card", "licence", "license", "passport", "ssn", "social security", "nhs", "nino", "national insurance", "tax",
    "vat", "iban", "zip", "zip code", "postcode", "post code", "postal code",
    # addresses ("Apt. 675 62314", "Address: 5533 119 Countess Close")
    "address", "apt", "apartment", "suite", "unit", "flat", "box",
)  # fmt: skip

# -- candidate scanner ---------------------------------------------------------
#: Between two digit groups: ")", one space, or "-", "." or "/" with optional spaces; then an optional
#: trunk "(0)" and an optional "(".  Never empty (the lookahead), never two spaces or a line break.
_SEP = r"(?=[ \t().\-/])(?:\)[ \t]?(?:[-./][ \t]?)?|[ \t]?[-./][ \t]?|[ \t])?(?:\(0\)[ \t]?)?\(?"
_RUN = r"(?:\+[ \t]?|\(\+?)?\d+(?:" + _SEP + r"\d+)*+\)?"
_EXT = r"[ \t]*(?:(?P<ext_word>ext(?:ension|n)?\.?)|x|\#)[ \t]*\d{1,6}"
_TIME = r"(?:[T ]\d\d?:\d\d(?::\d\d)?)?"
#: Dates (ISO, d/m/y with / . -), date-times and IPv4 addresses, consumed whole so no run starts inside them.
_DATE = r"\d{4}-\d\d-\d\d" + _TIME + r"|\d{4}/\d\d/\d\d|\d\d?(?:/\d\d?/|\.\d\d?\.|-\d\d?-)(?:\d{4}|\d\d)" + _TIME
_SKIP = rf"(?<![\w.])(?:{_DATE}|\d{{1,3}}(?:\.\d{{1,3}}){{3}})(?!\w|[.\-/]\d)"
#: Cheap first test at each position: a digit (after at most "(+") and 6 more digits or separators.
_SEVEN = r"(?=[+(]{0,2}\d[\d \t().\-/]{6})"
#: Where a run may start: not glued to a word, a "+", "@", an escape ("\\051"), a number ("3:", "1,"),
#: or an identifier's prefix ("CVE-2025-40258", "archive-2011-08/0011", "xf86-012804"); and end: not
#: glued to a word, a file extension ("0011.shtml") or an "@" ("<54574397.4060000@example.com>").
_RUN_START = r"(?<![\w+\\@])(?<!\d[:,.])(?<!\w[-/])"
_RUN_END = r"(?!\w|\.[^\W\d_]|@)"
_SCAN = re.compile(
    rf"{_SEVEN}(?:(?P<skip>{_SKIP})|{_RUN_START}(?P<run>{_RUN})(?P<ext>{_EXT})?{_RUN_END})", re.IGNORECASE
)
#: Pre-filter triggers (:attr:`Detector.spanned_triggers`): seven digits with at most six phone separators
#: between neighbours, from the start of a digit group (after one character of left context) -- every
#: run _SCAN can read as a number holds that from its first digit (MIN_DIGITS; the widest separator is
#: ") - (").  Hits starting inside a date or an IPv4 address _SKIP consumes whole do not count
#: (:data:`PHONE_TRIGGER_EXCEPTIONS`): every log line starts with one.
PHONE_SPANNED_TRIGGERS: tuple[str, ...] = (r"\D\d(?:[ \t().\-/]{0,6}\d){6}",)
#: _SKIP's shapes (a time after a date is left out: no seven-digit hit starts in it), with its look-behind
#: as one character of left context and its look-ahead as right context (bytes of non-ASCII characters
#: count as letters: no exception next to them).  A date glued to a "T" ("2026-11-01T00:00:07Z") is no
#: exception to _SKIP's look-ahead, but no run can start in it either: a run must not end glued to a letter.
PHONE_TRIGGER_EXCEPTIONS: tuple[str, ...] = (
    r"[^\w.\x80-\xff](?:\d{4}-\d\d-\d\d|\d{4}/\d\d/\d\d|\d\d?(?:-\d\d?-|/\d\d?/|\.\d\d?\.)(?:\d{4}|\d\d)"
    r"|\d{1,3}(?:\.\d{1,3}){3})(?:[^\w.\-/\x80-\xff]|[.\-/][^\d\x80-\xff]|T)",
)


@functools.cache
def _non_ascii_digits() -> str:
    """A character class of the decimal digits outside ASCII (Arabic-Indic, Devanagari, full-width ...):
    _SCAN's ``\\d`` reads them, the spanned trigger does not, so any of them opens the gate."""
    ranges: list[list[int]] = []
    for code in range(0x80, sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Nd":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


#: A whole value that is one phone number (lookups, phone fields).
_WHOLE = re.compile(rf"(?P<run>{_RUN})(?P<ext>{_EXT})?", re.IGNORECASE)
_GROUP = re.compile(r"\d+")
#: "00" and a country code (which never starts with 0): an international number written without "+".
_IDD = re.compile(r"00[1-9]")
#: A run that is only a date, a time or an IPv4 address ("2026-11-02", "10:11:12", "192.168.1.10"),
#: a compact date ("20150808") or a range of years ("1995-1996").
_NOT_A_NUMBER = re.compile(
    r"\d{4}-\d\d-\d\d|\d\d?[/.]\d\d?[/.]\d{2,4}|\d\d?:\d\d(?::\d\d)?|\d{1,3}(?:\.\d{1,3}){3}"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|(?:1[89]|20)\d\d ?[-/] ?(?:1[89]|20)\d\d"
)
#: A date inside a longer run: "3.7 (2018-12-31)", "1.0 2014-04-08".
_DATE_INSIDE = re.compile(r"(?<!\d)(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)")
#: Punctuation with a space on one side only ("1599 -433", "12- 34"): columns of numbers, not a phone number.
_LOPSIDED = re.compile(r"[ \t][-./](?![ \t])|(?<![ \t])[-./][ \t]")
#: A US ZIP+4 code: after a state code ("MA 02110-1301") or before "USA".
_ZIP4 = re.compile(r"\d{5}-\d{4}")
_STATE_BEFORE = re.compile(r"(?<![^\W_])[A-Z]{2},?[ \t]+$")
_USA_AFTER = re.compile(r",?[ \t]+(?:USA|U\.S\.A\.|United States)(?![^\W_])")
_CURRENCY_BEFORE = re.compile(r"(?:[£$€¥₹]|(?<![^\W_])(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|PLN|AUD|INR|BRL|kr))\s?$")
_CURRENCY_AFTER = re.compile(r"\s?(?:[£$€¥₹%]|(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|PLN|AUD|INR|BRL|kr)(?![^\W_]))")
_HOUR_AFTER = re.compile(r":\d")
#: A house number: the run is followed on its line by a street name ("5533 119 Countess Close",
#: "17151 2450 Crown St", "6556 106 Rue Ettatawer", "32 Mellemvej").
_STREET_TYPES = (
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "close", "court", "drive", "way", "place", "square",
    "sq", "boulevard", "blvd", "terrace", "crescent", "grove", "gardens", "mews", "row", "walk", "parade",
    "highway", "parkway",
)  # fmt: skip
_STREET_FIRST = ("rue", "via", "viale", "piazza", "calle", "avenida", "rua", "avenue", "boulevard", "ulica", "ul")
_STREET_SUFFIXES = ("straße", "strasse", "str", "weg", "gasse", "straat", "laan", "vej", "gade", "gata", "gatan",
                    "vägen", "veien", "katu", "tie")  # fmt: skip
_STREET_AFTER = re.compile(
    r"[ \t]+(?:"
    rf"(?:[^\W\d_][\w'’.\-]*[ \t]+){{1,3}}(?:{'|'.join(_STREET_TYPES)})(?![^\W_])"
    rf"|(?:{'|'.join(_STREET_FIRST)})[ \t]+[^\W\d_]"
    rf"|[^\W\d_]+(?:{'|'.join(_STREET_SUFFIXES)})(?![^\W_])"
    r")",
    re.IGNORECASE,
)

#: _SCAN, found by a search that skips at C speed to where a match can start (a digit, "+" or "(", the
#: first thing a _SCAN match holds) and _SEVEN can hold (six phone characters follow, after at most one
#: more "+" or "("), then tests _SCAN there: its group "all" is _SCAN's match.  (The lookbehind holds no
#: back-reference: _DATE spells out its three separators.)
_SCAN_AT = re.compile(rf"[+(\d](?=[+(]?[\d \t().\-/]{{6}})(?<=(?=(?P<all>{_SCAN.pattern})).)", re.IGNORECASE)
_ALL, _RUN_GROUP, _EXT_WORD = (_SCAN_AT.groupindex[g] for g in ("all", "run", "ext_word"))
#: An ASCII run's shape (bytes): its digits as "1", but the "0" of a trunk "(0)", written "(z)".
_SHAPE_DIGITS = bytes.maketrans(b"0123456789", b"1111111111")
#: What an ASCII run holds besides digits (_RUN): deleted, its digits are left.
_RUN_PUNCTUATION = b" \t()+-./"
#: _NOT_A_NUMBER and _DATE_INSIDE with every digit allowed anywhere: a run whose shape fails them is no
#: date whatever its digits (the exact tests run only for the shapes that pass).
_NOT_A_NUMBER_SHAPE = re.compile(
    r"\d{4}-\d\d-\d\d|\d\d?[/.]\d\d?[/.]\d{2,4}|\d\d?:\d\d(?::\d\d)?|\d{1,3}(?:\.\d{1,3}){3}|\d{8}|\d{4} ?[-/] ?\d{4}"
)
_DATE_INSIDE_SHAPE = re.compile(r"(?<!\d)\d{4}-\d\d-\d\d(?!\d)")
#: (run shape, written with "00" and a country code) -> _shape_of(): phone numbers come in few shapes
_SHAPES: dict[tuple[bytes, bool], tuple | None] = {}


class _Ask(Enum):
    """PhoneDetector._fast_candidate's "ask _candidates" (one member: a sentinel with a type)."""

    CAREFUL = "careful"


_CAREFUL: Literal[_Ask.CAREFUL] = _Ask.CAREFUL


def _shape_of(shape: bytes, idd: bool) -> tuple | None:
    """What :meth:`PhoneDetector._candidates` decides from a run's shape alone (None: no candidate):
    (characters trimmed at the start, at the end, maybe a date, a ZIP+4 shape, international, gaps,
    bare country code).  ``idd``: the run starts "00" and a country code (its digits tell)."""
    run = shape.replace(b"z", b"0").decode()  # a run of that shape: "1"s, and the "0" of each "(0)"
    trim_start = trim_end = 0
    if run.endswith(")") and run.count(")") > run.count("("):
        trim_end = 1
    elif run.startswith("(") and run.endswith(")") and balanced(run[1:-1]):
        trim_start = trim_end = 1
    run = run[trim_start : len(run) - trim_end]
    # PhoneDetector._shaped but its tests of the digits' values (dates: maybe_date)
    if is_version(run) or not balanced(run) or _LOPSIDED.search(run) or run.count("/") > 1:
        return None
    if sum(len(g) == 1 for g in _GROUP.findall(run.replace("(0)", ""))) > 1:
        return None
    if "." in run and not run.startswith(("+", "(+")) and any(c in run for c in " \t-/"):
        return None
    zip4 = _ZIP4.fullmatch(run) is not None
    maybe_date = bool(_NOT_A_NUMBER_SHAPE.fullmatch(run.strip("()+ ")) or _DATE_INSIDE_SHAPE.search(run))
    # candidate()
    plus = run.lstrip("(").startswith("+")
    international = plus or idd
    groups = _GROUP.findall(run.replace("(0)", " ") if international else run)
    if international and not plus:
        groups[0] = groups[0][2:]
        groups = [g for g in groups if g]
    if not groups:
        return None
    gaps: list[int] = []
    if not international:
        count = 0
        for g in reversed(groups[1:]):
            count += len(g)
            gaps.append(count)
    bare_country_code = not international and run[0].isdigit() and len(groups) > 1 and len(groups[0]) <= 3
    return trim_start, trim_end, maybe_date, zip4, international, tuple(gaps), bare_country_code


# -- context -------------------------------------------------------------------
_PHONE = fixed_context_pattern(PHONE_WORDS)
_NEGATIVE = fixed_context_pattern(NEGATIVE_WORDS)
_LABEL = fixed_context_pattern(LABEL_WORDS)
#: A label right before the number: "T: 020 ...", "M: 07700 ..." (one letter and a colon), "Work: ...".
_LABEL_BEFORE = re.compile(
    rf"(?:(?<![^\W_])[tmfpho]\s?:|(?:{_LABEL.pattern})(?:\s+(?:me|us|him|her|them))?(?:\s+(?:on|at))?)[\s:#.=\-(]*$",
    re.IGNORECASE,
)
#: A label right after the number: "... (office)", "... - home", "...-Office".
_LABEL_AFTER = re.compile(rf"[\s:#=\-(]*(?:{_LABEL.pattern})", re.IGNORECASE)
#: "number" says phone as a label right before the number ("my number is ...", "Number: ...") unless a
#: negative label precedes it ("order number"); in a field name, anywhere but after a negative word.
_NUMBER = re.compile(r"(?<![^\W_])numbers?(?![^\W_])(?!\s+of(?![^\W_]))", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(r"(?<![^\W_])numbers?(?:\s+(?:is|was)(?![^\W_]))?[\s:#.=\-]*$", re.IGNORECASE)
#: The end of a negative label: "order " before "number" makes "order number" no phone word.
_NEGATIVE_TAIL = re.compile(rf"(?:{_NEGATIVE.pattern})[\s#:=.\-]*$", re.IGNORECASE)
#: A negative label right before the number: "Order 1234", "invoice no. 1234", "ref: 1234", "Account #: 1234",
#: or a "#" ("Closes: #1016913", "SF#3427522").
_NEGATIVE_LABEL = re.compile(
    rf"(?:(?:{_NEGATIVE.pattern})(?:[\s#:=.\-]*(?:no|nr|num|number|id|code)(?![^\W_])\.?)?"
    r"(?:\s+(?:is|was|are|were)(?![^\W_]))?[\s#:=.\-]*|#)$",
    re.IGNORECASE,
)
#: Separators of the segments of a JSON path ("$.tickets[*].body").
_PATH_SEGMENTS = re.compile(r"[.\[\]/$*:]+")
#: A phone word right before a negative label keeps the number ("Caller ID: 07700 ...", "mobile no. ...").
_PHONE_TAIL = re.compile(rf"(?:{_PHONE.pattern})[\s#:=.\-]*$", re.IGNORECASE)


# -- fast pre-checks (each a necessary condition of the regex it guards: the same verdicts, found sooner) --
def _first_letters(words: tuple[str, ...]) -> str:
    """A character class of the first letters of ``words``: every match of their context_pattern starts
    with one (all forms of a word share its first letter)."""
    return "[" + "".join(re.escape(c) for c in sorted({w.strip().lower()[0] for w in words})) + "]"


def _last_words(words: tuple[str, ...]) -> set[str]:
    """Every form the last word of a match of ``context_pattern(words)`` can take, as the whole run of
    letters and digits it ends (a hyphenated word may be written without its hyphen: "email")."""
    forms: set[str] = set()
    for phrase in words:
        *head, last = re.split(r"[\s_]+", phrase.strip().lower())[-1].split("-")
        head = [h for h in head if h]
        for inflected in inflections(last):
            forms.update("".join(head[k:]) + inflected for k in range(len(head) + 1))
    return forms


def _reversed(words: set[str] | tuple[str, ...]) -> str:
    """A regex matching exactly ``words`` spelled backwards, as a trie: an alternation of hundreds of words
    tries each in turn, one branch per letter finds the few that fit."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in reversed(word):
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict) -> str:
        alternatives = [re.escape(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        if len(alternatives) == 1 and "" not in node:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ("|)" if "" in node else ")")

    return branch(trie)


#: _PHONE, skipping positions whose character starts no phone word (several times faster).
_PHONE_AT = re.compile(rf"(?={_first_letters(PHONE_WORDS)}){_PHONE.pattern}", re.IGNORECASE)
#: Pre-checks of _LABEL_BEFORE, _NUMBER_BEFORE and _NEGATIVE_LABEL, matched at the start of the window
#: spelled backwards: whether it can end the way each must (its "$" anchor; a "$" before a final line
#: break is covered, a line break being a tail character).  Each word is whole: a regex word ends where
#: the reversed one meets a non-word character.
_LABEL_BEFORE_ENDING = re.compile(
    r"[\s:#.=\-(]*(?:[tmfpho]|(?:(?:no|ta)\s+)?(?:(?:em|su|mih|reh|meht)\s+)?"
    rf"{_reversed(_last_words(LABEL_WORDS))})(?![^\W_])",
    re.IGNORECASE,
)
_NUMBER_BEFORE_ENDING = re.compile(r"[\s:#.=\-]*(?:(?:si|saw)\s+)?s?rebmun(?![^\W_])", re.IGNORECASE)
_NEGATIVE_LABEL_ENDING = re.compile(
    r"[\s#:=.\-]*(?:\#|(?:(?:si|saw|era|erew)\s+)?"
    rf"(?:\.?{_reversed(('no', 'nr', 'num', 'number', 'id', 'code'))}[\s#:=.\-]*)?"
    rf"{_reversed(_last_words(NEGATIVE_WORDS))}(?![^\W_]))",
    re.IGNORECASE,
)


class Reading(NamedTuple):
    """What one candidate is: ``valid`` (the 0.75 tier) and its normalised form."""

    valid: bool
    normalised: str
    number: PhoneNumber | None  # None: not parseable (masked from the digits)
    #: the region a national number was read in when it is not the default region (the fallback:
    #: not a possible number there, or not written its way); recorded in the finding's preview
    fallback: str | None = None


class _Candidate(NamedTuple):
    start: int
    end: int
    digits: str  # national digits, or country code + number when international
    gaps: tuple[int, ...]  # written gaps, counted in digits from the right
    international: bool
    bare_country_code: bool  # a first group of 1-3 digits, no "+": maybe a country code without its "+"
    ext_word: bool  # an "ext"/"extension" marker: phone vocabulary inside the span


class _RegionCheck:
    """A cheap "could this be valid in the region" test from the metadata, run before phonenumbers.parse.

    True unless none of the forms phonenumbers could read the digits as (as written, national prefix
    stripped, country code stripped) matches the number pattern of the region's country code.
    """

    def __init__(self, region: str) -> None:
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None or meta.country_code is None:
            raise ValueError(f"unknown phone region {region!r}")
        self.country_code = str(meta.country_code)
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code, (region,))
        patterns = []
        lengths: set[int] = set()
        for r in regions:
            m = PhoneMetadata.metadata_for_region(r)
            if m is not None and m.general_desc is not None and m.general_desc.national_number_pattern:
                patterns.append(m.general_desc.national_number_pattern)
                lengths.update(m.general_desc.possible_length or ())
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self.lengths = frozenset(lengths)
        self.prefix = re.compile(meta.national_prefix_for_parsing) if meta.national_prefix_for_parsing else None
        #: a transform rule rewrites the number (Argentina, Brazil ...): parse whenever in doubt
        self.exact = meta.national_prefix_transform_rule is None
        #: the national prefix when the region's fixed-line and mobile numbers are written nationally with it
        #: ("0" in Britain, France, Germany ...; not in the US, Denmark, Italy): a number written without it
        #: is not written the region's way (see :func:`written_fit`)
        prefix = meta.national_prefix
        self.trunk = prefix if prefix and self._examples_start_with(region, prefix) else None

    @staticmethod
    def _examples_start_with(region: str, prefix: str) -> bool:
        """Whether the region's example fixed-line and mobile numbers, written nationally, start with ``prefix``."""
        written = []
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                written.append("".join(_GROUP.findall(phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL))))
        return bool(written) and all(w.startswith(prefix) for w in written)

    def may_be_written(self, digits: str) -> bool:
        """Whether ``digits`` can be the region's national format of a number (its trunk prefix first)."""
        return self.trunk is None or digits.startswith(self.trunk)

    def forms(self, digits: str) -> Iterator[str]:
        """What phonenumbers.parse may keep as the national number: the digits, without the national
        prefix, without the country code (and then without the national prefix)."""
        yield digits
        yield from self._without_prefix(digits)
        if digits.startswith(self.country_code):
            rest = digits[len(self.country_code) :]
            yield rest
            yield from self._without_prefix(rest)

    def _without_prefix(self, digits: str) -> Iterator[str]:
        if self.prefix is not None:
            m = self.prefix.match(digits)
            if m and m.end():
                yield digits[m.end() :]

    def could_be_valid(self, digits: str) -> bool:
        if not self.exact or self.pattern is None:
            return True
        return any(self.pattern.fullmatch(f) for f in self.forms(digits))

    def possible_length(self, digits: str) -> bool:
        return any(len(f) in self.lengths for f in self.forms(digits))


@functools.cache
def region_check(region: str) -> _RegionCheck:
    """The (immutable) check of one region, built once per process: detectors are built per lookup."""
    return _RegionCheck(region)


class PhoneDetector(Detector):
    """Phone numbers in national and international formats, validated against the configured regions.

    See the module docstring for the candidate shapes, the score tiers, the
    context and negative words, the filters and the normalisation.
    """

    name = "phone"
    #: 3: a national number is read in the default region whenever it is possible there (PhoneDetector._home)
    #: 4: a run in the SSN/ITIN layout with no context word is no phone number
    version = "4"
    entity = "PHONE_NUMBER"
    score: ClassVar[float] = VALID_SCORE
    context: ClassVar[tuple[str, ...]] = PHONE_WORDS
    negative_context: ClassVar[tuple[str, ...]] = NEGATIVE_WORDS
    spanned_triggers: ClassVar[tuple[str, ...]] = PHONE_SPANNED_TRIGGERS
    trigger_exceptions: ClassVar[tuple[str, ...]] = PHONE_TRIGGER_EXCEPTIONS

    def __init__(self, settings: DetectorSettings | None = None, threshold: float | None = None) -> None:
        super().__init__(threshold)
        settings = settings or DetectorSettings()
        self.default_region = settings.default_region
        self.regions = tuple(dict.fromkeys((settings.default_region, *settings.phone_regions)))
        self._checks = {r: region_check(r) for r in self.regions}
        self._readings: dict[tuple, Reading | None] = {}
        self._masked: dict[tuple, tuple[Reading | None, str]] = {}

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> Self:
        """Read in ``settings.default_region`` first, then ``settings.phone_regions``."""
        return cls(settings, threshold=settings.score_threshold)

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, MIN_DIGITS)

    # -- reading one candidate ---------------------------------------------------
    def _reading(self, c: _Candidate, strong_only: bool = False) -> Reading | None:
        """The candidate's tier and normalised form (None: not phone-shaped), cached per digit string.

        ``strong_only``: only a valid reading matters (no context word: a phone-shaped one would not
        be reported), so regions that cannot have written the number their way are not parsed.
        """
        key = (c.digits, c.gaps, c.international, c.bare_country_code, strong_only)
        try:
            return self._readings[key]
        except KeyError:
            pass
        reading = self._read_candidate(c, strong_only)
        self._remember(key, reading)
        return reading

    def _read_candidate(self, c: _Candidate, strong_only: bool = False) -> Reading | None:
        if c.international:
            try:
                number = phonenumbers.parse("+" + c.digits, None)
            except phonenumbers.NumberParseException:
                return Reading(False, "+" + c.digits, None)
            return Reading(phonenumbers.is_valid_number(number), e164(number), number)
        found = self.parse_national(c.digits, c.gaps, strong_only)
        if found is not None:
            region, number, strong = found
            return Reading(strong, e164(number), number, None if region == self.default_region else region)
        if strong_only:
            return None
        if not c.gaps and not any(check.possible_length(c.digits) for check in self._checks.values()):
            return None  # one unbroken run of a length no configured region uses
        return self._loose(c.digits, c.bare_country_code)

    def parse_national(
        self, digits: str, gaps: tuple[int, ...] = (), strong_only: bool = False
    ) -> tuple[str, PhoneNumber, bool] | None:
        """(region, number, strong) for ``digits`` read as a national number, or None.

        The default region first (:meth:`_home`): a number that is possible there and written with its
        trunk "0" is read there, whatever another region would call it ("07700 900123" is British,
        though phonenumbers calls it invalid for GB and valid for DE).  Strong if valid there; if not,
        the other regions are asked only for its score, as before: strong when one of them has it as a
        valid number written the way that region writes it (the strong readings below).  Its key stays
        the default region's when it is unbroken or grouped the default region's way; grouped otherwise
        ("01.84.17.61.18"), such a region's reading is the fallback ("(07700) 902-977", which no region
        groups so, stays British).

        The fallback, when the default region cannot have the number: strong, valid in the first
        configured region whose format is the written grouping (``gaps``), else in the first whose
        groups it merges.  Not strong (only when not ``strong_only``): valid in the default region but
        written without its trunk "0", else valid in the first configured region that writes numbers
        without a trunk "0" or in which ``digits`` start with it (a number without its "0" is no German
        number either).  None: valid nowhere.
        """
        home = self._home(digits)
        if home is not None:
            number, valid = home
            if valid:
                return self.default_region, number, True
            elsewhere = self._fallback(digits, gaps, True)  # its score, or (grouped otherwise) its region
            if elsewhere is not None and gaps and written_fit(number, digits, gaps, self.default_region) == NO_FIT:
                return elsewhere  # grouped unlike the default region's format, as another region groups it
            strong = elsewhere is not None
            return (self.default_region, number, strong) if strong or not strong_only else None
        return self._fallback(digits, gaps, strong_only)

    def _fallback(self, digits: str, gaps: tuple[int, ...], strong_only: bool) -> tuple[str, PhoneNumber, bool] | None:
        """:meth:`parse_national` outside the default region's reading (see there)."""
        found: dict[int, tuple[str, PhoneNumber]] = {}  # rank -> first region
        for region, check in self._checks.items():
            written = check.may_be_written(digits)
            if written and region == self.default_region:
                continue  # _home: not valid there
            if strong_only and not (written and (gaps or region == self.default_region)):
                continue
            if NO_FIT in found and not (gaps and written):
                continue  # only a region whose format fits could still improve on the fallback
            if not check.could_be_valid(digits):
                continue
            try:
                number = phonenumbers.parse(digits, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            if region == self.default_region:
                if written:
                    return region, number, True
                found.setdefault(_DEFAULT_UNWRITTEN, (region, number))
                continue
            fit = written_fit(number, digits, gaps)
            if fit == EXACT:
                return region, number, True
            if fit == NO_FIT and (strong_only or not written):
                continue
            found.setdefault(fit, (region, number))
        for rank in (MERGED, _DEFAULT_UNWRITTEN, NO_FIT):
            if rank in found:
                region, number = found[rank]
                return region, number, rank == MERGED
        return None

    def _home(self, digits: str) -> tuple[PhoneNumber, bool] | None:
        """(number, valid) for national ``digits`` read in the default region, or None: not written its
        way (its trunk "0" missing) or not a possible number there.

        Possible: the number pattern of the region's country code holds (:class:`_RegionCheck`) and
        phonenumbers calls it possible (``IS_POSSIBLE``, not local-only).
        """
        check = self._checks[self.default_region]
        if not check.may_be_written(digits) or not check.could_be_valid(digits):
            return None
        try:
            number = phonenumbers.parse(digits, self.default_region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number, True
        if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
            return None
        return number, False

    def _valid_in_default(self, digits: str) -> bool:
        """Whether national ``digits`` are valid in the default region and written its way (cached)."""
        key = ("default", digits)
        try:
            return self._readings[key] is not None
        except KeyError:
            pass
        valid = False
        check = self._checks[self.default_region]
        if check.may_be_written(digits) and check.could_be_valid(digits):
            with contextlib.suppress(phonenumbers.NumberParseException):
                valid = phonenumbers.is_valid_number(phonenumbers.parse(digits, self.default_region))
        self._remember(key, Reading(True, "", None) if valid else None)
        return valid

    def _masked_reading(self, c: _Candidate, strong_only: bool) -> tuple[Reading | None, str]:
        """:meth:`_reading` and the preview of the reading, both cached."""
        key = (c.digits, c.gaps, c.international, c.bare_country_code, strong_only)
        try:
            return self._masked[key]
        except KeyError:
            pass
        reading = self._reading(c, strong_only)
        found = self._masked[key] = reading, preview(reading) if reading is not None else ""
        return found

    def _remember(self, key: tuple, reading: Reading | None) -> None:
        if len(self._readings) >= _CACHE_SIZE:
            self._readings.clear()
            self._masked.clear()
        self._readings[key] = reading

    def _loose(self, digits: str, bare_country_code: bool) -> Reading:
        """A national number valid in no configured region: "+" added if that makes it valid (a first
        group that is a country code without its "+": "1 (780) 836-9987"), else read as possible in the
        default region, else the digits."""
        if bare_country_code:
            try:
                number = phonenumbers.parse("+" + digits, None)
                if phonenumbers.is_valid_number(number):
                    return Reading(False, e164(number), number)
            except phonenumbers.NumberParseException:
                pass
        try:
            number = phonenumbers.parse(digits, self.default_region)
            if phonenumbers.is_possible_number(number):
                return Reading(False, e164(number), number)
        except phonenumbers.NumberParseException:
            pass
        return Reading(False, digits, None)

    def _read(self, value: str) -> Reading | None:
        """A whole value (a lookup, a table cell) as one number, or None if it is not one."""
        value = " ".join(value.split())
        m = _WHOLE.fullmatch(value)
        if m is None:
            return None
        c = candidate(value, m.start("run"), m.end("run"), m.end(), m.group("ext_word") is not None)
        if c is None or not MIN_DIGITS <= len(c.digits) <= MAX_DIGITS:
            return None
        return self._reading(c)

    # -- the Detector interface ----------------------------------------------------
    def validate(self, value: str) -> Validation:
        """CONFIRM when valid read with the default region, else REJECT."""
        try:
            number = phonenumbers.parse(value, self.default_region)
        except phonenumbers.NumberParseException:
            return Validation.REJECT
        return Validation.CONFIRM if phonenumbers.is_valid_number(number) else Validation.REJECT

    def normalise(self, value: str) -> str:
        reading = self._read(value)
        return reading.normalised if reading is not None else value.strip()

    def canonical(self, value: str) -> str | None:
        """The normalised form of a lookup value that is one phone number (valid or not), else None."""
        reading = self._read(value)
        return reading.normalised if reading is not None else None

    def mask(self, value: str) -> str:
        reading = self._read(value)
        return mask_reading(reading) if reading is not None else "*" * len(value)

    @property
    def triggers(self) -> tuple[str, ...]:  # type: ignore[override]  # built on first use, not at import
        return (_non_ascii_digits(),)

    def trigger_exempt(self, field: str | None) -> bool:
        """A phone field's whole value is read loosely (:meth:`_whole_field_value`), triggers or not."""
        return self._field_context(field)[0]

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        return iter(self.find_many((text,), field)[0])

    def find_many(self, texts: Sequence[str], field: str | None = None) -> list[list[Match]]:
        """``find`` over many texts, scanned joined by line breaks (no run spans one, and a line break
        reads as the end of a text to every look-around): one pass instead of one per text."""
        field_phone, field_negative = self._field_context(field)
        found: list[list[Match]] = [[] for _ in texts]
        chosen: Sequence[int] = range(len(texts))
        if field_phone:
            chosen = []
            for i, text in enumerate(texts):
                if self.might_match(text):
                    loose = self._whole_field_value(text)
                    if loose is not None:
                        found[i].append(loose)
                    else:
                        chosen.append(i)
        if chosen:
            self._scan(texts, chosen, field_phone, field_negative, found)
        return found

    def _scan(
        self, texts: Sequence[str], chosen: Sequence[int], field_phone: bool, field_negative: bool, found: list
    ) -> None:
        """Append the matches of the ``chosen`` texts to ``found``.

        :meth:`might_match` is asked only of a text with a match, and not when a run of seven ASCII
        digits was read in it (then it holds).  All checks read the text itself: their windows never
        reach a neighbour.
        """
        joined = "\n".join([texts[i] for i in chosen])
        shaped_counts = self.threshold <= SHAPED_SCORE  # a phone-shaped run scores enough on its own
        ends = list(accumulate(len(texts[i]) + 1 for i in chosen))  # one past each text's line break
        k, next_start, offset = 0, ends[0], 0
        text = texts[chosen[0]]
        gate: bool | None = None  # might_match(text), once known
        window, masked_readings = self.context_window, self._masked
        search, pos = _SCAN_AT.search, 0
        while (m := search(joined, pos)) is not None:  # _SCAN.finditer(joined)
            pos = m.end(_ALL)
            start = m.start(_RUN_GROUP)
            if start < 0:
                continue  # a date or an IPv4 address, skipped whole
            if start >= next_start:  # the run is in a later text
                while start >= ends[k]:
                    k += 1
                offset, next_start = ends[k - 1], ends[k]
                text = texts[chosen[k]]
                gate = None
            c = self._fast_candidate(
                text, start - offset, m.end(_RUN_GROUP) - offset, pos - offset, m.start(_EXT_WORD) >= 0
            )
            if c is _CAREFUL:
                careful = _SCAN.match(text, m.start() - offset)
                assert careful is not None  # the same match, read in the text itself
                candidates: Iterable[_Candidate] = self._candidates(text, careful)
            elif c is None:
                continue
            else:
                candidates = (c,)
                gate = True  # seven ASCII digits: might_match(text) holds
            # the whole value without blanks: a negative field name vetoes only a number that is all of it
            whole = (len(text) - len(text.lstrip()), len(text.rstrip())) if field_negative else None
            for c in candidates:
                # the context checks of _phone_context and _negative_label, inlined (the window before the
                # span, reversed, is read once for the pre-checks of both)
                lo, before = max(0, c.start - window), None
                phone = bool(
                    field_phone
                    or c.ext_word
                    or _PHONE_AT.search(text, lo, c.start)
                    or _PHONE_AT.search(text, c.end, c.end + window)
                    or _LABEL_AFTER.match(text, c.end, c.end + window)
                )
                if not phone:
                    before = text[lo : c.start][::-1]
                    phone = self._label_before(text, lo, c.start, before)
                if not (phone or c.international) and among_numbers(text, c.start, c.end):
                    continue  # "5  64 105 117 18  1   8  28 89 18 19  0": a column of figures
                if not (phone or c.international) and c.gaps == _TAXPAYER_GAPS and taxpayer_layout(text, c):
                    continue  # "078-05-1123": an SSN's (or ITIN's) layout, and nothing says phone
                strong_only = not (phone or shaped_counts)
                if strong_only and not (c.international or c.gaps or self._valid_in_default(c.digits)):
                    continue  # alone, an unbroken national run counts only if valid in the default region
                known = masked_readings.get((c.digits, c.gaps, c.international, c.bare_country_code, strong_only))
                reading, masked = known if known is not None else self._masked_reading(c, strong_only)
                if reading is None:
                    continue
                international_valid = reading.valid and c.international
                if whole == (c.start, c.end) and not international_valid:
                    continue  # the whole value of an "order_ref" column (not a number in "order_notes")
                if not international_valid:
                    if before is None:
                        before = text[lo : c.start][::-1]
                    if _NEGATIVE_LABEL_ENDING.match(before) and self._negative_label(text, c.start):
                        continue
                if reading.valid:
                    score = min(1.0, VALID_SCORE + self.context_boost) if phone else VALID_SCORE
                else:
                    score = SHAPED_CONTEXT_SCORE if phone else SHAPED_SCORE
                if score < self.threshold:
                    continue
                if gate is None:
                    gate = self.might_match(text)
                if gate:
                    found[chosen[k]].append(
                        Match(self.entity, c.start, c.end, score, self.name, reading.normalised, masked)
                    )

    def _fast_candidate(
        self, text: str, start: int, end: int, span_end: int, ext_word: bool
    ) -> _Candidate | Literal[_Ask.CAREFUL] | None:
        """What :meth:`_candidates` gives for the run ``text[start:end]`` (``span_end``: with its extension)
        (None: nothing), its shape's tests cached; :data:`_CAREFUL` where only the careful path knows (a
        time after the run, non-ASCII digits, more than MAX_DIGITS digits)."""
        if text.startswith(":", end):  # maybe the hour of a time after the run ("... 0000 12:30")
            return _CAREFUL
        if _CURRENCY_BEFORE.search(text, max(0, start - 5), start) or _CURRENCY_AFTER.match(text, span_end):
            return None
        if text.startswith((" ", "\t"), span_end) and _STREET_AFTER.match(text, span_end, span_end + 60):
            return None
        run = text[start:end]
        if not run.isascii():
            return _CAREFUL
        written = run.lstrip("(")
        plus = written.startswith("+")
        idd = not plus and written.startswith("00") and len(written) > 2 and written[2] in "123456789"
        raw = run.encode()
        key = (raw.replace(b"(0)", b"(z)") if b"(0)" in raw else raw).translate(_SHAPE_DIGITS), idd
        try:
            shape = _SHAPES[key]
        except KeyError:
            if len(_SHAPES) >= _CACHE_SIZE:
                _SHAPES.clear()
            shape = _SHAPES[key] = _shape_of(*key)
        if shape is None:
            return None
        trim_start, trim_end, maybe_date, zip4, international, gaps, bare_country_code = shape
        if trim_start or trim_end:
            start, end = start + trim_start, end - trim_end
            run = text[start:end]
            if trim_end:
                span_end = end  # the extension of "(... 020 7946 0958 x12)" is not the number's
        if maybe_date and (_NOT_A_NUMBER.fullmatch(run.strip("()+ ")) or _DATE_INSIDE.search(run)):
            return None
        if zip4 and (_STATE_BEFORE.search(text, max(0, start - 6), start) or _USA_AFTER.match(text, end)):
            return None
        if international and "(0)" in run:
            run = run.replace("(0)", " ")
        digits = run.encode().translate(None, _RUN_PUNCTUATION).decode()
        if idd:
            digits = digits[2:]
        n = len(digits)
        if n > MAX_DIGITS:
            return _CAREFUL  # maybe two numbers side by side (_split)
        if n < MIN_DIGITS:
            return None
        if not international and (
            (not gaps and n > MAX_UNBROKEN_DIGITS) or digits.startswith("00") or (13 <= n <= 19 and luhn(digits))
        ):
            return None
        return _Candidate(start, span_end, digits, gaps, international, bare_country_code, ext_word)

    # -- find() helpers --------------------------------------------------------------
    def _whole_field_value(self, text: str) -> Match | None:
        """The whole value of a phone field as one number that is not valid (valid ones score as usual)."""
        reading = self._read(text)
        if reading is None or reading.valid:
            return None
        start, end = len(text) - len(text.lstrip()), len(text.rstrip())
        return Match(self.entity, start, end, LOOSE_SCORE, self.name, reading.normalised, preview(reading))

    def _candidates(self, text: str, m: re.Match[str]) -> Iterator[_Candidate]:
        """The phone-shaped candidates of one scanned run: the run itself, or two numbers written side by side."""
        start, end = m.span("run")
        if _HOUR_AFTER.match(text, end) and not m.group("ext"):  # "... 12:30": the last group is an hour
            last = list(_GROUP.finditer(text, start, end))
            if len(last) < 2:
                return
            end = last[-2].end()
        if _CURRENCY_BEFORE.search(text, max(0, start - 5), start) or _CURRENCY_AFTER.match(text, m.end()):
            return
        if _STREET_AFTER.match(text, m.end(), m.end() + 60):
            return
        run = text[start:end]
        if run.endswith(")") and run.count(")") > run.count("("):  # "(call 020 7946 0958)": not ours
            end -= 1
            run = run[:-1]
        elif run.startswith("(") and run.endswith(")") and balanced(run[1:-1]):  # "(800-292-9263)"
            start, end, run = start + 1, end - 1, run[1:-1]
        if not self._shaped(text, start, end, run):
            return
        span_end = m.end() if end == m.end("run") else end
        c = candidate(text, start, end, span_end, m.group("ext_word") is not None)
        if c is None:
            return
        if len(c.digits) > MAX_DIGITS:
            yield from self._split(text, c, start, end, span_end, m.group("ext_word") is not None)
        elif self._plausible(c):
            yield c

    @staticmethod
    def _shaped(text: str, start: int, end: int, run: str) -> bool:
        """Whether the run is written like a phone number rather than something else made of digits."""
        if _NOT_A_NUMBER.fullmatch(run.strip("()+ ")) or is_version(run) or _DATE_INSIDE.search(run):
            return False
        if not balanced(run) or _LOPSIDED.search(run) or run.count("/") > 1:
            return False
        if sum(len(g) == 1 for g in _GROUP.findall(run.replace("(0)", ""))) > 1:  # "4 5 00014017 1 6": figures
            return False
        if "." in run and not run.startswith(("+", "(+")) and any(c in run for c in " \t-/"):
            return False  # decimals among other numbers ("441.576 319.502", "562334 2.18.2")
        zip4 = _ZIP4.fullmatch(run) is not None
        return not (zip4 and (_STATE_BEFORE.search(text, max(0, start - 6), start) or _USA_AFTER.match(text, end)))

    def _plausible(self, c: _Candidate) -> bool:
        n = len(c.digits)
        if n < MIN_DIGITS or n > MAX_DIGITS:
            return False
        if c.international:
            return True
        if not c.gaps and n > MAX_UNBROKEN_DIGITS:
            return False
        if c.digits.startswith("00"):  # "0 0 468 ...": read through an international prefix
            return False
        return not (13 <= n <= 19 and luhn(c.digits))  # a card number: the card detector's

    def _split(
        self, text: str, c: _Candidate, start: int, end: int, span_end: int, ext_word: bool
    ) -> Iterator[_Candidate]:
        """Two valid numbers with only a separator between them, each starting with its trunk "0", a "+" or
        a "(" ("020 7946 0958 / 020 7946 0959")."""
        groups = list(_GROUP.finditer(text, start, end))
        for k in range(1, len(groups)):
            left = candidate(text, start, groups[k - 1].end(), groups[k - 1].end(), False)
            right_start = groups[k].start()
            while right_start > start and text[right_start - 1] in "(+":
                right_start -= 1
            right = candidate(text, right_start, end, span_end, ext_word)
            if left is None or right is None or not (self._plausible(left) and self._plausible(right)):
                continue
            if not all(text[x.start] in "0+(" for x in (left, right)):
                continue  # "32 21 32 35 32 32 35 18" is a row of numbers, not two phone numbers
            a, b = self._reading(left), self._reading(right)
            if a is not None and b is not None and a.valid and b.valid:
                yield left
                yield right
                return

    def _field_context(self, field: str | None) -> tuple[bool, bool]:
        """(the field name says phone, the field's own name says something else and not phone).

        Phone words count anywhere in a JSON path ("$.contact.phones[*]"), negative ones only in its
        last segment: "$.tickets[*].body" is a ticket's text, not a ticket number.
        """
        if not field:
            return False, False
        words = field_words(field)
        phone = bool(_PHONE.search(words)) or any(
            not _NEGATIVE_TAIL.search(words, 0, m.start()) for m in _NUMBER.finditer(words)
        )
        leaf = next((s for s in reversed(_PATH_SEGMENTS.split(field)) if s and not s.isdigit()), "")
        return phone, not phone and bool(_NEGATIVE.search(field_words(leaf)))

    def _label_before(self, text: str, lo: int, start: int, before: str) -> bool:
        """A label right before the span ("T: ", "Work: ", "my number is "; ``before``: ``text[lo:start]``
        reversed): the part of the phone context a phone word before or after it did not settle."""
        if _LABEL_BEFORE_ENDING.match(before) and _LABEL_BEFORE.search(text, lo, start):
            return True
        m = _NUMBER_BEFORE.search(text, lo, start) if _NUMBER_BEFORE_ENDING.match(before) else None
        return m is not None and not _NEGATIVE_TAIL.search(text, max(0, m.start() - self.context_window), m.start())

    def _negative_label(self, text: str, start: int) -> bool:
        """A negative label right before the span ("Order no. ", "ref: "), not itself after a phone word
        (the caller ran its pre-check, _NEGATIVE_LABEL_ENDING)."""
        lo = max(0, start - self.context_window)
        m = _NEGATIVE_LABEL.search(text, lo, start)
        return m is not None and not _PHONE_TAIL.search(text, max(0, m.start() - self.context_window), m.start())


def candidate(text: str, start: int, end: int, span_end: int, ext_word: bool) -> _Candidate | None:
    """The candidate of the run ``text[start:end]`` (``span_end`` includes an extension)."""
    run = text[start:end]
    plus = run.lstrip("(").startswith("+")
    international = plus or bool(_IDD.match(run.lstrip("(")))  # "+44 20 ...", "0044 20 ...", "001-518-..."
    if international:
        run = run.replace("(0)", " ")  # the trunk prefix after a country code: "+44 (0)20 ..."
    groups = _GROUP.findall(run)
    if international and not plus:
        groups[0] = groups[0][2:]
        groups = [g for g in groups if g]
    if not groups:
        return None
    digits = "".join(groups)
    gaps: list[int] = []
    if not international:  # international numbers are read without their grouping
        count = 0
        for g in reversed(groups[1:]):
            count += len(g)
            gaps.append(count)
    bare_country_code = not international and text[start].isdigit() and len(groups) > 1 and len(groups[0]) <= 3
    return _Candidate(start, span_end, digits, tuple(gaps), international, bare_country_code, ext_word)


#: How a written number fits its region's national format (:func:`written_fit`).
NO_FIT, MERGED, EXACT = 0, 1, 2
#: rank of a number valid in the default region but written without its trunk "0" (PhoneDetector.parse_national)
_DEFAULT_UNWRITTEN = -1


def written_fit(number: PhoneNumber, digits: str, gaps: tuple[int, ...], region: str | None = None) -> int:
    """How ``digits`` written with ``gaps`` (counted from the right) fit the way the number's region
    (``region``, else the one it is valid in) writes it: EXACT, MERGED or NO_FIT.

    The digits must be those of phonenumbers' national format, trunk prefix included (nobody writes the
    Irish "(01) 7151 2450" as "17151 2450"; where fixed and mobile numbers carry a trunk "0", a number
    without it does not fit), or the national prefix as a group of its own and those ("1-201-555-0123").
    EXACT: the format's gaps; MERGED: some of them ("0650 2530000"), only after a trunk "0" -- without
    one (Denmark, Norway, Poland, Spain, the US ...) almost any 8-10 digits are valid somewhere.  An
    unbroken run fits nothing.
    """
    region = region or phonenumbers.region_code_for_number(number)
    if not gaps or region is None or not region_check(region).may_be_written(digits):
        return NO_FIT
    groups = _GROUP.findall(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    formatted = "".join(groups)
    meta = PhoneMetadata.metadata_for_region(region)
    prefix = (meta.national_prefix or "") if meta is not None else ""
    # the national prefix, if written, is a group of its own ("1-712-...", not "1712-...")
    if digits != formatted and not (prefix and digits == prefix + formatted and len(formatted) in gaps):
        return NO_FIT
    allowed, count = set(), 0
    for g in reversed(groups[1:]):
        count += len(g)
        allowed.add(count)
    inside = {g for g in gaps if g < len(formatted)}
    if inside == allowed:
        return EXACT
    return MERGED if formatted.startswith("0") and inside <= allowed else NO_FIT


_NUMBER_BEFORE_RUN = re.compile(r"\d[ \t\[\]{}]*$")
_NUMBER_AFTER_RUN = re.compile(r"[ \t\[\]{}]*\d")


#: The gaps (counted from the right) of a 3-2-4 run: the layout of a US SSN or ITIN.
_TAXPAYER_GAPS = (4, 6)
_TAXPAYER_LAYOUT = re.compile(r"\d{3}(?P<s>[- ])\d{2}(?P=s)\d{4}")


def taxpayer_layout(text: str, c: _Candidate) -> bool:
    """Whether the candidate is written AAA-GG-SSSS (or with spaces), as SSNs and ITINs are printed."""
    return len(c.digits) == 9 and _TAXPAYER_LAYOUT.fullmatch(text, c.start, c.end) is not None


def among_numbers(text: str, start: int, end: int) -> bool:
    """Whether other figures stand right before or after the span on its line (spaces or brackets between)."""
    return bool(_NUMBER_BEFORE_RUN.search(text, max(0, start - 8), start) or _NUMBER_AFTER_RUN.match(text, end))


def balanced(run: str) -> bool:
    """Parentheses open before they close and at most one group deep ("(0161) 496", not "2)211")."""
    depth = 0
    for ch in run:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if not 0 <= depth <= 1:
            return False
    return depth == 0


def is_version(run: str) -> bool:
    """A dotted run with a one-digit group after the first: "10.0.19041.1" (phone groups have 2+ digits)."""
    if not set(run) <= set("0123456789."):
        return False
    return any(len(g) == 1 for g in run.split(".")[1:])


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask_number(number: PhoneNumber) -> str:
    """Country code and the last two digits only: ``+44 ******** 58``."""
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code} {'*' * max(1, len(national) - 2)} {national[-2:]}"


def preview(reading: Reading) -> str:
    """The finding's preview: :func:`mask_reading`, and the region of a national number read outside the
    default region ("+49 ******** 63 (read as DE)"): a DPO sees which numbers were filed by the fallback."""
    masked = mask_reading(reading)
    return f"{masked} (read as {reading.fallback})" if reading.fallback else masked


def mask_reading(reading: Reading) -> str:
    if reading.number is not None:
        return mask_number(reading.number)
    plus = "+" if reading.normalised.startswith("+") else ""
    digits = reading.normalised.lstrip("+")
    return f"{plus}{'*' * (len(digits) - 2)} {digits[-2:]}"
