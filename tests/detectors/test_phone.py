import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.phone import PhoneDetector
from piiscan.detectors.settings import DetectorSettings
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

GB = PhoneDetector(DetectorSettings(default_region="GB", phone_regions=("GB",)))
GB_US = PhoneDetector(DetectorSettings(default_region="GB", phone_regions=("US", "GB")))
#: the default settings: GB first, then the regions a UK/EU organisation's data holds
DEFAULT = PhoneDetector(DetectorSettings())

VALID, VALID_CONTEXT = 0.75, 1.0  # valid number alone / with a context word
SHAPED_CONTEXT = 0.7  # phone-shaped (alone 0.4: below the 0.5 threshold) with a context word


@pytest.mark.parametrize(
    ("detector", "text", "value", "normalised", "score"),
    [
        (GB, "020 7946 0958 today", "020 7946 0958", "+442079460958", VALID),
        (GB, "ring 020 7946 0958 today", "020 7946 0958", "+442079460958", VALID_CONTEXT),
        (GB, "tel: 020 7946 0958", "020 7946 0958", "+442079460958", VALID_CONTEXT),
        (GB, "(+44) 20 7946 0958", "(+44) 20 7946 0958", "+442079460958", VALID),
        (GB, "+44 20 7946 0958", "+44 20 7946 0958", "+442079460958", VALID),
        (GB, "Leeds branch 0113 496 0000.", "0113 496 0000", "+441134960000", VALID),
        (GB, "Leeds office 0113 496 0000.", "0113 496 0000", "+441134960000", VALID_CONTEXT),
        (GB, "US desk +1 202-555-0143", "+1 202-555-0143", "+12025550143", VALID_CONTEXT),
        (GB, "mobile +61 491 570 006", "+61 491 570 006", "+61491570006", VALID_CONTEXT),
        (GB_US, "see (212) 555-0123", "(212) 555-0123", "+12125550123", VALID),
        (GB_US, "ring 020 7946 0958 today", "020 7946 0958", "+442079460958", VALID_CONTEXT),
    ],
)
def test_found(detector: PhoneDetector, text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(detector, text, value, normalised=normalised, score=score, entity="PHONE_NUMBER")


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        # international: no region needed; "00" is "+", a trunk "(0)" after the country code is dropped
        ("+44 20 7946 0958", "+442079460958"),
        ("+442079460958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+44(0)20-7946-0958", "+442079460958"),
        ("+1 (212) 555-0123", "+12125550123"),
        ("001-518-640-0854", "+15186400854"),
        ("+353 87 123 4567", "+353871234567"),
        ("+49 30 1234567", "+49301234567"),
        ("+46 (0)8 928 571 38", "+46892857138"),
        # national, default region (GB): any grouping, or none
        ("020 7946 0958", "+442079460958"),
        ("(020) 7946 0958", "+442079460958"),
        ("020-7946-0958", "+442079460958"),
        ("02079460958", "+442079460958"),
        ("0113 496 0000", "+441134960000"),
        # national, another configured region: written the way that region writes it
        ("(212) 555-0123", "+12125550123"),
        ("212-555-0123", "+12125550123"),
        ("212.555.0123", "+12125550123"),
        ("1-212-555-0123", "+12125550123"),
        ("06 12 34 56 78", "+33612345678"),  # France
        ("01.84.17.61.18", "+33184176118"),
        ("030 123456", "+4930123456"),  # Germany
        ("02 1234 5678", "+390212345678"),  # Italy
        ("612 34 56 78", "+34612345678"),  # Spain
        ("0490 75 40 81", "+32490754081"),  # Belgium
        ("087 123 4567", "+353871234567"),  # Ireland
        ("044 668 18 00", "+41446681800"),  # Switzerland
        ("08-123 456 78", "+46812345678"),  # Sweden
        ("723 813 266", "+48723813266"),  # Poland
        ("94 72 79 16", "+4794727916"),  # Norway
    ],
)
def test_formats_found_alone(value: str, normalised: str) -> None:
    text = f"Reached Ann at {value}; she will be back tomorrow."  # "reach" is a context word
    assert_single_match(DEFAULT, text, value, normalised=normalised, score=VALID_CONTEXT, entity="PHONE_NUMBER")
    assert_single_match(DEFAULT, f"see {value} !", value, normalised=normalised, score=VALID, entity="PHONE_NUMBER")
    assert DEFAULT.canonical(value) == normalised


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        # the extension is part of the span, not of the subject key
        ("Desk: +1-604-696-5272x565", "+1-604-696-5272x565", "+16046965272", VALID_CONTEXT),
        ("Fax: 463-612-6138x036", "463-612-6138x036", "+14636126138", VALID_CONTEXT),
        ("see 020 7946 0958 ext. 12", "020 7946 0958 ext. 12", "+442079460958", VALID_CONTEXT),  # "ext" counts
        ("see 020 7946 0958 x12", "020 7946 0958 x12", "+442079460958", VALID),
        ("Desk: (898)666-3621x0135", "(898)666-3621x0135", "+448986663621", SHAPED_CONTEXT),  # valid nowhere
    ],
)
def test_extension_in_span_not_in_key(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DEFAULT, text, value, normalised=normalised, score=score, entity="PHONE_NUMBER")


