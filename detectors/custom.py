"""Custom recognizers: detectors for an organisation's own identifiers, defined in configuration.

A ``[[detectors.custom]]`` table of ``piiscan.toml`` (an entity type, a regex,
a base score, optional context words and a named checksum validator) becomes a
:class:`CustomRecognizer` in :class:`piiscan.detectors.settings.DetectorSettings`,
plain data that travels to worker processes, and each worker builds a
:class:`CustomDetector` from it: a real :class:`piiscan.detectors.base.Detector`, so a
custom identifier is validated, scored with context, pre-filtered, normalised,
masked, hashed and looked up like a built-in one.

A user's pattern runs in the ``regex`` module with a timeout (as presidio-analyzer's
pattern recognizers do), so one catastrophic pattern cannot hang a worker: a search
that takes longer than ``settings.regex_timeout_s`` stops, the detector reports the
problem (:meth:`CustomDetector.take_problems`, one line naming the recognizer) and
every other detector's findings in that text stand.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Self

import regex
from stdnum import damm, luhn, verhoeff
from stdnum.iso7064 import mod_11_2, mod_97_10

from piiscan.detectors import identifier_rules, prefilter
from piiscan.detectors.base import CompiledPattern, Detector, Pattern, PatternMatch, Validation, mask_middle

if TYPE_CHECKING:
    from piiscan.detectors.settings import DetectorSettings

#: Bumped when the way a definition becomes a detector changes; part of every custom detector's version.
CUSTOM_DETECTOR_VERSION = "1"
#: Seconds one search of a user's pattern may take on one text (``settings.regex_timeout_s``).
REGEX_TIMEOUT_S = 1.0

_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DETECTOR_NAME = re.compile(r"[a-z][a-z0-9_]*")
_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def _alnum(value: str) -> str:
    return _NOT_ALNUM.sub("", value).upper()


def _checksum(is_valid: Callable[[str], bool], clean: Callable[[str], str]) -> Callable[[str], Validation]:
    """A checksum over the cleaned value: valid confirms, invalid rejects (no value, no opinion: rejected)."""

    def validate(value: str) -> Validation:
        cleaned = clean(value)
        return Validation.CONFIRM if cleaned and is_valid(cleaned) else Validation.REJECT

    return validate


def _validators() -> dict[str, Callable[[str], Validation]]:
    """Each named validator; the built-in detectors' checks are theirs (:mod:`piiscan.detectors.identifier_rules`)."""
    return {
        "luhn": _checksum(luhn.is_valid, _digits),
        "verhoeff": _checksum(verhoeff.is_valid, _digits),
        "damm": _checksum(damm.is_valid, _digits),
        "mod97": _checksum(mod_97_10.is_valid, _alnum),
        "mod11": _checksum(mod_11_2.is_valid, _alnum),
        "iban": identifier_rules.validate_iban,
        "nhs": identifier_rules.validate_nhs,
        "credit_card": identifier_rules.validate_card,
        "uk_nino": identifier_rules.validate_nino,
        "us_ssn": identifier_rules.validate_ssn,
    }


#: Named validators a custom recognizer may use, and what each checks (for docs and error messages).
VALIDATORS: dict[str, str] = {
    "luhn": "Luhn (mod 10) over the digits: card numbers, IMEI, many staff and customer numbers",
    "verhoeff": "Verhoeff check digit over the digits (Aadhaar and similar)",
    "damm": "Damm check digit over the digits",
    "mod97": "ISO 7064 MOD 97-10 over letters and digits (IBAN check digits, LEI)",
    "mod11": "ISO 7064 MOD 11-2 over the digits and a trailing X (ISNI, ORCID)",
    "iban": "a whole IBAN: country format and mod-97 (the IBAN_CODE detector's rules)",
    "nhs": "NHS number mod-11 check digit (the UK_NHS detector's rules)",
    "credit_card": "a card number: 12-19 digits, Luhn, not one repeated digit (the CREDIT_CARD detector's rules)",
    "uk_nino": "National Insurance number prefix rules (no check digit: valid means no opinion)",
    "us_ssn": "US Social Security number area/group/serial rules (no check digit: valid means no opinion)",
}

