"""EU/EEA national identifiers: one table-driven detector class, a row per identifier python-stdnum validates.

Each row of :data:`NATIONAL_IDS` names the entity type, the python-stdnum module that validates the
number, the shapes it is written in (with the separators people use), the context words that label it in
its own language(s), and whether each shape is reported without a context word.  :func:`detector_class`
turns a row into a :class:`NationalIdDetector` subclass, so every identifier is a detector of its own
(its own entity type, name, threshold, pre-filter triggers, settings switch) like the hand-written ones,
without thirty near-identical modules.

Scoring (why: most of these are 9-13 plain digits, and plain digit runs are phone numbers, order numbers,
timestamps and each other's identifiers; together the checks of one length pass a large share of random
numbers: a quarter of random 9-digit runs, a fifth of 10-digit and an eighth of 11-digit runs pass at
least one row's checks):

* a number that fails its checksum, date or format rules is rejected;
* a checksum-valid number with a context word within :attr:`Detector.context_window` characters (or in
  the column name) scores :data:`STRONG_CONTEXT_SCORE` for the rows that are reported alone, otherwise
  :data:`WEAK_CONTEXT_SCORE` (below a phone number with a phone word, above one without);
* without a context word only the shapes marked ``alone`` are reported, at :data:`ALONE_SCORE` (below a
  valid phone number, which then keeps digits both could be): a shape is marked alone only when it is
  the type's own printed layout (separators, letters) and its checks pass a small share of random values
  of that shape; every plain digit run, and every type whose check is weak (NL BSN's 11-proef passes 1 in
  11, HR OIB 1 in 10, DK CPR has no check digit at all) needs a context word
  (:data:`CONTEXT_ONLY_SCORE`, below the default threshold);
* a reference word nearby ("order", "invoice" ...) and no context word lowers an alone shape below the
  threshold.

A birth date the number encodes must not lie in the future (python-stdnum accepts PESEL months of the
22nd century).  The canonical form (what is hashed) is python-stdnum's ``compact()`` of the number, so
``1112.22.333`` and ``111222333`` are one subject key (the Swedish personnummer: its ten digits, so the
12-digit, dashed and plain forms are one key).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, NamedTuple, cast

from stdnum.at import vnr as at_vnr
from stdnum.be import ssn as be_ssn
from stdnum.bg import egn as bg_egn
from stdnum.bg import pnf as bg_pnf
from stdnum.cz import rc as cz_rc
from stdnum.de import idnr as de_idnr
from stdnum.dk import cpr as dk_cpr
from stdnum.ee import ik as ee_ik
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.exceptions import ValidationError
from stdnum.fi import hetu as fi_hetu
from stdnum.fr import nif as fr_nif
from stdnum.fr import nir as fr_nir
from stdnum.gr import amka as gr_amka
from stdnum.hr import oib as hr_oib
from stdnum.ie import pps as ie_pps
from stdnum.is_ import kennitala as is_kennitala
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.lt import asmens as lt_asmens
from stdnum.lv import pvn as lv_pvn
from stdnum.nl import bsn as nl_bsn
from stdnum.no import fodselsnummer as no_fodselsnummer
from stdnum.pl import pesel as pl_pesel
from stdnum.pt import cc as pt_cc
from stdnum.pt import nif as pt_nif
from stdnum.ro import cnp as ro_cnp
from stdnum.se import personnummer as se_personnummer
from stdnum.si import emso as si_emso

from piiscan.detectors.base import (
    REFERENCE_WORDS,
    Detector,
    Pattern,
    Validation,
    has_min_digits,
    mask_compact,
)

#: Score of a checksum-valid number in an ``alone`` shape without a context word.
ALONE_SCORE = 0.6
#: Score of a checksum-valid number in a shape that needs a context word, when it has none (not reported).
CONTEXT_ONLY_SCORE = 0.3
#: With a context word: rows with an alone shape (strong checks) / rows reported only with context.
STRONG_CONTEXT_SCORE = 1.0
WEAK_CONTEXT_SCORE = 0.95

#: Not glued to a word, a "+" (phone) or inside a longer grouped number ("1985 85073003328").
EDGE_START = r"(?<![\w+])(?<!\d[ .\-/])"
#: Not glued to a word, nor followed by more digit groups.
EDGE_END = r"(?!\w)(?![ .\-/]\d)"
#: What people write between the characters of a number; removed before python-stdnum reads it, except
#: the separators a row keeps (the Finnish and Swedish century signs).
SEPARATORS = " \t.-/"


class Shape(NamedTuple):
    """One written form of an identifier: a regex without its edges (also its pre-filter trigger, so no
    look-arounds or back-references), and whether it is reported without a context word."""

    name: str
    regex: str
    alone: bool = False


@dataclass(frozen=True)
class NationalId:
    """A row of the table: one identifier python-stdnum validates."""

    entity: str
    #: the country (ISO 3166-1 alpha-2) and the identifier's own name, for the docs
    country: str
    title: str
    #: the python-stdnum module (``stdnum.nl.bsn``) whose ``is_valid`` and ``compact`` are used
    module: ModuleType
    shapes: tuple[Shape, ...]
    #: words that label the number, in its own language(s) (and English), matched as in every detector
    context: tuple[str, ...]
    #: separators python-stdnum must see (the century sign of a HETU or personnummer)
    keep: str = ""
    #: an extra rule on the compact form (personal codes only, where the module also takes companies)
    rule: Callable[[str], bool] | None = None
    #: a canonical form other than python-stdnum's compact()
    canonical: Callable[[str], str] | None = None
    #: fewest ASCII digits a match holds (the cheap pre-filter)
    min_digits: int = 7
    version: str = "1"

    @property
    def alone(self) -> bool:
        """Whether any shape is reported without a context word."""
        return any(s.alone for s in self.shapes)


_D = r"\d"
#: Spanish DNI/NIE check letters (mod 23).
_ES_LETTER = "[TRWAGMYFPDXBNJZSQVHLCKE]"
#: Italian codice fiscale: digits, or their omocodia replacement letters.
_IT_DIGIT = "[0-9LMNP-V]"


def _se_ten_digits(compact: str) -> str:
    """A personnummer's ten digits (YYMMDDNNNC): the dashed, plus, 10- and 12-digit forms are one key."""
    return "".join(c for c in compact if c.isdigit())[-10:]