def test_one_subject_key_however_written() -> None:
    forms = ["020 7946 0958", "+44 20 7946 0958", "0044 20 7946 0958", "+44 (0)20 7946 0958", "02079460958",
             "(020) 7946-0958", "020 7946 0958 ext. 4", "+44 20 7946 0958 x123"]  # fmt: skip
    assert {m.normalised for f in forms for m in DEFAULT.find(f"tel {f}")} == {"+442079460958"}
    assert {DEFAULT.canonical(f) for f in forms} == {"+442079460958"}


@pytest.mark.parametrize(
    ("text", "value", "normalised"),
    [
        # valid nowhere configured (or valid only grouped unlike its region): a context word is needed
        ("Call me on 9472 7916?", "9472 7916", "+4794727916"),  # valid in Norway, grouped "94 72 79 16" there
        ("Phone:\n467 3395\n", "467 3395", "+444673395"),  # across a line break; possible in GB
        ("Phone:\n(37) 788-063", "(37) 788-063", "+4737788063"),  # valid in Norway, grouped unlike it
        ("Fax: 9498777106", "9498777106", "+19498777106"),  # valid US, but unbroken
        ("0680 298 70 63 (mobile)", "0680 298 70 63", "+496802987063"),  # the word after; valid in DE, but
        # grouped unlike DE: read in the first region that writes a leading "0"
        ("she texted from 467 3395", "467 3395", "+444673395"),  # inflections: texted, calls, messaging ...
        ("two missed calls: 467 3395", "467 3395", "+444673395"),
        ("MESSAGING 467 3395", "467 3395", "+444673395"),
        ("he dialled 467 3395", "467 3395", "+444673395"),
        ("T: 467 3395", "467 3395", "+444673395"),  # a one-letter label
        ("your number: 467 3395", "467 3395", "+444673395"),
        ("WhatsApp +999 1234 5678", "+999 1234 5678", "+99912345678"),  # no such country code: "+" and digits
        ("call 123-4567", "123-4567", "+441234567"),  # valid nowhere configured, possible in GB
        ("call 20 7946 0958", "20 7946 0958", "+442079460958"),  # valid in GB, but without its trunk "0"
        ("call 1879048192", "1879048192", "+441879048192"),
        ("Work: 467 3395", "467 3395", "+444673395"),  # home, work, office, desk: only as the number's label
        ("467 3395 (home)", "467 3395", "+444673395"),
        ("21 253 109 8211-Office", "21 253 109 8211", "+212531098211"),  # "+" added: valid
        ("my number is 467 3395", "467 3395", "+444673395"),
    ],
)
def test_phone_shaped_needs_a_context_word(text: str, value: str, normalised: str) -> None:
    assert_single_match(DEFAULT, text, value, normalised=normalised, score=SHAPED_CONTEXT, entity="PHONE_NUMBER")
    assert_no_match(DEFAULT, value)  # 0.4 alone: below the threshold
    (alone,) = PhoneDetector(DetectorSettings(), threshold=0.4).find(value)
    assert (alone.score, alone.normalised) == (0.4, normalised)


@pytest.mark.parametrize(
    "text",
    [
        "hotel 467 3395",  # whole words only: "tel" is no context in "hotel"
        "telling 467 3395",
        "the number of visitors was 1 234 567",  # a quantity, not a phone number
        "order number 467 3395",  # "number" of an order
        "(--max-stackframe=<number> [default: 2000000])",  # "number", but not the label of the figure
        "precision >= 1000000000 does not work",  # "work" is a label word only next to the number
        "at home since 2019; 467 3395 visitors",
        "467 3395",
    ],
)
def test_phone_shaped_without_context_word_is_not_reported(text: str) -> None:
    assert_no_match(DEFAULT, text)


