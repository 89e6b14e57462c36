"""EU/EEA national identifiers and EU VAT numbers: one table per behaviour, a row per identifier.

Valid numbers are python-stdnum's documented examples or numbers completed with its own check rules
(a prefix, then the check digit or letter stdnum accepts); every invalid one fails stdnum's checks.
"""

from __future__ import annotations

import pickle

import phonenumbers
import pyarrow as pa
import pytest

from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import LINKABLE_ENTITIES, build_identifier_detectors, normalise_value
from piiscan.detectors.identifiers.eu_national_ids import (
    ALONE_SCORE,
    NATIONAL_ID_DETECTORS,
    NATIONAL_IDS,
    STRONG_CONTEXT_SCORE,
    WEAK_CONTEXT_SCORE,
    NationalIdDetector,
)
from piiscan.detectors.identifiers.eu_vat import EuVatDetector
from piiscan.detectors.settings import DetectorSettings
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match

DETECTORS: dict[str, NationalIdDetector] = {cls.entity: cls() for cls in NATIONAL_ID_DETECTORS}
VAT = EuVatDetector()
NATIONAL_ENTITIES = frozenset(DETECTORS)


def _context_score(entity: str) -> float:
    return STRONG_CONTEXT_SCORE if DETECTORS[entity].row.alone else WEAK_CONTEXT_SCORE


