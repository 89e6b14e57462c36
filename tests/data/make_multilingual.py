#!/usr/bin/env python3
"""Write tests/data/multilingual.jsonl from the marked sentences in tests/data/multilingual.txt.

    python tests/data/make_multilingual.py

Each JSON line is one text in pii-eval's format (``id``, ``text``, ``spans`` of ``start``, ``end``, ``type``)
plus its language (``lang``), so ``bench/quality.py --dataset multilingual`` reads it like pii-eval.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "multilingual.txt"
TARGET = HERE / "multilingual.jsonl"
#: Mark letter -> entity type.
TYPES = {
    "P": "PERSON",
    "L": "LOCATION",
    "T": "PHONE_NUMBER",
    "I": "IBAN_CODE",
    "N": "NATIONAL_ID",
    "E": "EMAIL_ADDRESS",
}
_MARK = re.compile(r"\[(?P<kind>[A-Z]):(?P<value>[^\[\]]+)\]")


def parse(marked: str) -> tuple[str, list[dict[str, int | str]]]:
    """The plain text of one marked text and its spans."""
    text, spans, at = [], [], 0
    marked = marked.replace("\\n", "\n")
    for m in _MARK.finditer(marked):
        text.append(marked[at : m.start()])
        start = sum(map(len, text))
        text.append(m.group("value"))
        spans.append({"start": start, "end": start + len(m.group("value")), "type": TYPES[m.group("kind")]})
        at = m.end()
    text.append(marked[at:])
    plain = "".join(text)
    if "[" in plain or "]" in plain:
        raise ValueError(f"unbalanced mark in {marked!r}")
    return plain, spans


def records(source: Path = SOURCE) -> list[dict[str, object]]:
    """The texts of ``source`` as JSON-ready records, numbered per language."""
    out: list[dict[str, object]] = []
    counts: dict[str, int] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, marked = line.split("\t", 1)
        counts[lang] = counts.get(lang, 0) + 1
        text, spans = parse(marked)
        out.append({"id": f"multilingual-{lang}-{counts[lang]:03d}", "lang": lang, "text": text, "spans": spans})
    return out


def render(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> int:
    rows = records()
    TARGET.write_text(render(rows), encoding="utf-8")
    print(f"wrote {len(rows)} texts to {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
