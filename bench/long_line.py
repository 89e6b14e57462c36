"""Long-line benchmark: one file with no newline at all, scanned by one worker in bounded memory.

Writes a single-line file of the chosen size (default 200 MB) of lowercase filler words with e-mail
addresses, UK phone numbers (Ofcom's drama ranges) and GB IBANs planted at known character offsets,
many of them across, on or next to the cuts between the pieces a long line is scanned in
(connectors/formats/text.py), then scans it through the real command line (``piiscan scan``,
1 worker, identifiers only) and reports the wall time, the peak RSS of the worker and of the
parent, and whether every planted identifier was found exactly once at its own place (the
occurrence's ``offset + span_start`` is the planted offset).

    python bench/long_line.py --size-mb 200 --filler log --out bench/out   # JSON in bench/out/long_line-log.json

No personal values are printed (the planted ones are fictional anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BENCH_KEY = "5a" * 32
_WORDS = [
    *("status", "ok", "event", "user", "session", "request", "alpha", "beta", "gamma", "delta", "token"),
    *("cache", "queue", "retry", "worker", "batch", "commit", "sync", "upload", "lorem", "ipsum", "dolor"),
    *("sit", "amet", "consectetur", "adipiscing", "elit", "sed", "eiusmod"),
]
_SEPARATORS = (" ", " ", " ", " ", "; ", ", ", "=", " | ")


@dataclass(frozen=True)
class Planted:
    """One identifier written at character ``offset`` of the line (the file is ASCII: bytes = characters)."""

    entity_type: str
    text: str
    normalised: str
    offset: int


def _iban(rng: random.Random) -> tuple[str, str]:
    """A GB IBAN with valid check digits: (as printed in groups of four, compact)."""
    bban = "WEST" + "".join(rng.choice("0123456789") for _ in range(14))
    digits = "".join(str(int(c, 36)) for c in bban + "GB00")
    compact = f"GB{98 - int(digits) % 97:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4)), compact


def _identifiers(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(entity type, text, normalised) of ``count`` distinct fictional identifiers, kinds interleaved."""
    out = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            address = f"p{n}.longline@example.com"
            out.append(("EMAIL_ADDRESS", address, address))
        elif kind == 1:
            number = n // 3 % 2000  # 020 7946 0000-0999 and 07700 900000-900999: never in service
            if number < 1000:
                out.append(("PHONE_NUMBER", f"+44 20 7946 {number:04d}", f"+4420794{60000 + number}"))
            else:
                out.append(("PHONE_NUMBER", f"+44 7700 900{number - 1000:03d}", f"+447700900{number - 1000:03d}"))
        else:
            printed, compact = _iban(rng)
            out.append(("IBAN_CODE", printed, compact))
    return out