#: (entity, sentence with a context word in the identifier's language, the number as written, canonical form)
WITH_CONTEXT = [
    ("DE_TAX_ID", "Meine Steuer-ID lautet 36 574 261 809.", "36 574 261 809", "36574261809"),
    ("DE_TAX_ID", "Steuerliche Identifikationsnummer: 81024751639", "81024751639", "81024751639"),
    ("FR_NIR", "Numéro de sécurité sociale : 2 85 06 75 123 456 39", "2 85 06 75 123 456 39", "285067512345639"),
    ("FR_NIR", "mon NIR est 178029935104878 (carte vitale)", "178029935104878", "178029935104878"),
    ("FR_NIR", "n° INSEE 2 53 07 2B 073 004 70", "2 53 07 2B 073 004 70", "253072B07300470"),
    ("FR_NIF", "Numéro fiscal de référence : 3023217600053", "3023217600053", "3023217600053"),
    ("FR_NIF", "votre identifiant fiscal 12 34 567 890 066", "12 34 567 890 066", "1234567890066"),
    ("ES_NIF", "Mi DNI es 54362315-K.", "54362315-K", "54362315K"),
    ("ES_NIF", "NIF: 12.345.678-Z", "12.345.678-Z", "12345678Z"),
    ("ES_NIE", "Número de identidad de extranjero X-2482300-W", "X-2482300-W", "X2482300W"),
    ("ES_NIE", "NIE Y7654321G, tarjeta de residencia", "Y7654321G", "Y7654321G"),
    ("IT_FISCAL_CODE", "Il mio codice fiscale è RCCMNL83S18D969H.", "RCCMNL83S18D969H", "RCCMNL83S18D969H"),
    ("IT_FISCAL_CODE", "C.F. MRARSS80A01H501T", "MRARSS80A01H501T", "MRARSS80A01H501T"),
    ("NL_BSN", "Mijn BSN is 1112.22.333.", "1112.22.333", "111222333"),
    ("NL_BSN", "burgerservicenummer 234567892", "234567892", "234567892"),
    ("NL_BSN", "sofinummer: 987 654 329", "987 654 329", "987654329"),
    ("BE_NATIONAL_NUMBER", "Rijksregisternummer: 85.07.30-033.28", "85.07.30-033.28", "85073003328"),
    ("BE_NATIONAL_NUMBER", "numéro de registre national 93021415732", "93021415732", "93021415732"),
    ("BE_NATIONAL_NUMBER", "BIS-nummer 98.47.28-997.65", "98.47.28-997.65", "98472899765"),
    ("PL_PESEL", "Numer PESEL: 44051401359", "44051401359", "44051401359"),
    ("PL_PESEL", "pesel 02270415676, urodzona 2002", "02270415676", "02270415676"),
    ("SE_PERSONNUMMER", "Mitt personnummer är 880320-0016.", "880320-0016", "8803200016"),
    ("SE_PERSONNUMMER", "personnr 19750615-5550", "19750615-5550", "7506155550"),
    ("SE_PERSONNUMMER", "samordningsnummer 8112289841", "8112289841", "8112289841"),
    ("FI_PERSONAL_IDENTITY_CODE", "Henkilötunnus: 131052-308T", "131052-308T", "131052-308T"),
    ("FI_PERSONAL_IDENTITY_CODE", "hetu 150675A456K", "150675A456K", "150675A456K"),
    ("DK_CPR", "Mit CPR-nummer er 211062-5629.", "211062-5629", "2110625629"),
    ("DK_CPR", "cpr nr 0101901230", "0101901230", "0101901230"),
    ("NO_FODSELSNUMMER", "Fødselsnummer: 151086 95088", "151086 95088", "15108695088"),
    ("NO_FODSELSNUMMER", "fnr 24127634544", "24127634544", "24127634544"),
    ("AT_SOCIAL_SECURITY", "Sozialversicherungsnummer 1237 010180", "1237 010180", "1237010180"),
    ("AT_SOCIAL_SECURITY", "SV-Nr.: 1009150675", "1009150675", "1009150675"),
    ("IE_PPS", "My PPS number is 6433435F.", "6433435F", "6433435F"),
    ("IE_PPS", "PPSN 1234567FA", "1234567FA", "1234567FA"),
    ("PT_NIF", "Número de contribuinte: 123 456 789", "123 456 789", "123456789"),
    ("PT_NIF", "NIF 234567899", "234567899", "234567899"),
    ("PT_CC", "Cartão de Cidadão n.º 12345678 9 ZZ1", "12345678 9 ZZ1", "123456789ZZ1"),
    ("PT_CC", "cartão de cidadão 098765432AB1", "098765432AB1", "098765432AB1"),
    ("BG_EGN", "ЕГН: 8032056031", "8032056031", "8032056031"),
    ("BG_EGN", "единен граждански номер 7512031230", "7512031230", "7512031230"),
    ("BG_PNF", "ЛНЧ 7111042925", "7111042925", "7111042925"),
    ("BG_PNF", "личен номер на чужденец: 1234567893", "1234567893", "1234567893"),
    ("CZ_SK_BIRTH_NUMBER", "Rodné číslo: 710319/2745", "710319/2745", "7103192745"),
    ("CZ_SK_BIRTH_NUMBER", "rodne cislo 7804125670", "7804125670", "7804125670"),
    ("CZ_SK_BIRTH_NUMBER", "r.č. 855215/1234", "855215/1234", "8552151234"),
    ("EE_PERSONAL_CODE", "Isikukood 36805280109", "36805280109", "36805280109"),
    ("EE_PERSONAL_CODE", "isikukoodiga 49001011238", "49001011238", "49001011238"),
    ("LT_PERSONAL_CODE", "Asmens kodas: 33309240064", "33309240064", "33309240064"),
    ("LT_PERSONAL_CODE", "asmens kodą 38501011239", "38501011239", "38501011239"),
    ("LV_PERSONAL_CODE", "Personas kods: 161175-19997", "161175-19997", "16117519997"),
    ("LV_PERSONAL_CODE", "personas kods 32867300679", "32867300679", "32867300679"),
    ("HR_OIB", "OIB: 33392005961", "33392005961", "33392005961"),
    ("HR_OIB", "osobni identifikacijski broj 12345678903", "12345678903", "12345678903"),
    ("RO_CNP", "CNP 1630615123457", "1630615123457", "1630615123457"),
    ("RO_CNP", "codul numeric personal: 2960615401239", "2960615401239", "2960615401239"),
    ("SI_EMSO", "EMŠO: 0101006500006", "0101006500006", "0101006500006"),
    ("SI_EMSO", "enotna matična številka občana 1506975501234", "1506975501234", "1506975501234"),
    ("IS_KENNITALA", "Kennitala: 120174-3399", "120174-3399", "1201743399"),
    ("IS_KENNITALA", "kt. 3112853190", "3112853190", "3112853190"),
    ("GR_AMKA", "ΑΜΚΑ: 01013099997", "01013099997", "01013099997"),
    ("GR_AMKA", "αριθμός μητρώου κοινωνικής ασφάλισης 01019012341", "01019012341", "01019012341"),
]

