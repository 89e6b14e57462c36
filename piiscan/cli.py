"""The ``piiscan`` command line: scan, lookup, dsar, erase, detect, compact.

Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 (erase) an action was refused or failed
or the subject's data is still present after erasure, 3 (diff --fail-on-new) new personal-data locations.
Errors are one line on stderr naming the location; no personal data is ever printed in them.

Each ``cmd_*`` imports the layers it uses when it runs, so that ``piiscan --help``, ``config show`` and a
mistyped command answer without loading Arrow, the detectors or a database driver.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from piiscan._version import __version__
from piiscan.app.exit_codes import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from piiscan.app.request_kinds import OUTCOMES, REQUEST_TYPES
from piiscan.scanner.config import LOG_FORMATS, ConfigError, ScanConfig, load_config

if TYPE_CHECKING:  # loaded by cmd_detect only: it pulls in the detectors' libraries
    from piiscan.detectors.engine import DetectionEngine

log = logging.getLogger("piiscan")


class UsageError(Exception):
    """Bad arguments discovered after parsing (exit code 2)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="config file (default: ./piiscan.toml if present)")
    parser.add_argument("--index", help="index folder or s3://bucket/prefix (default: ./.piiscan)")
    parser.add_argument(
        "--key-file",
        help="HMAC key file, local or s3://bucket/path (default: $PIISCAN_HMAC_KEY or ~/.config/piiscan/hmac.key)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", default=None, help="no progress bar, errors only")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="stderr log lines: text (default) or json, one object per line for log collectors",
    )
    parser.add_argument("--region", dest="default_region", help="default region for national phone numbers (e.g. GB)")
    parser.add_argument(
        "--endpoint-url",
        help="S3-compatible endpoint for s3:// sources and an s3:// index or key file (default: AWS, or "
        "$AWS_ENDPOINT_URL)",
    )


#: What ``add_subparsers`` returns: each ``_add_*`` below adds one subcommand to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_scan(sub: Subcommands) -> None:
    scan = sub.add_parser("scan", help="scan sources into the index")
    scan.add_argument(
        "sources",
        nargs="*",
        help="path or URL (file://, sqlite://, postgresql://, mysql://, s3://, smb://); default: every enabled "
        "source of the config file",
    )
    scan.add_argument(
        "--source",
        dest="source_names",
        action="append",
        default=[],
        metavar="NAME",
        help="scan the config file's [sources.NAME] (repeatable)",
    )
    scan.add_argument("--workers", type=int, help="worker processes (default: number of CPUs)")
    scan.add_argument("--unit-mb", type=float, help="split items larger than this into work units (default 4)")
    scan.add_argument("--include", action="append", help="only items whose path matches this glob (repeatable)")
    scan.add_argument("--exclude", action="append", help="skip items whose path matches this glob (repeatable)")
    scan.add_argument("--follow-symlinks", action="store_true", default=None, help="follow symlinks out of the root")
    scan.add_argument("--no-ner", dest="ner", action="store_false", default=None, help="skip PERSON/LOCATION NER")
    scan.add_argument(
        "--infer-relationships",
        action="store_true",
        default=None,
        help="follow undeclared relationships (same-named *_id columns contained in a key) like foreign keys",
    )
    scan.add_argument(
        "--executor",
        choices=["local", "dask"],
        help="run work units in a local process pool (default) or on a Dask cluster (--scheduler, else a local one)",
    )
    scan.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786 (implies --executor dask)"
    )
    scan.add_argument(
        "--full",
        action="store_true",
        default=None,
        help="scan every item (default: only items new or changed since the index saw them, and failed ones)",
    )
    scan.add_argument("--format", choices=["text", "json"], default="text", help="summary format")
    _common(scan)


def _add_lookup(sub: Subcommands) -> None:
    lookup = sub.add_parser("lookup", help="every location holding one data subject's data")
    _identifier_args(lookup)
    lookup.add_argument("--linked", action="store_true", help="also follow identifiers seen in the same records")
    lookup.add_argument(
        "--max-hops", type=int, default=None, metavar="N", help="link hops followed (default 1; implies --linked)"
    )
    lookup.add_argument(
        "--related",
        action="store_true",
        help="also list database rows that reference the rows found, through foreign keys (the footprint)",
    )
    lookup.add_argument(
        "--depth", type=int, default=None, help="foreign-key hops --related follows (default 3)", metavar="N"
    )
    lookup.add_argument("--format", choices=["table", "json"], default="table")
    _common(lookup)


