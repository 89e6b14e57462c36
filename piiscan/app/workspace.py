"""Python API: the command line's request workflows, for a ticketing system or an orchestrator.

    from piiscan.app.workspace import Workspace

    ws = Workspace.open(config="piiscan.toml")            # or Workspace.open(index=".piiscan")
    subject = ws.subject(email=["luisg@embraer.com.br"])
    answer = ws.access_report(subject, "out/TICKET-1", export=True)  # report.json, report.html, export.zip
    plan = ws.plan_erasure(subject, request_id="TICKET-1")
    applied = ws.apply_erasure(plan, yes=True)            # executes, then verifies by rescanning
    assert applied["ok"]

Everything returns plain dicts (the same data the CLI prints as JSON) and raises the same one-line
exceptions the CLI reports: :class:`ValueError` for a bad identifier, :class:`~piiscan.index.store.IndexLayoutError`,
:class:`~piiscan.index.keys.HmacKeyError`, :class:`~piiscan.app.erasure.PlanError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piiscan.app import erasure
from piiscan.app.exit_codes import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE  # noqa: F401 - re-exported for scripts
from piiscan.app.export import write_export
from piiscan.app.requests import Register, Request, RequestError
from piiscan.detectors.canonical import canonical_value
from piiscan.detectors.identifiers import mask_value
from piiscan.index.keys import SubjectHasher, load_key
from piiscan.index.lookup import DEFAULT_DEPTH, DEFAULT_MAX_HOPS, Query, lookup
from piiscan.index.storage import private_dir, write_private
from piiscan.index.store import Index, open_index
from piiscan.reports.dsar import build_report
from piiscan.reports.render import render_dsar_html, render_dsar_json
from piiscan.scanner.config import ScanConfig, load_config
from piiscan.scanner.runner import run_scan

if TYPE_CHECKING:
    from piiscan.app.export import ExportResult


def queries_for(identifiers: Iterable[tuple[str, str]], config: ScanConfig) -> list[Query]:
    """Normalise (entity type, raw value) pairs exactly as detection does (detectors.canonical); ValueError names
    the bad type."""

    queries = []
    for entity, value in identifiers:
        entity = entity.strip().upper()
        normalised = canonical_value(entity, value, config.detectors)
        if normalised is None:
            raise ValueError(f"not a valid {entity} value (phone region {config.detectors.default_region})")
        queries.append(Query(entity, normalised, mask_value(entity, normalised, config.detectors)))
    if not queries:
        raise ValueError("a subject needs at least one identifier (email, phone or TYPE=VALUE)")
    return queries


def _blocked(standing: list[dict[str, Any]], what: str) -> str:
    """Why a change to a restricted subject's data is refused, in one line without personal data."""
    first = standing[0]
    kind = str(first["kind"]).replace("_", " ")
    return (
        f"{what} refused: a {kind} stands on {first['entity_type']} {first['preview']} since {first['time'][:10]} "
        f"({first['reason']}); lift it, or override with a recorded reason (--override-restriction)"
    )


@dataclass
class AccessReport:
    """What :meth:`Workspace.access_report` wrote: the report data, its files, and the export (if asked for)."""

    report: dict[str, Any]
    paths: dict[str, Path]
    export: ExportResult | None = None


