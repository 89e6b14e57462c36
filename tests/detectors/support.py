"""Assertions shared by the table-driven detector tests (the tables stay in each test file)."""

from __future__ import annotations

from piiscan.detectors.base import Detector, Match, Validation


def assert_single_match(
    detector: Detector,
    text: str,
    value: str,
    *,
    normalised: str,
    score: float | tuple[float, float],
    entity: str,
    field: str | None = None,
) -> Match:
    """``text`` holds exactly one match: ``value`` (its first place in ``text``), read as ``normalised``.

    ``score`` is the exact score, or an inclusive ``(low, high)`` range.
    """
    (match,) = detector.find(text, field=field)
    start = text.index(value)
    assert (match.start, match.end) == (start, start + len(value))
    assert match.normalised == normalised
    if isinstance(score, tuple):
        low, high = score
        assert low <= match.score <= high
    else:
        assert match.score == score
    assert match.entity_type == entity
    return match


def assert_no_match(detector: Detector, text: str, field: str | None = None) -> None:
    assert list(detector.find(text, field=field)) == []


def assert_validation(detector: Detector, value: str, expected: Validation) -> None:
    assert detector.validate(value) is expected


def assert_mask_hides(detector: Detector, value: str, mask: str) -> None:
    """``detector.mask(value)`` is ``mask``, masks something, and holds neither the value nor its
    normalised form (compared without spaces, ignoring case)."""
    masked = detector.mask(value)
    assert masked == mask
    assert "*" in masked
    squeezed = masked.replace(" ", "").casefold()
    for hidden in (value, detector.normalise(value)):
        assert hidden.replace(" ", "").casefold() not in squeezed