def _identifier_args(parser: argparse.ArgumentParser) -> None:
    """The identifiers a subject is named by (lookup, dsar, erase)."""
    parser.add_argument("--email", action="append", default=[], help="e-mail address (repeatable)")
    parser.add_argument("--phone", action="append", default=[], help="phone number, any format (repeatable)")
    parser.add_argument("--value", action="append", default=[], metavar="TYPE=VALUE", help="e.g. UK_NINO=AB123456C")


def _reach_args(parser: argparse.ArgumentParser) -> None:
    """How far dsar and erase follow the subject: linked identifiers (on by default) and foreign keys."""
    parser.add_argument(
        "--no-linked", dest="linked", action="store_false", help="do not follow identifiers seen in the same records"
    )
    parser.add_argument("--depth", type=int, default=None, metavar="N", help="foreign-key hops followed (default 3)")
    parser.add_argument("--max-hops", type=int, default=None, metavar="N", help="link hops followed (default 1)")


def _add_dsar(sub: Subcommands) -> None:
    dsar = sub.add_parser("dsar", help="write a subject access (Art. 15) report from the index")
    _identifier_args(dsar)
    dsar.add_argument("--out", type=Path, required=True, help="folder for report.json and report.html")
    _reach_args(dsar)
    dsar.add_argument(
        "--export",
        action="store_true",
        help="also write export.zip: the subject's records fetched live from the sources (Art. 20; personal data)",
    )
    dsar.add_argument(
        "--no-ner", dest="ner", action="store_false", default=None, help="--export: redact without PERSON NER"
    )
    dsar.add_argument("--request", metavar="ID", help="a request of the register (piiscan request): recorded there")
    _common(dsar)


def _add_erase(sub: Subcommands) -> None:
    erase = sub.add_parser(
        "erase",
        help="erasure (Art. 17): write a plan, apply it (dry run unless --yes), verify by rescanning",
        description="Three steps: 'erase --email E --plan plan.json' writes a reviewable plan; "
        "'erase --apply plan.json' checks it against the sources (dry run) and with --yes executes it, then "
        "verifies; 'erase --verify plan.json' rescans the touched items again.  Exit code 3: an action was "
        "refused or failed, or the subject's data is still present.",
    )
    _identifier_args(erase)
    steps = erase.add_mutually_exclusive_group(required=True)
    steps.add_argument("--plan", type=Path, metavar="PLAN.json", help="write the erasure plan for the subject here")
    steps.add_argument("--apply", type=Path, metavar="PLAN.json", help="execute a plan (dry run without --yes)")
    steps.add_argument("--verify", type=Path, metavar="PLAN.json", help="rescan a plan's items and report")
    erase.add_argument("--yes", action="store_true", help="with --apply: really change the sources")
    erase.add_argument("--no-verify", dest="verify_after", action="store_false", help="with --apply --yes: skip it")
    erase.add_argument("--request-id", help="your ticket/request id, recorded in the plan and the audit log")
    erase.add_argument(
        "--request",
        metavar="ID",
        help="with --plan: a request of the register (piiscan request); every step is recorded",
    )
    erase.add_argument(
        "--override-restriction",
        metavar="REASON",
        help="with --plan: plan although a restriction or legal hold stands (the reason is recorded)",
    )
    _reach_args(erase)
    erase.add_argument(
        "--rescan-changed", action="store_true", help="rescan items changed since the scan, then plan (else: stale)"
    )
    erase.add_argument("--audit-log", type=Path, help="append-only audit log (default: INDEX/audit/erasure.jsonl)")
    erase.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    _common(erase)


def _add_request(sub: Subcommands) -> None:
    request = sub.add_parser(
        "request",
        help="the request register: data-subject requests, their deadlines and what was done for them",
        description="Requests are kept beside the index (INDEX/requests/), append-only.  A request is due one "
        "month after receipt; 'extend' adds two months once, with a reason (Art. 12(3)).  'dsar --request ID' "
        "and 'erase --plan ... --request ID' record their steps in it.  'list --overdue' exits 3 when a "
        "request is overdue (for cron).",
    )
    actions = request.add_subparsers(dest="request_action", required=True)
    opened = actions.add_parser("open", help="record a new request")
    opened.add_argument("--type", dest="request_type", required=True, choices=REQUEST_TYPES)
    _identifier_args(opened)
    opened.add_argument("--id", dest="request_id", help="the request's id (default REQ-YYYYMMDD-xxxxxx)")
    opened.add_argument("--received", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="default: today")
    opened.add_argument("--note", help="free text, without personal data")
    listed = actions.add_parser("list", help="every request, with its due date")
    listed.add_argument("--overdue", action="store_true", help="only the overdue ones; exit 3 if there are any")
    listed.add_argument("--open", dest="open_only", action="store_true", help="only requests not closed")
    show = actions.add_parser("show", help="one request and everything done for it")
    extend = actions.add_parser("extend", help="add two months to the deadline, once (Art. 12(3))")
    extend.add_argument("--reason", required=True, help="why (the person must be told); no personal data")
    close = actions.add_parser("close", help="close a request")
    close.add_argument("--outcome", choices=OUTCOMES, default="completed")
    close.add_argument("--note", help="free text, without personal data")
    for action in (show, extend, close):
        action.add_argument("id", metavar="ID")
    for action in (opened, listed, show, extend, close):
        action.add_argument("--format", choices=["text", "json"], default="text", help="output format")
        _common(action)


