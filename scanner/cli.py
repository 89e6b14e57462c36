"""The ``piiscan`` command line: scan, lookup, dsar, erase, detect, compact.

Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 (erase) an action was refused or failed
or the subject's data is still present after erasure.  Errors are one
line on stderr naming the location; no personal data is ever printed in them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.config import ConfigError, ScanConfig, load_config

log = logging.getLogger("piiscan")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Exit code of ``erase`` when an action was refused or failed, or verification found the data still there.
EXIT_INCOMPLETE = 3


class UsageError(Exception):
    """Bad arguments discovered after parsing (exit code 2)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="config file (default: ./piiscan.toml if present)")
    parser.add_argument("--index", type=Path, help="index directory (default: ./.piiscan)")
    parser.add_argument(
        "--key-file", type=Path, help="HMAC key file (default: $PIISCAN_HMAC_KEY or ~/.config/piiscan/hmac.key)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", default=None, help="no progress bar, errors only")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--region", dest="default_region", help="default region for national phone numbers (e.g. GB)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="piiscan", description="Find personal data across files and databases and index it per data subject."
    )
    parser.add_argument("--version", action="version", version=f"piiscan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="scan sources into the index")
    scan.add_argument("sources", nargs="*", help="path, file://..., or sqlite:///path.db (default: config 'sources')")
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
        "--endpoint-url", help="S3-compatible endpoint for s3:// sources (default: AWS, or $AWS_ENDPOINT_URL)"
    )
    scan.add_argument("--format", choices=["text", "json"], default="text", help="summary format")
    _common(scan)

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

    dsar = sub.add_parser("dsar", help="write a subject access (Art. 15) report from the index")
    _identifier_args(dsar)
    dsar.add_argument("--out", type=Path, required=True, help="folder for report.json and report.html")
    dsar.add_argument(
        "--no-linked", dest="linked", action="store_false", help="do not follow identifiers seen in the same records"
    )
    dsar.add_argument("--depth", type=int, default=None, metavar="N", help="foreign-key hops followed (default 3)")
    dsar.add_argument("--max-hops", type=int, default=None, metavar="N", help="link hops followed (default 1)")
    dsar.add_argument(
        "--export",
        action="store_true",
        help="also write export.zip: the subject's records fetched live from the sources (Art. 20; personal data)",
    )
    dsar.add_argument(
        "--no-ner", dest="ner", action="store_false", default=None, help="--export: redact without PERSON NER"
    )
    dsar.add_argument("--endpoint-url", help="--export: S3-compatible endpoint for s3:// sources")
    _common(dsar)

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
        "--no-linked", dest="linked", action="store_false", help="do not follow identifiers seen in the same records"
    )
    erase.add_argument("--depth", type=int, default=None, metavar="N", help="foreign-key hops followed (default 3)")
    erase.add_argument("--max-hops", type=int, default=None, metavar="N", help="link hops followed (default 1)")
    erase.add_argument(
        "--rescan-changed", action="store_true", help="rescan items changed since the scan, then plan (else: stale)"
    )
    erase.add_argument("--audit-log", type=Path, help="append-only audit log (default: INDEX/audit/erasure.jsonl)")
    erase.add_argument(
        "--endpoint-url", help="S3-compatible endpoint for s3:// sources (default: AWS, or $AWS_ENDPOINT_URL)"
    )
    erase.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    _common(erase)

    detect = sub.add_parser("detect", help="run the detectors on text without indexing it")
    detect.add_argument("input", nargs="?", default="-", help="text file, or - for stdin")
    detect.add_argument("--jsonl", action="store_true", help="input is JSON lines with 'id' and 'text'")
    detect.add_argument("--format", choices=["json", "table"], default="json", help="JSON lines (default) or a table")
    detect.add_argument("--no-ner", dest="ner", action="store_false", default=None, help="identifiers only")
    _common(detect)

    compact = sub.add_parser("compact", help="merge index segments and drop superseded entries")
    _common(compact)
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING
    if args.quiet:
        level = logging.ERROR
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="piiscan: %(levelname)s: %(message)s", stream=sys.stderr, force=True)
    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(max(level, logging.ERROR))