@pytest.mark.parametrize(
    ("field", "value", "normalised", "score"),
    [
        ("mobile_no", "ask for Ann: 467 3395", "+444673395", SHAPED_CONTEXT),
        ("$.contact.phones[*]", "Ann 467 3395", "+444673395", SHAPED_CONTEXT),
        ("ContactNumber", "Ann 467 3395", "+444673395", SHAPED_CONTEXT),
        ("notes", "Ann 020 7946 0958", "+442079460958", VALID),
        ("HomePhone", "Ann 020 7946 0958", "+442079460958", VALID_CONTEXT),
    ],
)
def test_field_name_is_context(field: str, value: str, normalised: str, score: float) -> None:
    number = value.split(maxsplit=1)[1].split(": ")[-1]
    assert_single_match(DEFAULT, value, number, normalised=normalised, score=score, entity="PHONE_NUMBER", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Order 123-456-7890", None),
        ("Order no. 212-555-0123", None),  # valid US number, but labelled an order number
        ("call about order 212-555-0123", None),  # the label right before the number names it
        ("Invoice #: 020 7946 0958", None),
        ("ref: 0113 496 0000", None),
        ("Account number 0113 496 0000", None),
        ("tracking 0113 496 0000 - phone us with questions", None),
        ("His social security number is 853-37-1694", None),
        ("card number 6304 2737 3398 is lost, call me", None),
        ("Apt. 675 62314", None),
        ("My zip code is 90010-170", None),
        ("ISBN 978-0-306-40615-7", None),
        ("isbn 0-306-40615-2", None),
        ("020 7946 0958", "order_ref"),  # a negative field name without a phone word
        ("020 7946 0958", "InvoiceNumber"),
    ],
)
def test_negative_label_rejects(text: str, field: str | None) -> None:
    assert_no_match(DEFAULT, text, field)


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score", "field"),
    [
        ("order +44 20 7946 0958", "+44 20 7946 0958", "+442079460958", VALID, None),  # valid international
        ("Caller ID: 020 7946 0958", "020 7946 0958", "+442079460958", VALID_CONTEXT, None),  # phone word first
        ("0113 496 0000", "0113 496 0000", "+441134960000", VALID_CONTEXT, "order_phone"),
        # a negative field name vetoes only the whole value, and only the field's own name counts
        (
            "My parcel has not arrived. Call me on 0121 496 0335.",
            "0121 496 0335",
            "+441214960335",
            VALID_CONTEXT,
            "order_notes",
        ),
        ("Call me on 0121 496 0335.", "0121 496 0335", "+441214960335", VALID_CONTEXT, "$.tickets[*].body"),
        ("0121 496 0335", "0121 496 0335", "+441214960335", VALID, "$.tickets[*].body"),
        ("Order shipped. Call 0113 496 0000", "0113 496 0000", "+441134960000", VALID_CONTEXT, None),
    ],
)
def test_negative_label_exceptions(text: str, value: str, normalised: str, score: float, field: str | None) -> None:
    assert_single_match(DEFAULT, text, value, normalised=normalised, score=score, entity="PHONE_NUMBER", field=field)