def _add_restrict(sub: Subcommands) -> None:
    restrict = sub.add_parser(
        "restrict",
        help="restrict processing of a subject's data (Art. 18) or put it under a legal hold; --lift ends it",
        description="While a restriction or legal hold stands, 'erase' refuses to plan or apply for the subject "
        "unless --override-restriction REASON is given, and 'lookup' shows it.  Kept in the request register.",
    )
    _identifier_args(restrict)
    restrict.add_argument("--reason", help="why (required to restrict); no personal data")
    restrict.add_argument("--legal-hold", action="store_true", help="a legal hold rather than an Art. 18 restriction")
    restrict.add_argument("--lift", action="store_true", help="lift what stands on the subject")
    restrict.add_argument("--request", metavar="ID", help="a request of the register: recorded there")
    restrict.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    _common(restrict)


def _add_suppress(sub: Subcommands) -> None:
    suppress = sub.add_parser(
        "suppress",
        help="objections (Art. 21): export the suppression list as keyed hashes; match a mailing list against it",
        description="The subjects of objection requests (piiscan request open --type objection) are the "
        "suppression list.  'export' writes their identifiers' keyed hashes (no plain value); 'match' reads a "
        "CSV list where it runs (with the same HMAC key) and writes it back with a 'suppressed' column.",
    )
    actions = suppress.add_subparsers(dest="suppress_action", required=True)
    export = actions.add_parser("export", help="write the suppression list (JSON lines of keyed hashes)")
    export.add_argument("--out", type=Path, required=True, help="the file to write (mode 0600)")
    match = actions.add_parser("match", help="mark the rows of a CSV list whose subject objected")
    match.add_argument("list", type=Path, metavar="LIST.csv", help="the mailing list (personal data: read here only)")
    match.add_argument("--column", required=True, help="the column holding the identifier")
    match.add_argument("--type", dest="entity_type", default="EMAIL_ADDRESS", help="its type (default EMAIL_ADDRESS)")
    match.add_argument("--out", type=Path, required=True, help="the list with a 'suppressed' column (mode 0600)")
    for action in (export, match):
        _common(action)


def _add_detect(sub: Subcommands) -> None:
    detect = sub.add_parser("detect", help="run the detectors on text without indexing it")
    detect.add_argument("input", nargs="?", default="-", help="text file, or - for stdin")
    detect.add_argument("--jsonl", action="store_true", help="input is JSON lines with 'id' and 'text'")
    detect.add_argument("--format", choices=["json", "table"], default="json", help="JSON lines (default) or a table")
    detect.add_argument("--no-ner", dest="ner", action="store_false", default=None, help="identifiers only")
    _common(detect)


def _add_scans(sub: Subcommands) -> None:
    scans = sub.add_parser("scans", help="list the scans recorded in the index, oldest first")
    scans.add_argument("--format", choices=["table", "json"], default="table")
    _common(scans)


def _add_diff(sub: Subcommands) -> None:
    diff = sub.add_parser(
        "diff",
        help="personal-data locations new and removed between two scans (default: the last two completed)",
        description="Compares the live index as it was after SCAN_A with it after SCAN_B (ids or unique prefixes "
        "from 'piiscan scans'; default: the last two completed scans; one id: that scan and the last one).  "
        "Exit code 3 with --fail-on-new when there are new locations.",
    )
    diff.add_argument("scan_a", nargs="?", metavar="SCAN_A", help="the earlier scan")
    diff.add_argument("scan_b", nargs="?", metavar="SCAN_B", help="the later scan (default: the last completed)")
    diff.add_argument("--source", help="only this source (exact, or a prefix such as s3://logs)")
    diff.add_argument("--entity", help="only this entity type, e.g. EMAIL_ADDRESS")
    diff.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    diff.add_argument(
        "--limit", type=int, default=100, metavar="N", help="text/markdown: locations listed each way (0 = all)"
    )
    diff.add_argument("--fail-on-new", action="store_true", help="exit 3 when there are new locations (for cron)")
    _common(diff)