def _lv_personal(compact: str) -> bool:
    """Latvian personal codes start with 0-3 (day of birth, or 32 for the new codes); others are companies."""
    return compact[:1] in "0123"


def _is_individual(compact: str) -> bool:
    """A kennitala of a person (day 01-31); organisations add 40 to the day."""
    return compact[:1] in "0123"


def _pt_personal(compact: str) -> bool:
    """A Portuguese NIF of a person: starts with 1, 2 or 3 (45: non-resident); 5-9 are companies and the state."""
    return compact[:1] in "123" or compact[:2] == "45"


# fmt: off
NATIONAL_IDS: tuple[NationalId, ...] = (
    NationalId(
        "DE_TAX_ID", "DE", "Steuerliche Identifikationsnummer (Steuer-IdNr)", de_idnr,
        (Shape("grouped", r"[1-9]\d \d{3} \d{3} \d{3}", alone=True), Shape("plain", r"[1-9]\d{10}")),
        ("steuer-id", "steuer-idnr", "steuer-identifikationsnummer", "steueridentifikationsnummer",
         "steuerliche identifikationsnummer", "steuerliche id", "identifikationsnummer", "idnr", "id-nr",
         "st-idnr", "tin", "tax id", "tax identification number"),
        min_digits=11,
    ),
    NationalId(
        "FR_NIR", "FR", "NIR (numéro de sécurité sociale, INSEE)", fr_nir,
        (Shape("grouped", r"[1-478][ .]\d\d[ .]\d\d[ .](?:\d\d|2[AB])[ .]\d{3}[ .]\d{3}[ .]\d\d", alone=True),
         Shape("plain", r"[1-478]\d{4}(?:\d\d|2[AB])\d{8}")),
        ("nir", "numéro de sécurité sociale", "numéro sécurité sociale", "sécurité sociale", "securite sociale",
         "numéro insee", "insee", "carte vitale", "sécu", "numéro ss", "nss", "social security number"),
        min_digits=13,
    ),
    NationalId(
        "FR_NIF", "FR", "numéro fiscal (NIF, SPI)", fr_nif,
        (Shape("grouped", r"[0-3]\d \d\d \d{3} \d{3} \d{3}", alone=True), Shape("plain", r"[0-3]\d{12}")),
        ("numéro fiscal", "numero fiscal", "numéro fiscal de référence", "identifiant fiscal",
         "identification fiscale", "nif", "spi", "tax identification number", "tin"),
        min_digits=13,
    ),
    NationalId(
        "ES_NIF", "ES", "DNI (documento nacional de identidad) / NIF of a Spanish citizen", es_dni,
        (Shape("dni", r"\d{8}[ \-]?" + _ES_LETTER, alone=True),
         Shape("dotted", r"\d\d\.\d{3}\.\d{3}[ \-]?" + _ES_LETTER, alone=True)),
        ("dni", "d.n.i.", "nif", "n.i.f.", "documento nacional de identidad", "documento de identidad",
         "número de identificación fiscal", "carné de identidad", "identity card"),
        min_digits=8,
    ),
    NationalId(
        "ES_NIE", "ES", "NIE (número de identidad de extranjero)", es_nie,
        (Shape("nie", r"[XYZ][ \-]?\d{7}[ \-]?" + _ES_LETTER, alone=True),),
        ("nie", "n.i.e.", "número de identidad de extranjero", "número de identificación de extranjero",
         "tarjeta de residencia", "extranjero", "foreigner identity number"),
        min_digits=7,
    ),
    NationalId(
        "IT_FISCAL_CODE", "IT", "codice fiscale (of a person)", it_codicefiscale,
        (Shape("codice", r"[A-Z]{6}" + _IT_DIGIT + "{2}[ABCDEHLMPRST]" + _IT_DIGIT + "{2}[A-Z]" + _IT_DIGIT
               + "{3}[A-Z]", alone=True),),
        ("codice fiscale", "cod. fiscale", "cod fisc", "c.f.", "cf", "tessera sanitaria", "fiscal code", "tax code"),
        min_digits=0,
    ),
    NationalId(
        "NL_BSN", "NL", "BSN (burgerservicenummer)", nl_bsn,
        (Shape("plain", r"\d{8,9}"), Shape("dotted", r"\d{4}\.\d\d\.\d{3}"), Shape("spaced", r"\d{3} \d{3} \d{3}"),
         Shape("spaced 4-2-3", r"\d{4} \d\d \d{3}")),
        ("bsn", "burgerservicenummer", "burgerservice nummer", "sofinummer", "sofi-nummer", "sofi nummer",
         "persoonsnummer", "citizen service number"),
        min_digits=8,
    ),
    NationalId(
        "BE_NATIONAL_NUMBER", "BE", "rijksregisternummer / numéro de registre national, and BIS number", be_ssn,
        (Shape("dotted", r"\d\d\.\d\d\.\d\d[ .\-]?\d{3}[ .\-]?\d\d", alone=True),
         Shape("grouped", r"\d{6}[ .\-]\d{3}[ .\-]?\d\d", alone=True),
         Shape("spaced", r"\d\d \d\d \d\d \d{3} \d\d", alone=True),
         Shape("plain", r"\d{11}")),
        ("rijksregisternummer", "rijksregister", "nationaal nummer", "rrn", "insz", "insz-nummer", "bis-nummer",
         "bisnummer", "numéro national", "numéro de registre national", "registre national", "niss",
         "numéro bis", "nationalregisternummer", "national register number", "national number"),
        min_digits=11,
    ),
    NationalId(
        "PL_PESEL", "PL", "PESEL", pl_pesel,
        (Shape("plain", r"\d{11}"),),
        ("pesel", "numer pesel", "nr pesel", "numer ewidencyjny"),
        min_digits=11,
    ),
    NationalId(
        "SE_PERSONNUMMER", "SE", "personnummer (and samordningsnummer)", se_personnummer,
        (Shape("dashed", r"(?:19|20)?\d{6}[\-+]\d{4}", alone=True), Shape("plain", r"(?:19|20)?\d{10}")),
        ("personnummer", "personnr", "pers.nr", "person-nr", "samordningsnummer", "personal identity number",
         "pnr"),
        keep="-+", canonical=_se_ten_digits, min_digits=10,
    ),
    NationalId(
        "FI_PERSONAL_IDENTITY_CODE", "FI", "henkilötunnus (HETU)", fi_hetu,
        (Shape("hetu", r"\d{6}[\-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]", alone=True),),
        ("henkilötunnus", "henkilötunnuksen", "henkilötunnukseni", "hetu", "sotu", "sosiaaliturvatunnus",
         "personbeteckning", "personal identity code"),
        keep="-+", min_digits=9,
    ),
    NationalId(
        "DK_CPR", "DK", "CPR-nummer (personnummer)", dk_cpr,
        (Shape("dashed", r"\d{6}-\d{4}"), Shape("plain", r"\d{10}")),
        ("cpr", "cpr-nummer", "cpr-nr", "cpr nr", "personnummer", "cpr number"),
        min_digits=10,
    ),
    NationalId(
        "NO_FODSELSNUMMER", "NO", "fødselsnummer (and D-nummer)", no_fodselsnummer,
        (Shape("grouped", r"\d{6}[ \-]\d{5}", alone=True), Shape("plain", r"\d{11}")),
        ("fødselsnummer", "fodselsnummer", "fødselsnr", "f.nr", "fnr", "personnummer", "d-nummer",
         "national identity number"),
        min_digits=11,
    ),
    NationalId(
        "AT_SOCIAL_SECURITY", "AT", "Sozialversicherungsnummer (SV-Nr, VSNR)", at_vnr,
        (Shape("grouped", r"[1-9]\d{3} \d{6}"), Shape("plain", r"[1-9]\d{9}")),
        ("sozialversicherungsnummer", "versicherungsnummer", "sv-nummer", "sv-nr", "svnr", "vsnr",
         "sozialversicherung", "e-card", "social security number"),
        min_digits=10,
    ),
    NationalId(
        "IE_PPS", "IE", "PPS number (personal public service number)", ie_pps,
        (Shape("pps", r"\d{7}[ \-]?[A-W][ABHWTX]?"),),
        ("pps", "ppsn", "pps number", "pps no", "personal public service", "uimhir pps", "rsi", "rsi number"),
        min_digits=7,
    ),
    NationalId(
        "PT_NIF", "PT", "NIF (número de identificação fiscal) of a person", pt_nif,
        (Shape("plain", r"[1-4]\d{8}"), Shape("spaced", r"[1-4]\d\d \d{3} \d{3}")),
        ("nif", "n.i.f.", "contribuinte", "número de contribuinte", "nº de contribuinte",
         "número de identificação fiscal", "tax identification number"),
        rule=_pt_personal, min_digits=9,
    ),
    NationalId(
        "PT_CC", "PT", "número do cartão de cidadão", pt_cc,
        (Shape("cc", r"\d{8} ?\d ?[A-Z]{2}\d", alone=True),),
        ("cartão de cidadão", "cartao de cidadao", "cartão do cidadão", "número de documento",
         "bilhete de identidade", "citizen card", "cc"),
        min_digits=9,
    ),
    NationalId(
        "BG_EGN", "BG", "ЕГН (единен граждански номер)", bg_egn,
        (Shape("plain", r"\d{10}"),),
        ("егн", "единен граждански номер", "egn"),
        min_digits=10,
    ),
    NationalId(
        "BG_PNF", "BG", "ЛНЧ (личен номер на чужденец)", bg_pnf,
        (Shape("plain", r"\d{10}"),),
        ("лнч", "личен номер на чужденец", "lnch"),
        min_digits=10,
    ),
    NationalId(
        "CZ_SK_BIRTH_NUMBER", "CZ, SK", "rodné číslo (Czech and Slovak birth number)", cz_rc,
        (Shape("slashed", r"\d{6}/\d{3,4}", alone=True), Shape("plain", r"\d{9,10}")),
        ("rodné číslo", "rodne cislo", "rodného čísla", "r.č.", "rč", "birth number"),
        min_digits=9,
    ),
    NationalId(
        "EE_PERSONAL_CODE", "EE", "isikukood", ee_ik,
        (Shape("plain", r"[1-6]\d{10}"),),
        ("isikukood", "isikukoodi", "isikukoodiga", "personal code", "personal identification code"),
        min_digits=11,
    ),
    NationalId(
        "LT_PERSONAL_CODE", "LT", "asmens kodas", lt_asmens,
        (Shape("plain", r"[1-6]\d{10}"),),
        ("asmens kodas", "asmens kodą", "asmens kodo", "a.k.", "personal code"),
        min_digits=11,
    ),
    NationalId(
        "LV_PERSONAL_CODE", "LV", "personas kods", lv_pvn,
        (Shape("dashed", r"[0-3]\d{5}-\d{5}"), Shape("plain", r"[0-3]\d{10}")),
        ("personas kods", "personas kodu", "personas koda", "p.k.", "personal code"),
        rule=_lv_personal, min_digits=11,
    ),
    NationalId(
        "HR_OIB", "HR", "OIB (osobni identifikacijski broj)", hr_oib,
        (Shape("plain", r"\d{11}"),),
        ("oib", "osobni identifikacijski broj", "osobnog identifikacijskog broja"),
        min_digits=11,
    ),
    NationalId(
        "RO_CNP", "RO", "CNP (cod numeric personal)", ro_cnp,
        (Shape("plain", r"[1-9]\d{12}"),),
        ("cnp", "c.n.p.", "cod numeric personal", "codul numeric personal"),
        min_digits=13,
    ),
    NationalId(
        "SI_EMSO", "SI", "EMŠO (enotna matična številka občana)", si_emso,
        (Shape("plain", r"\d{13}"),),
        ("emšo", "emso", "enotna matična številka občana", "matična številka"),
        min_digits=13,
    ),
    NationalId(
        "IS_KENNITALA", "IS", "kennitala (of a person)", is_kennitala,
        (Shape("dashed", r"[0-3]\d{5}-\d{4}"), Shape("plain", r"[0-3]\d{9}")),
        ("kennitala", "kennitölu", "kennitölunni", "kt", "icelandic id number"),
        rule=_is_individual, min_digits=10,
    ),
    NationalId(
        "GR_AMKA", "GR", "ΑΜΚΑ (αριθμός μητρώου κοινωνικής ασφάλισης)", gr_amka,
        (Shape("plain", r"\d{11}"),),
        ("αμκα", "α.μ.κ.α.", "αριθμός μητρώου κοινωνικής ασφάλισης", "amka"),
        min_digits=11,
    ),
)
# fmt: on