#: How a matched value is normalised before it is hashed (so lookups match however it was written).
NORMALISERS: dict[str, Callable[[str], str]] = {
    "text": lambda v: " ".join(v.split()),
    "upper": lambda v: " ".join(v.split()).upper(),
    "lower": lambda v: " ".join(v.split()).casefold(),
    "digits": _digits,
    "alnum": _alnum,
}


@lru_cache(maxsize=1)
def _validator_table() -> dict[str, Callable[[str], Validation]]:
    return _validators()


@dataclass(frozen=True)
class CustomRecognizer:
    """One ``[[detectors.custom]]`` definition: plain, comparable, picklable data.

    ``score`` is the base score of a match; a ``context`` word within the context window (or in the column
    name) adds ``context_boost``; a ``validator`` confirms (score 1.0) or rejects each match; with
    ``requires_context`` a match without a context word is never reported.  ``linkable`` marks an identifier
    that names one person, so records holding it are linked (``lookup --linked``).
    """

    entity: str
    pattern: str
    score: float = 0.6
    context: tuple[str, ...] = ()
    validator: str | None = None
    linkable: bool = False
    requires_context: bool = False
    context_boost: float = 0.35
    normalise: str = "text"
    #: detector name recorded with each finding; default ``custom_<entity>``
    name: str = ""

    def __post_init__(self) -> None:
        """Checks every field; messages name the recognizer and the key but never quote context words."""
        label = f"custom recognizer {self.entity!r}" if isinstance(self.entity, str) else "custom recognizer"
        if not isinstance(self.entity, str) or not _ENTITY_NAME.fullmatch(self.entity.strip().upper()):
            raise ValueError(f"{label}: 'entity' must be a name like EMPLOYEE_ID")
        entity = self.entity.strip().upper()
        object.__setattr__(self, "entity", entity)
        label = f"custom recognizer {entity}"
        if not isinstance(self.pattern, str) or not self.pattern:
            raise ValueError(f"{label}: 'pattern' must be a non-empty regular expression")
        try:  # Python's syntax (what the pre-filter's analysis reads), run by the regex module
            compiled = re.compile(self.pattern)
            regex.compile(self.pattern)
        except (re.error, regex.error) as exc:
            raise ValueError(f"{label}: 'pattern' is not a valid regular expression ({exc})") from None
        if compiled.search(""):
            raise ValueError(f"{label}: 'pattern' matches the empty string")
        for key in ("score", "context_boost"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{label}: '{key}' must be a number from 0 to 1")
            object.__setattr__(self, key, float(value))
        context = (self.context,) if isinstance(self.context, str) else self.context
        if not isinstance(context, (list, tuple)) or not all(isinstance(w, str) for w in context):
            raise ValueError(f"{label}: 'context' must be a list of words or phrases")
        object.__setattr__(self, "context", tuple(dict.fromkeys(w.strip() for w in context if w.strip())))
        if self.validator is not None:
            if not isinstance(self.validator, str) or self.validator.strip().lower() not in VALIDATORS:
                known = ", ".join(VALIDATORS)
                raise ValueError(f"{label}: unknown validator {str(self.validator)!r} (known: {known})")
            object.__setattr__(self, "validator", self.validator.strip().lower())
        for key in ("linkable", "requires_context"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"{label}: '{key}' must be true or false")
        if self.requires_context and not self.context:
            raise ValueError(f"{label}: 'requires_context' needs 'context' words")
        if self.normalise not in NORMALISERS:
            raise ValueError(f"{label}: 'normalise' must be one of {', '.join(NORMALISERS)}")
        name = self.name or f"custom_{entity.lower()}"
        if not isinstance(name, str) or not _DETECTOR_NAME.fullmatch(name):
            raise ValueError(f"{label}: 'name' must be lower case letters, digits and _ (e.g. custom_staff_id)")
        object.__setattr__(self, "name", name)

    @classmethod
    def from_value(cls, value: CustomRecognizer | Mapping[str, Any], position: int) -> CustomRecognizer:
        """A definition from a TOML table or a dict (as settings travel to workers); unknown keys are an error."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"custom recognizer #{position}: must be a table with 'entity' and 'pattern'")
        entity = value.get("entity")
        label = f"custom recognizer {entity!r}" if isinstance(entity, str) else f"custom recognizer #{position}"
        unknown = sorted(set(value) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"{label}: unknown key(s) {', '.join(unknown)}")
        missing = [k for k in ("entity", "pattern") if k not in value]
        if missing:
            raise ValueError(f"{label}: missing {' and '.join(repr(k) for k in missing)}")
        # TOML or JSON values of any type: __post_init__ checks each field
        values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in value.items()}
        return cls(**values)

    @property
    def version(self) -> str:
        """Changes whenever the definition does, so items found with an older definition are rescanned."""
        blob = json.dumps(asdict(self), sort_keys=True, default=list)
        return f"{CUSTOM_DETECTOR_VERSION}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def custom_recognizers(value: object) -> tuple[CustomRecognizer, ...]:
    """Settings' ``custom`` value (a list of tables or of definitions) as definitions with unique names."""
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        raise ValueError("custom: must be a list of [[detectors.custom]] tables")
    recognizers = tuple(CustomRecognizer.from_value(v, i) for i, v in enumerate(value, 1))
    seen: set[str] = set()
    for r in recognizers:
        if r.name in seen:
            raise ValueError(f"custom recognizer {r.entity}: detector name '{r.name}' is used twice; set 'name'")
        seen.add(r.name)
    return recognizers


# -- the pre-filter -----------------------------------------------------------
# The parser behind re.compile; private, so anything unexpected means "no literal prefix".  Python 3.11
# moved it to re._parser (the old sre_parse module is now a deprecated alias of it), which typeshed has
# no stubs for: mypy reads the alias's.
if TYPE_CHECKING:
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser
else:
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser

#: Whole-text anchors: Hyperscan scans a batch of texts as one buffer, where they mean something else.
_TEXT_ANCHORS = {"AT_BEGINNING_STRING", "AT_END_STRING"}


def _walk_ops(items: Iterable[tuple[object, object]]) -> Iterator[tuple[object, object]]:
    """Every (opcode, argument) of a parsed regex, nested groups, branches and repeats included."""
    for op, arg in items:
        yield op, arg
        yield from _walk_ops(_sub_patterns(arg))


def _sub_patterns(arg: object) -> Iterator[tuple[object, object]]:
    """The (opcode, argument) items of the parsed sub-patterns inside an opcode's argument, however deeply
    it nests them."""
    if isinstance(arg, _sre_parser.SubPattern):
        yield from arg.data
    elif isinstance(arg, (list, tuple)):
        for part in arg:
            yield from _sub_patterns(part)


def literal_prefix(regex: str) -> tuple[str, bool]:
    """The literal text every match of ``regex`` starts with ("EMP-" of ``\\bEMP-\\d{6}\\b``) and whether
    it is matched ignoring case; ``("", False)`` when there is none or the regex is too unusual to tell."""
    try:
        parsed = _sre_parser.parse(regex)
        caseless = bool(parsed.state.flags & re.IGNORECASE)
        chars: list[str] = []
        for op, arg in parsed.data:
            if op is _sre_constants.LITERAL and isinstance(arg, int):  # a literal's argument: its code point
                chars.append(chr(arg))
            elif op is _sre_constants.AT and not chars:
                continue  # \b, ^ before the literal
            else:
                break
        return "".join(chars), caseless
    except Exception:  # a private parser may change between Python versions: no prefix is always safe
        return "", False


def _uses_text_anchors(regex: str) -> bool:
    try:
        return any(
            op is _sre_constants.AT and str(arg) in _TEXT_ANCHORS
            for op, arg in _walk_ops(_sre_parser.parse(regex).data)
        )
    except Exception:  # a private parser may change between Python versions: assume anchors
        return True


@lru_cache(maxsize=256)
def prefilter_triggers(regex: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hyperscan triggers and ``might_match`` keywords for a custom pattern.

    The whole regex is the trigger when Hyperscan compiles it (in prefilter mode, which widens look-arounds
    and back-references) and it uses no whole-text anchors (``\\A``, ``\\Z``); ``(?m)`` makes ``^`` and ``$``
    match at each text of the batch buffer.  Otherwise its literal prefix of two or more characters is, and
    without one the detector sees every text (the safe fallback).  Keywords are the case-sensitive prefix.
    """
    prefix, caseless = literal_prefix(regex)
    keywords = (prefix,) if len(prefix) >= 2 and not caseless else ()
    fallback = (("(?i)" if caseless else "") + re.escape(prefix),) if len(prefix) >= 2 else ()
    if _uses_text_anchors(regex):
        return fallback, keywords
    whole = "(?m)" + regex
    return ((whole,) if _hyperscan_accepts(whole) else fallback), keywords


def _hyperscan_accepts(regex: str) -> bool:
    """Whether the pre-filter can compile ``regex`` (with the flags it uses for triggers)."""
    if not prefilter.available():
        return True  # no pre-filter runs here: triggers are never compiled
    try:
        prefilter._compile([(regex, False, prefilter._LOOSE)], [0])
    except prefilter.hyperscan.error:
        return False
    return True


# -- the detector ---------------------------------------------------------------
class CustomDetector(Detector):
    """A :class:`Detector` built from a :class:`CustomRecognizer` definition.

    The instance sets what built-in detectors set on the class (name, version,
    patterns, context, triggers), so the base class's finding, context scoring,
    validation cache and canonical lookup form all apply unchanged.
    """

    triggers_cacheable: ClassVar[bool] = False  # a user's pattern or terms: never kept on disk

    batch_safe = False  # a user's regex may see across the line breaks that join texts in find_many

    def __init__(
        self, definition: CustomRecognizer, threshold: float | None = None, regex_timeout_s: float = REGEX_TIMEOUT_S
    ) -> None:
        self.definition = definition
        self.name = definition.name  # type: ignore[misc]
        self.version = definition.version  # type: ignore[misc]
        self.entity = definition.entity  # type: ignore[misc]
        self.patterns = (Pattern(definition.name, definition.pattern, definition.score),)  # type: ignore[misc]
        self.context = definition.context  # type: ignore[misc]
        self.context_boost = definition.context_boost  # type: ignore[misc]
        self.requires_context = definition.requires_context  # type: ignore[misc]
        self.triggers, self.keywords = prefilter_triggers(definition.pattern)  # type: ignore[misc]
        self._validate = _validator_table()[definition.validator] if definition.validator else None
        self._normalise = NORMALISERS[definition.normalise]
        self.regex_timeout_s = regex_timeout_s
        #: searches stopped by the timeout since :meth:`take_problems` last reported them
        self._timeouts = 0
        super().__init__(threshold)

    @classmethod
    def from_definition(cls, definition: CustomRecognizer, settings: DetectorSettings) -> Self:
        """The detector of one definition, as a worker builds it: the entity's threshold, the settings' timeout."""
        return cls(definition, settings.threshold_for(definition.entity), settings.regex_timeout_s)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.definition, self.threshold, self.regex_timeout_s))

    def _compile(self, source: str) -> regex.Pattern[str]:
        return regex.compile(source)

    def _finditer(self, compiled: CompiledPattern, text: str) -> Iterator[PatternMatch]:
        """The pattern's matches in ``text`` until the search takes longer than the timeout (then counted)."""
        try:
            yield from _user_pattern(compiled).finditer(text, timeout=self.regex_timeout_s)
        except TimeoutError:
            self._timeouts += 1

    def _fullmatch(self, compiled: CompiledPattern, text: str) -> PatternMatch | None:
        try:
            return _user_pattern(compiled).fullmatch(text, timeout=self.regex_timeout_s)
        except TimeoutError:
            self._timeouts += 1
            return None

    def take_problems(self) -> list[str]:
        if not self._timeouts:
            return []
        count, self._timeouts = self._timeouts, 0
        return [
            f"custom recognizer {self.entity} ({self.name}): pattern search stopped after {self.regex_timeout_s:g} s "
            f"on {count} text(s), not searched further there (detectors.regex_timeout_s)"
        ]

    def validate(self, value: str) -> Validation:
        return Validation.NO_OPINION if self._validate is None else self._validate(value)

    def normalise(self, value: str) -> str:
        return self._normalise(value)

    def mask(self, value: str) -> str:
        return mask_middle(" ".join(value.split()))

    def canonical(self, value: str) -> str | None:
        """A lookup value normalised as detection does, or None.  With a ``value`` group the pattern's
        surroundings ("staff id: ") cannot be in a lookup value, so the value only has to validate."""
        if "value" not in self._compiled[0][1].groupindex:
            return super().canonical(value)
        value = " ".join(value.split())
        return self.normalise(value) if value and self.validate(value) is not Validation.REJECT else None


def _user_pattern(compiled: CompiledPattern) -> regex.Pattern[str]:
    """A custom detector's compiled pattern, which :meth:`CustomDetector._compile` made with ``regex``."""
    if not isinstance(compiled, regex.Pattern):
        raise TypeError("custom patterns are compiled with the regex module")
    return compiled


def build_custom_detectors(settings: DetectorSettings) -> list[CustomDetector]:
    """The enabled custom recognizers of ``settings``, each with its entity's score threshold."""
    return [CustomDetector.from_definition(r, settings) for r in settings.custom if settings.wants(r.entity)]


def custom_detectors_for(entity_type: str, settings: DetectorSettings) -> list[CustomDetector]:
    """The custom detectors of one entity type (several recognizers may share one), for lookup values."""
    return [
        CustomDetector(r, threshold=0.0, regex_timeout_s=settings.regex_timeout_s)
        for r in settings.custom
        if r.entity == entity_type
    ]


def canonical_custom_value(entity_type: str, value: str, settings: DetectorSettings) -> str | None:
    """A lookup value of a custom entity type normalised as detection does; None if no recognizer takes it."""
    for detector in custom_detectors_for(entity_type, settings):
        normalised = detector.canonical(value)
        if normalised is not None:
            return normalised
    return None


def mask_custom_value(entity_type: str, normalised: str, settings: DetectorSettings) -> str | None:
    """The masked preview of a custom entity's normalised value; None if no recognizer defines the type."""
    detectors = custom_detectors_for(entity_type, settings)
    return detectors[0].mask(normalised) if detectors else None


def linkable_custom_entities(settings: DetectorSettings) -> frozenset[str]:
    """Custom entity types declared ``linkable`` (they link records like e-mail addresses do)."""
    return frozenset(r.entity for r in settings.custom if r.linkable)


__all__ = [
    "NORMALISERS",
    "REGEX_TIMEOUT_S",
    "VALIDATORS",
    "CustomDetector",
    "CustomRecognizer",
    "build_custom_detectors",
    "canonical_custom_value",
    "custom_recognizers",
    "linkable_custom_entities",
    "literal_prefix",
    "mask_custom_value",
    "prefilter_triggers",
]