def _add_config(sub: Subcommands) -> None:
    config_cmd = sub.add_parser("config", help="the configuration in effect (defaults < piiscan.toml < options)")
    config_actions = config_cmd.add_subparsers(dest="config_action", required=True)
    show = config_actions.add_parser(
        "show",
        help="print the effective configuration (loads back as a config file; secrets appear only as "
        "the names of the environment variables holding them)",
    )
    show.add_argument("--format", choices=["toml", "json"], default="toml")
    _common(show)


def _add_audit(sub: Subcommands) -> None:
    audit = sub.add_parser(
        "audit",
        help="data-minimisation audit: inventory, retention, unexpected places, duplication, special categories",
        description="Writes audit.html, audit.json and CSV inventories into --out from the index alone.  Exit "
        "code 3 when a --fail-on threshold holds (metrics: docs/audit.md), 0 otherwise.",
    )
    audit.add_argument("--out", type=Path, required=True, help="folder for audit.html, audit.json and the CSVs")
    audit.add_argument(
        "--as-of",
        metavar="DATE",
        help="judge ages as of this date, YYYY-MM-DD (default: [audit] as_of, else today UTC)",
    )
    audit.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="EXPR",
        help="exit 3 when METRIC OP N holds, e.g. retention-violations>0 (repeatable; replaces [audit] fail_on)",
    )
    audit.add_argument("--format", choices=["text", "json"], default="text", help="terminal summary format")
    _common(audit)


def _add_compact(sub: Subcommands) -> None:
    compact = sub.add_parser("compact", help="merge index segments and drop superseded entries")
    _common(compact)


#: The subcommands in the order ``piiscan --help`` lists them.
SUBCOMMANDS = (
    _add_scan, _add_lookup, _add_dsar, _add_erase, _add_request, _add_restrict, _add_suppress, _add_detect,
    _add_scans, _add_diff, _add_config, _add_audit, _add_compact,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="piiscan", description="Find personal data across files and databases and index it per data subject."
    )
    parser.add_argument("--version", action="version", version=f"piiscan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add_subcommand in SUBCOMMANDS:
        add_subcommand(sub)
    return parser


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record, for log collectors: time (UTC, ISO 8601), level, logger, message and the
    record's extra fields (``source``, ``item`` ...).  Messages are sanitised where they are logged."""

    #: attributes every LogRecord has; anything else was passed as ``extra=``
    STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:  # also what multiprocessing-logging sends on
            record.exc_text = self.formatException(record.exc_info)
        created = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, Any] = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self.STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.processName != "MainProcess":
            entry["process"] = record.processName
        return json.dumps(entry, default=str, ensure_ascii=False)


def _setup_logging(args: argparse.Namespace, log_format: str | None = None) -> None:
    """Log level from -q/-v; format from --log-format, else ``log_format`` (the config's), else text."""
    level = logging.WARNING
    if args.quiet:
        level = logging.ERROR
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="piiscan: %(levelname)s: %(message)s", stream=sys.stderr, force=True)
    if (getattr(args, "log_format", None) or log_format) == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(max(level, logging.ERROR))


def _config(args: argparse.Namespace) -> ScanConfig:
    overrides: dict[str, Any] = {
        "index": args.index,
        "key_file": args.key_file,
        "quiet": args.quiet,
        "log_format": args.log_format,
        "detectors.default_region": args.default_region,
        "endpoint_url": args.endpoint_url,
    }
    if args.command == "scan":
        overrides |= {
            "workers": args.workers,
            "unit_mb": args.unit_mb,
            "include": args.include,
            "exclude": args.exclude,
            "follow_symlinks": args.follow_symlinks,
            "infer_relationships": getattr(args, "infer_relationships", None),
            "executor": args.executor or ("dask" if args.scheduler else None),
            "scheduler": args.scheduler,
            "detectors.ner": args.ner,
            "full": args.full,
        }
    if args.command == "detect":
        overrides["detectors.ner"] = args.ner
    return load_config(args.config, overrides)


