"""Write access for erasure: the only code in piiscan that changes a source.

A scan never writes; erasure is a separate, explicit command (``piiscan erase``)
that opens a source through an :class:`Eraser`, never through its
:class:`~piiscan.connectors.base.Connector`.  The orchestration (plan, apply, verify,
audit log, resuming) lives in :mod:`piiscan.app.erasure`; an eraser only knows how
to look at and change one item of one kind of source:

* :meth:`Eraser.inspect` (plan time, no writes) says, for each proposed action,
  the hash of its target's state now and the hash it will have once the action
  is done, or why the action cannot be done (then it becomes ``manual``);
* :meth:`Eraser.execute` (apply time) does the actions of one item atomically
  (one transaction per table batch; one temp file + rename per file) after
  checking each target's state: the ``before`` hash means "do it", the
  ``after`` hash (or a deleted target already gone) means "already done"
  (replaying a plan, or resuming after a crash, is idempotent), anything else
  means the target changed since the plan and the action is refused.

State hashes are keyed (HMAC with the index key, through ``digest``) so that a
plan or audit log holding the hash of a short row cannot be brute-forced back
to its values.  Hashes, reasons and results never contain personal data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from piiscan.connectors.registry import eraser_class

#: Actions a plan may hold.  ``manual`` is never executed: it records a location a human must handle.
ActionKind = Literal[
    "delete_row", "null_columns", "redact_cells", "redact_spans", "delete_file", "delete_object", "manual"
]
#: ``redact_cells``: a row shared with someone else -- the subject's whole columns cleared (``columns``) and
#: the subject's values inside cells that also hold someone else's (``spans``) replaced by REDACTION.
ROW_ACTIONS = ("delete_row", "null_columns", "redact_cells")
FILE_ACTIONS = ("redact_spans", "delete_file", "delete_object")

#: Text put in place of an erased span in a rewritten file, and in a NOT NULL text column that cannot be nulled.
REDACTION = "[erased]"

#: Keyed hash of bytes (``scanner.erasure`` passes ``HMAC(key, data)`` hex); erasers never see the key.
Digest = Callable[[bytes], str]

#: ``manual``: recorded, never executed (the plan names what a person must do and where)
Outcome = Literal["done", "already_done", "refused", "failed", "dry_run", "manual"]


@dataclass(frozen=True)
class Span:
    """One finding to redact in a file: as the index records it (locator, field, character span in the text
    the detectors saw at that locator)."""

    locator: dict[str, Any]
    field: str | None
    start: int
    end: int


@dataclass
class EraseAction:
    """One proposed change to one target (a row, or a whole file/object).

    ``locator`` is the row's locator (tables) or None (files).  ``columns`` are the columns
    ``null_columns`` and ``redact_cells`` clear; ``spans`` the findings ``redact_spans`` (in a file) and
    ``redact_cells`` (in a row's text cells: ``field`` is the column) replace with :data:`REDACTION`.
    ``before``/``after`` are filled in by :meth:`Eraser.inspect`.
    """

    action_id: str
    source: str
    item: str
    action: ActionKind
    locator: dict[str, Any] | None = None
    columns: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    before: str | None = None
    after: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "source": self.source,
            "item": self.item,
            "action": self.action,
            "locator": self.locator,
            "columns": list(self.columns),
            "spans": [{"locator": s.locator, "field": s.field, "start": s.start, "end": s.end} for s in self.spans],
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EraseAction:
        return cls(
            action_id=data["action_id"],
            source=data["source"],
            item=data["item"],
            action=data["action"],
            locator=data.get("locator"),
            columns=tuple(data.get("columns") or ()),
            spans=tuple(Span(s["locator"], s.get("field"), s["start"], s["end"]) for s in data.get("spans") or ()),
            before=data.get("before"),
            after=data.get("after"),
            reason=data.get("reason", ""),
        )


@dataclass(frozen=True)
class Inspection:
    """Plan-time view of one action: current and expected state hashes, or why it cannot be done.

    ``before`` is None when the target does not exist (any more); ``manual_reason`` set means the action
    cannot be done safely by piiscan and becomes ``manual`` with that one-line reason.
    """

    before: str | None
    after: str | None
    manual_reason: str | None = None


@dataclass
class ActionResult:
    """What ``execute`` did to one action's target.  ``detail`` is one line without personal data
    (e.g. "2 earlier versions of the object remain")."""

    action_id: str
    outcome: Outcome
    before: str | None = None
    after: str | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Eraser(ABC):
    """Write access to one source, opened for erasure only.

    Built from the source string as recorded in the index (``ItemRef.source``) and the options the scan
    used (e.g. ``endpoint_url``); connects lazily; ``close`` releases connections.
    """

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        self.source = source
        self.digest = digest
        self.options = options

    @abstractmethod
    def inspect(self, item: str, actions: Sequence[EraseAction]) -> dict[str, Inspection]:
        """For each action (all of ``item``), keyed by ``action_id``: its target's state hash now and after.
        No writes."""

    @abstractmethod
    def execute(self, item: str, actions: Sequence[EraseAction], dry_run: bool = False) -> list[ActionResult]:
        """Do the actions of one item, checking each target's state first (see the module docstring).

        With ``dry_run`` nothing is written and each action that would be done gets outcome ``dry_run``
        (``already_done`` and ``refused`` are still reported as they would be).  Problems with one target are
        results, not exceptions; only an unusable source (unreachable, wrong credentials) raises
        :class:`~piiscan.connectors.base.SourceError`.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def open_eraser(source: str, digest: Digest, **options: Any) -> Eraser:
    """The eraser for ``source`` (a source string as the index records it), as its registry entry names it;
    ValueError when that kind of source cannot be written by piiscan (its locations are planned as ``manual``)."""
    scheme = source.partition("://")[0].lower() if "://" in source else "file"
    try:
        cls = eraser_class(scheme)
    except ValueError:
        raise ValueError(f"{source}: piiscan cannot change {scheme}:// sources; erase there by hand") from None
    return cls(source, digest, **options)
