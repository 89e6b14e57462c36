"""The request register: every data-subject request, its deadline, and everything done for it.

GDPR Art. 12(3): a request is answered "without undue delay and in any event within one month of
receipt", extendable "by two further months where necessary, taking into account the complexity and
number of the requests", the person being told why.  A request here has an id, a type (the right
invoked), the subject's identifiers (keyed hashes with masked previews, never plain values), the
date it was received, its due date (one calendar month later; an extension adds two months once and
needs a recorded reason), a status, and an event for everything done for it (an access answer, an
erasure plan, its apply and verification) linked by id.

Why stored like this: the register is evidence for a regulator, so it is append-only.  Each event is
one new file (or object) under ``INDEX/requests/<id>/`` on the index's own storage (a local folder or
S3), created exclusively and never rewritten; a request's state is the fold of its events, in order.
Reasons and notes are free text: they are checked with the identifier detectors and refused when
they hold an e-mail address, a phone number or another identifier (they are kept as written).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from piiscan.app.request_kinds import OUTCOMES, REQUEST_TYPES, RequestError
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import Query
from piiscan.index.storage import Store

#: Art. 12(3): one month to answer; two more, once, with a reason.
ANSWER_WITHIN = relativedelta(months=1)
EXTENSION = relativedelta(months=2)
#: Where the register lives, inside the index's storage.
REQUESTS_FOLDER = "requests"
#: Restrictions and legal holds, per subject key, inside the register (never a request id: ids start
#: with a letter or a digit).
RESTRICTIONS_FOLDER = "_restrictions"
#: What can stand on a subject's data and block changes to it.
HOLD_KINDS = ("restriction", "legal_hold")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass
class Request:
    """A request as its events make it (:func:`load_request`)."""

    request_id: str
    request_type: str
    subject: list[dict[str, str]]
    received: dt.date
    due: dt.date
    status: str = "open"  # open, extended, closed
    outcome: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def overdue(self, today: dt.date) -> bool:
        """Still open after its due date."""
        return self.status != "closed" and today > self.due

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        today = today or dt.date.today()
        return {
            "request_id": self.request_id,
            "type": self.request_type,
            "subject": self.subject,
            "received": self.received.isoformat(),
            "due": self.due.isoformat(),
            "status": self.status,
            "outcome": self.outcome,
            "overdue": self.overdue(today),
            "days_left": None if self.status == "closed" else self.days_left(today),
            "events": self.events,
        }


class Register:
    """The requests of one index, on its storage (``Store`` of the index's location)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._checker: DetectionEngine | None = None

    @classmethod
    def of_index(cls, location: str, endpoint_url: str | None = None) -> Register:
        return cls(Store(f"{str(location).rstrip('/')}/{REQUESTS_FOLDER}", endpoint_url))

    # -- steps ------------------------------------------------------------------------------------
    def open(
        self,
        hasher: SubjectHasher,
        subject: Sequence[Query],
        request_type: str,
        received: dt.date | None = None,
        request_id: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> Request:
        """Record a new request; its due date is one calendar month after ``received`` (default today)."""
        if request_type not in REQUEST_TYPES:
            raise RequestError(f"unknown request type {request_type!r} (one of {', '.join(REQUEST_TYPES)})")
        if not subject:
            raise RequestError("a request needs the subject's identifiers (--email, --phone or --value)")
        received = received or dt.date.today()
        if received > dt.date.today():
            raise RequestError(f"received date {received.isoformat()} is in the future")
        request_id = request_id or f"REQ-{received.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        if not _ID.fullmatch(request_id):
            raise RequestError("a request id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        if self.exists(request_id):
            raise RequestError(f"request {request_id} already exists")
        identifiers = [
            {"entity_type": q.entity_type, "key": hasher.subject_key(q.entity_type, q.normalised), "preview": q.preview}
            for q in subject
        ]
        self._append(
            request_id,
            "opened",
            actor,
            type=request_type,
            subject=identifiers,
            received=received.isoformat(),
            due=(received + ANSWER_WITHIN).isoformat(),
            note=self.checked_text(note, "note"),
        )
        return self.load(request_id)

    def extend(self, request_id: str, reason: str, actor: str | None = None, today: dt.date | None = None) -> Request:
        """Add two months to the deadline, once, for a recorded reason (Art. 12(3))."""
        request = self.load(request_id)
        if request.status == "closed":
            raise RequestError(f"request {request_id} is closed")
        if request.status == "extended":
            raise RequestError(f"request {request_id} was already extended (two months at most, once)")
        if not reason or not reason.strip():
            raise RequestError("an extension needs a reason (--reason): the person must be told why")
        if today is None:
            today = dt.date.today()
        if today > request.due:
            raise RequestError(
                f"request {request_id} was due {request.due.isoformat()}: an extension is decided and told to the "
                "person within the first month (Art. 12(3))"
            )
        due = request.due + EXTENSION
        self._append(request_id, "extended", actor, reason=self.checked_text(reason, "reason"), due=due.isoformat())
        return self.load(request_id)

    def record(self, request_id: str, action: str, details: dict[str, Any], actor: str | None = None) -> None:
        """Link something done for the request (an access answer, an erasure plan, apply or verify) to it.
        ``details`` hold ids, counts and paths, never personal data."""
        request = self.load(request_id)
        if request.status == "closed":
            raise RequestError(f"request {request_id} is closed; reopen it by opening a new request")
        self._append(request_id, "action", actor, action=action, details=details)

    def close(
        self, request_id: str, outcome: str = "completed", note: str | None = None, actor: str | None = None
    ) -> Request:
        if outcome not in OUTCOMES:
            raise RequestError(f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
        request = self.load(request_id)
        if request.status == "closed":
            raise RequestError(f"request {request_id} is already closed")
        self._append(request_id, "closed", actor, outcome=outcome, note=self.checked_text(note, "note"))
        return self.load(request_id)

    # -- reading ----------------------------------------------------------------------------------
    def exists(self, request_id: str) -> bool:
        """Whether the register holds a request of this id (a ticket id from elsewhere may not be one)."""
        return bool(_ID.fullmatch(request_id)) and bool(self.store.files(request_id))

    def load(self, request_id: str) -> Request:
        if not _ID.fullmatch(request_id):
            raise RequestError(f"no request {request_id!r}")
        events = [json.loads(self.store.read_bytes(self.store.relative(p))) for p in self.store.files(request_id)]
        if not events or events[0].get("event") != "opened":
            raise RequestError(f"no request {request_id} in {self.store.location}")
        first = events[0]
        request = Request(
            request_id,
            first["type"],
            first["subject"],
            dt.date.fromisoformat(first["received"]),
            dt.date.fromisoformat(first["due"]),
            events=events,
        )
        for event in events[1:]:
            if event["event"] == "extended":
                request.status, request.due = "extended", dt.date.fromisoformat(event["due"])
            elif event["event"] == "closed":
                request.status, request.outcome = "closed", event["outcome"]
        return request

    def all(self) -> list[Request]:
        ids = sorted({self.store.relative(p).split("/", 1)[0] for p in self.store.files()} - {RESTRICTIONS_FOLDER})
        return [self.load(i) for i in ids]

    # -- restriction (Art. 18) and legal holds ----------------------------------------------------------
    def restrict(
        self,
        hasher: SubjectHasher,
        subject: Sequence[Query],
        reason: str,
        kind: str = "restriction",
        request_id: str | None = None,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """Mark the subject's identifiers restricted (Art. 18) or under a legal hold: erasure (and every
        other change to their data) is refused until it is lifted or explicitly overridden."""
        if kind not in HOLD_KINDS:
            raise RequestError(f"unknown kind {kind!r} (one of {', '.join(HOLD_KINDS)})")
        if not reason or not reason.strip():
            raise RequestError(f"a {kind.replace('_', ' ')} needs a reason (--reason)")
        reason = self.checked_text(reason, "reason") or ""
        if request_id is not None:
            self.check_subject(request_id, hasher, subject)
        for query in subject:
            key = hasher.subject_key(query.entity_type, query.normalised)
            self._write_event(
                (RESTRICTIONS_FOLDER, key), "restricted", actor, key=key, entity_type=query.entity_type,
                preview=query.preview, kind=kind, reason=reason, request_id=request_id,
            )  # fmt: skip
        if request_id is not None:
            self._append(request_id, "action", actor, action=kind, details={"reason": reason})
        return self.standing(hasher, subject)

    def lift(
        self,
        hasher: SubjectHasher,
        subject: Sequence[Query],
        reason: str | None = None,
        request_id: str | None = None,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """Lift what stands on the subject's identifiers; returns what was lifted."""
        standing = self.standing(hasher, subject)
        if not standing:
            raise RequestError("no restriction or legal hold stands on these identifiers")
        reason = self.checked_text(reason, "reason")
        for entry in standing:
            self._write_event(
                (RESTRICTIONS_FOLDER, entry["key"]), "lifted", actor, key=entry["key"], reason=reason,
                request_id=request_id,
            )  # fmt: skip
        if request_id is not None:
            self._append(request_id, "action", actor, action="lift", details={"reason": reason})
        return standing

    def standing(self, hasher: SubjectHasher, subject: Sequence[Query]) -> list[dict[str, Any]]:
        """The restrictions and legal holds standing on any of the subject's identifiers: for each, the
        last ``restricted`` event of an identifier whose last event is not ``lifted``."""
        return self.standing_on([hasher.subject_key(q.entity_type, q.normalised) for q in subject])

    def standing_on(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """:meth:`standing` for subject keys (a plan holds keys, not values)."""
        out = []
        for key in dict.fromkeys(keys):
            events = [json.loads(self.store.read_bytes(self.store.relative(p)))
                      for p in self.store.files(RESTRICTIONS_FOLDER, key)]  # fmt: skip
            if events and events[-1]["event"] == "restricted":
                last = events[-1]
                out.append({k: last.get(k) for k in ("key", "entity_type", "preview", "kind", "reason", "time",
                                                     "request_id", "actor")})  # fmt: skip
        return out

    def restricted_since(self) -> dict[str, dt.date]:
        """Every subject key with a restriction or legal hold standing, and the date it began (the audit's)."""
        keys = {self.store.relative(p).split("/")[1] for p in self.store.files(RESTRICTIONS_FOLDER)}
        return {e["key"]: dt.date.fromisoformat(e["time"][:10]) for e in self.standing_on(sorted(keys))}

    def objections(self) -> dict[str, dict[str, Any]]:
        """Every subject key of an objection request (Art. 21) that was not refused or withdrawn: the
        suppression list, with the request and the date received.  Why from the register: an objection
        is a request like any other, and the subject's keys are already there, hashed."""
        out: dict[str, dict[str, Any]] = {}
        for request in self.all():
            if request.request_type != "objection" or request.outcome in ("refused", "withdrawn"):
                continue
            for identifier in request.subject:
                out.setdefault(
                    identifier["key"],
                    {"entity_type": identifier["entity_type"], "preview": identifier["preview"],
                     "request_id": request.request_id, "since": request.received.isoformat()},
                )  # fmt: skip
        return out

    def objected_since(self) -> dict[str, dt.date]:
        """:meth:`objections` as subject key -> the date the objection was received (the audit's)."""
        return {key: dt.date.fromisoformat(entry["since"]) for key, entry in self.objections().items()}

    def check_subject(self, request_id: str, hasher: SubjectHasher, subject: Sequence[Query]) -> Request:
        """The request, checked to be about ``subject`` (one identifier in common) and still open."""
        request = self.load(request_id)
        keys = {hasher.subject_key(q.entity_type, q.normalised) for q in subject}
        if not keys & {i["key"] for i in request.subject}:
            raise RequestError(f"the identifiers given are not those of request {request_id}'s subject")
        if request.status == "closed":
            raise RequestError(f"request {request_id} is closed")
        return request

    # -- storage ----------------------------------------------------------------------------------
    def _append(self, request_id: str, event: str, actor: str | None, **values: Any) -> None:
        self._write_event((request_id,), event, actor, request_id=request_id, **values)

    def _write_event(self, folder: tuple[str, ...], event: str, actor: str | None, **values: Any) -> None:
        """One new event file, ``<seq>-<event>.json`` in ``folder``, created exclusively (a concurrent writer
        takes the next number)."""
        entry = {
            "event": event,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "actor": actor or _actor(),
            **{k: v for k, v in values.items() if v is not None},
        }
        data = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        seq = len(self.store.files(*folder))
        while not self.store.create_exclusive(data, *folder, f"{seq + 1:06d}-{event}.json", mode=0o600):
            seq += 1

    def checked_text(self, text: str | None, what: str) -> str | None:
        """``text`` unless the identifier detectors find personal data in it (a register keeps none in plain)."""
        if text is None or not text.strip():
            return None
        if self._checker is None:
            self._checker = DetectionEngine(DetectorSettings(ner=False))
        found = sorted({m["entity_type"] for m in self._checker.detect_texts([text]).to_pylist()})
        if found:
            raise RequestError(f"the {what} holds personal data ({', '.join(found)}); write it without")
        return text.strip()


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        return "unknown"