def cmd_scan(args: argparse.Namespace, config: ScanConfig) -> int:
    import multiprocessing_logging

    from piiscan.index.keys import load_key
    from piiscan.reports.render import render_incremental_line, render_json, render_scan_summary
    from piiscan.scanner.runner import run_scan, summary_dict
    from piiscan.scanner.worker import WorkerSetupError

    try:
        sources = config.scan_targets(args.sources, args.source_names)
    except ValueError as exc:
        raise UsageError(f"--source: {exc}") from exc
    if not sources:
        raise UsageError("no sources: give paths/URLs, or configure [sources.NAME] or scan.sources in piiscan.toml")
    key = load_key(config.key_file, endpoint_url=config.endpoint_url)
    multiprocessing_logging.install_mp_handler()
    try:
        summary = run_scan(config, key, sources)
    except WorkerSetupError as exc:
        print(f"piiscan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:  # emit what workers and the writer logged before the summary, not from an exit hook
        for handler in logging.getLogger().handlers:
            if isinstance(handler, multiprocessing_logging.MultiProcessingHandler):
                handler.close()
        multiprocessing_logging.uninstall_mp_handler()
    data = summary_dict(summary)
    text = f"{render_scan_summary(data)}\n{render_incremental_line(data)}"
    if summary.items_reached_twice:
        text += f"\n  overlap: {summary.items_reached_twice} item(s) reached twice, scanned once"
    print(render_json(data) if args.format == "json" else text)
    if summary.status == "interrupted":
        return 130
    if summary.status == "failed" or summary.source_errors or (summary.items_scanned == 0 and summary.items_failed):
        return EXIT_FAILED
    return EXIT_OK


def _depth(args: argparse.Namespace) -> int:
    """Foreign-key hops to follow: --depth, else the default; at least one."""
    from piiscan.index.lookup import DEFAULT_DEPTH

    depth = DEFAULT_DEPTH if args.depth is None else args.depth
    if depth < 1:
        raise UsageError("--depth must be at least 1")
    return depth


def _max_hops(args: argparse.Namespace) -> int:
    """Link hops to follow: 0 unless linked (lookup: --linked or --max-hops; dsar: unless --no-linked)."""
    from piiscan.index.lookup import DEFAULT_MAX_HOPS

    hops = getattr(args, "max_hops", None)
    if hops is not None and hops < 0:
        raise UsageError("--max-hops must be 0 or more")
    linked = args.linked or (args.command == "lookup" and hops is not None)
    if not linked and hops and args.command != "lookup":
        raise UsageError("--no-linked and --max-hops N contradict each other")
    return (DEFAULT_MAX_HOPS if hops is None else hops) if linked else 0


def _queries(args: argparse.Namespace, config: ScanConfig):
    from piiscan.app.workspace import queries_for

    wanted = [("EMAIL_ADDRESS", v) for v in args.email] + [("PHONE_NUMBER", v) for v in args.phone]
    for spec in args.value:
        entity, sep, value = spec.partition("=")
        if not sep or not entity or not value:
            raise UsageError(f"--value expects TYPE=VALUE, got '{entity}...'")
        wanted.append((entity, value))
    if not wanted:
        raise UsageError(f"{args.command} needs --email, --phone or --value TYPE=VALUE")
    try:
        return queries_for(wanted, config)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_lookup(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.app.requests import Register
    from piiscan.index.keys import SubjectHasher, load_key
    from piiscan.index.lookup import lookup
    from piiscan.reports.render import render_json, render_lookup_table

    queries = _queries(args, config)
    index = _open_index(config)
    key = load_key(config.key_file, create=False, endpoint_url=config.endpoint_url)
    index.check_key(key)
    depth = _depth(args)
    related = args.related or args.depth is not None
    hops = _max_hops(args)
    found = lookup(index, SubjectHasher(key), queries, linked=hops > 0, related=related, depth=depth, max_hops=hops)
    found.restrictions = Register.of_index(str(config.index), config.endpoint_url).standing(SubjectHasher(key), queries)
    result = found.to_dict()
    print(render_json(result) if args.format == "json" else render_lookup_table(result))
    for entry in result["restrictions"] if args.format != "json" else ():
        print(f"RESTRICTED ({entry['kind'].replace('_', ' ')} since {entry['time'][:10]}): {entry['entity_type']} "
              f"{entry['preview']}: {entry['reason']}")  # fmt: skip
    return EXIT_OK


def _open_index(config: ScanConfig):
    """The configured index: a folder, or ``s3://bucket/prefix`` reached through ``endpoint_url``."""
    from piiscan.index.store import open_index

    return open_index(config.index, config.endpoint_url)


def _workspace(config: ScanConfig):
    from piiscan.app.workspace import Workspace
    from piiscan.index.keys import load_key

    key = load_key(config.key_file, create=False, endpoint_url=config.endpoint_url)
    index = _open_index(config)
    index.check_key(key)
    return Workspace(config, key, index)


def cmd_dsar(args: argparse.Namespace, config: ScanConfig) -> int:
    from dataclasses import replace

    from piiscan.reports.render import render_dsar_summary, render_export_summary

    queries = _queries(args, config)
    depth, hops = _depth(args), _max_hops(args)
    if args.ner is not None:  # --export's redaction
        config = replace(config, detectors=replace(config.detectors, ner=args.ner))
    answer = _workspace(config).access_report(
        queries, args.out, linked=hops > 0, depth=depth, max_hops=hops, export=args.export, request_id=args.request
    )
    print(answer.paths["json"])
    print(answer.paths["html"])
    print(render_dsar_summary(answer.report["summary"]))
    export = answer.export
    if export is not None:
        print(export.path)
        print(render_export_summary(export.summary))
        for warning in export.warnings:
            print(f"piiscan: warning: {warning}", file=sys.stderr)
        if export.fetched_nothing:
            print("piiscan: error: no record could be fetched for the export", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def cmd_erase(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.app import erasure
    from piiscan.reports.erasure import render_erase_plan, render_erase_results
    from piiscan.reports.render import render_json

    workspace = _workspace(config)
    if args.request is not None and args.plan is None:
        raise UsageError("--request goes with --plan (apply and verify are recorded through the plan)")
    if args.request is not None and args.request_id is not None:
        raise UsageError("--request and --request-id name the same thing: give one")
    if args.plan is not None:
        request_id = args.request_id
        if args.request is not None:
            workspace.register.load(args.request)  # it must exist in the register
            request_id = args.request
        plan = workspace.plan_erasure(
            _queries(args, config),
            request_id=request_id,
            linked=args.linked,
            depth=_depth(args),
            max_hops=_max_hops(args),
            rescan_changed=args.rescan_changed,
            path=args.plan,
            override_restriction=args.override_restriction,
        )
        print(render_json(plan["summary"]) if args.format == "json" else render_erase_plan(plan, args.plan))
        return EXIT_OK
    if args.email or args.phone or args.value:
        raise UsageError("--apply and --verify take the subject from the plan; drop --email/--phone/--value")
    audit_log = erasure.audit_log_for(config, args.audit_log)
    if args.apply is not None:
        outputs = workspace.apply_erasure(args.apply, yes=args.yes, verify=args.verify_after, audit_log=audit_log)
    else:
        outputs = workspace.verify_erasure(args.verify, audit_log=audit_log)
    ok = outputs.pop("ok")
    print(render_json(outputs) if args.format == "json" else render_erase_results(outputs, audit_log.location))
    return EXIT_OK if ok else EXIT_INCOMPLETE


def cmd_request(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.reports.render import render_json, render_table

    workspace = _workspace(config)
    register = workspace.register
    today = dt.date.today()
    action = args.request_action
    if action == "open":
        request = workspace.open_request(
            _queries(args, config), args.request_type, received=args.received, request_id=args.request_id,
            note=args.note,
        )  # fmt: skip
    elif action == "extend":
        request = register.extend(args.id, args.reason)
    elif action == "close":
        request = register.close(args.id, args.outcome, args.note)
    elif action == "show":
        request = register.load(args.id)
    else:
        requests = register.all()
        if args.open_only:
            requests = [r for r in requests if r.status != "closed"]
        if args.overdue:
            requests = [r for r in requests if r.overdue(today)]
        rows = [r.to_dict(today) for r in requests]
        if args.format == "json":
            print(render_json({"requests": rows}))
        else:
            columns = [("request_id", "REQUEST"), ("type", "TYPE"), ("status", "STATUS"), ("received", "RECEIVED"),
                       ("due", "DUE"), ("days_left", "DAYS LEFT"), ("overdue", "OVERDUE")]  # fmt: skip
            print(render_table([{**r, "overdue": "yes" if r["overdue"] else ""} for r in rows], columns))
        return EXIT_INCOMPLETE if args.overdue and requests else EXIT_OK
    shown = request.to_dict(today)
    if args.format == "json":
        print(render_json(shown))
        return EXIT_OK
    outcome = f" ({shown['outcome']})" if shown["outcome"] else ""
    late = "; OVERDUE" if shown["overdue"] else ""
    print(f"{shown['request_id']}: {shown['type']}, {shown['status']}{outcome}; received {shown['received']}, "
          f"due {shown['due']}{late}")  # fmt: skip
    print("subject: " + ", ".join(f"{i['entity_type']} {i['preview']}" for i in shown["subject"]))
    for event in shown["events"]:
        what = event.get("action") or event["event"]
        extra = event.get("reason") or event.get("outcome") or ""
        print(f"  {event['time']}  {event['actor']}  {what}" + (f": {extra}" if extra else ""))
    return EXIT_OK


def cmd_restrict(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.reports.render import render_json

    workspace = _workspace(config)
    queries = _queries(args, config)
    if args.lift:
        entries = workspace.lift_restriction(queries, reason=args.reason, request_id=args.request)
        verb = "lifted"
    else:
        if not args.reason:
            raise UsageError("restrict needs --reason (why processing is restricted)")
        kind = "legal_hold" if args.legal_hold else "restriction"
        entries = workspace.restrict(queries, args.reason, kind, request_id=args.request)
        verb = "stands"
    if args.format == "json":
        print(render_json({"status": verb, "entries": entries}))
    else:
        for entry in entries:
            print(f"{entry['kind'].replace('_', ' ')} {verb}: {entry['entity_type']} {entry['preview']}"
                  f" (since {entry['time'][:10]}: {entry['reason']})")  # fmt: skip
    return EXIT_OK


def cmd_suppress(args: argparse.Namespace, config: ScanConfig) -> int:
    import csv
    import io

    from piiscan.index.storage import write_private

    workspace = _workspace(config)
    if args.suppress_action == "export":
        entries = workspace.suppression_list()
        write_private(args.out, "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
        print(f"{args.out}: {len(entries)} identifier(s) of subjects who objected, as keyed hashes")
        return EXIT_OK
    try:
        text = args.list.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OSError(f"{args.list}: cannot read ({type(exc).__name__})") from None
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if rows and args.column not in rows[0]:
        raise UsageError(f"{args.list}: no column '{args.column}'")
    marks = workspace.suppressed(args.entity_type.upper(), [r.get(args.column) or "" for r in rows])
    out = io.StringIO(newline="")
    fields = [*(rows[0].keys() if rows else [args.column]), "suppressed"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row, mark in zip(rows, marks, strict=True):
        writer.writerow({**row, "suppressed": "" if mark is None else str(mark).lower()})
    write_private(args.out, out.getvalue())
    print(f"{args.out}: {sum(m is True for m in marks)} of {len(rows)} row(s) to suppress"
          f" ({sum(m is None for m in marks)} without a valid {args.entity_type.upper()})")  # fmt: skip
    return EXIT_OK


def _read_detect_input(args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.input == "-":
        raw = sys.stdin.read()
        name = "-"
    else:
        path = Path(args.input)
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise OSError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from exc
        name = path.name
    if not args.jsonl:
        return [(name, raw)]
    docs = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            docs.append((str(obj["id"]), str(obj["text"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{name}: line {number}: expected a JSON object with 'id' and 'text'") from exc
    return docs


def _detections(engine: DetectionEngine, docs: list[tuple[str, str]], batch: int) -> Iterator[dict[str, Any]]:
    """The matches in ``docs`` (id, text), ``batch`` texts per engine call, in document and span order."""
    for offset in range(0, len(docs), batch):
        chunk = docs[offset : offset + batch]
        matches = engine.detect_texts([text for _, text in chunk]).to_pylist()
        for match in sorted(matches, key=lambda m: (m["row"], m["start"], m["end"])):
            yield {
                "id": chunk[match["row"]][0],
                "entity_type": match["entity_type"],
                "start": match["start"],
                "end": match["end"],
                "score": round(float(match["score"]), 3),
                "detector": match["detector"],
            }


def cmd_detect(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.detectors.engine import DetectionEngine
    from piiscan.reports.render import render_table

    docs = _read_detect_input(args)
    # texts per engine call (bench/quality.py's CLI_BATCH follows it)
    batch = 256
    rows = _detections(DetectionEngine(config.detectors), docs, batch)
    if args.format == "json":
        for row in rows:  # streamed: one line per match as soon as its batch is done
            sys.stdout.write(json.dumps(row) + "\n")
    else:
        columns = [(k, k.upper()) for k in ("id", "entity_type", "start", "end", "score", "detector")]
        print(render_table(list(rows), columns))
    return EXIT_OK


def cmd_compact(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.index.store import compact

    stats = compact(_open_index(config))
    print(f"compacted {config.index}: kept {stats['kept']} occurrences, dropped {stats['dropped']} superseded")
    return EXIT_OK


#: Exit code of ``audit`` when a ``--fail-on`` threshold holds.
EXIT_AUDIT_FAILED = 3


def cmd_audit(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.app.requests import Register
    from piiscan.index.retention import RetentionError, parse_as_of
    from piiscan.reports.audit import build_audit, parse_fail_on
    from piiscan.reports.audit_render import render_audit_json, render_audit_text, write_audit

    try:
        as_of = parse_as_of(args.as_of) if args.as_of else None
    except RetentionError as exc:
        raise UsageError(f"--as-of: {exc}") from exc
    for expression in args.fail_on:
        try:
            parse_fail_on(expression)
        except ValueError as exc:
            raise UsageError(f"--fail-on: {exc}") from exc
    register = Register.of_index(str(config.index), config.endpoint_url)
    index = _open_index(config)
    audit = build_audit(
        index,
        config.retention,
        config.audit,
        as_of,
        args.fail_on,
        register.restricted_since(),
        register.objected_since(),
    )
    write_audit(audit, args.out)
    print(render_audit_json(audit) if args.format == "json" else render_audit_text(audit, args.out))
    return EXIT_AUDIT_FAILED if audit["failed"] else EXIT_OK


def cmd_scans(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.reports.history import list_scans
    from piiscan.reports.render import render_json, render_scans_table

    scans = list_scans(_open_index(config))
    print(render_json(scans) if args.format == "json" else render_scans_table(scans))
    return EXIT_OK


#: Exit code of ``diff --fail-on-new`` when personal data appeared in new locations.
EXIT_NEW_LOCATIONS = 3


def cmd_diff(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.reports.history import HistoryError, diff_scans, has_new_locations
    from piiscan.reports.render import render_diff_markdown, render_diff_text, render_json

    if args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    try:
        diff = diff_scans(_open_index(config), args.scan_a, args.scan_b, source=args.source, entity=args.entity)
    except HistoryError as exc:
        raise UsageError(str(exc)) from exc
    if args.format == "json":
        print(render_json(diff))
    elif args.format == "markdown":
        print(render_diff_markdown(diff, args.limit), end="")
    else:
        print(render_diff_text(diff, args.limit))
    return EXIT_NEW_LOCATIONS if args.fail_on_new and has_new_locations(diff) else EXIT_OK


def cmd_config(args: argparse.Namespace, config: ScanConfig) -> int:
    from piiscan.scanner.config import effective_config, render_config_json, render_config_toml

    data = effective_config(config)
    print(render_config_json(data) if args.format == "json" else render_config_toml(data), end="")
    if args.format == "json":
        print()
    return EXIT_OK


COMMANDS = {
    "scan": cmd_scan,
    "lookup": cmd_lookup,
    "dsar": cmd_dsar,
    "erase": cmd_erase,
    "request": cmd_request,
    "restrict": cmd_restrict,
    "suppress": cmd_suppress,
    "detect": cmd_detect,
    "compact": cmd_compact,
    "audit": cmd_audit,
    "config": cmd_config,
    "scans": cmd_scans,
    "diff": cmd_diff,
}


def main(argv: list[str] | None = None) -> int:
    from piiscan.app.erasure import PlanError
    from piiscan.app.request_kinds import RequestError
    from piiscan.index.keys import HmacKeyError
    from piiscan.index.store import IndexLayoutError

    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    try:
        config = _config(args)
        if config.log_format != "text" and not args.log_format:  # scan.log_format in the config file
            _setup_logging(args, config.log_format)
        return COMMANDS[args.command](args, config)
    except BrokenPipeError:  # output piped into head/less that closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except UsageError as exc:
        print(f"piiscan {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, HmacKeyError, IndexLayoutError, PlanError, RequestError, OSError) as exc:
        print(f"piiscan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("piiscan: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``piiscan`` command (console script and ``python -m piiscan``): :func:`main`, then an exit that
    skips the interpreter's teardown.

    Why: Arrow's native thread pools can still be alive when CPython finalizes; destroying them then
    calls ``std::terminate``, and a command that finished and printed its result dies with SIGABRT
    ("terminate called without an active exception", apache/arrow#34314).  Everything a command writes
    is closed (and the audit log fsynced) before :func:`main` returns; log handlers and the standard
    streams are flushed here.  Python callers use :func:`main`, which returns.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, a usage error
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a reader that went away; a closed stream
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
