"""Scan configuration, layered default < config file < command line.

Settings are plain frozen data built once per command and passed down (to
workers as a dict); there is no global mutable settings object.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from piiscan.connectors.base import OptionError
from piiscan.connectors.registry import connector_class, open_source, option_names, redact_spec, scheme_of
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.retention import (
    AuditSettings,
    RetentionError,
    RetentionRule,
    date_columns,
    parse_audit,
    parse_retention,
)
from piiscan.index.storage import is_remote

DEFAULT_CONFIG_FILE = "piiscan.toml"
#: values of ``scan.executor``
EXECUTORS = ("local", "dask")


class ConfigError(Exception):
    """Invalid configuration (one-line message naming the file and key)."""


#: values of ``scan.log_format`` / ``--log-format``
LOG_FORMATS = ("text", "json")
#: keys of a ``[sources.NAME]`` table that are not connector options
_SOURCE_KEYS = ("url", "include", "exclude", "enabled")
#: option names that would hold a secret: only an environment variable's name may be configured
_SECRET_KEY = re.compile(
    r"(?:^|_)(?:pass(?:word|wd|phrase)?|pwd|secret|token|api_?key|access_?key|private_?key|credentials?)(?:$|_)", re.I
)


@dataclass(frozen=True)
class NamedSource:
    """A ``[sources.NAME]`` table: a connector URL, its own filters and connector options."""

    name: str
    url: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: connector options as sorted (name, value) pairs (``password_env``, ``include_views``, ``region`` ...)
    options: tuple[tuple[str, Any], ...] = ()
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The table as written in piiscan.toml (secrets are only ever environment variable names)."""
        out: dict[str, Any] = {"url": redact_spec(self.url)}
        if self.include:
            out["include"] = list(self.include)
        if self.exclude:
            out["exclude"] = list(self.exclude)
        out.update(self.options)
        if not self.enabled:
            out["enabled"] = False
        return out