#: (entity, sentence without a context word, the number in a shape reported alone, canonical form)
ALONE = [
    ("DE_TAX_ID", "36 574 261 809 steht oben rechts", "36 574 261 809", "36574261809"),
    ("FR_NIR", "1 78 02 99 351 048 78 est inscrit", "1 78 02 99 351 048 78", "178029935104878"),
    ("FR_NIF", "avis: 30 23 217 600 053", "30 23 217 600 053", "3023217600053"),
    ("ES_NIF", "Firmado, 54362315K, en Madrid", "54362315K", "54362315K"),
    ("ES_NIF", "titular 12.345.678 Z", "12.345.678 Z", "12345678Z"),
    ("ES_NIE", "Solicitante X2482300W", "X2482300W", "X2482300W"),
    ("IT_FISCAL_CODE", "Intestatario RCCMNL83S18D969H", "RCCMNL83S18D969H", "RCCMNL83S18D969H"),
    ("BE_NATIONAL_NUMBER", "Jan Peeters 85.07.30-033.28", "85.07.30-033.28", "85073003328"),
    ("BE_NATIONAL_NUMBER", "Marie 930214 157 32", "930214 157 32", "93021415732"),
    ("SE_PERSONNUMMER", "Anna Svensson, 811228-9841", "811228-9841", "8112289841"),
    ("FI_PERSONAL_IDENTITY_CODE", "Matti 010190-123M", "010190-123M", "010190-123M"),
    ("NO_FODSELSNUMMER", "Kari Nordmann 151086 95088", "151086 95088", "15108695088"),
    ("PT_CC", "Titular 00000000 0 ZZ4", "00000000 0 ZZ4", "000000000ZZ4"),
    ("CZ_SK_BIRTH_NUMBER", "Jan Novák, 710319/2745", "710319/2745", "7103192745"),
]

#: (entity, a valid number in a shape that needs a context word, without one: not reported)
CONTEXT_NEEDED = [
    ("DE_TAX_ID", "Kundennummer 81024751639"),
    ("FR_NIR", "178029935104878"),
    ("FR_NIF", "3023217600053"),
    ("NL_BSN", "1112.22.333"),
    ("NL_BSN", "234567892"),
    ("BE_NATIONAL_NUMBER", "93021415732"),
    ("PL_PESEL", "44051401359"),
    ("SE_PERSONNUMMER", "8112289841"),
    ("DK_CPR", "211062-5629"),
    ("NO_FODSELSNUMMER", "24127634544"),
    ("AT_SOCIAL_SECURITY", "1237 010180"),
    ("IE_PPS", "6433435F"),
    ("PT_NIF", "123 456 789"),
    ("BG_EGN", "8032056031"),
    ("BG_PNF", "7111042925"),
    ("CZ_SK_BIRTH_NUMBER", "7804125670"),
    ("EE_PERSONAL_CODE", "36805280109"),
    ("LT_PERSONAL_CODE", "33309240064"),
    ("LV_PERSONAL_CODE", "161175-19997"),
    ("HR_OIB", "33392005961"),
    ("RO_CNP", "1630615123457"),
    ("SI_EMSO", "0101006500006"),
    ("IS_KENNITALA", "120174-3399"),
    ("GR_AMKA", "01013099997"),
    # an alone shape next to a reference word and no context word
    ("ES_NIF", "invoice 54362315K"),
    ("BE_NATIONAL_NUMBER", "order 85.07.30-033.28"),
]