def _config(args: argparse.Namespace) -> ScanConfig:
    overrides: dict[str, Any] = {
        "index": args.index,
        "key_file": args.key_file,
        "quiet": args.quiet,
        "detectors.default_region": args.default_region,
    }
    if args.command == "scan":
        overrides |= {
            "workers": args.workers,
            "unit_mb": args.unit_mb,
            "include": args.include,
            "exclude": args.exclude,
            "follow_symlinks": args.follow_symlinks,
            "infer_relationships": getattr(args, "infer_relationships", None),
            "endpoint_url": getattr(args, "endpoint_url", None),
            "detectors.ner": args.ner,
        }
    if args.command == "detect":
        overrides["detectors.ner"] = args.ner
    if args.command == "erase":
        overrides["endpoint_url"] = args.endpoint_url
    return load_config(args.config, overrides)


def cmd_scan(args: argparse.Namespace, config: ScanConfig) -> int:
    import multiprocessing_logging

    from reports.render import render_json, render_scan_summary
    from scanner.keys import load_key
    from scanner.runner import run_scan, summary_dict
    from scanner.worker import WorkerSetupError

    sources = args.sources or list(config.sources)
    if not sources:
        raise UsageError("no sources: give paths/URLs or set 'sources' in the config file")
    key = load_key(config.key_file)
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
    print(render_json(data) if args.format == "json" else render_scan_summary(data))
    if summary.status == "interrupted":
        return 130
    if summary.source_errors or (summary.items_scanned == 0 and summary.items_failed):
        return EXIT_FAILED
    return EXIT_OK


def _identifier_args(parser: argparse.ArgumentParser) -> None:
    """The identifiers a subject is named by (lookup, dsar)."""
    parser.add_argument("--email", action="append", default=[], help="e-mail address (repeatable)")
    parser.add_argument("--phone", action="append", default=[], help="phone number, any format (repeatable)")
    parser.add_argument("--value", action="append", default=[], metavar="TYPE=VALUE", help="e.g. UK_NINO=AB123456C")


def _depth(args: argparse.Namespace) -> int:
    """Foreign-key hops to follow: --depth, else the default; at least one."""
    from reports.lookup import DEFAULT_DEPTH

    depth = DEFAULT_DEPTH if args.depth is None else args.depth
    if depth < 1:
        raise UsageError("--depth must be at least 1")
    return depth


def _max_hops(args: argparse.Namespace) -> int:
    """Link hops to follow: 0 unless linked (lookup: --linked or --max-hops; dsar: unless --no-linked)."""
    from reports.lookup import DEFAULT_MAX_HOPS

    hops = getattr(args, "max_hops", None)
    if hops is not None and hops < 0:
        raise UsageError("--max-hops must be 0 or more")
    linked = args.linked or (args.command == "lookup" and hops is not None)
    if not linked and hops and args.command != "lookup":
        raise UsageError("--no-linked and --max-hops N contradict each other")
    return (DEFAULT_MAX_HOPS if hops is None else hops) if linked else 0


def _queries(args: argparse.Namespace, config: ScanConfig):
    from scanner.api import queries_for

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
    from reports.lookup import lookup
    from reports.render import render_json, render_lookup_table
    from scanner.index import open_index
    from scanner.keys import SubjectHasher, load_key

    queries = _queries(args, config)
    index = open_index(config.index)
    key = load_key(config.key_file, create=False)
    index.check_key(key)
    depth = _depth(args)
    related = args.related or args.depth is not None
    hops = _max_hops(args)
    result = lookup(
        index, SubjectHasher(key), queries, linked=hops > 0, related=related, depth=depth, max_hops=hops
    ).to_dict()
    print(render_json(result) if args.format == "json" else render_lookup_table(result))
    return EXIT_OK


def _workspace(config: ScanConfig):
    from scanner.api import Workspace
    from scanner.index import open_index
    from scanner.keys import load_key

    key = load_key(config.key_file, create=False)
    index = open_index(config.index)
    index.check_key(key)
    return Workspace(config, key, index)


