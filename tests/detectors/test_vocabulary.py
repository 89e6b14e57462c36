"""Domain vocabulary, nationality adjectives and the fold used for list lookups."""

from __future__ import annotations

import pytest

from piiscan.detectors.vocabulary import ROMAN, demonym_phrase_pattern, fold, is_demonym, is_vocabulary


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Law", True),  # legal
        ("Articles", True),
        ("Chapter", True),
        ("Section", True),
        ("Municipality", True),  # institutional
        ("Regional", True),
        ("Sergeant", True),  # ranks and roles
        ("Adviser", True),
        ("Patient", True),  # medical and form labels
        ("Provider", True),
        ("Loan", True),
        ("Euros", True),  # currencies
        ("EUR", True),
        ("Fourth", True),  # ordinals
        ("March", False),  # calendar words are judged apart (May and June are first names)
        ("Mark", False),  # a first name, not the currency's plural
        ("Smith", False),
        ("Leeds", False),
        ("Republic", False),  # State words are judged apart ("the Soviet Union" is a place)
    ],
)
def test_is_vocabulary(word: str, expected: bool) -> None:
    assert is_vocabulary(word) is expected


@pytest.mark.parametrize(
    ("word", "expected"), [("German", True), ("turkish", True), ("Basque", True), ("Germany", False), ("Herman", False)]
)
def test_is_demonym(word: str, expected: bool) -> None:
    assert is_demonym(word) is expected


def test_two_word_demonyms_and_roman_numerals() -> None:
    assert [m.group() for m in demonym_phrase_pattern().finditer("a Sierra Leonean and a Sri Lankan national")] == [
        "Sierra Leonean",
        "Sri Lankan",
    ]
    assert all(ROMAN.fullmatch(n) for n in ("II", "VIII", "XIV", "XL"))
    assert not any(ROMAN.fullmatch(n) for n in ("Li", "IIII", "Ivan", ""))


def test_fold_drops_the_dot_of_a_turkish_capital_i() -> None:
    assert fold("İzmir") == fold("Izmir") == "izmir"
    assert fold("Straße") == "strasse"