#: (entity, sentence with a context word and a number that fails python-stdnum's checks)
INVALID = [
    ("DE_TAX_ID", "Steuer-ID 36574261890"),  # check digit
    ("DE_TAX_ID", "Steuer-ID 36554266806"),  # a digit repeated too often
    ("FR_NIR", "sécurité sociale 2 85 06 75 123 456 38"),
    ("FR_NIF", "numéro fiscal 3023217600054"),
    ("ES_NIF", "DNI 54362315Z"),
    ("ES_NIE", "NIE X2482300A"),
    ("IT_FISCAL_CODE", "codice fiscale RCCMNL83S18D969A"),
    ("NL_BSN", "BSN 1112.52.333"),
    ("BE_NATIONAL_NUMBER", "rijksregisternummer 85.07.30-033.29"),
    ("PL_PESEL", "PESEL 44051401358"),
    ("PL_PESEL", "PESEL 02381307589"),  # no such birth date
    ("PL_PESEL", "PESEL 99721209870"),  # checksum-valid, born in 2299
    ("SE_PERSONNUMMER", "personnummer 880320-0018"),
    ("FI_PERSONAL_IDENTITY_CODE", "henkilötunnus 131052-308U"),
    ("DK_CPR", "CPR 311362-1234"),  # no 13th month (the CPR has no check digit)
    ("NO_FODSELSNUMMER", "fødselsnummer 151086 95077"),
    ("AT_SOCIAL_SECURITY", "Sozialversicherungsnummer 2237 010180"),
    ("IE_PPS", "PPS 6433435E"),
    ("PT_NIF", "NIF 123456780"),
    ("PT_NIF", "NIF 501964843"),  # a company's NIF
    ("PT_CC", "cartão de cidadão 00000000 0 ZZ3"),
    ("BG_EGN", "ЕГН 8032056030"),
    ("BG_PNF", "ЛНЧ 7111042922"),
    ("CZ_SK_BIRTH_NUMBER", "rodné číslo 710319/2746"),
    ("EE_PERSONAL_CODE", "isikukood 36805280108"),
    ("LT_PERSONAL_CODE", "asmens kodas 33309240164"),
    ("LV_PERSONAL_CODE", "personas kods 161375-19997"),  # no 13th month
    ("LV_PERSONAL_CODE", "personas kods 40003521600"),  # a company's code
    ("HR_OIB", "OIB 33392005962"),
    ("RO_CNP", "CNP 1630615123458"),
    ("SI_EMSO", "EMŠO 0101006500007"),
    ("IS_KENNITALA", "kennitala 530575-0299"),
    ("IS_KENNITALA", "kennitala 450401-3150"),  # an organisation's
    ("GR_AMKA", "ΑΜΚΑ 01013099999"),
    # inside longer numbers and words
    ("PL_PESEL", "PESEL 440514013591"),
    ("PL_PESEL", "PESEL 1985 44051401359"),
    ("ES_NIF", "DNI A54362315K"),
    ("HR_OIB", "OIB +33392005961"),
]


@pytest.mark.parametrize(("entity", "text", "value", "normalised"), WITH_CONTEXT)
def test_found_with_context(entity: str, text: str, value: str, normalised: str) -> None:
    detector = DETECTORS[entity]
    assert_single_match(detector, text, value, normalised=normalised, score=_context_score(entity), entity=entity)


@pytest.mark.parametrize(("entity", "text", "value", "normalised"), ALONE)
def test_strong_shapes_found_alone(entity: str, text: str, value: str, normalised: str) -> None:
    assert_single_match(DETECTORS[entity], text, value, normalised=normalised, score=ALONE_SCORE, entity=entity)


@pytest.mark.parametrize(("entity", "text"), CONTEXT_NEEDED)
def test_weak_shapes_need_context(entity: str, text: str) -> None:
    assert_no_match(DETECTORS[entity], text)


@pytest.mark.parametrize(("entity", "text"), INVALID)
def test_checksum_failing_not_found(entity: str, text: str) -> None:
    assert_no_match(DETECTORS[entity], text)


def test_every_row_has_two_positives_and_a_negative() -> None:
    for row in NATIONAL_IDS:
        assert sum(e == row.entity for e, *_ in WITH_CONTEXT) >= 2, row.entity
        assert any(e == row.entity for e, _ in INVALID), row.entity
        assert (row.entity in {e for e, *_ in ALONE}) == row.alone, row.entity


