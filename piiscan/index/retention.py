"""Retention rules and audit settings from the config file: parsing, validation and matching.

A retention rule says how long personal data in some locations may be kept and which date
a location is judged by (``[[retention.rules]]`` in ``piiscan.toml``, see docs/audit.md)::

    [[retention.rules]]
    name = "web logs"
    match = { source = "*", item = "logs/*.log" }
    categories = []                       # entity types; empty = any personal data
    max_age = "30d"                       # d, w, m (calendar months), y
    date = "path:(\\d{4}-\\d{2}-\\d{2})"  # mtime | last_modified | column:NAME | path:REGEX

Rules are plain frozen data (they travel with the config); the first rule that matches a
location decides, as in a firewall.  Parsing errors are :class:`RetentionError` with a
one-line message naming the rule; the config loader prefixes the file.
"""

from __future__ import annotations

import calendar
import datetime as dt
import fnmatch
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


class RetentionError(ValueError):
    """An invalid retention rule or audit setting (one line, naming the rule or key)."""


# -- durations ----------------------------------------------------------------
_DURATION = re.compile(r"\s*(\d+)\s*([dwmy])\s*", re.IGNORECASE)
_UNIT_WORDS = {"d": "day", "w": "week", "m": "month", "y": "year"}


@dataclass(frozen=True)
class Duration:
    """A retention period: ``count`` days, weeks, calendar months or years."""

    count: int
    unit: str  # d | w | m | y

    def cutoff(self, as_of: dt.date) -> dt.date:
        """The oldest date still inside the period: data dated before it is over-retained."""
        if self.unit == "d":
            return as_of - dt.timedelta(days=self.count)
        if self.unit == "w":
            return as_of - dt.timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "y" else 1)
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        day = min(as_of.day, calendar.monthrange(year, month + 1)[1])  # 29 Feb minus a year is 28 Feb
        return dt.date(year, month + 1, day)

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    def describe(self) -> str:
        word = _UNIT_WORDS[self.unit]
        return f"{self.count} {word}{'' if self.count == 1 else 's'}"


def parse_duration(text: Any) -> Duration:
    """``"30d"``, ``"6w"``, ``"13m"``, ``"4y"`` (a positive count and one unit)."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) <= 0:
        raise RetentionError(f"max_age {text!r} is not a duration like 30d, 6w, 13m or 4y")
    return Duration(int(match.group(1)), match.group(2).lower())


# -- dates --------------------------------------------------------------------
_ISO_DATE = re.compile(r"(\d{4})[-/_.]?(\d{2})[-/_.]?(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})[-/_.](\d{2})")
#: epoch values above this are milliseconds (1e11 seconds is the year 5138)
_EPOCH_MS = 100_000_000_000


def _date_from_text(text: str) -> dt.date | None:
    """A date written as an ISO date or datetime (``2019-03-02``, ``20190302``, ``2019-03-02T10:00:00Z``),
    a year and month (``2019-03``, the 1st), or epoch seconds as digits; None when it is none of these."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) not in (6, 8):
        return _date_from_epoch(int(text))
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except ValueError:
        pass
    for pattern in (_ISO_DATE, _ISO_MONTH):
        match = pattern.fullmatch(text) or (pattern.match(text) if pattern is _ISO_DATE else None)
        if match:
            parts = [int(g) for g in match.groups()] + [1] * (3 - len(match.groups()))
            try:
                return dt.date(*parts)
            except ValueError:
                return None
    return None


def _date_from_epoch(value: float) -> dt.date | None:
    if value > _EPOCH_MS:
        value /= 1000
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def parse_record_date(value: Any) -> dt.date | None:
    """A row's date from a column value: a date, datetime, ISO text or epoch seconds; None if unparseable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo is None else value.astimezone(dt.UTC)).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _date_from_epoch(float(value)) if value > 0 else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _date_from_text(str(value)) if isinstance(value, str) else None


def record_dates(batch: pa.RecordBatch | pa.Table, date_columns: Sequence[str]) -> list[dt.date | None] | None:
    """Each row's date from the first of ``date_columns`` the batch has (exact name first, then ignoring
    case); None when it has none of them."""
    names = batch.schema.names
    lowered = {n.lower(): n for n in reversed(names)}
    for wanted in date_columns:
        column = wanted if wanted in names else lowered.get(wanted.lower())
        if column is not None:
            values = batch.column(column).to_pylist()
            return [parse_record_date(v) for v in values]
    return None


# -- globs --------------------------------------------------------------------
def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` matches the glob, case-insensitively: a pattern starting with ``/`` must match the
    whole path; any other also matches a trailing part (``logs/*.log`` matches ``files/logs/a.log``, as in
    ``.gitignore``).  ``*`` crosses ``/``."""
    return _path_regex(pattern).match(path) is not None