@dataclass
class Workspace:
    """A configuration, its HMAC key and its index: what every request needs."""

    config: ScanConfig
    key: bytes
    index: Index

    @classmethod
    def open(cls, config: str | Path | None = None, **overrides: Any) -> Workspace:
        """Config layered default < file < ``overrides`` (``index=...``, ``endpoint_url=...``,
        ``**{"detectors.ner": False}``)."""
        settings = load_config(Path(config) if config else None, overrides)
        key = load_key(settings.key_file, create=False, endpoint_url=settings.endpoint_url)
        index = open_index(settings.index, settings.endpoint_url)
        index.check_key(key)
        return cls(settings, key, index)

    def subject(
        self, email: Iterable[str] = (), phone: Iterable[str] = (), **other: str | Iterable[str]
    ) -> list[Query]:
        """The normalised identifiers of one person: ``subject(email=[...], phone=[...], UK_NINO="AB123456C")``."""
        pairs = [("EMAIL_ADDRESS", v) for v in email] + [("PHONE_NUMBER", v) for v in phone]
        for entity, values in other.items():
            pairs += [(entity, v) for v in ([values] if isinstance(values, str) else values)]
        return queries_for(pairs, self.config)

    def lookup(
        self, subject: list[Query], linked: bool = False, related: bool = False, depth: int = DEFAULT_DEPTH
    ) -> dict[str, Any]:

        hasher = SubjectHasher(self.key)
        result = lookup(self.index, hasher, subject, linked=linked, related=related, depth=depth)
        result.restrictions = self.restrictions(subject)
        return result.to_dict()

    def access_report(
        self,
        subject: list[Query],
        out: str | Path,
        linked: bool = True,
        depth: int = DEFAULT_DEPTH,
        max_hops: int | None = None,
        export: bool = False,
        request_id: str | None = None,
    ) -> AccessReport:
        """Write the Art. 15 answer into ``out``: report.json and report.html, and with ``export`` the Art. 20
        bundle export.zip of the subject's records fetched live from the sources (personal data, mode 0600).
        With ``request_id`` (a request of the register, for this subject) the answer is recorded there."""
        if request_id is not None:
            self.request_for(request_id, subject)

        hops = (DEFAULT_MAX_HOPS if max_hops is None else max_hops) if linked else 0
        hasher = SubjectHasher(self.key)
        report = build_report(self.index, hasher, subject, linked=hops > 0, depth=depth, max_hops=hops)
        report["restrictions"] = self.restrictions(subject)  # what stands on the subject (the register's)
        folder = private_dir(out)
        bundle = None
        if export:  # adds report["export"], so before the report is written
            bundle = write_export(report, self.index, self.config, hasher, folder)
        paths = {"json": folder / "report.json", "html": folder / "report.html"}
        write_private(paths["json"], render_dsar_json(report))
        write_private(paths["html"], render_dsar_html(report))
        if request_id is not None:
            details: dict[str, Any] = {"paths": {k: str(v) for k, v in paths.items()}, "summary": report["summary"]}
            if bundle is not None:
                details["export"] = str(bundle.path)
            self.register.record(request_id, "access_report", details)
        return AccessReport(report, paths, bundle)

    # -- the request register ------------------------------------------------------------------------
    @cached_property
    def register(self) -> Register:
        """The requests recorded beside this index (``INDEX/requests/``): one per workspace, so its text
        checker (a detection engine) is built once."""
        return Register.of_index(str(self.config.index), self.config.endpoint_url)

    def open_request(self, subject: list[Query], request_type: str, **options: Any) -> Request:
        """Record a request (``received``, ``request_id``, ``note``); its due date is a month after receipt."""
        return self.register.open(SubjectHasher(self.key), subject, request_type, **options)

    def request_for(self, request_id: str, subject: list[Query]) -> Request:
        """The request, checked to be about ``subject`` (one identifier in common) and still open."""
        return self.register.check_subject(request_id, SubjectHasher(self.key), subject)

    def restrict(self, subject: list[Query], reason: str, kind: str = "restriction", **options: Any) -> list[dict]:
        """Restrict processing of the subject's data (Art. 18) or put it under a legal hold (``kind``)."""
        return self.register.restrict(SubjectHasher(self.key), subject, reason, kind, **options)

    def lift_restriction(self, subject: list[Query], **options: Any) -> list[dict]:
        return self.register.lift(SubjectHasher(self.key), subject, **options)

    def suppression_list(self) -> list[dict[str, Any]]:
        """The keyed hashes of every identifier of a subject who objected (Art. 21), for mailing systems:
        no plain value; they match with :meth:`suppressed` (the same canonical form and key)."""
        return [{"key": k, **v} for k, v in sorted(self.register.objections().items())]

    def suppressed(self, entity_type: str, values: Iterable[str]) -> list[bool | None]:
        """For each raw value (an e-mail column of a mailing list): whether its subject objected; None for
        a value that is not a valid identifier of ``entity_type``."""
        hasher = SubjectHasher(self.key)
        objected = self.register.objections()
        out: list[bool | None] = []
        for value in values:
            normalised = canonical_value(entity_type, value, self.config.detectors) if value.strip() else None
            out.append(None if normalised is None else hasher.subject_key(entity_type, normalised) in objected)
        return out

    def restrictions(self, subject: list[Query]) -> list[dict[str, Any]]:
        """What stands on the subject's identifiers (restrictions, legal holds)."""
        return self.register.standing(SubjectHasher(self.key), subject)

    def _record_plan_step(self, plan: dict[str, Any], action: str, details: dict[str, Any]) -> None:
        """An erasure step, recorded in the register when the plan belongs to one of its requests."""
        request_id = plan.get("request_id")
        if request_id and self.register.exists(request_id):
            self.register.record(request_id, action, {"plan_id": plan["plan_id"], **details})

    def plan_erasure(
        self,
        subject: list[Query],
        request_id: str | None = None,
        linked: bool = True,
        depth: int = DEFAULT_DEPTH,
        max_hops: int | None = None,
        rescan_changed: bool = False,
        path: str | Path | None = None,
        override_restriction: str | None = None,
    ) -> dict[str, Any]:
        """The erasure plan (written to ``path`` when given); items changed since the scan are rescanned
        first with ``rescan_changed``, else their actions are marked stale."""

        if request_id is not None and self.register.exists(request_id):
            self.request_for(request_id, subject)  # a request of the register: this subject's, and open
        standing = self.restrictions(subject)
        if standing and not (override_restriction and override_restriction.strip()):
            raise RequestError(_blocked(standing, "erasure"))
        hops = (DEFAULT_MAX_HOPS if max_hops is None else max_hops) if linked else 0
        options: dict[str, Any] = {"linked": hops > 0, "depth": depth, "max_hops": hops}
        plan = erasure.plan_erasure(self.index, self.key, subject, self.config, request_id=request_id, **options)
        stale = erasure.stale_items(plan)
        if stale and rescan_changed:
            run_scan(self.config, self.key, sorted(stale), only_items=stale)
            self.index = open_index(self.config.index, self.config.endpoint_url)
            plan = erasure.plan_erasure(
                self.index, self.key, subject, self.config, request_id=plan["request_id"], **options
            )
        if standing:
            reason = self.register.checked_text(override_restriction, "override reason")
            plan["restriction_override"] = {"reason": reason, "standing": standing}
        if path is not None:
            erasure.write_plan(plan, Path(path))
        details = {"path": str(path) if path else None, **plan["summary"]}
        if standing:
            details["restriction_override"] = plan["restriction_override"]["reason"]
        self._record_plan_step(plan, "erasure_plan", details)
        return plan

    def apply_erasure(
        self,
        plan: dict[str, Any] | str | Path,
        yes: bool = False,
        verify: bool = True,
        audit_log: Path | erasure.AuditLog | None = None,
    ) -> dict[str, Any]:
        """Apply a plan (dry run unless ``yes``), then verify it when it was really applied.

        Returns ``{"apply": ..., "verify": ..., "ok": bool}``; ``ok`` is False when an action was refused or
        failed or the subject's data is still present (the CLI's exit code 3).
        """
        plan = self._plan(plan)
        standing = self.register.standing_on(plan["subject"]["subject_keys"])
        if standing and yes and not plan.get("restriction_override"):
            raise RequestError(_blocked(standing, "erasure"))  # restricted after the plan was written
        audit = audit_log if isinstance(audit_log, erasure.AuditLog) else erasure.audit_log_for(self.config, audit_log)
        applied = erasure.apply_plan(plan, self.key, self.config, yes=yes, audit=audit)
        out: dict[str, Any] = {"apply": applied.to_dict(), "ok": applied.ok}
        if yes:
            self._record_plan_step(plan, "erasure_apply", {"counts": out["apply"]["counts"], "ok": applied.ok})
        if yes and verify:
            verified = erasure.verify_plan(plan, self.key, self.config, audit=audit)
            out["verify"], out["ok"] = verified.to_dict(), applied.ok and verified.ok
            self._record_plan_step(plan, "erasure_verify", {"counts": out["verify"]["counts"], "ok": verified.ok})
        return out

    def verify_erasure(
        self, plan: dict[str, Any] | str | Path, audit_log: Path | erasure.AuditLog | None = None
    ) -> dict[str, Any]:
        plan = self._plan(plan)
        audit = audit_log if isinstance(audit_log, erasure.AuditLog) else erasure.audit_log_for(self.config, audit_log)
        verified = erasure.verify_plan(plan, self.key, self.config, audit=audit)
        self._record_plan_step(plan, "erasure_verify", {"counts": verified.counts, "ok": verified.ok})
        return {"verify": verified.to_dict(), "ok": verified.ok}

    def _plan(self, plan: dict[str, Any] | str | Path) -> dict[str, Any]:
        return plan if isinstance(plan, dict) else erasure.read_plan(Path(plan), self.key)
