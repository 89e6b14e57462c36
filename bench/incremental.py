"""Incremental-rescan benchmark: a full scan of many small files, then rescans into the same index.

Generates (or reuses) an estate of ``--files`` small files in several formats (text logs, CSV, TSV, JSON
Lines, JSON, Markdown) written by bench/estate.py's generators (its fake subjects, log events, notes and
tickets), then times through the real CLI, identifiers only (``--no-ner``):

1. a full scan into a fresh index (``--workers``, default 2);
2. a rescan with nothing changed (enumeration and comparison with the index only: no file is read and
   no worker pool starts);
3. a rescan after touching ``--touch-percent`` of the files (content appended, so mtime and size change).

    python bench/incremental.py --files 10000 --workers 2 --out bench/out

Prints the figures and writes OUT/incremental.json.  No personal value is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from random import Random
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

#: target for a rescan with nothing changed, as a share of the full scan's time
NO_CHANGE_TARGET = 0.05

from scan import run_scan as cli_scan  # noqa: E402 - bench/ is on sys.path only from here


def generate_small_files(root: Path, files: int, seed: int = 1) -> list[str]:
    """``files`` small files (about 0.5-3 KB) spread over 100 folders, six formats; returns their paths."""
    from estate import GeneratedEstate, _Writer, make_subjects

    rng = Random(seed)
    people, planted, reused = make_subjects(rng, 2000)
    estate = GeneratedEstate(root=root, seed=seed, subjects=people, planted=planted, phone_reused=reused)
    writer = _Writer(root, rng, estate)
    kinds = ("login", "failed", "reset", "callback", "chat")
    made: list[str] = []
    for n in range(files):
        folder = f"dept{n % 100:02d}"
        fmt = ("log", "csv", "jsonl", "json", "tsv", "md")[n % 6]
        rel = f"{folder}/item{n:05d}.{fmt}"
        subjects = [writer.pick() for _ in range(rng.randrange(4, 12))]
        with writer.open(rel) as out:
            if fmt == "log":
                for s in subjects:
                    event = writer.log_event(s, rng.choice(kinds))[0]
                    out.write(f"2026-11-{rng.randrange(1, 29):02d}T10:00:00Z {event}\n")
                    out.write(f"2026-11-{rng.randrange(1, 29):02d}T10:00:01Z {writer.noise()}\n")
            elif fmt in ("csv", "tsv"):
                sep = "," if fmt == "csv" else "\t"
                out.write(sep.join(("id", "name", "email", "phone", "notes")) + "\n")
                for i, s in enumerate(subjects, 1):
                    note = writer.note(s)[0].replace(sep, " ").replace('"', "")
                    out.write(sep.join((str(i), s.name, writer.email(s), writer.phone(s), note)) + "\n")
            elif fmt == "jsonl":
                for s in subjects:
                    out.write(json.dumps({"event": "signup", "email": writer.email(s), "plan": "basic"}) + "\n")
            elif fmt == "json":
                tickets = []
                for s in subjects:
                    title, body, _ = writer.ticket_body(s, rng.choice(("phone", "address", "other")))
                    tickets.append({"title": title, "body": body, "from": writer.email(s)})
                json.dump({"tickets": tickets}, out, indent=1)
            else:
                out.write("# Meeting notes\n\n")
                for s in subjects:
                    out.write(f"- {s.name} ({writer.email(s)}): {writer.note(s)[0]}\n")
        made.append(rel)
    return made


def run_scan(root: Path, index: Path, workers: int) -> dict[str, Any]:
    """One identifiers-only scan through the real command line (bench/scan.py), reduced to what this reports."""
    summary = cli_scan(root, index, workers, ["--no-ner"])
    return {
        "wall_s": round(summary["wall_s"], 2),
        "elapsed_s": round(summary["elapsed"], 2),
        **{k: summary[k] for k in ("items_new", "items_changed", "items_unchanged", "items_gone", "items_scanned")},
        "units": summary["units"],
        "bytes_scanned": summary["bytes_scanned"],
    }


def touch_files(root: Path, paths: list[str], share: float, seed: int) -> list[str]:
    """Append a line to ``share`` of the files (a new mtime and size), keeping each format valid."""
    rng = Random(seed)
    chosen = sorted(rng.sample(paths, max(1, round(len(paths) * share))))
    later = time.time() + 5
    for rel in chosen:
        path = root / rel
        if rel.endswith(".json"):
            data = json.loads(path.read_text())
            data["tickets"].append({"title": "Follow-up", "body": "Customer called again.", "from": None})
            path.write_text(json.dumps(data, indent=1))
        else:
            with path.open("a") as out:
                out.write("# touched\n" if rel.endswith(".md") else "\n")
        os.utime(path, (later, later))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--touch-percent", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args(argv)

    root = args.out / f"incremental-{args.files}files-seed{args.seed}"
    index = args.out / f"incremental-{args.files}files-index"
    for stale in (root, index):  # a fresh estate and index each run: the figures start from nothing
        if stale.exists():
            shutil.rmtree(stale)
    started = time.perf_counter()
    paths = generate_small_files(root, args.files, args.seed)
    generated = time.perf_counter() - started
    total = sum((root / p).stat().st_size for p in paths)
    print(f"estate: {len(paths)} files, {total / 1e6:.1f} MB, generated in {generated:.1f} s", flush=True)

    full = run_scan(root, index, args.workers)
    print(f"full scan: {full['wall_s']:.2f} s ({full['items_scanned']} items)", flush=True)
    no_change = run_scan(root, index, args.workers)
    share = no_change["wall_s"] / full["wall_s"]
    print(f"no-change rescan: {no_change['wall_s']:.2f} s = {100 * share:.1f}% of the full scan", flush=True)
    touched = touch_files(root, paths, args.touch_percent / 100, args.seed)
    changed = run_scan(root, index, args.workers)
    print(f"rescan after touching {len(touched)} files: {changed['wall_s']:.2f} s", flush=True)

    result = {
        "files": len(paths),
        "bytes": total,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg(),
        "full": full,
        "no_change": no_change | {"share_of_full": round(share, 4)},
        "touched": changed | {"files_touched": len(touched)},
        "no_change_target_met": share < NO_CHANGE_TARGET,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "incremental.json").write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out / 'incremental.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
