"""Country names in English, for the address rules (:mod:`piiscan.detectors.address`) and the NER gate
(:mod:`piiscan.detectors.ner_gate`, which needs no NER model for a country name).

The names are phonenumbers' bundled English region names, kept as a file
(:data:`COUNTRY_NAMES_FILE`) because importing that data costs a worker 100 MB;
:func:`write_country_names` regenerates it after a phonenumbers upgrade.  This
module imports no other detector module, so both of its users can import it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

#: The English country names of phonenumbers' locale data, one per line (:func:`write_country_names`).
#: Kept as a file because importing that data (every name in every language) costs a worker 100 MB.
COUNTRY_NAMES_FILE = Path(__file__).parent / "data" / "country_names_en.txt"


def english_country_names() -> list[str]:
    """The English name of every region in phonenumbers' bundled locale data (imports all of it)."""
    from phonenumbers.geodata.locale import LOCALE_DATA  # here only: 100 MB, needed to regenerate the file

    names = set()
    for region in LOCALE_DATA.values():
        name = region.get("en", "")
        while name.startswith("*"):
            name = region.get(name[1:], "")
        if name:
            names.add(name)
    return sorted(names)


def write_country_names(path: Path = COUNTRY_NAMES_FILE) -> None:
    """Regenerate the bundled list after a phonenumbers upgrade (a test checks they agree)."""
    path.write_text("".join(f"{name}\n" for name in english_country_names()), encoding="utf-8")


@cache
def country_name_list() -> tuple[str, ...]:
    """Country names in English (phonenumbers' locale data, bundled), plus common short forms."""
    names = {"USA", "UK", "U.S.A.", "U.S.", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"}
    for name in COUNTRY_NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if name:
            names.add(name)
            names.add(re.sub(r"\s*\(.*\)$", "", name))  # "Cyprus (Greek)"? keep both forms
    return tuple(sorted(names, key=len, reverse=True))