@dataclass(frozen=True)
class ScanConfig:
    index: Path | str = Path(".piiscan")
    key_file: Path | str | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: target size of one work unit; larger items are split
    unit_mb: float = 4.0
    quiet: bool = False
    #: stderr log lines: "text" (for people) or "json" (one object per line, for log collectors)
    log_format: str = "text"
    sources: tuple[str, ...] = ()
    #: ``[sources.NAME]`` tables: sources with their own filters and connector options
    named_sources: tuple[NamedSource, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    follow_symlinks: bool = False
    #: follow relationships inferred from the data (same-named *_id columns) like declared foreign keys
    infer_relationships: bool = False
    #: S3-compatible endpoint (MinIO, Ceph, R2, a local test server) for s3:// sources
    endpoint_url: str | None = None
    #: where work units run: "local" (a process pool on this machine) or "dask" (a Dask distributed cluster)
    executor: str = "local"
    #: Dask scheduler address (tcp://host:8786, tls://...); None with executor "dask" starts a LocalCluster
    scheduler: str | None = None
    #: scan every item, not only those changed since the index last saw them (``scan --full``)
    full: bool = False
    detectors: DetectorSettings = field(default_factory=DetectorSettings)
    #: ``[[retention.rules]]``: how long personal data may be kept where (``piiscan audit``)
    retention: tuple[RetentionRule, ...] = ()
    #: ``[audit]``: the minimisation audit's settings
    audit: AuditSettings = field(default_factory=AuditSettings)

    @property
    def unit_bytes(self) -> int:
        return max(1, int(self.unit_mb * 1024 * 1024))

    def named_source(self, spec: str) -> NamedSource | None:
        """The configured source whose URL is ``spec`` (or the same folder written another way)."""
        key = _spec_key(spec)
        return next((s for s in self.named_sources if _spec_key(s.url) == key), None)

    def source_options(self, spec: str) -> dict[str, Any]:
        """Connector options for ``spec``: the scan-wide ones, then its named source's (filters added to the
        scan-wide ones, other options replacing them).  Connectors drop scan-wide options they do not take."""
        options: dict[str, Any] = {
            "include": list(self.include),
            "exclude": list(self.exclude),
            "follow_symlinks": self.follow_symlinks,
        }
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        named = self.named_source(spec)
        if named is not None:
            options["include"] += named.include
            options["exclude"] += named.exclude
            options.update(named.options)
        return options

    def scan_targets(self, specs: Sequence[str] = (), names: Sequence[str] = ()) -> list[str]:
        """What ``piiscan scan`` scans: the given specs and the named sources picked by name (disabled ones
        too: naming one is explicit), else every configured plain source and enabled named one.

        Raises ValueError (a usage error) for a name that is not configured."""
        by_name = {s.name: s for s in self.named_sources}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            configured = ", ".join(sorted(by_name)) or "none"
            raise ValueError(f"unknown source name(s) {', '.join(unknown)} (configured: {configured})")
        if specs or names:
            targets = [*specs, *(by_name[n].url for n in names)]
        else:
            targets = [*self.sources, *(s.url for s in self.named_sources if s.enabled)]
        return list(dict.fromkeys(targets))


_SCAN_KEYS = {f.name for f in fields(ScanConfig)} - {"detectors", "retention", "audit"}
_SCAN_KEYS -= {"named_sources"}  # [sources.NAME] tables, not a [scan] key


def _coerce(name: str, value: Any, origin: str) -> Any:
    if name in ("index", "key_file"):  # a folder, or an object-store location kept as written (s3://bucket/x)
        if value is None:
            return None
        return str(value).rstrip("/") if is_remote(value) else Path(value)
    if name in ("sources", "include", "exclude"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{origin}: '{name}' must be a list of strings")
        return tuple(str(v) for v in value)
    if name == "log_format" and value not in LOG_FORMATS:
        raise ConfigError(f"{origin}: 'log_format' must be one of {', '.join(LOG_FORMATS)}")
    if name == "workers" and (not isinstance(value, int) or value < 1):
        raise ConfigError(f"{origin}: 'workers' must be a positive integer")
    if name == "full" and not isinstance(value, bool):
        raise ConfigError(f"{origin}: 'full' must be true or false")
    if name == "unit_mb" and (not isinstance(value, (int, float)) or value <= 0):
        raise ConfigError(f"{origin}: 'unit_mb' must be a positive number")
    if name == "executor" and value not in EXECUTORS:
        raise ConfigError(f"{origin}: 'executor' must be one of {', '.join(EXECUTORS)}")
    if name == "scheduler" and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{origin}: 'scheduler' must be a Dask scheduler address such as tcp://host:8786")
    return value


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> ScanConfig:
    """Build the config: defaults, then the TOML file (if any), then ``overrides``.

    ``overrides`` holds command-line values; keys whose value is None are
    ignored so unset flags do not mask the file.  Detector settings may be
    given as ``detectors.<name>`` keys.
    """
    config = ScanConfig()
    explicit = path is not None
    path = path or Path(DEFAULT_CONFIG_FILE)
    if path.exists():
        config = _apply_file(config, path)
    elif explicit:
        raise ConfigError(f"{path}: config file not found")
    return _apply(config, overrides or {}, "command line")


def _apply_file(config: ScanConfig, path: Path) -> ScanConfig:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    values: dict[str, Any] = {}
    for key, value in data.get("scan", {}).items():
        values[key] = value
    for key, value in data.get("detectors", {}).items():
        values[f"detectors.{key}"] = value
    unknown = set(data) - {"scan", "detectors", "sources", "retention", "audit"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    config = _apply(config, values, str(path))
    config = _apply_sources(config, data, path)
    return _apply_retention(config, data, path)


def _apply_retention(config: ScanConfig, data: dict[str, Any], path: Path) -> ScanConfig:
    """``[retention]`` and ``[audit]``; the rules' ``column:NAME`` dates become detector settings, so
    scans record each row's date (and a changed set of date columns forces a rescan)."""
    try:
        rules = parse_retention(data["retention"]) if "retention" in data else config.retention
        audit = parse_audit(data["audit"], config.audit) if "audit" in data else config.audit
    except RetentionError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    columns = tuple(dict.fromkeys(config.detectors.date_columns + date_columns(rules)))
    return replace(config, retention=rules, audit=audit, detectors=replace(config.detectors, date_columns=columns))


def _apply(config: ScanConfig, values: dict[str, Any], origin: str) -> ScanConfig:
    scan_values: dict[str, Any] = {}
    detector_values: dict[str, Any] = {}
    known_detector_keys = set(DetectorSettings.__dataclass_fields__)
    for key, value in values.items():
        if value is None:
            continue
        if key.startswith("detectors."):
            name = key.removeprefix("detectors.")
            if name not in known_detector_keys:
                raise ConfigError(f"{origin}: unknown detector setting '{name}'")
            detector_values[name] = tuple(value) if isinstance(value, list) else value
        elif key in _SCAN_KEYS:
            scan_values[key] = _coerce(key, value, origin)
        else:
            raise ConfigError(f"{origin}: unknown setting '{key}'")
    if detector_values:
        try:
            scan_values["detectors"] = replace(config.detectors, **detector_values)
        except (TypeError, ValueError) as exc:  # DetectorSettings checks lists; messages quote no values
            raise ConfigError(f"{origin}: detectors: {exc}") from exc
    return replace(config, **scan_values)


# -- [sources.NAME] ---------------------------------------------------------------
def _apply_sources(config: ScanConfig, data: dict[str, Any], path: Path) -> ScanConfig:
    """Named sources, checked against their connector; plain ``scan.sources`` may hold no password either."""
    for spec in data.get("scan", {}).get("sources", []) if isinstance(data.get("scan"), dict) else []:
        if isinstance(spec, str) and _url_has_password(spec):
            raise ConfigError(f"{path}: scan.sources: {redact_spec(spec)}: {_NO_URL_PASSWORD}")
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: 'sources' must be [sources.NAME] tables (plain URLs go in scan.sources)")
    named = tuple(_named_source(name, table, path) for name, table in tables.items())
    seen: dict[str, str] = {}
    for source in named:
        key = _spec_key(source.url, exact=False)
        if key in seen:
            raise ConfigError(f"{path}: sources.{source.name}: same url as sources.{seen[key]}")
        seen[key] = source.name
    return replace(config, named_sources=named) if named else config


_NO_URL_PASSWORD = (
    "the url holds a password; keep it out of the file: set PGPASSWORD / MYSQL_PWD / PIISCAN_SMB_PASSWORD "
    'in the environment, or name a variable with password_env = "VARIABLE"'
)


def _named_source(name: str, table: Any, path: Path) -> NamedSource:
    where = f"{path}: sources.{name}"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ConfigError(f"{where}: source names are letters, digits, '_', '-' and '.'")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table with a 'url'")
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: 'url' is required (a path, file://, sqlite://, postgresql://, s3:// ...)")
    if _url_has_password(url):
        raise ConfigError(f"{where}.url: {_NO_URL_PASSWORD}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled: must be true or false")
    filters = {key: _coerce(key, table[key], f"{where}") for key in ("include", "exclude") if key in table}
    options = {k: v for k, v in table.items() if k not in _SOURCE_KEYS}
    for key, value in options.items():
        if _SECRET_KEY.search(key) and not key.endswith("_env"):  # the value is never quoted
            raise ConfigError(f"{where}.{key}: secrets are not allowed in the config file; use password_env")
        if key.endswith("_env") and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}.{key}: must name an environment variable")
    _check_connector_options(url, {**options, **filters}, where)
    return NamedSource(
        name=name,
        url=url,
        include=filters.get("include", ()),
        exclude=filters.get("exclude", ()),
        options=tuple(sorted(options.items())),
        enabled=enabled,
    )


def _check_connector_options(url: str, values: Mapping[str, Any], where: str) -> None:
    """Every key must be an option of the URL's connector, of the kind its options dataclass declares.

    Imports the connector; one whose library is not installed is not checked (the scan names the extra to
    install)."""
    scheme = scheme_of(url)
    try:
        cls = connector_class(scheme)
    except ValueError as exc:
        raise ConfigError(f"{where}.url: {exc}") from None
    except ImportError:
        return
    accepted = option_names(cls)
    for key in values:
        if key not in accepted:
            hint = f"{scheme}:// sources take {', '.join(sorted(accepted))}" if accepted else f"{scheme}:// takes none"
            raise ConfigError(f"{where}: unknown option '{key}' ({hint}, plus {', '.join(_SOURCE_KEYS)})")
    try:
        cls.options_class.from_mapping(values, where)
    except OptionError as exc:
        raise ConfigError(str(exc)) from None


def _url_has_password(spec: str) -> bool:
    if "://" not in spec:
        return False
    try:
        parts = urlsplit(spec)
        return parts.password is not None or "password=" in parts.query.lower()
    except ValueError:
        return "@" in spec.partition("://")[2]


def _spec_key(spec: str, exact: bool = True) -> str:
    """A source spec in one spelling.  ``exact``: the connector's own name for it (``file:///abs/path``,
    ``mysql://user@host:3306/db``, as the index records it; imports the connector); else local paths
    absolute and other URLs as given (for checking a config file without importing connectors)."""
    if exact:
        try:
            return open_source(spec).source  # no I/O: connectors connect lazily
        except (ValueError, ImportError, OSError):  # an unusable spec is reported when it is scanned
            pass
    if "://" in spec and not spec.startswith("file:"):
        return spec.rstrip("/")
    return os.path.abspath(os.path.expanduser(urlsplit(spec).path if spec.startswith("file:") else spec))


# -- piiscan config show -------------------------------------------------------------
def effective_config(config: ScanConfig) -> dict[str, Any]:
    """The configuration in effect, shaped like piiscan.toml (``config show`` prints it; the output loads
    back as a config file).  Secrets cannot be in it: sources name environment variables."""
    scan: dict[str, Any] = {}
    for f in fields(ScanConfig):
        if f.name in ("detectors", "retention", "audit", "named_sources"):
            continue
        value = _plain(getattr(config, f.name))
        if value is not None:
            scan[f.name] = value
    scan["sources"] = [redact_spec(s) for s in config.sources]
    detectors = _plain(config.detectors)
    detectors["deny_list"] = {entity: list(terms) for entity, terms in config.detectors.deny_list}
    detectors["thresholds"] = dict(config.detectors.thresholds)
    detectors["custom"] = [_plain(asdict(c)) for c in config.detectors.custom]
    out: dict[str, Any] = {"scan": scan, "sources": {s.name: s.to_dict() for s in config.named_sources}}
    out["detectors"] = {k: v for k, v in detectors.items() if v != {} or k != "extra"}
    if config.retention:
        out["retention"] = {"rules": [rule.to_dict() for rule in config.retention]}
    if config.audit != type(config.audit)():
        out["audit"] = _plain(config.audit)
    return out


def _plain(value: Any) -> Any:
    """TOML/JSON-ready data: dataclasses as tables, paths as strings, tuples as lists, None dropped."""
    if hasattr(value, "__dataclass_fields__"):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def render_config_toml(data: Mapping[str, Any]) -> str:
    """``data`` (from :func:`effective_config`) as TOML (tomli-w: tables after their section's values)."""
    return tomli_w.dumps(dict(data))


def render_config_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
