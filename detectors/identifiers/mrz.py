"""MRZ: the machine-readable zone of passports, identity cards and visas (ICAO Doc 9303), by its check digits.

Three layouts (Doc 9303 parts 4-6): TD3 (passports: two lines of 44 characters), TD2 (two of 36) and TD1
(identity cards: three of 30), of ``A-Z``, ``0-9`` and the filler ``<``.  Each holds the document number,
the birth date and the expiry date, each followed by a check digit, and a composite check digit over them
(TD3 also checks the optional personal number): a zone whose check digits all hold is confirmed, any
other rejected.  python-stdnum has no MRZ module and the MRZ package on PyPI has had no release since 2020,
so the check digit (weights 7, 3, 1 over the character values, mod 10) is :func:`check_digit` here.

The lines may be separated by a line break (with blanks around it), one space (text copied from a
scan) or nothing (a zone stored as one string).  The canonical form is the lines joined without
separators; the preview keeps the document code and issuing state only.
"""

from __future__ import annotations

import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, Validation

#: Between the lines: a line break with blanks around it, one space (text copied from a scan), or nothing
#: (a zone stored as one string, as its canonical form is).
_LINE_BREAK = r"(?:[ \t]*\r?\n[ \t]*| |)"
_EDGE_START = r"(?<![A-Z0-9<])"
_EDGE_END = r"(?![A-Z0-9<])"
#: (layout, lines, characters per line, document codes a zone of the layout starts with)
LAYOUTS = (("TD3", 2, 44, "PV"), ("TD2", 2, 36, "ACIPV"), ("TD1", 3, 30, "ACI"))


def _layout_regex(lines: int, width: int, codes: str) -> str:
    first = f"[{codes}][A-Z0-9<][A-Z<]{{3}}[A-Z0-9<]{{{width - 5}}}"
    rest = _LINE_BREAK.join(f"[A-Z0-9<]{{{width}}}" for _ in range(lines - 1))
    return _EDGE_START + first + _LINE_BREAK + rest + _EDGE_END


_WEIGHTS = (7, 3, 1)


def _value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if char == "<":
        return 0
    return ord(char) - ord("A") + 10


def check_digit(field: str) -> str:
    """The ICAO 9303 check digit of a field: ``check_digit("L898902C3") == "6"``."""
    return str(sum(_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _holds(field: str, check: str, *, may_be_empty: bool = False) -> bool:
    """Whether ``check`` is the check digit of ``field`` (a filler for an empty optional field)."""
    if may_be_empty and check == "<" and set(field) <= {"<"}:
        return True
    return check == check_digit(field)


_DATE = re.compile(r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def _dates_plausible(*dates: str) -> bool:
    """YYMMDD dates (a birth date may be unknown in part: ``<<``)."""
    return all(_DATE.fullmatch(d) or "<" in d for d in dates)


def valid_td3(line1: str, line2: str) -> bool:
    number, dob, expiry, personal = line2[0:9], line2[13:19], line2[21:27], line2[28:42]
    return (
        _dates_plausible(dob, expiry)
        and _holds(number, line2[9])
        and _holds(dob, line2[19])
        and _holds(expiry, line2[27])
        and _holds(personal, line2[42], may_be_empty=True)
        and _holds(line2[0:10] + line2[13:20] + line2[21:43], line2[43])
    )


def valid_td2(line1: str, line2: str) -> bool:
    number, dob, expiry = line2[0:9], line2[13:19], line2[21:27]
    return (
        _dates_plausible(dob, expiry)
        and _holds(number, line2[9])
        and _holds(dob, line2[19])
        and _holds(expiry, line2[27])
        and _holds(line2[0:10] + line2[13:20] + line2[21:35], line2[35])
    )


def valid_td1(line1: str, line2: str, line3: str) -> bool:
    number, check = line1[5:14], line1[14]
    if check == "<":  # a long document number: it goes on in the optional data, then its check digit
        overflow = line1[15:30].split("<", 1)[0]
        if len(overflow) < 2:
            return False
        number, check = number + overflow[:-1], overflow[-1]
    dob, expiry = line2[0:6], line2[8:14]
    return (
        _dates_plausible(dob, expiry)
        and _holds(number, check)
        and _holds(dob, line2[6])
        and _holds(expiry, line2[14])
        and _holds(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29], line2[29])
    )


#: Characters of a zone written as one string -> its line width.
_JOINED_WIDTH = {88: 44, 72: 36, 90: 30}


def zone_lines(value: str) -> list[str]:
    """The lines of a zone as written (line breaks or single spaces between them, or none)."""
    lines = value.split()
    if len(lines) == 1 and len(lines[0]) in _JOINED_WIDTH:
        width = _JOINED_WIDTH[len(lines[0])]
        return [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    return lines


def valid_zone(value: str) -> bool:
    """Whether ``value`` is one MRZ of a known layout whose check digits all hold."""
    lines = zone_lines(value)
    widths = {len(line) for line in lines}
    if len(widths) != 1:
        return False
    shape = (len(lines), widths.pop())
    if shape == (2, 44):
        return valid_td3(*lines)
    if shape == (2, 36):
        return valid_td2(*lines)
    if shape == (3, 30):
        return valid_td1(*lines)
    return False


class MrzDetector(Detector):
    """Machine-readable zones (TD3, TD2, TD1) whose check digits all hold: confirmed (four or five check
    digits together pass about one random zone in 10^4 to 10^5, and the shape is found nowhere else)."""

    name = "mrz"
    version = "1"
    entity = "MRZ"
    patterns = tuple(Pattern(f"mrz {layout}", _layout_regex(n, w, codes), 0.5) for layout, n, w, codes in LAYOUTS)
    #: every zone holds a run of 30 zone characters (its shortest line)
    triggers: ClassVar[tuple[str, ...]] = (r"[A-Z0-9<]{30}",)
    context: ClassVar[tuple[str, ...]] = ("mrz", "passport", "machine readable zone", "travel document")

    def might_match(self, text: str) -> bool:
        return "<" in text

    def validate(self, value: str) -> Validation:
        return Validation.CONFIRM if valid_zone(value) else Validation.REJECT

    def normalise(self, value: str) -> str:
        """The lines joined without separators."""
        return "".join(zone_lines(value)).upper()

    def mask(self, value: str) -> str:
        """Document code and issuing state only: ``P<UTO************ (TD3)``."""
        zone = self.normalise(value)
        layout = {88: "TD3", 72: "TD2", 90: "TD1"}.get(len(zone), "MRZ")
        return f"{zone[:5]}{'*' * 12} ({layout})"
