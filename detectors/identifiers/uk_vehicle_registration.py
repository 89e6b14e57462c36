"""UK_VEHICLE_REGISTRATION: UK number plates in the current, prefix and suffix formats, reported with context."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, mask_compact

_EDGE_START, _EDGE_END = r"(?<![A-Za-z0-9\-])", r"(?![A-Za-z0-9]|-[A-Za-z0-9])"
#: Current (since September 2001): a memory tag (region letter -- never I, J, Q, T, U, Z -- and a letter),
#: the age identifier (the year, + 50 for September), three random letters (never I or Q): "AB51 ABC".
CURRENT = _EDGE_START + r"[A-HK-PR-SV-Y][A-HJ-PR-Y](?:0[2-9]|[1-7]\d)[ -]?[A-HJ-PR-Z]{3}" + _EDGE_END
#: Prefix (1983-2001): the year letter (never I, O, Q, U, Z), 1-3 digits, three letters: "A123 BCD".
PREFIX = _EDGE_START + r"[A-HJ-NPR-TV-Y][1-9]\d{0,2}[ -]?[A-HJ-PR-Y][A-HJ-PR-Z]{2}" + _EDGE_END
#: Suffix (1963-1983): three letters, 1-3 digits, the year letter: "ABC 123D".
SUFFIX = _EDGE_START + r"[A-HJ-PR-Z]{3}[ -]?[1-9]\d{0,2}[A-HJ-NPR-TV-Y]" + _EDGE_END


class UkVehicleRegistrationDetector(Detector):
    """Number plates by their DVLA formats.  Letters and digits in these shapes are also model names,
    part numbers and codes ("B747 MAX"), so the scores stay below the threshold alone (current 0.4,
    prefix and suffix 0.3, as Presidio's 0.3 / 0.2 / 0.15 do) and "vehicle", "registration", "number
    plate", "VRN", "DVLA", "car" ... nearby raise them.  The age identifier of a current plate is one the
    DVLA issues (02-29 in March, 51-79 in September: validate).  Upper case, as plates are printed,
    with or without a space or a dash ("LN14-HGT").
    """

    name = "uk_vehicle_registration"
    version = "1"
    entity = "UK_VEHICLE_REGISTRATION"
    patterns = (
        Pattern("plate current", CURRENT, 0.4),
        Pattern("plate prefix", PREFIX, 0.3),
        Pattern("plate suffix", SUFFIX, 0.3),
    )
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (
        r"[A-Z]{2}\d\d[ \-]?[A-Z]{3}|[A-Z]\d{1,3}[ \-]?[A-Z]{3}|[A-Z]{3}[ \-]?\d{1,3}[A-Z]",
    )
    context: ClassVar[tuple[str, ...]] = (
        "vehicle", "vehicle registration", "registration", "registration number", "registration mark", "reg", "reg no",
        "reg number", "number plate", "licence plate", "license plate", "numberplate", "vrn", "vrm", "dvla",
        "v5c", "logbook", "mot", "car", "van", "motorbike", "motorcycle", "insured vehicle", "parking",
    )  # fmt: skip

    def validate(self, value: str) -> Validation:
        """A current plate's age identifier (its third and fourth characters) is one the DVLA has issued
        or will by 2029: 02-29 or 51-79."""
        plate = identifier_rules.national_id(value)
        if len(plate) == 7 and plate[:2].isalpha() and plate[2:4].isdigit():
            age = int(plate[2:4])
            return Validation.NO_OPINION if 2 <= age <= 29 or 51 <= age <= 79 else Validation.REJECT
        return Validation.NO_OPINION

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """The first and the last character only: ``A*****C``."""
        return mask_compact(self.normalise(value), keep_start=1, keep_end=1, group=0)