class NationalIdDetector(Detector):
    """The detector of one :class:`NationalId` row (:func:`detector_class` makes one subclass per row).

    ``validate`` gives no opinion on a number its python-stdnum module accepts (its score then comes from
    its shape and context, see the module docstring) and rejects any other.
    """

    row: ClassVar[NationalId]
    batch_safe: ClassVar[bool] = True
    negative_context: ClassVar[tuple[str, ...]] = REFERENCE_WORDS

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.row.entity, self.threshold))

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, self.row.min_digits)

    def adjust_score(self, score: float, context: int) -> float:
        """With a context word: :data:`STRONG_CONTEXT_SCORE` or :data:`WEAK_CONTEXT_SCORE` whatever the shape."""
        if context > 0:
            return STRONG_CONTEXT_SCORE if self.row.alone else WEAK_CONTEXT_SCORE
        return super().adjust_score(score, context)

    def _cleaned(self, value: str) -> str:
        """The value with the separators python-stdnum does not need removed, upper case."""
        drop = "".join(c for c in SEPARATORS if c not in self.row.keep)
        return value.translate(str.maketrans("", "", drop)).upper()

    def validate(self, value: str) -> Validation:
        if not value.isascii():  # a lookup value may hold other scripts' digits, which stdnum's int() reads
            return Validation.REJECT
        module, cleaned = self.row.module, self._cleaned(value)
        if not module.is_valid(cleaned):
            return Validation.REJECT
        compact = module.compact(cleaned)
        if self.row.rule is not None and not self.row.rule(compact):
            return Validation.REJECT
        if _born_in_future(module, compact):
            return Validation.REJECT
        return Validation.NO_OPINION

    def normalise(self, value: str) -> str:
        compact = str(self.row.module.compact(self._cleaned(value)))
        return self.row.canonical(compact) if self.row.canonical else compact

    def mask(self, value: str) -> str:
        """The last three characters of the canonical form: ``********359``."""
        return mask_compact(self.normalise(value), keep_end=3, group=0)