@lru_cache(maxsize=4096)
def _path_regex(pattern: str) -> re.Pattern[str]:
    """One compiled regex per glob (an audit tests every item against dozens of them)."""
    if pattern.startswith("/"):
        return re.compile(fnmatch.translate(pattern.lstrip("/")), re.IGNORECASE)
    return re.compile(r"(?:.*/)?" + fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL)


def field_column(field_name: str | None) -> str | None:
    """The column (first segment) of a finding's field: ``profile.contact.email`` -> ``profile``."""
    if not field_name:
        return None
    return re.split(r"[.\[]", field_name, maxsplit=1)[0] or field_name


# -- rules --------------------------------------------------------------------
DATE_KINDS = ("mtime", "last_modified", "column", "path")
_MATCH_KEYS = ("source", "item", "table", "column")
_RULE_KEYS = {"name", "match", "categories", "max_age", "date"}
_ENTITY = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class DateSource:
    """Which date judges a location: the item's ``mtime`` / ``last_modified`` (the same: file mtime, S3
    LastModified, table update time), a table row's ``column`` value, or a date in the item ``path``."""

    kind: str
    argument: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.argument}" if self.argument else self.kind

    def path_date(self, item: str) -> dt.date | None:
        """The date a ``path:REGEX`` rule reads from an item path: the group named ``date``, else the
        first group, else the whole match."""
        match = re.search(self.argument, item)
        if match is None:
            return None
        if "date" in match.groupdict():
            text = match.group("date")
        else:
            text = match.group(1) if match.re.groups else match.group(0)
        return _date_from_text(text or "")


@dataclass(frozen=True)
class RetentionRule:
    """How long personal data in the matching locations may be kept, and by which date."""

    name: str
    max_age: Duration
    date: DateSource
    source: str = "*"
    item: str = "*"
    table: str | None = None
    column: str | None = None
    categories: tuple[str, ...] = ()

    def matches_item(self, source: str, item: str, is_table: bool) -> bool:
        """Whether the rule covers this item (before looking at fields and entity types)."""
        if not fnmatch.fnmatchcase(source.lower(), self.source.lower()):
            return False
        if self.item != "*" and not path_matches(self.item, item):
            return False
        # a table glob limits the rule to database tables (by table name, without a schema prefix)
        return self.table is None or (is_table and path_matches(self.table, item.rsplit(".", 1)[-1]))

    def matches(self, source: str, item: str, is_table: bool, field_name: str | None, entity_type: str) -> bool:
        """Whether the rule covers one finding."""
        if self.categories and entity_type not in self.categories:
            return False
        if self.column is not None:
            column = field_column(field_name)
            if column is None or not fnmatch.fnmatchcase(column.lower(), self.column.lower()):
                return False
        return self.matches_item(source, item, is_table)

    def describe(self) -> str:
        where = ", ".join(
            f"{k}={getattr(self, k)}" for k in _MATCH_KEYS if getattr(self, k) not in (None, "*") or k == "item"
        )
        what = ", ".join(self.categories) if self.categories else "any personal data"
        return f"{self.name}: {what} in {where}, kept {self.max_age.describe()} after {self.date}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "match": {k: getattr(self, k) for k in _MATCH_KEYS if getattr(self, k) is not None},
            "categories": list(self.categories),
            "max_age": str(self.max_age),
            "date": str(self.date),
        }


def parse_date_source(value: Any) -> DateSource:
    if not isinstance(value, str) or not value.strip():
        raise RetentionError("date must be mtime, last_modified, column:NAME or path:REGEX")
    kind, sep, argument = value.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in DATE_KINDS:
        raise RetentionError(f"unknown date kind {kind!r}: use mtime, last_modified, column:NAME or path:REGEX")
    if kind in ("mtime", "last_modified"):
        if sep:
            raise RetentionError(f"date {kind!r} takes no argument")
        return DateSource(kind)
    if kind == "column":
        argument = argument.strip()
        if not argument:
            raise RetentionError("date 'column:' needs a column name, e.g. column:last_purchase")
        return DateSource(kind, argument)
    if not argument:
        raise RetentionError("date 'path:' needs a regular expression, e.g. path:(\\d{4}-\\d{2}-\\d{2})")
    try:
        re.compile(argument)
    except re.error as exc:
        raise RetentionError(f"date path regex is invalid ({exc.msg} at position {exc.pos})") from None
    return DateSource(kind, argument)