def test_column_name_is_context() -> None:
    assert_single_match(DETECTORS["NL_BSN"], "234567892", "234567892", normalised="234567892", score=0.95,
                        entity="NL_BSN", field="bsn")  # fmt: skip
    assert_single_match(DETECTORS["PL_PESEL"], "44051401359", "44051401359", normalised="44051401359", score=0.95,
                        entity="PL_PESEL", field="customer_pesel")  # fmt: skip
    assert_no_match(DETECTORS["PL_PESEL"], "44051401359", field="phone")


#: (entity, two written forms of one number: one canonical form)
SAME_KEY = [
    ("NL_BSN", "1112.22.333", "111222333"),
    ("NL_BSN", "12345672", "012345672"),  # BSN: leading zero omitted
    ("DE_TAX_ID", "36 574 261 809", "36574261809"),
    ("FR_NIR", "2 85 06 75 123 456 39", "285067512345639"),
    ("BE_NATIONAL_NUMBER", "85.07.30-033.28", "85 07 30 033 28"),
    ("SE_PERSONNUMMER", "19880320-0016", "8803200016"),
    ("SE_PERSONNUMMER", "880320-0016", "198803200016"),
    ("ES_NIF", "12.345.678-Z", "12345678Z"),
    ("ES_NIE", "X-2482300-W", "X2482300W"),
    ("CZ_SK_BIRTH_NUMBER", "710319/2745", "7103192745"),
    ("PT_CC", "12345678 9 ZZ1", "123456789ZZ1"),
    ("IS_KENNITALA", "120174-3399", "1201743399"),
    ("NO_FODSELSNUMMER", "151086-95088", "15108695088"),
]


@pytest.mark.parametrize(("entity", "one", "other"), SAME_KEY)
def test_written_forms_share_one_canonical_form(entity: str, one: str, other: str) -> None:
    detector = DETECTORS[entity]
    assert detector.canonical(one) is not None
    assert detector.canonical(one) == detector.canonical(other)
    assert normalise_value(entity, one, DetectorSettings()) == detector.canonical(other)


def test_canonical_rejects_invalid_and_masks_hide() -> None:
    assert DETECTORS["NL_BSN"].canonical("1112.52.333") is None
    assert DETECTORS["FI_PERSONAL_IDENTITY_CODE"].canonical("131052-308T") == "131052-308T"  # century sign kept
    assert_mask_hides(DETECTORS["PL_PESEL"], "44051401359", "********359")
    assert_mask_hides(DETECTORS["ES_NIF"], "12.345.678-Z", "******78Z")
    assert_mask_hides(DETECTORS["IT_FISCAL_CODE"], "RCCMNL83S18D969H", "*************69H")


def test_rows_are_distinct_detectors() -> None:
    assert len({cls.name for cls in NATIONAL_ID_DETECTORS}) == len(NATIONAL_IDS)
    assert len({cls.__name__ for cls in NATIONAL_ID_DETECTORS}) == len(NATIONAL_IDS)
    assert set(LINKABLE_ENTITIES) >= NATIONAL_ENTITIES
    for detector in DETECTORS.values():
        copy = pickle.loads(pickle.dumps(detector))
        assert type(copy) is type(detector)
        assert copy.threshold == detector.threshold


def test_settings_switch_each_type() -> None:
    detectors = build_identifier_detectors(DetectorSettings(entities=("PL_PESEL", "EU_VAT"), score_threshold=0.97))
    assert [d.entity for d in detectors] == ["PL_PESEL", "EU_VAT"]
    assert list(detectors[0].find("PESEL 44051401359")) == []  # 0.95 is below the threshold
    assert [m.entity_type for m in detectors[1].find("USt-IdNr. DE136695976")] == ["EU_VAT"]
    disabled = build_identifier_detectors(DetectorSettings(disabled_entities=("NL_BSN",), ner=False))
    assert "NL_BSN" not in {d.entity for d in disabled}
    assert "PL_PESEL" in {d.entity for d in disabled}