@pytest.mark.parametrize(
    "text",
    [
        # each next to a phone word, so it is the filter that drops it, not the threshold
        "call on 2025-12-13 12:20:39",  # a date-time: no "2025-12-13 12"
        "call on 13/12/2025",
        "call on 13.12.25 at 10:00",
        "phone from 192.168.1.10",
        "phone app version 10.0.19041.1",  # dotted version
        "phone 10.0.19041.1",
        "call re card 4111 1111 1111 1111",  # more than 15 digits
        "call re 4111111111111111",
        "call re 3782 822463 10005",  # 15 digits that pass Luhn: a card (the card detector's)
        "call re 12345678901234",  # 14 unbroken digits
        "tel £1 234 567",  # prices
        "tel 1.234.567 EUR",
        "tel 1 234 567 €",
        "mobile id=req-9956670835dc7a81",  # glued to letters
        "phone us at 5533 119 Countess Close",  # a house number before a street name
        "phone us at 17151 2450 Crown St",
        "phone us at 6556 106 Rue Ettatawer",
        "call 12345",  # fewer than 7 digits: pre-filter
        "call 20150808",  # a compact date
        "called 1995-1996",  # a range of years
        "call about release 3.7 (2018-12-31)",  # a date inside the run
        "phone 441.576 319.502",  # decimals among other figures
        "phone release 562334 2.18.2",
        "phone 1599 -433 1 17",  # punctuation spaced on one side: a column of figures
        "call 2)211 -201",  # unbalanced parentheses
        "calls 4 5 00014017 1 6",  # several one-digit groups
        "calls 256/384/512",  # several slashes
        "call 0000000001908320",  # "00" and no country code
        "call 0 0 468 143.462",
        "Copyright \\050c\\051 1997, call",  # an escape sequence
        "Closes: #1016913, calls",  # a "#" reference
        "Fix SF#3427522 (calls)",
        "calls fixed (CVE-2025-40258)",  # an identifier's prefix
        "phone http://example.org/archive-2011-08/0011.shtml",
        "calls Message-ID: <54574397.4060000@example.com>",  # an e-mail's local part
        "Boston, MA 02110-1301, phone us",  # a US ZIP+4 code after a state
        "02110-1301 USA, phone us",
    ],
)
def test_filters(text: str) -> None:
    assert_no_match(DEFAULT, text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("tel 020 7946 0958 / 020 7946 0959", ["020 7946 0958", "020 7946 0959"]),  # two numbers side by side
        ("tel 020 7946 0958 020 7946 0959", ["020 7946 0958", "020 7946 0959"]),
        ("call 0113 496 0000 12:30 today", ["0113 496 0000"]),  # the hour of a time is no digit group
        ("ring 020 7946 0958 or 0113 496 0000", ["020 7946 0958", "0113 496 0000"]),
        ("+1 202-555-0143 and 020 7946 0958", ["+1 202-555-0143", "020 7946 0958"]),
        ("(800-292-9263) in the USA, or 0800-89-1131 in the UK", ["800-292-9263", "0800-89-1131"]),  # no "( )"
        # digits glued to letters before a number do not cut it short
        ("ORD-715586 id=a1234567 x9876543210y call me on 0121 496 0335.", ["0121 496 0335"]),
    ],
)
def test_several_numbers(text: str, values: list[str]) -> None:
    assert [text[m.start : m.end] for m in DEFAULT.find(text)] == values


@pytest.mark.parametrize(
    ("detector", "text"),
    [
        (GB, "07700 900123"),  # Ofcom drama range: phonenumbers says invalid, no context word
        (GB, "+44 7700 900999"),
        (GB, "020 7946 095"),  # too short
        (GB, "(212) 555-0123"),  # US national format, US not configured: phone-shaped only
        (GB, "call 12345"),  # fewer than 7 digits: pre-filter
        (GB_US, "4111 1111 1111 1111"),
        (GB_US, "born 2001-02-03"),
        (DEFAULT, "4567 8901"),  # valid in Denmark, but not written the Danish way ("45 67 89 01")
        (DEFAULT, "0612345678"),  # an unbroken run counts alone only in the default region
        (DEFAULT, "1879048192"),  # ... written its way (with its trunk "0")
        (DEFAULT, "5  64 105 117 18  1   8     0   28 89 18 19  0"),  # among other figures ("28 89 18 19")
        (DEFAULT, "86 81 80 66[{}12 99.6264"),
        (DEFAULT, "32 21 32 35 32 32 35 18"),  # a row of figures, not two numbers side by side
    ],
)
def test_not_found(detector: PhoneDetector, text: str) -> None:
    assert_no_match(detector, text)


