"""Column classification and vectorised extraction for table-shaped data.

As in presidio-structured's analysis builder, a column is classified once per
item from its NAME and a SAMPLE of its values; extraction then treats the
whole column according to that plan.  Work is done once per DISTINCT value
(``dictionary_encode``) and mapped back to rows with an Arrow join, so a
200k-row column of 5k customers costs 5k validations.  Presidio/spaCy only
ever see free-text columns.
"""

from __future__ import annotations

import bisect
import operator
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.address import AddressDetector
from piiscan.detectors.base import Detector, Match, mask_middle, match_schema
from piiscan.detectors.identifiers.date_time import DateTimeDetector
from piiscan.detectors.identifiers.url import UrlDetector
from piiscan.detectors.multilingual import refine_names as refine_language_names
from piiscan.detectors.name_context import refine_names
from piiscan.detectors.names import is_organisation, propagate_names
from piiscan.detectors.nlp import NER_ENTITIES, NerDetector, normalise_name
from piiscan.detectors.prefilter import Prefilter, texts_to_search
from piiscan.detectors.settings import DetectorSettings

ADDRESS_DETECTOR = AddressDetector.name
#: Findings that are a structure around others (a street address, a URL): the identifiers inside them are
#: findings of their own, the name and date guesses inside them are not (:func:`resolve_overlaps`).
CONTAINER_DETECTORS = frozenset({ADDRESS_DETECTOR, UrlDetector.name})
_NOT_INSIDE_CONTAINERS = (*NER_ENTITIES, DateTimeDetector.entity)
NER_DETECTOR = NerDetector.name
#: ``detector`` of matches that come from the column's name (PERSON/LOCATION columns).
COLUMN_DETECTOR = "column_name"
COLUMN_DETECTOR_VERSION = "1"
DATE_OF_BIRTH = "DATE_OF_BIRTH"

#: Share of sampled values that must be wholly one identifier type...
VALUE_SHARE = 0.6  # ...when only the values say so
HINT_SHARE = 0.3  # ...when the column name says so too
#: Free text: long values with spaces (or a free-text column name).
FREE_TEXT_MIN_CHARS = 25
#: Row pre-filter for "mixed" columns: every identifier type we detect has an
#: '@' or a digit; an integer column can only hold one with at least 6 digits.
CANDIDATE_TEXT = r"[@0-9]"
CANDIDATE_INTEGER = r"[0-9]{6}"