def _glob(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RetentionError(f"match.{key} must be a non-empty glob string")
    return value.strip()


def parse_rule(data: Any, position: int) -> RetentionRule:
    """One ``[[retention.rules]]`` table; errors name the rule (by name, else by position)."""
    label = f"retention rule #{position}"
    try:
        if not isinstance(data, Mapping):
            raise RetentionError("must be a table with name, match, max_age and date")
        name = data.get("name")
        if isinstance(name, str) and name.strip():
            label = f"retention rule {name.strip()!r}"
        else:
            raise RetentionError("needs a name")
        unknown = sorted(set(data) - _RULE_KEYS)
        if unknown:
            raise RetentionError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_RULE_KEYS))}")
        match = data.get("match", {})
        if not isinstance(match, Mapping):
            raise RetentionError('match must be a table like { source = "*", item = "logs/*.log" }')
        unknown = sorted(set(match) - set(_MATCH_KEYS))
        if unknown:
            raise RetentionError(f"unknown match key(s) {', '.join(unknown)}; known: {', '.join(_MATCH_KEYS)}")
        globs = {k: _glob(v, k) for k, v in match.items()}
        categories = data.get("categories", [])
        if isinstance(categories, str):
            categories = [categories]
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise RetentionError("categories must be a list of entity types such as EMAIL_ADDRESS")
        cats = tuple(dict.fromkeys(c.strip().upper() for c in categories if c.strip()))
        bad = [c for c in cats if not _ENTITY.fullmatch(c)]
        if bad:
            raise RetentionError(f"categories: {bad[0]!r} is not an entity type name like EMAIL_ADDRESS")
        if "max_age" not in data:
            raise RetentionError('needs max_age, e.g. "30d"')
        if "date" not in data:
            raise RetentionError("needs date: mtime, last_modified, column:NAME or path:REGEX")
        return RetentionRule(
            name=name.strip(),
            max_age=parse_duration(data["max_age"]),
            date=parse_date_source(data["date"]),
            source=globs.get("source", "*"),
            item=globs.get("item", "*"),
            table=globs.get("table"),
            column=globs.get("column"),
            categories=cats,
        )
    except RetentionError as exc:
        raise RetentionError(f"{label}: {exc}") from None


def parse_retention(section: Any) -> tuple[RetentionRule, ...]:
    """The ``[retention]`` section: ``rules``, a list of rule tables (``[[retention.rules]]``)."""
    if not isinstance(section, Mapping):
        raise RetentionError("[retention] must be a table with a 'rules' list")
    unknown = sorted(set(section) - {"rules"})
    if unknown:
        raise RetentionError(f"[retention]: unknown key(s) {', '.join(unknown)}; rules go in [[retention.rules]]")
    raw = section.get("rules", [])
    if not isinstance(raw, list):
        raise RetentionError("[retention]: 'rules' must be a list of tables ([[retention.rules]])")
    rules = tuple(parse_rule(data, i) for i, data in enumerate(raw, 1))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RetentionError(f"retention rule {rule.name!r}: the name is used twice")
        seen.add(rule.name)
    return rules


def date_columns(rules: Iterable[RetentionRule]) -> tuple[str, ...]:
    """The ``column:NAME`` date columns the rules need, in rule order (what the scan must record)."""
    return tuple(dict.fromkeys(r.date.argument for r in rules if r.date.kind == "column"))


def first_rule(
    rules: Sequence[RetentionRule], source: str, item: str, is_table: bool, field_name: str | None, entity: str
) -> RetentionRule | None:
    """The rule that decides a finding: the first that matches it."""
    for rule in rules:
        if rule.matches(source, item, is_table, field_name, entity):
            return rule
    return None


