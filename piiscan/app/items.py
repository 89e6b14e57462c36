"""Opening an item whose name holds someone's identifier, though the index knows it only masked.

The index stores such an item under a masked label (``exports/j***@e******.c**.txt #1d70dfdd``: the mask,
then the start of its keyed token, see :func:`piiscan.index.sanitise.item_label`) and ``item_key``,
a keyed token of its real id, never the real id itself.  Whoever erases (or exports) needs the real id,
so it is found again at request time from the source: the source is enumerated -- under the label's
unmasked leading folders when it is a tree of files, so only that folder is listed -- and the item whose
token is the one recorded is the one meant.  Nothing real is stored: an erasure plan carries, besides
``item_key``, ``item_ref``, the same kind of keyed token made with the erasure state digest (which is all
an apply has), and both only name the item to someone holding the key.

Two items whose masks coincide (``john@…`` and ``jane@…`` both ``j***@e******.com.txt``) have labels
that differ by token and are told apart by their full tokens;
an item no longer there resolves to its label, so the eraser reports it gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError
from piiscan.connectors.erasers import Digest, Eraser
from piiscan.connectors.registry import COMMON_OPTIONS, open_source
from piiscan.index.keys import SubjectHasher
from piiscan.index.sanitise import one_line

log = logging.getLogger("piiscan.items")

#: plan entry key of the item's digest token (see the module doc)
ITEM_REF = "item_ref"
#: sources whose items are paths under the source's URL, so a folder of them can be listed alone
_TREE_SCHEMES = ("file", "s3", "smb")
_MASK = "*"


def item_ref(digest: Digest, item_id: str) -> str:
    """The keyed token an erasure plan names a masked item's real id by."""
    return digest(b"piiscan item\x1f" + item_id.encode("utf-8", "surrogateescape"))


def _first(entries: Iterable[dict[str, Any]], key: str) -> str | None:
    return next((e[key] for e in entries if e.get(key)), None)


def real_item(eraser: Eraser, label: str, entries: list[dict[str, Any]], key: bytes | None = None) -> str:
    """The real id of the item plan ``entries`` name by ``label``, for ``eraser`` to open.

    With ``key`` (plan time) the item is matched by the index's ``item_key`` and each entry is given its
    ``item_ref``; without (apply, verify) it is matched by ``item_ref``.  A label that is the real id is
    returned at once; so is one with nothing to match by (a plan made before item names were resolved).
    """
    ref = _first(entries, ITEM_REF)
    item_key = _first(entries, "item_key")
    if ref is not None:
        if item_ref(eraser.digest, label) == ref:
            return label
        found = find_item(eraser.source, label, lambda i: item_ref(eraser.digest, i) == ref, eraser.options)
    elif key is not None and item_key is not None:
        hasher = SubjectHasher(key)
        if hasher.token("item", label) == item_key:
            return label
        found = find_item(eraser.source, label, lambda i: hasher.token("item", i) == item_key, eraser.options)
        if found is not None:
            for entry in entries:
                entry[ITEM_REF] = item_ref(eraser.digest, found)
    else:
        return label
    return label if found is None else found


def real_items(actions: Iterable[dict[str, Any]], digest: Digest, options: dict[str, Any]) -> dict[str, set[str]]:
    """source -> the real ids of the items plan ``actions`` touch (what a verifying rescan must read)."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for entry in actions:  # two items masked alike are told apart by their refs
        groups.setdefault((entry["source"], entry["item"], entry.get(ITEM_REF) or ""), []).append(entry)
    out: dict[str, set[str]] = {}
    for (source, label, _), entries in groups.items():
        ref = _first(entries, ITEM_REF)
        real = label
        if ref is not None and item_ref(digest, label) != ref:

            def is_the_item(item_id: str, ref: str = ref) -> bool:
                return item_ref(digest, item_id) == ref

            real = find_item(source, label, is_the_item, options) or label
        out.setdefault(source, set()).add(real)
    return out


def find_item(source: str, label: str, match: Callable[[str], bool], options: dict[str, Any]) -> str | None:
    """The id of the item of ``source`` that ``match`` accepts, listed from the source now (None: not
    there).  A tree of files is listed under the label's unmasked leading folders first."""
    options = {k: v for k, v in options.items() if k in COMMON_OPTIONS and k not in ("include", "exclude")}
    folders = label.split("/")[:-1]
    unmasked = []
    for folder in folders:
        if _MASK in folder:
            break
        unmasked.append(folder)
    scheme = source.partition("://")[0].lower() if "://" in source else "file"
    prefix = "/".join(unmasked)
    if prefix and scheme in _TREE_SCHEMES:
        found = _listed(f"{source.rstrip('/')}/{prefix}", match, options, prefix + "/")
        if found is not None:
            return found
    return _listed(source, match, options, "")


def _listed(url: str, match: Callable[[str], bool], options: dict[str, Any], prefix: str) -> str | None:
    try:
        connector = open_source(url, **options)
    except (ValueError, ImportError) as exc:
        log.warning("%s: cannot list the source to find an item: %s", url, one_line(exc))
        return None
    try:
        for entry in connector.enumerate():
            # a skipped item (a problem) is found too: its name may be all the index holds of it
            if isinstance(entry, (ItemRef, ItemProblem)) and entry.item_id and match(prefix + entry.item_id):
                return prefix + entry.item_id
    except SourceError as exc:  # a narrowed folder that is not there: the whole source is listed next
        log.debug("%s: %s", url, one_line(exc))
    finally:
        connector.close()
    return None


def unambiguous(current: dict[tuple[str, str], dict[str, Any]], index: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """``current`` (``Index.current_items``) without the ``item_key`` of a label two live items share.

    Two items masked alike (``john@…`` and ``jane@…``) share one label in the items table, and a plan keyed
    by label could otherwise open one for the other; without a key such an item is not resolved, so its
    eraser cannot open it and its actions fail instead of touching the wrong file."""
    keys: dict[tuple[str, str], set[str]] = {}
    for row in index.item_states().to_pylist():
        if row["status"] != "gone":
            keys.setdefault((row["source"], row["item"]), set()).add(row["item_key"])
    return {k: ({**state, "item_key": None} if len(keys.get(k, ())) > 1 else state) for k, state in current.items()}