#: Column-name phrases (tokens after splitting snake/camel case; "firstname"
#: also matches ("first", "name")) -> identifier entity.
# fmt: off
IDENTIFIER_HINTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "EMAIL_ADDRESS": (("email",), ("e", "mail"), ("mail",), ("email", "address")),
    "PHONE_NUMBER": (("phone",), ("mobile",), ("tel",), ("telephone",), ("fax",), ("cell",), ("landline",),
                     ("phone", "number"), ("tel", "no"), ("mobile", "no")),
    "UK_POSTCODE": (("postcode",), ("post", "code"), ("postal", "code"), ("zip",), ("zip", "code")),
    "POSTAL_CODE": (("postcode",), ("post", "code"), ("postal", "code"), ("zip",), ("zip", "code"), ("plz",)),
    "UK_NINO": (("nino",), ("ni", "number"), ("ni", "no"), ("national", "insurance")),
    "UK_NHS": (("nhs",),),
    "US_SSN": (("ssn",), ("social", "security")),
    "IBAN_CODE": (("iban",),),
    "CREDIT_CARD": (("card",), ("card", "number"), ("pan",), ("credit", "card")),
    "IP_ADDRESS": (("ip",), ("ip", "address"), ("ipv4",), ("ipv6",)),
    "IMEI": (("imei",), ("imeisv",)),
    "US_ITIN": (("itin",),),
    "ABA_ROUTING_NUMBER": (("routing",), ("aba",), ("rtn",)),
    "US_NPI": (("npi",),),
    "US_MBI": (("mbi",), ("medicare",)),
    "MEDICAL_LICENSE": (("dea",),),
    "UK_PASSPORT": (("passport",),),
    "US_PASSPORT": (("passport",),),
    "UK_DRIVING_LICENCE": (("driving", "licence"), ("driving", "license"), ("dvla",)),
    "UK_VEHICLE_REGISTRATION": (("vrn",), ("registration",), ("number", "plate"), ("reg",)),
    "US_BANK_NUMBER": (("bank", "account"), ("account", "number"), ("acct",)),
    "MAC_ADDRESS": (("mac",), ("mac", "address"), ("hwaddr",), ("bssid",), ("hardware", "address")),
    "URL": (("url",), ("website",), ("homepage",), ("web", "site"), ("profile", "url"), ("link",)),
    "CRYPTO": (("wallet",), ("wallet", "address"), ("btc",), ("bitcoin",), ("eth", "address")),
}
DOB_HINTS = (("dob",), ("birth",), ("birth", "date"), ("birthday",), ("date", "of", "birth"))
PERSON_HINTS = (
    *((q, "name") for q in ("first", "last", "full", "given", "family", "middle", "maiden", "sur", "fore", "f", "l",
                            "contact", "customer", "client", "patient", "employee", "person", "member", "holder",
                            "owner", "recipient", "sender", "applicant", "student", "staff", "guardian", "parent",
                            "child", "display", "legal")),
    ("surname",), ("forename",), ("forenames",), ("cardholder",), ("account", "holder"),
)
#: A bare "name" column is PERSON only when its values look like personal names.
BARE_NAME = ("name",)
ADDRESS_HINTS = (("address",), ("street",), ("address", "line"), ("addr",), ("line", "1"), ("house", "name"))
TOWN_HINTS = (("city",), ("town",), ("post", "town"))
#: "email address", "ip address" ... are not postal addresses.
NOT_POSTAL = {"email", "mail", "e", "ip", "mac", "web", "url", "ipv4", "ipv6", "wallet", "bitcoin", "server", "host"}
FREE_TEXT_HINTS = tuple((w,) for w in ("note", "notes", "comment", "comments", "description", "message", "body",
                                       "text", "subject", "remark", "remarks", "memo", "details", "summary",
                                       "narrative", "content"))
NAME_PARTICLES = {"van", "von", "de", "da", "del", "der", "den", "di", "du", "dos", "das", "le", "la", "bin", "al"}
PLACEHOLDERS = {"", "-", "--", "?", "n/a", "na", "none", "null", "nil", "unknown", "tbc", "tba", "not known"}
# fmt: on

KINDS = ("identifier", "name", "location", "date_of_birth", "free_text", "mixed", "skip")


@dataclass(frozen=True)
class ColumnPlan:
    """How a column is extracted.

    ``score`` is what a whole-value match in this column scores (for identifier
    columns: the median score the detector gave the sampled values, column name
    as context); ``share`` is the fraction of sampled values that supported the
    decision; ``detector`` owns identifier/date-of-birth columns; ``sampled``
    counts the non-empty values seen (0: decide again on a later batch).
    """

    kind: str
    entity: str | None = None
    score: float = 0.0
    detector: str | None = None
    share: float = 0.0
    reason: str = ""
    sampled: int = 0

    @property
    def settled(self) -> bool:
        return self.sampled > 0 or self.reason == "type"


# -- column names -------------------------------------------------------------
def name_tokens(column: str) -> tuple[str, ...]:
    """Lower-case word tokens of a column name or JSON path's last segment.

    ``"$.contact.EMail"`` -> ``("e", "mail")``; ``"date_of_birth"`` ->
    ``("date", "of", "birth")``; ``"AddressLine1"`` -> ``("address", "line", "1")``.
    """
    segments = [s for s in re.split(r"[.\[\]/$*:]+", column) if s and not s.isdigit()]
    last = segments[-1] if segments else column
    last = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", last)
    last = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", last)
    last = re.sub(r"([A-Za-z])([0-9])", r"\1 \2", last)
    return tuple(t for t in re.split(r"[^a-z0-9]+", last.lower()) if t)


def has_phrase(tokens: tuple[str, ...], phrases: Iterable[tuple[str, ...]]) -> bool:
    """Whether any phrase occurs in ``tokens``, as consecutive tokens or glued into one."""
    for phrase in phrases:
        n = len(phrase)
        if "".join(phrase) in tokens or any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1)):
            return True
    return False