# -- --fail-on ------------------------------------------------------------------
METRICS = {
    "retention-violations": "records (rows, lines, documents) holding personal data kept past a retention rule",
    "retention-items": "items holding such records",
    "unexpected": "locations (items, or fields of items) with personal data in unexpected places",
    "special-categories": "special-category hints (GDPR Art. 9) to review",
    "multi-source-subjects": "identifiers found in at least min_sources sources",
    "near-copies": "pairs of items holding nearly the same people",
    "stale-items": "items whose current scan is older than stale_days",
    "failed-items": "items that failed (or failed part-way) in their latest scan",
    "skipped-items": "items skipped in their latest scan",
    "restricted-processing": "locations where a restricted subject's data was written or changed since the restriction",
    "objections-held": "locations (items, fields) still holding the data of a subject who objected (Art. 21)",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_FAIL_ON = re.compile(r"\s*([a-z-]+)\s*(>=|<=|==|!=|>|<)\s*(\d+)\s*")


@dataclass(frozen=True)
class Threshold:
    """One ``--fail-on`` expression: the audit fails when ``metric OP value`` holds."""

    metric: str
    op: str
    value: int

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value}"

    def holds(self, actual: int) -> bool:
        return _OPS[self.op](actual, self.value)


def parse_fail_on(expression: str) -> Threshold:
    """``METRIC OP N`` such as ``retention-violations>0`` or ``failed-items>=5`` (see :data:`METRICS`)."""
    match = _FAIL_ON.fullmatch(expression)
    if match is None:
        raise ValueError(f"{expression!r} is not METRIC OP NUMBER, e.g. retention-violations>0")
    metric, op, value = match.groups()
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    return Threshold(metric, op, int(value))


# -- audit settings -----------------------------------------------------------
#: Item paths (and table names) where personal data is not expected: logs, temporary files, backups,
#: archives (``*!/*`` is any member of an archive), exports and dumps.  Globs as in :func:`path_matches`;
#: ``ITEM#FIELD`` globs name fields.
DEFAULT_UNEXPECTED: tuple[str, ...] = (
    "*.log", "*.log.*", "log/*", "logs/*",
    "tmp/*", "temp/*", "*.tmp", "*.temp", "tmp_*", "temp_*", "*_tmp",
    "*.bak", "*~", "*.old", "*.orig", "*.swp", "backup/*", "backups/*", "*backup*", "*_bak", "*_old", "*_copy",
    "archive/*", "archives/*", "*!/*", "*.zip", "*.tar", "*.tar.gz", "*.tgz", "*.7z",
    "export/*", "exports/*", "dump/*", "dumps/*", "*dump*", "*.sql", "*.sql.gz",
)  # fmt: skip
#: Field (column, JSON key) names that hold free text: personal data typed there is unplanned.
DEFAULT_FREE_TEXT_FIELDS: tuple[str, ...] = (
    "note", "notes", "comment", "comments", "description", "message", "body", "text", "remark", "remarks",
    "memo", "details", "narrative", "free text", "freetext", "additional info", "other info",
)  # fmt: skip
#: GDPR Art. 9 special categories and words that hint at them in field names and item paths (whole words
#: or phrases of the name's tokens, so "union" does not fire on "reunion").  Hints, for a human to review.
DEFAULT_SPECIAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "health": (
        "health", "medical", "medication", "medicine", "diagnosis", "illness", "sickness", "sick", "disability",
        "disabled", "allergy", "allergies", "patient", "clinical", "mental", "therapy", "prescription", "symptom",
        "symptoms", "hospital", "pregnancy", "pregnant", "blood type", "vaccination", "absence reason",
    ),
    "religion": (
        "religion", "religious", "faith", "belief", "beliefs", "church", "mosque", "synagogue", "denomination",
    ),
    "ethnicity": ("ethnicity", "ethnic", "ethnic origin", "race", "racial"),
    "sexual_orientation": ("sexual orientation", "sexuality", "orientation", "lgbt", "lgbtq", "sex life"),
    "trade_union": ("trade union", "union member", "union membership", "union dues", "unionised", "unionized"),
    "biometrics": ("biometric", "biometrics", "fingerprint", "fingerprints", "faceprint", "face template",
                   "iris", "retina", "voiceprint", "facial"),
    "genetics": ("genetic", "genetics", "dna", "genome", "genotype", "gene"),
    "political_opinions": ("political", "politics", "party membership", "political party", "voting intention"),
}  # fmt: skip

_AUDIT_KEYS = {
    "unexpected",
    "unexpected_extra",
    "expected",
    "free_text_fields",
    "min_sources",
    "near_copy_jaccard",
    "near_copy_min_subjects",
    "stale_days",
    "special_categories",
    "as_of",
    "fail_on",
}