def _born_in_future(module: ModuleType, compact: str) -> bool:
    """Whether the birth date the number encodes (where the module reads one) is after today."""
    get_birth_date = getattr(module, "get_birth_date", None)
    if get_birth_date is None:
        return False
    try:
        born = get_birth_date(compact)
    except (ValidationError, ValueError, KeyError):
        return False  # the module accepted the number; some forms carry no readable date
    return isinstance(born, datetime.date) and born > datetime.date.today()


def _ascii(regex: str) -> str:
    """``regex`` with ASCII digits for ``\\d``: no other script's digits are a number here, and Hyperscan compiles
    a Unicode ``\\d{11}`` for non-ASCII texts several times slower than ``[0-9]{11}``."""
    return regex.replace(r"\d", "[0-9]")


def _score(shape: Shape) -> float:
    """A shape's score without a context word."""
    return ALONE_SCORE if shape.alone else CONTEXT_ONLY_SCORE


def _class_name(entity: str) -> str:
    return "".join(part.title() for part in entity.split("_")) + "Detector"


def detector_class(row: NationalId) -> type[NationalIdDetector]:
    """The detector class of one row: name, entity, patterns, triggers and context from the row."""
    patterns = tuple(
        Pattern(shape.name, f"{EDGE_START}(?:{_ascii(shape.regex)}){EDGE_END}", _score(shape)) for shape in row.shapes
    )
    namespace = {
        "__module__": __name__,
        "__qualname__": _class_name(row.entity),
        "__doc__": f"{row.country} {row.title}: python-stdnum ``{row.module.__name__}``.",
        "row": row,
        "name": row.entity.lower(),
        "version": row.version,
        "entity": row.entity,
        "patterns": patterns,
        "context": row.context,
        "requires_context": not row.alone,
        # a row reported only with a context word is gated on its context words alone (one expression
        # fewer per row in the pre-filter's database, which compiles in each worker process)
        "triggers": ("|".join(_ascii(shape.regex) for shape in row.shapes),) if row.alone else (),
    }
    return cast(type[NationalIdDetector], type(_class_name(row.entity), (NationalIdDetector,), namespace))


#: One detector class per row, in the table's order.
NATIONAL_ID_DETECTORS: tuple[type[NationalIdDetector], ...] = tuple(detector_class(row) for row in NATIONAL_IDS)
_BY_ENTITY = {cls.entity: cls for cls in NATIONAL_ID_DETECTORS}


def _rebuild(entity: str, threshold: float) -> NationalIdDetector:
    """A pickled detector, rebuilt from its entity type (the generated classes are not module attributes)."""
    return _BY_ENTITY[entity](threshold=threshold)
