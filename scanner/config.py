"""Scan configuration, layered default < config file < command line.

Settings are plain frozen data built once per command and passed down (to
workers as a dict); there is no global mutable settings object.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from detectors.settings import DetectorSettings

DEFAULT_CONFIG_FILE = "piiscan.toml"


class ConfigError(Exception):
    """Invalid configuration (one-line message naming the file and key)."""


@dataclass(frozen=True)
class ScanConfig:
    index: Path = Path(".piiscan")
    key_file: Path | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: target size of one work unit; larger items are split
    unit_mb: float = 4.0
    quiet: bool = False
    sources: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    follow_symlinks: bool = False
    #: follow relationships inferred from the data (same-named *_id columns) like declared foreign keys
    infer_relationships: bool = False
    #: S3-compatible endpoint (MinIO, Ceph, R2, a local test server) for s3:// sources
    endpoint_url: str | None = None
    detectors: DetectorSettings = field(default_factory=DetectorSettings)

    @property
    def unit_bytes(self) -> int:
        return max(1, int(self.unit_mb * 1024 * 1024))


_SCAN_KEYS = {f.name for f in fields(ScanConfig)} - {"detectors"}


def _coerce(name: str, value: Any, origin: str) -> Any:
    if name in ("index", "key_file"):
        return Path(value) if value is not None else None
    if name in ("sources", "include", "exclude"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{origin}: '{name}' must be a list of strings")
        return tuple(str(v) for v in value)
    if name == "workers" and (not isinstance(value, int) or value < 1):
        raise ConfigError(f"{origin}: 'workers' must be a positive integer")
    if name == "unit_mb" and (not isinstance(value, (int, float)) or value <= 0):
        raise ConfigError(f"{origin}: 'unit_mb' must be a positive number")
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
    unknown = set(data) - {"scan", "detectors", "sources", "retention"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    return _apply(config, values, str(path))


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