@dataclass(frozen=True)
class AuditSettings:
    """``[audit]``: where personal data is unexpected, what counts as duplication, staleness, special
    categories, the audit date and the default ``--fail-on`` thresholds (see docs/audit.md)."""

    unexpected: tuple[str, ...] = DEFAULT_UNEXPECTED
    expected: tuple[str, ...] = ()
    free_text_fields: tuple[str, ...] = DEFAULT_FREE_TEXT_FIELDS
    min_sources: int = 3
    near_copy_jaccard: float = 0.9
    near_copy_min_subjects: int = 20
    stale_days: int = 30
    special_categories: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_SPECIAL_CATEGORIES.items())
    as_of: dt.date | None = None
    fail_on: tuple[str, ...] = ()

    @cached_property
    def _free_text_phrases(self) -> tuple[tuple[str, ...], ...]:
        return _phrases(self.free_text_fields)

    def to_dict(self) -> dict[str, Any]:
        """The settings as an ``[audit]`` table (loads back through :func:`parse_audit`)."""
        out: dict[str, Any] = {
            "unexpected": list(self.unexpected),
            "expected": list(self.expected),
            "free_text_fields": list(self.free_text_fields),
            "min_sources": self.min_sources,
            "near_copy_jaccard": self.near_copy_jaccard,
            "near_copy_min_subjects": self.near_copy_min_subjects,
            "stale_days": self.stale_days,
            "special_categories": {c: list(w) for c, w in self.special_categories},
            "fail_on": list(self.fail_on),
        }
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out

    def is_expected(self, item: str, field_name: str | None) -> bool:
        return any(_location_matches(p, item, field_name) for p in self.expected)

    def unexpected_pattern(self, item: str, field_name: str | None) -> str | None:
        """The first ``unexpected`` glob the item (or ``item#field``) matches."""
        return next((p for p in self.unexpected if _location_matches(p, item, field_name)), None)

    def unexpected_item_pattern(self, item: str) -> str | None:
        """The first ``unexpected`` glob without a field part that the item matches (the same for all its
        fields, so an audit asks once per item)."""
        return next((p for p in self._item_globs if path_matches(p, item)), None)

    def unexpected_field_pattern(self, item: str, field_name: str | None) -> str | None:
        """The first ``ITEM#FIELD`` glob of ``unexpected`` the finding's location matches."""
        return next((p for p in self._field_globs if _location_matches(p, item, field_name)), None)

    @cached_property
    def _item_globs(self) -> tuple[str, ...]:
        return tuple(p for p in self.unexpected if "#" not in p)

    @cached_property
    def _field_globs(self) -> tuple[str, ...]:
        return tuple(p for p in self.unexpected if "#" in p)

    def is_free_text(self, field_name: str | None) -> bool:
        return bool(field_name) and has_phrase(name_tokens(field_name or ""), self._free_text_phrases)

    def special_hints(self, text: str, *, path: bool = False) -> list[tuple[str, str]]:
        """(category, word) pairs whose word occurs in a field name (its last segment) or, with ``path``,
        in any segment of an item path."""
        glued, first_words = self._special_index
        best: dict[int, int] = {}  # category -> the earliest of its words found
        for tokens in _path_tokens(text) if path else [name_tokens(text)]:
            for i, token in enumerate(tokens):
                found = list(glued.get(token, ()))  # a one-word phrase, or a phrase written as one word
                for entry, phrase in first_words.get(token, ()):
                    if tokens[i : i + len(phrase)] == phrase:
                        found.append(entry)
                for category, word in found:
                    best[category] = min(best.get(category, word), word)
        return [(self.special_categories[c][0], self.special_categories[c][1][w]) for c, w in sorted(best.items())]

    @cached_property
    def _special_index(
        self,
    ) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[tuple[int, int], tuple[str, ...]]]]]:
        """Words of the special categories by token: (category, word) numbers by the phrase glued into one
        token, and multi-word phrases by their first word (names are matched token by token)."""
        glued: dict[str, list[tuple[int, int]]] = {}
        first_words: dict[str, list[tuple[tuple[int, int], tuple[str, ...]]]] = {}
        for c, (_, words) in enumerate(self.special_categories):
            for w, phrase in enumerate(_phrases(words)):
                glued.setdefault("".join(phrase), []).append((c, w))
                if len(phrase) > 1:
                    first_words.setdefault(phrase[0], []).append(((c, w), phrase))
        return glued, first_words


def name_tokens(name: str) -> tuple[str, ...]:
    """Word tokens of a field name's last segment, as column classification splits them (imported lazily:
    the config loader needs this module, not the detectors)."""
    from piiscan.detectors.columns import name_tokens as tokens

    return tokens(name)


