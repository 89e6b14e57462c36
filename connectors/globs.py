"""Include/exclude patterns for file-like sources.

Patterns are matched against the item's relative POSIX path with
``fnmatch.fnmatchcase`` semantics (case-sensitive), where ``*`` also matches
``/``; so ``*.csv`` matches at any depth and ``data/**`` matches everything
under ``data/``.  A ``**/`` may also match zero directories (``**/*.csv``
matches ``a.csv``), and a pattern without ``/`` is also tried against the
base name (``secret.txt`` matches ``a/b/secret.txt``), as in .gitignore.
(``PurePosixPath.full_match`` would do this on Python 3.13+, not on 3.11.)

While walking, a directory that an exclude pattern matches (as ``dir`` or
``dir/``) is not entered at all, so ``build`` or ``.git/**`` prune whole trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import lru_cache


@lru_cache(maxsize=256)
def _variants(pattern: str) -> tuple[str, ...]:
    """The pattern plus versions where each ``**/`` matches zero directories."""
    variants = {pattern}
    todo = [pattern]
    while todo:
        current = todo.pop()
        start = current.find("**/")
        while start >= 0:
            shorter = current[:start] + current[start + 3 :]
            if shorter not in variants:
                variants.add(shorter)
                todo.append(shorter)
            start = current.find("**/", start + 1)
    return tuple(sorted(variants))


def glob_match(path: str, pattern: str) -> bool:
    """True when the relative POSIX ``path`` matches ``pattern`` (see module doc)."""
    if any(fnmatchcase(path, variant) for variant in _variants(pattern)):
        return True
    return "/" not in pattern and fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def matches_any(path: str, patterns: Sequence[str]) -> bool:
    return any(glob_match(path, pattern) for pattern in patterns)


def selected(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """An item is scanned when it matches an include pattern (or none are given) and no exclude."""
    return (not include or matches_any(path, include)) and not matches_any(path, exclude)


def prune_directory(path: str, exclude: Sequence[str]) -> bool:
    """Skip descending into a directory that an exclude pattern matches as ``dir`` or ``dir/``."""
    return matches_any(path, exclude) or matches_any(path + "/", exclude)
