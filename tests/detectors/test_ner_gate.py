"""Which texts skip the NER model: every capitalised word accounted for by a rule or a word list."""

from __future__ import annotations

import pytest

from piiscan.detectors.base import Match
from piiscan.detectors.ner_gate import is_common_word, needs_model, opens_sentence, place_words
from piiscan.detectors.nlp import name_match


def person(text: str, value: str) -> Match:
    start = text.index(value)
    return name_match("PERSON", text, start, start + len(value), 0.8, "name_list")


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        # accounted for: the model is not needed
        ("customer asked for a refund", None, False),  # nothing capitalised
        ("Customer asked for a refund.", None, False),  # a common word opening the sentence
        ("Refund issued. Customer happy!", None, False),
        ("Delivery rescheduled to Monday morning.", None, False),  # a weekday
        ("Spoke to Sarah Jones about the delivery.", "Sarah Jones", False),  # a rule's match
        ('2026-11-01 INFO note text="Prefers contact after 6pm."', None, False),  # a value after "key="
        ("Note: Customer called back.", None, False),  # after a label
        ("VIP since 2019, no further action.", None, False),  # upper case only: no capitalised word
        ("“Please call back,” she said.", None, False),  # after an opening quote
        # not accounted for: the model reads the text
        ("Spoke to Vsevolod about the delivery.", None, True),  # an unknown word inside a sentence
        ("Spoke to Sarah Jones about the delivery.", None, True),  # no rule found the name
        ("Will called about the delivery.", None, True),  # a frequent first name
        ("Met May at the branch.", None, True),  # a month that is also a frequent first name
        ("Brown called about the delivery.", None, True),  # a frequent surname
        ("Leeds is where the parcel went.", None, True),  # a town
        ("Jordan called about the parcel.", None, True),  # a country (and a first name)
        ("Hélène called about the parcel.", None, True),  # a rare word
        ("Please ask the Customer Service team.", None, True),  # capitalised inside a sentence
        ("Spoke to Sarah Jones at the Acme depot.", "Sarah Jones", True),  # one word left over
    ],
)
def test_needs_model(text: str, known: str | None, expected: bool) -> None:
    matches = [person(text, known)] if known else []
    assert needs_model(text, matches) is expected


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("Customer called", "Customer", True),
        ("  (Customer called", "Customer", True),
        ("Refund issued. Customer happy", "Customer", True),
        ("line one\nCustomer happy", "Customer", True),
        ("Name: Customer", "Customer", True),
        ("status=Delivered", "Delivered", True),
        ("the Customer called", "Customer", False),
        ("Mrs Customer", "Customer", False),
        ("x" * 40 + "   Customer", "Customer", False),  # only spaces in the look-back: not the text's start
    ],
)
def test_opens_sentence(text: str, word: str, expected: bool) -> None:
    assert opens_sentence(text, text.index(word)) is expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("customer", True),
        ("refund", True),
        ("relocating", True),  # inflected forms are in the frequency list
        ("my", True),  # a first name in the full Census list, not a frequent one
        ("the", True),  # "The Gambia" does not make "the" a place
        ("will", False),  # a frequent first name
        ("brown", False),  # a frequent surname
        ("leeds", False),  # a town
        ("reading", False),  # a town that is also a word
        ("chad", False),  # a country
        ("hélène", False),  # below the frequency threshold
        ("vsevolod", False),
    ],
)
def test_is_common_word(word: str, expected: bool) -> None:
    assert is_common_word(word) is expected


def test_place_words_are_case_folded_single_words() -> None:
    words = place_words()
    assert {"leeds", "reading", "london"} <= words
    assert all(w == w.casefold() and w.isalpha() for w in words)