def has_phrase(tokens: tuple[str, ...], phrases: Iterable[tuple[str, ...]]) -> bool:
    from piiscan.detectors.columns import has_phrase as found

    return found(tokens, phrases)


def _phrases(words: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(re.split(r"[^a-z0-9]+", w.lower().strip())) for w in words)


def _path_tokens(path: str) -> list[tuple[str, ...]]:
    segments = [s for s in re.split(r"[/\\]+", path) if s]
    return [name_tokens(s.split(".", 1)[0] or s) for s in segments]


def _location_matches(pattern: str, item: str, field_name: str | None) -> bool:
    """``ITEM-GLOB`` matches the item; ``ITEM-GLOB#FIELD-GLOB`` matches a finding's field of such an item."""
    item_glob, sep, field_glob = pattern.partition("#")
    if item_glob and item_glob != "*" and not path_matches(item_glob, item):
        return False
    if not sep:
        return True
    return field_name is not None and fnmatch.fnmatchcase(field_name.lower(), field_glob.lower())


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RetentionError(f"[audit]: '{key}' must be a list of non-empty strings")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _number(value: Any, key: str, kind: type, low: float, high: float | None = None) -> Any:
    ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise RetentionError(f"[audit]: '{key}' must be a {'number' if kind is float else 'whole number'} {bound}")
    return kind(value)


def parse_as_of(value: Any) -> dt.date:
    """An audit date: a TOML date or ``YYYY-MM-DD`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RetentionError(f"as_of {value!r} is not a date like 2026-11-29")


def parse_audit(section: Any, base: AuditSettings | None = None) -> AuditSettings:
    """The ``[audit]`` section over ``base``: ``unexpected`` replaces the default globs, ``unexpected_extra``
    adds to them, ``expected`` exempts locations; ``special_categories`` maps categories to word lists
    (replacing those categories' defaults; an empty list turns a category off)."""
    base = base or AuditSettings()
    if not isinstance(section, Mapping):
        raise RetentionError("[audit] must be a table")
    unknown = sorted(set(section) - _AUDIT_KEYS)
    if unknown:
        raise RetentionError(f"[audit]: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_AUDIT_KEYS))}")
    values: dict[str, Any] = {}
    unexpected = _strings(section["unexpected"], "unexpected") if "unexpected" in section else base.unexpected
    if "unexpected_extra" in section:
        unexpected = tuple(dict.fromkeys(unexpected + _strings(section["unexpected_extra"], "unexpected_extra")))
    values["unexpected"] = unexpected
    for key in ("expected", "free_text_fields", "fail_on"):
        if key in section:
            values[key] = _strings(section[key], key) if section[key] != [] else ()
    if "min_sources" in section:
        values["min_sources"] = _number(section["min_sources"], "min_sources", int, 2)
    if "near_copy_jaccard" in section:
        values["near_copy_jaccard"] = _number(section["near_copy_jaccard"], "near_copy_jaccard", float, 0.0, 1.0)
    if "near_copy_min_subjects" in section:
        values["near_copy_min_subjects"] = _number(section["near_copy_min_subjects"], "near_copy_min_subjects", int, 1)
    if "stale_days" in section:
        values["stale_days"] = _number(section["stale_days"], "stale_days", int, 1)
    if "as_of" in section:
        try:
            values["as_of"] = parse_as_of(section["as_of"])
        except RetentionError as exc:
            raise RetentionError(f"[audit]: {exc}") from None
    if "special_categories" in section:
        raw = section["special_categories"]
        if isinstance(raw, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in raw):
            raw = dict(raw)  # (category, words) pairs, as a plain dump of the settings writes them
        if not isinstance(raw, Mapping):
            raise RetentionError("[audit]: 'special_categories' must map categories to lists of words")
        merged = dict(base.special_categories)
        for category, words in raw.items():
            merged[str(category)] = _strings(words, f"special_categories.{category}") if words != [] else ()
        values["special_categories"] = tuple((c, w) for c, w in merged.items() if w)
    if "fail_on" in values:
        for expression in values["fail_on"]:
            try:
                parse_fail_on(expression)
            except ValueError as exc:
                raise RetentionError(f"[audit]: fail_on: {exc}") from None
    return _replace(base, values)


def _replace(settings: AuditSettings, values: dict[str, Any]) -> AuditSettings:
    from dataclasses import replace

    return replace(settings, **values)