def test_regions_are_configurable_and_the_default_region_comes_first() -> None:
    assert [m.normalised for m in GB.find("call (212) 555-0123")] == ["+442125550123"]  # shaped, read as GB
    assert [m.normalised for m in DEFAULT.find("see (212) 555-0123")] == ["+12125550123"]
    assert [m.normalised for m in DEFAULT.find("see (201) 555-0123")] == ["+12015550123"]  # no "0": not British
    assert [m.normalised for m in DEFAULT.find("see 020 1555 0123")] == ["+442015550123"]
    us = PhoneDetector(DetectorSettings(default_region="US", phone_regions=("GB",)))
    assert us.regions == ("US", "GB")
    assert [m.normalised for m in us.find("see (201) 555-0123")] == ["+12015550123"]
    with pytest.raises(ValueError, match="XX"):
        PhoneDetector(DetectorSettings(phone_regions=("XX",)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("020 7946 0958", Validation.CONFIRM),
        ("+1 202-555-0143", Validation.CONFIRM),
        ("07700 900123", Validation.REJECT),
        ("(212) 555-0123", Validation.REJECT),  # national US number read as GB
        ("not a number", Validation.REJECT),
    ],
)
def test_validate_uses_default_region(value: str, expected: Validation) -> None:
    assert_validation(GB_US, value, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0123456", True), ("tel 012 34 56", True), ("012345", False), ("", False)],
)
def test_might_match_needs_seven_digits(text: str, expected: bool) -> None:
    assert GB.might_match(text) is expected


@pytest.mark.parametrize(
    ("value", "mask"),
    [("020 7946 0958", "+44 ******** 58"), ("+1 202-555-0143", "+1 ******** 43")],
)
def test_mask_keeps_country_code_and_last_two(value: str, mask: str) -> None:
    assert_mask_hides(GB, value, mask)
    (match,) = GB.find(value)
    assert match.preview == mask


@pytest.mark.parametrize(
    ("value", "mask"),
    [("+999 1234 5678", "+********* 78"), ("94727916", "+47 ****** 16"), ("467 3395", "+44 ***** 95")],
)
def test_mask_of_numbers_valid_nowhere(value: str, mask: str) -> None:
    assert_mask_hides(DEFAULT, value, mask)
    assert DEFAULT.mask(DEFAULT.normalise(value)) == mask  # what lookups echo


@pytest.mark.parametrize(
    ("detector", "value", "canonical"),
    [
        (GB, "+55 (12) 3923-5555", "+551239235555"),
        (GB, "020 7946 0958", "+442079460958"),
        (GB_US, "(212) 555-0123", "+12125550123"),
        # valid in London too, but a British number is written with its trunk "0": the US reading
        (GB_US, "(201) 555-0123", "+12015550123"),
        (GB_US, "(020) 1555 0123", "+442015550123"),  # the default region first
        # not valid anywhere configured: read loosely, as detection reads a phone field
        (GB, "(212) 555-0123", "+442125550123"),
        (GB, "07700 900123", "+447700900123"),
        (GB, "1 (780) 836-9987", "+17808369987"),
        (GB, "+1 604 696 5272 ext. 565", "+16046965272"),
        (GB, "hello", None),
        (GB, "12345", None),
        (GB, "1234567890123456", None),  # more than 15 digits
        (GB, "call 07700 900123", None),
    ],
)
def test_canonical(detector: PhoneDetector, value: str, canonical: str | None) -> None:
    assert detector.canonical(value) == canonical


@pytest.mark.parametrize(
    ("field", "value", "normalised", "score"),
    [
        ("Phone", "+453 3331 9991", "+45333319991", 0.85),  # a stray digit: not even possible
        ("Phone", "+56 (0)2 635 4444", "+5626354444", 0.85),  # Chile before the 2016 renumbering
        ("Phone", " 1 (780) 836-9987", "+17808369987", 0.85),  # "+" missing
        ("mobile_no", "07700 900123", "+447700900123", 0.85),
        ("Fax", "020 7946 0958", "+442079460958", 1.0),  # valid: the ordinary path
    ],
)
def test_phone_field_accepts_plausible_invalid_numbers(field: str, value: str, normalised: str, score: float) -> None:
    # value.lstrip(): the match runs from the first non-blank character to the end of the value
    assert_single_match(
        GB, value, value.lstrip(), normalised=normalised, score=score, entity="PHONE_NUMBER", field=field
    )
    assert GB.canonical(value) == normalised  # a lookup finds it


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (None, "+453 3331 9991"),  # no phone field and no context word: valid numbers only
        ("notes", "07700 900123"),
        ("Phone", "123-456"),  # too few digits
    ],
)
def test_invalid_numbers_need_a_phone_field(field: str | None, value: str) -> None:
    assert_no_match(GB, value, field)