# -- EU VAT -------------------------------------------------------------------------------------
#: (sentence, VAT number as written, canonical form, score)
VAT_FOUND = [
    ("USt-IdNr.: DE 136 695 976", "DE 136 695 976", "DE136695976", 1.0),
    ("N° TVA intracommunautaire FR 61 954 506 077", "FR 61 954 506 077", "FR61954506077", 1.0),
    ("BTW-nummer NL004495445B01", "NL004495445B01", "NL004495445B01", 1.0),
    ("Partita IVA IT00743110157", "IT00743110157", "IT00743110157", 1.0),
    ("VAT number: BE 0697.449.992", "BE 0697.449.992", "BE0697449992", 1.0),
    ("UID ATU57194903", "ATU57194903", "ATU57194903", 1.0),
    ("Billed to ESB58378431 in Barcelona", "ESB58378431", "ESB58378431", 0.6),
    ("Supplier EL094259216", "EL094259216", "EL094259216", 0.6),
    ("vat IE6433435F", "IE6433435F", "IE6433435F", 1.0),
    ("VAT: DE136695976 2024", "DE136695976", "DE136695976", 1.0),  # a following number is not taken
    ("Moms SE556188840401", "SE556188840401", "SE556188840401", 1.0),
]
VAT_NOT_FOUND = [
    "USt-IdNr. DE136695977",  # check digit
    "VAT FR 61 954 506 078",
    "order DE136695976",  # a reference word and no VAT word
    "IBAN BE68 5390 0754 7034",  # an IBAN's start is no VAT number
    "IBAN DE89 3704 0044 0532 0130 00",
    "code XX136695976",  # no member state
    "vat de136695976",  # lower case
    "VAT PADE136695976",
]


@pytest.mark.parametrize(("text", "value", "normalised", "score"), VAT_FOUND)
def test_vat_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(VAT, text, value, normalised=normalised, score=score, entity="EU_VAT")


@pytest.mark.parametrize("text", VAT_NOT_FOUND)
def test_vat_not_found(text: str) -> None:
    assert_no_match(VAT, text)


def test_vat_canonical_and_mask() -> None:
    assert VAT.canonical("BE 697.449.992") == "BE0697449992"
    assert VAT.canonical("DE 136 695 976") == VAT.canonical("de136695976") == "DE136695976"
    assert VAT.canonical("DE136695977") is None
    assert_mask_hides(VAT, "DE 136 695 976", "DE******976")


# -- what the new types must not take from the others --------------------------------------------
EEA_REGIONS = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
    "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "GB", "US",
)  # fmt: skip


def _phone_texts() -> list[str]:
    formats = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
               phonenumbers.PhoneNumberFormat.E164)  # fmt: skip
    texts = []
    for region in EEA_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                for fmt in formats:
                    written = phonenumbers.format_number(number, fmt)
                    texts += [f"Call me on {written} today.", written, written.replace(" ", "")]
    return texts


def test_phone_numbers_cards_and_ibans_are_not_national_ids() -> None:
    """Example phone numbers of every EU/EEA region in every format, cards and IBANs: never a national id."""
    texts = [
        *_phone_texts(),
        "card 4111 1111 1111 1111", "4111111111111111", "378282246310005", "5555-5555-5555-4444",
        "IBAN GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "BE68539007547034",
        "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00", "PL61 1090 1014 0000 0712 1981 2874",
        "SSN 123-45-6789", "NHS 943 476 5919",
    ]  # fmt: skip
    engine = DetectionEngine(DetectorSettings(ner=False))
    table = engine.detect_texts(texts)
    found = {(texts[r], e) for r, e in zip(table["row"].to_pylist(), table["entity_type"].to_pylist(), strict=True)}
    assert {(t, e) for t, e in found if e in NATIONAL_ENTITIES | {"EU_VAT"}} == set()


def test_table_columns_named_for_the_identifier() -> None:
    """Bare numbers in a column whose name says what they are are found; the same numbers elsewhere are not."""
    batch = pa.record_batch(
        {
            "pesel": ["44051401359", "02270415676", "85120312343"],
            "BSN": ["111222333", "234567892", "987654329"],
            "ref": ["44051401359", "111222333", "85120312343"],
        }
    )
    table = DetectionEngine(DetectorSettings(ner=False)).detect_table(batch, batch.column_names)
    found = set(zip(table["field"].to_pylist(), table["entity_type"].to_pylist(), strict=True))
    assert found == {("pesel", "PL_PESEL"), ("BSN", "NL_BSN")}
    assert table.num_rows == 6