def cmd_dsar(args: argparse.Namespace, config: ScanConfig) -> int:
    from dataclasses import replace

    queries = _queries(args, config)
    depth, hops = _depth(args), _max_hops(args)
    if args.ner is not None:  # --export's redaction
        config = replace(config, detectors=replace(config.detectors, ner=args.ner))
    if args.endpoint_url:
        config = replace(config, endpoint_url=args.endpoint_url)
    answer = _workspace(config).access_report(
        queries, args.out, linked=hops > 0, depth=depth, max_hops=hops, export=args.export
    )
    print(answer.paths["json"])
    print(answer.paths["html"])
    s = answer.report["summary"]
    print(
        f"{s['locations']} location(s) and {s['related_rows']} related row(s) in {s['items']} item(s)"
        f" across {s['systems']} system(s); {s['incomplete']} item(s) could not be scanned"
    )
    export = answer.export
    if export is not None:
        e = export.summary
        redacted = sum(e["redacted_third_party"].values())
        print(export.path)
        print(
            f"export: {e['records']} record(s) in {e['files']} file(s); {e['missing']} no longer found;"
            f" {len(e['changed_items'])} item(s) changed since the scan; {redacted} third-party value(s) redacted."
            " The bundle holds the subject's personal data (mode 0600): hand it over securely."
        )
        for warning in export.warnings:
            print(f"piiscan: warning: {warning}", file=sys.stderr)
        if export.fetched_nothing:
            print("piiscan: error: no record could be fetched for the export", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def cmd_erase(args: argparse.Namespace, config: ScanConfig) -> int:
    from reports.erasure import render_erase_plan, render_erase_results
    from reports.render import render_json
    from scanner import erasure

    workspace = _workspace(config)
    if args.plan is not None:
        plan = workspace.plan_erasure(
            _queries(args, config),
            request_id=args.request_id,
            linked=args.linked,
            depth=_depth(args),
            max_hops=_max_hops(args),
            rescan_changed=args.rescan_changed,
            path=args.plan,
        )
        print(render_json(plan["summary"]) if args.format == "json" else render_erase_plan(plan, args.plan))
        return EXIT_OK
    if args.email or args.phone or args.value:
        raise UsageError("--apply and --verify take the subject from the plan; drop --email/--phone/--value")
    audit_log = args.audit_log or erasure.default_audit_log(config.index)
    if args.apply is not None:
        outputs = workspace.apply_erasure(args.apply, yes=args.yes, verify=args.verify_after, audit_log=audit_log)
    else:
        outputs = workspace.verify_erasure(args.verify, audit_log=audit_log)
    ok = outputs.pop("ok")
    print(render_json(outputs) if args.format == "json" else render_erase_results(outputs, audit_log))
    return EXIT_OK if ok else EXIT_INCOMPLETE


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


def cmd_detect(args: argparse.Namespace, config: ScanConfig) -> int:
    from detectors.engine import DetectionEngine
    from reports.render import render_table

    docs = _read_detect_input(args)
    engine = DetectionEngine(config.detectors)
    out_rows = []
    batch = 256
    for offset in range(0, len(docs), batch):
        chunk = docs[offset : offset + batch]
        matches = engine.detect_texts([text for _, text in chunk]).to_pylist()
        for match in sorted(matches, key=lambda m: (m["row"], m["start"], m["end"])):
            row = {
                "id": chunk[match["row"]][0],
                "entity_type": match["entity_type"],
                "start": match["start"],
                "end": match["end"],
                "score": round(float(match["score"]), 3),
                "detector": match["detector"],
            }
            if args.format == "json":
                sys.stdout.write(json.dumps(row) + "\n")
            else:
                out_rows.append(row)
    if args.format == "table":
        print(
            render_table(out_rows, [(k, k.upper()) for k in ("id", "entity_type", "start", "end", "score", "detector")])
        )
    return EXIT_OK


def cmd_compact(args: argparse.Namespace, config: ScanConfig) -> int:
    from scanner.index import compact, open_index

    stats = compact(open_index(config.index))
    print(f"compacted {config.index}: kept {stats['kept']} occurrences, dropped {stats['dropped']} superseded")
    return EXIT_OK


COMMANDS = {
    "scan": cmd_scan,
    "lookup": cmd_lookup,
    "dsar": cmd_dsar,
    "erase": cmd_erase,
    "detect": cmd_detect,
    "compact": cmd_compact,
}


def main(argv: list[str] | None = None) -> int:
    from scanner.erasure import PlanError
    from scanner.index import IndexLayoutError
    from scanner.keys import HmacKeyError

    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    try:
        config = _config(args)
        return COMMANDS[args.command](args, config)
    except BrokenPipeError:  # output piped into head/less that closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except UsageError as exc:
        print(f"piiscan {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, HmacKeyError, IndexLayoutError, PlanError, OSError) as exc:
        print(f"piiscan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("piiscan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