def test_invalid_number_in_a_phone_field_with_other_words_is_phone_shaped() -> None:
    # not the whole value, so not the 0.85 phone-field reading; the field name is a context word
    assert_single_match(
        GB, "call me on 07700 900123", "07700 900123", normalised="+447700900123", score=0.7,
        entity="PHONE_NUMBER", field="Phone",
    )  # fmt: skip


# -- the default region first (issue 15): a national number possible there is read there -----------------------
#: Ofcom's numbers for drama: the mobile range is invalid for GB in phonenumbers (and valid for DE)
OFCOM = [("07700 900000", "+447700900000"), ("07700 900512", "+447700900512"), ("07700 900999", "+447700900999"),
         ("020 7946 0000", "+442079460000"), ("020 7946 0999", "+442079460999"), ("0161 496 0000", "+441614960000"),
         ("0161 496 0999", "+441614960999"), ("07700 902977", "+447700902977")]  # fmt: skip


@pytest.mark.parametrize(("national", "e164"), OFCOM)
def test_national_and_international_forms_of_a_gb_number_are_one_key(national: str, e164: str) -> None:
    area, *rest = national.split()
    forms = [national, national.replace(" ", ""), f"({area}) {'-'.join(rest)}", f"+44 {area[1:]} {' '.join(rest)}",
             f"0044 {area[1:]} {' '.join(rest)}", f"+44 (0){area[1:]} {' '.join(rest)}", e164]  # fmt: skip
    assert {f: DEFAULT.canonical(f) for f in forms} == dict.fromkeys(forms, e164)
    found = {f: [(m.normalised, m.preview) for m in DEFAULT.find(f"mobile: {f}")] for f in forms}
    preview = f"+44 {'*' * (len(e164) - 5)} {e164[-2:]}"
    assert found == {f: [(e164, preview)] for f in forms}  # no "(read as ...)": the default region
    # a phone column holds it as one value, whatever the region would say of its validity
    assert [m.normalised for m in DEFAULT.find(national, field="mobile")] == [e164]


@pytest.mark.parametrize(
    ("text", "normalised", "preview"),
    [
        # not possible in GB (its number pattern fails): the fallback, and the finding says so
        ("call 030 1234567", "+49301234567", "+49 ******* 67 (read as DE)"),
        ("call 0171 1234567", "+491711234567", "+49 ******** 67 (read as DE)"),
        ("call 06 12 34 56 78", "+33612345678", "+33 ******* 78 (read as FR)"),
        # possible in GB but grouped exactly as a valid number of another region
        ("call 01.84.17.61.18", "+33184176118", "+33 ******* 18 (read as FR)"),
        ("call 087 123 4567", "+353871234567", "+353 ******* 67 (read as IE)"),
        # written internationally: no region needed, nothing to record
        ("call +49 30 1234567", "+49301234567", "+49 ******* 67"),
        # the default region: nothing recorded
        ("call 07700 900123", "+447700900123", "+44 ******** 23"),
        ("call 07700900123", "+447700900123", "+44 ******** 23"),  # unbroken: possible in GB, so GB
    ],
)
def test_a_fallback_region_is_recorded_in_the_preview(text: str, normalised: str, preview: str) -> None:
    (match,) = DEFAULT.find(text)
    assert (match.normalised, match.preview) == (normalised, preview)
    assert DEFAULT.canonical(text.removeprefix("call ")) == normalised


def test_a_german_number_in_a_gb_estate_is_found_by_its_international_form() -> None:
    assert DEFAULT.canonical("030 1234567") == DEFAULT.canonical("+49 30 1234567") == "+49301234567"
    (match,) = DEFAULT.find("Berlin desk: 030 1234567")
    assert match.normalised == DEFAULT.canonical("0049 30 1234567")


@pytest.mark.parametrize(
    ("value", "not_key"),
    [
        ("07700 900123", "+497700900123"),  # the old misreading: never German in a GB estate
        ("07700 902977", "+497700902977"),
        ("(07700) 902-977", "+497700902977"),
    ],
)
def test_a_possible_gb_number_is_never_read_in_another_region(value: str, not_key: str) -> None:
    assert DEFAULT.canonical(value) != not_key
    assert all(m.normalised != not_key for m in DEFAULT.find(f"mobile {value}"))


def test_the_phone_version_changed_so_incremental_scans_rescan() -> None:
    """A national number's key changed (+49 -> +44): an index built by version 2 must be rescanned."""
    assert PhoneDetector.version not in ("1", "2")