def _location_score(tokens: tuple[str, ...]) -> float:
    if has_phrase(tokens, ADDRESS_HINTS) and not NOT_POSTAL & set(tokens):
        return 0.85
    if has_phrase(tokens, TOWN_HINTS):
        return 0.65
    return 0.0


def looks_like_person(value: str) -> bool:
    """Two to five capitalised words (particles allowed), letters only."""
    words = value.split()
    if not 2 <= len(words) <= 5:
        return False
    for word in words:
        if word.casefold() in NAME_PARTICLES:
            continue
        if not word[0].isupper() or not all(c.isalpha() or c in "'’.-" for c in word):
            return False
    return True


# -- values -------------------------------------------------------------------
def as_strings(array: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """The column as a string array, or None for types that cannot hold what we detect."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    t = array.type
    if pa.types.is_dictionary(t):
        array, t = array.dictionary_decode(), t.value_type
    if pa.types.is_string(t):
        return array
    if pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_integer(t):
        return pc.cast(array, pa.string())
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return pc.strftime(array, format="%Y-%m-%d")
    return None


def sample_values(array: pa.Array, size: int) -> list[str]:
    """Up to ``size`` stripped, non-empty values spread evenly over the column."""
    values = pc.drop_null(array)
    if len(values) > size:
        values = values.take(pa.array(np.unique(np.linspace(0, len(values) - 1, size).astype(np.int64))))
    return [v for v in (s.strip() for s in values.to_pylist()) if v]


def whole_match(detector: Detector, value: str, field: str | None) -> Match | None:
    """The detector's match covering all of ``value`` (already stripped), if any."""
    if not detector.might_match(value):
        return None
    for m in detector.find(value, field=field):
        if m.start == 0 and m.end == len(value):
            return m
    return None


# -- classification -----------------------------------------------------------
def classify_column(
    column: str, array: pa.Array, detectors: Sequence[Detector], settings: DetectorSettings
) -> ColumnPlan:
    """Decide what a column holds from its name and a sample of its values."""
    strings = as_strings(array)
    if strings is None:
        return ColumnPlan("skip", reason="type")
    tokens = name_tokens(column)
    typed_date = pa.types.is_date(array.type) or pa.types.is_timestamp(array.type)
    dob_detector = next((d for d in detectors if d.entity == DATE_OF_BIRTH), None)
    dob_hint = dob_detector is not None and has_phrase(tokens, DOB_HINTS)
    if typed_date and not dob_hint:
        return ColumnPlan("skip", reason="type")  # a date alone identifies no one
    values = sample_values(strings, settings.column_sample_size)
    n = len(values)
    if not n:
        return ColumnPlan("skip", reason="no values")
    # whole-value identifier types only: address columns are recognised by name and shape below; a column of
    # dates is no DATE_TIME column (free_text_only), as a typed date column is skipped
    detectors = [d for d in detectors if d.entity not in NER_ENTITIES and not d.free_text_only]

    whole = {d.name: [m for m in (whole_match(d, v, column) for v in values) if m] for d in detectors}

    def identifier(kind: str, detector: Detector, reason: str) -> ColumnPlan:
        scores = [m.score for m in whole[detector.name]]
        share = round(len(scores) / n, 3)
        return ColumnPlan(kind, detector.entity, statistics.median(scores), detector.name, share, reason, n)

    if dob_detector is not None and dob_hint:  # canonical() also takes timestamps ("1962-02-18 00:00:00")
        share = sum(dob_detector.canonical(v) is not None for v in values) / n
        if share >= HINT_SHARE:
            return ColumnPlan(
                "date_of_birth", DATE_OF_BIRTH, 0.85, dob_detector.name, round(share, 3), "name+values", n
            )
    hinted = [d for d in detectors if has_phrase(tokens, IDENTIFIER_HINTS.get(d.entity, ()))]
    if hinted:
        # a type with a shape of its own (UK postcodes) before one that only context makes (postal codes)
        best = max(
            hinted,
            key=lambda d: (len(whole[d.name]) / n >= HINT_SHARE, not d.requires_context, len(whole[d.name])),
        )
        if len(whole[best.name]) / n >= HINT_SHARE:
            return identifier("identifier", best, "name+values")
    if detectors:
        best = max(detectors, key=lambda d: len(whole[d.name]))
        if len(whole[best.name]) / n >= VALUE_SHARE:
            return identifier("date_of_birth" if best.entity == DATE_OF_BIRTH else "identifier", best, "values")
    if typed_date:
        return ColumnPlan("skip", reason="type")

    if settings.wants("PERSON"):
        if has_phrase(tokens, PERSON_HINTS):
            return ColumnPlan("name", "PERSON", 0.85, COLUMN_DETECTOR, 1.0, "name", n)
        share = sum(map(looks_like_person, values)) / n if tokens == BARE_NAME else 0.0
        if share >= VALUE_SHARE:
            return ColumnPlan("name", "PERSON", 0.7, COLUMN_DETECTOR, round(share, 3), "name+values", n)
    location = _location_score(tokens)
    if location and settings.wants("LOCATION"):
        return ColumnPlan("location", "LOCATION", location, COLUMN_DETECTOR, 1.0, "name", n)
    is_text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    if has_phrase(tokens, FREE_TEXT_HINTS) or (
        (pa.types.is_dictionary(array.type) or is_text)
        and sum(map(len, values)) / n >= FREE_TEXT_MIN_CHARS
        and any(" " in v for v in values)
    ):
        return ColumnPlan("free_text", reason="name" if has_phrase(tokens, FREE_TEXT_HINTS) else "values", sampled=n)
    return ColumnPlan("mixed", reason="default", sampled=n)


def classify_columns(
    batch: pa.RecordBatch, columns: list[str], detectors: Sequence[Detector], settings: DetectorSettings
) -> dict[str, ColumnPlan]:
    """:func:`classify_column` for each named column of ``batch``."""
    return {c: classify_column(c, batch.column(c), detectors, settings) for c in columns}


# -- matching helpers shared with the engine -----------------------------------
def find_identifiers(text: str, detectors: Sequence[Detector], field: str | None = None) -> list[Match]:
    """All identifier matches in ``text``, overlaps resolved."""
    return resolve_overlaps([m for d in detectors if d.might_match(text) for m in d.find(text, field=field)])


def resolve_overlaps(matches: list[Match]) -> list[Match]:
    """Keep non-overlapping matches, best first: any identifier beats NER (the
    local part of an email is not also a PERSON), then the higher score, then the
    longer span.  Identical spans collapse to one.

    A street address or a URL is a structure around other findings: it replaces the
    NER and date guesses inside it (a street name tagged PERSON, a blog's /2024/03/15/)
    but the identifiers inside it (a postcode, an e-mail address in a query) are kept
    as findings of their own.
    """
    if len(matches) < 2:
        return matches
    addresses = [m for m in matches if m.detector in CONTAINER_DETECTORS]
    if addresses:
        rest = resolve_overlaps([m for m in matches if m.detector not in CONTAINER_DETECTORS])
        outside = [
            m
            for m in rest
            if m.entity_type not in _NOT_INSIDE_CONTAINERS
            or not any(a.start < m.end and m.start < a.end for a in addresses)
        ]
        return sorted(outside + addresses, key=lambda m: (m.start, m.end))
    ranked = sorted(matches, key=lambda m: (m.entity_type not in NER_ENTITIES, m.score, m.end - m.start), reverse=True)
    kept: list[Match] = []
    starts: list[int] = []
    for m in ranked:
        i = bisect.bisect_right(starts, m.start)
        if (i and kept[i - 1].end > m.start) or (i < len(kept) and kept[i].start < m.end):
            continue
        kept.insert(i, m)
        starts.insert(i, m.start)
    return kept


#: Rules whose PERSON/LOCATION matches overrule the NER model's opposite guess on the same words.
RULE_SCORE_OVER_NER = 0.7


def overrule_ner(matches: list[Match]) -> list[Match]:
    """Drop NER matches of the other name type under a confident rule match: a cue ("flew to
    Loeches") or a known first + last name says more than the small model's PERSON/LOCATION guess."""
    rules = [
        m
        for m in matches
        if m.entity_type in NER_ENTITIES and m.detector != NER_DETECTOR and m.score >= RULE_SCORE_OVER_NER
    ]
    if not rules:
        return matches
    return [
        m
        for m in matches
        if m.detector != NER_DETECTOR
        or not any(r.entity_type != m.entity_type and r.start < m.end and m.start < r.end for r in rules)
    ]


def detect_each(
    texts: Sequence[str], detectors: Sequence[Detector], field: str | None = None, prefilter: Prefilter | None = None
) -> list[list[Match]]:
    """Every detector's matches in each text, in detector order; with a ``prefilter``, each
    detector searches only the texts its triggers hit (the same matches, found faster)."""
    gates = prefilter.gates(texts, field) if prefilter is not None else [None] * len(detectors)
    found: list[list[Match]] = [[] for _ in texts]
    for detector, gate in zip(detectors, gates, strict=True):
        chosen = texts_to_search(gate, len(texts))
        if not chosen:
            continue
        for i, matches in zip(chosen, detector.find_many([texts[i] for i in chosen], field), strict=True):
            found[i].extend(matches)
    return found


def scan_texts(
    texts: Sequence[str],
    detectors: Sequence[Detector],
    ner: NerDetector | None,
    field: str | None = None,
    prefilter: Prefilter | None = None,
) -> list[list[Match]]:
    """Identifier detectors per text plus NER over all texts in one batch, overlaps resolved."""
    found = detect_each(texts, detectors, field, prefilter)
    if ner is not None:
        for matches, ner_matches in zip(found, ner.find_batch(list(texts), found), strict=True):
            matches.extend(ner_matches)
    out = []
    for text, matches in zip(texts, found, strict=True):
        if not matches:
            out.append(matches)
            continue
        matches = refine_names(text, matches)
        if ner is not None:  # titles, function words and common words of the text's language
            matches = refine_language_names(text, matches, ner.languages)
        matches = overrule_ner(matches)
        if any(m.entity_type == "PERSON" for m in matches):
            matches = [m for m in matches if not is_organisation(text, m)]
            matches.extend(refine_names(text, propagate_names(text, matches)))
        out.append(resolve_overlaps(matches))
    return out


# -- extraction -----------------------------------------------------------------
PerValues = Callable[[list[str]], list[list[Match]]]
_MATCH_FIELDS = ("entity_type", "start", "end", "score", "detector", "normalised", "preview")
_match_fields = operator.attrgetter(*_MATCH_FIELDS)


def _identifier_values(plan: ColumnPlan, detector: Detector, detectors: Sequence[Detector], field: str) -> PerValues:
    """Whole values the column's detector accepts (``canonical``: validated and
    normalised once per distinct value) score like the sample did; any other
    value falls back to every detector's find() ("home: 020 7946 0123")."""

    def run(values: list[str]) -> list[list[Match]]:
        out = []
        for v in values:
            canonical = detector.canonical(v)
            if canonical is not None:
                out.append([Match(detector.entity, 0, len(v), plan.score, detector.name, canonical, detector.mask(v))])
            else:
                out.append(find_identifiers(v, detectors, field))
        return out

    return run


def _span_values(plan: ColumnPlan, detectors: Sequence[Detector], field: str) -> PerValues:
    """Each value is one PERSON/LOCATION; placeholders are dropped, and a
    PERSON value with a digit or '@' is searched for identifiers instead."""

    def run(values: list[str]) -> list[list[Match]]:
        out: list[list[Match]] = []
        for v in values:
            if v.casefold() in PLACEHOLDERS or not any(c.isalpha() for c in v):
                out.append([])
            elif plan.entity == "PERSON" and any(c.isdigit() or c == "@" for c in v):
                out.append(find_identifiers(v, detectors, field))
            else:
                m = Match(plan.entity or "", 0, len(v), plan.score, COLUMN_DETECTOR, normalise_name(v), mask_middle(v))
                out.append([m])
        return out

    return run


def _free_text_values(
    detectors: Sequence[Detector], ner: NerDetector | None, field: str, prefilter: Prefilter | None
) -> PerValues:
    """Each value is free text: every detector and NER, as in a text (:func:`scan_texts`)."""

    def run(values: list[str]) -> list[list[Match]]:
        return scan_texts(values, detectors, ner, field, prefilter)

    return run


def _mixed_values(detectors: Sequence[Detector], field: str, prefilter: Prefilter | None) -> PerValues:
    """Each value may hold any identifier: every detector but the quasi-identifiers of free text
    (``free_text_only``), overlaps resolved."""
    free_text_only = {d.name for d in detectors if d.free_text_only}

    def run(values: list[str]) -> list[list[Match]]:
        found = detect_each(values, detectors, field, prefilter)  # every detector: the pre-filter gates them all
        return [resolve_overlaps([m for m in f if m.detector not in free_text_only]) for f in found]

    return run


def _per_distinct(strings: pa.Array, field: str, run: PerValues, candidates: str | None = None) -> pa.Table:
    """Apply ``run`` once per distinct stripped value and map matches back to rows.

    Offsets are into the unstripped cell value."""
    trimmed = pc.utf8_trim_whitespace(strings)
    mask = pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False)
    if candidates:
        mask = pc.and_(mask, pc.fill_null(pc.match_substring_regex(trimmed, candidates), False))
    rows = pc.indices_nonzero(mask)
    if not len(rows):
        return match_schema().empty_table()
    encoded = pc.dictionary_encode(trimmed.filter(mask))
    found = run(encoded.dictionary.to_pylist())
    counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    if not counts.any():
        return match_schema().empty_table()
    fields = _match_fields
    values = zip(*(fields(m) for matches in found for m in matches), strict=True)
    found_table = pa.table(dict(zip(_MATCH_FIELDS, map(list, values), strict=True)))
    # map each row to its distinct value's matches (found_table is grouped by distinct value, in order)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    row_keys = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    per_row = counts[row_keys]
    lead_all = pc.subtract(pc.utf8_length(strings), pc.utf8_length(pc.utf8_ltrim_whitespace(strings))).filter(mask)
    repeat_rows = np.repeat(rows.to_numpy(zero_copy_only=False).astype(np.int64), per_row)
    offsets = np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    take = np.repeat(first[row_keys], per_row) + offsets
    joined = found_table.take(pa.array(take))
    joined = joined.append_column("row", pa.array(repeat_rows))
    joined = joined.append_column("lead", pa.array(np.repeat(lead_all.to_numpy(zero_copy_only=False), per_row)))
    schema = match_schema()
    lead = pc.cast(joined["lead"], pa.int32())
    return pa.table(
        {
            "row": joined["row"],
            "field": pa.array([field] * joined.num_rows, pa.string()),
            "entity_type": joined["entity_type"],
            "start": pc.add(pc.cast(joined["start"], pa.int32()), lead),
            "end": pc.add(pc.cast(joined["end"], pa.int32()), lead),
            "score": pc.cast(joined["score"], pa.float32()),
            "detector": joined["detector"],
            "normalised": joined["normalised"],
            "preview": joined["preview"],
        },
        schema=schema,
    )


