"""piiscan: find every place that holds a person's data.

The package holds the layers, bottom to top (docs/architecture.md): ``piiscan.connectors`` and
``piiscan.detectors``, ``piiscan.index``, ``piiscan.scanner`` and ``piiscan.reports``, ``piiscan.app``,
``piiscan.cli``.  The functions below are the Python API (:mod:`piiscan.app.api`), imported on first use so
that ``import piiscan.detectors`` in a worker does not load the whole application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from piiscan._version import __version__

if TYPE_CHECKING:
    from piiscan.app.api import AuditResult, Finding, audit, detect, lookup, scan, settings

__all__ = ["AuditResult", "Finding", "__version__", "audit", "detect", "lookup", "scan", "settings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from piiscan.app import api

        return getattr(api, name)
    raise AttributeError(f"module 'piiscan' has no attribute {name!r}")