def plant_offsets(size: int, count: int, rng: random.Random) -> list[int]:
    """Offsets for ``count`` identifiers: on, across and next to the cuts between pieces, in the overlaps,
    and at random places; sorted and at least 64 characters apart."""
    from piiscan.connectors.formats.common import LINE_OVERLAP_CHARS, LINE_PIECE_CHARS

    cuts = range(LINE_PIECE_CHARS, size - LINE_PIECE_CHARS, LINE_PIECE_CHARS)
    picked: set[int] = set()
    for cut in rng.sample(list(cuts), min(len(cuts), count // 2)):
        near = (-12, -1, 0, 1, -LINE_OVERLAP_CHARS, -LINE_OVERLAP_CHARS - 10, LINE_OVERLAP_CHARS - 5, 300)
        picked.add(cut + rng.choice(near))
    while len(picked) < count:
        picked.add(rng.randrange(1_000, size - 1_000))
    offsets: list[int] = []
    for offset in sorted(picked):
        if not offsets or offset - offsets[-1] >= 64:
            offsets.append(offset)
    return offsets


def _log_event(rng: random.Random) -> str:
    """A log record as a minified dump joins them: timestamps, ids, durations, status codes, paths."""
    return (
        f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
        f"{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z {rng.choice(('INFO', 'WARN', 'DEBUG'))} "
        f"svc={rng.choice(_WORDS)} req={rng.getrandbits(32):08x} dur={rng.randrange(1, 900)}ms "
        f"path=/v1/{rng.choice(_WORDS)}/{rng.randrange(10**6)} status={rng.choice((200, 201, 304, 404, 500))}; "
    )


def write_long_line(path: Path, size: int, count: int = 600, seed: int = 7, filler: str = "words") -> list[Planted]:
    """Write ``size`` bytes without a newline to ``path``; the identifiers planted, in order.  ``filler`` is
    "words" (lowercase words, nothing a detector looks at twice) or "log" (log records with numbers)."""
    rng = random.Random(seed)
    offsets = plant_offsets(size, count, rng)
    values = _identifiers(len(offsets), rng)
    if filler == "log":
        filler = "".join(_log_event(rng) for _ in range(12_000))
    else:
        filler = "".join(rng.choice(_WORDS) + rng.choice(_SEPARATORS) for _ in range(200_000))
    planted: list[Planted] = []
    with open(path, "w", encoding="ascii", newline="") as out:
        written = 0

        def fill(upto: int) -> None:
            nonlocal written
            while written < upto:
                start = rng.randrange(len(filler) // 2)
                piece = filler[start : start + min(upto - written, len(filler) - start)]
                out.write(piece)
                written += len(piece)

        for offset, (entity, text, normalised) in zip(offsets, values, strict=True):
            fill(offset - 1)
            out.write(" ")  # a separator before and after: filler never joins the value
            written += 1
            planted.append(Planted(entity, text, normalised, written))
            out.write(text + " ")
            written += len(text) + 1
        fill(size)
    return planted


def check_index(index: Path, planted: list[Planted], key_hex: str) -> dict:
    """How many planted identifiers the index holds exactly once, at their own offset."""
    from piiscan.index.keys import SubjectHasher
    from piiscan.index.store import open_index

    hasher = SubjectHasher(bytes.fromhex(key_hex))
    wanted = {hasher.subject_key(p.entity_type, p.normalised): p for p in planted}
    table = open_index(index).occurrences_for(wanted)
    rows: dict[str, list[dict]] = {}
    for row in table.select(["subject_key", "locator", "span_start", "span_end"]).to_pylist():
        rows.setdefault(row["subject_key"], []).append(row)
    once = placed = 0
    missing: list[str] = []
    twice: list[str] = []
    for key, item in wanted.items():
        found = rows.get(key, [])
        if not found:
            missing.append(f"{item.entity_type}@{item.offset}")
            continue
        if len(found) > 1:
            twice.append(f"{item.entity_type}@{item.offset}")
            continue
        once += 1
        locator, row = json.loads(found[0]["locator"]), found[0]
        start = locator.get("offset", 0) + row["span_start"]
        length = row["span_end"] - row["span_start"]
        placed += locator.get("line") == 1 and start == item.offset and length == len(item.text)
    return {"planted": len(planted), "found_once": once, "at_their_offset": placed, "missing": missing, "twice": twice}


def found_in_context(path: Path, planted: list[Planted], margin: int = 64) -> int:
    """How many planted identifiers the detectors find in their own ``margin`` characters of context read
    as a short text of its own: what a scan of short lines would find (filler digits next to a phone
    number can make the phone detector pass it over, cut or not)."""
    import dataclasses

    from piiscan.detectors.engine import DetectionEngine
    from piiscan.detectors.settings import DetectorSettings

    engine = DetectionEngine(dataclasses.replace(DetectorSettings(), ner=False))
    texts = []
    with open(path, "rb") as data:
        for item in planted:
            data.seek(max(0, item.offset - margin))
            texts.append(data.read(len(item.text) + 2 * margin).decode("ascii"))
    found = engine.detect_texts(texts).select(["row", "normalised"]).to_pylist()
    hits = {(m["row"], m["normalised"]) for m in found}
    return sum((row, item.normalised) in hits for row, item in enumerate(planted))


def scan(path: Path, index: Path, workers: int = 1) -> tuple[dict, float]:
    env = os.environ.copy()
    env["PIISCAN_HMAC_KEY"] = BENCH_KEY
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "piiscan", "scan", str(path), "--index", str(index), "--workers", str(workers)]
    cmd += ["--no-ner", "--format", "json", "--quiet"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout), wall


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    return proc.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--identifiers", type=int, default=600)
    parser.add_argument("--filler", choices=("words", "log"), default="words")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"long-line-{args.size_mb:g}mb.txt"
    index = args.out / "long-line-index"
    started = time.perf_counter()
    planted = write_long_line(path, int(args.size_mb * 1_000_000), args.identifiers, filler=args.filler)
    generated = time.perf_counter() - started
    shutil.rmtree(index, ignore_errors=True)
    summary, wall = scan(path, index)
    found = check_index(index, planted, BENCH_KEY)
    found["found_in_context_alone"] = found_in_context(path, planted)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "commit": _commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "size_mb": args.size_mb,
        "filler": args.filler,
        "generate_s": round(generated, 1),
        "wall_s": round(wall, 1),
        "mb_per_s": round(args.size_mb / wall, 2),
        "peak_rss_mb": summary.get("peak_rss_mb", {}),
        "status": summary.get("status"),
        "findings": sum(summary.get("findings_by_entity", {}).values()),
        **found,
    }
    (args.out / f"long_line-{args.filler}.json").write_text(json.dumps(result, indent=2) + "\n")
    rss = result["peak_rss_mb"]
    print(
        f"| {result['date']} | {result['commit']} | {args.filler} | {args.size_mb:g} | {result['wall_s']} "
        f"| {result['mb_per_s']} "
        f"| {rss.get('largest_worker', '?')} / {rss.get('parent', '?')} "
        f"| {found['found_once']} of {found['planted']} ({found['at_their_offset']} at their offset; "
        f"{found['found_in_context_alone']} in their context alone) "
        f"| {result['findings'] - found['found_once']} |"
    )
    path.unlink()


if __name__ == "__main__":
    main()