def extract_columns(
    batch: pa.RecordBatch,
    plans: dict[str, ColumnPlan],
    detectors: Sequence[Detector],
    settings: DetectorSettings,
    ner: NerDetector | None = None,
    prefilter: Prefilter | None = None,
) -> pa.Table:
    """Matches for every planned column of ``batch`` (``row`` = row in the batch, ``field`` = column)."""
    parts = []
    identifiers = [d for d in detectors if not d.free_text_only]  # what a value outside free text may hold
    for column, plan in plans.items():
        strings = as_strings(batch.column(column))
        if plan.kind == "skip" or strings is None:
            continue
        candidates = None
        run: PerValues
        if plan.kind in ("identifier", "date_of_birth"):
            own = next((d for d in detectors if d.name == plan.detector), None)
            if own is None:
                continue
            run = _identifier_values(plan, own, identifiers, column)
        elif plan.kind in ("name", "location"):
            run = _span_values(plan, identifiers, column)
        elif plan.kind == "free_text":
            run = _free_text_values(detectors, ner, column, prefilter)
        else:  # mixed
            candidates = CANDIDATE_INTEGER if pa.types.is_integer(batch.column(column).type) else CANDIDATE_TEXT
            run = _mixed_values(detectors, column, prefilter)
        parts.append(_per_distinct(strings, column, run, candidates))
    parts = [p for p in parts if p.num_rows]
    return pa.concat_tables(parts) if parts else match_schema().empty_table()
