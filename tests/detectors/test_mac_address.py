import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.mac_address import MacAddressDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = MacAddressDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        ("station 00:1A:2B:3C:4D:5E joined", "00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e", 0.6),
        ("hw 00-1a-2b-3c-4d-5e.", "00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e", 0.6),
        ("cisco 001a.2b3c.4d5e up", "001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e", 0.6),
        ("MAC address: AC:DE:48:00:11:22", "AC:DE:48:00:11:22", "ac:de:48:00:11:22", 0.95),
        ("ether 02:42:ac:11:00:02 brd", "02:42:ac:11:00:02", "02:42:ac:11:00:02", 0.95),  # locally administered
        # group (multicast) addresses and all-digit forms: with a context word only
        ("mac 01:00:5E:00:00:FB", "01:00:5E:00:00:FB", "01:00:5e:00:00:fb", 0.65),
        ("device mac 10-20-30-40-50-60", "10-20-30-40-50-60", "10:20:30:40:50:60", 0.75),
    ],
)
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="MAC_ADDRESS")


@pytest.mark.parametrize(
    "text",
    [
        "00:00:00:00:00:00",  # all zero
        "FF:FF:FF:FF:FF:FF",  # broadcast
        "ff-ff-ff-ff-ff-ff",
        "mac ffff.ffff.ffff",
        "01:00:5E:00:00:FB",  # a group address without context
        "10-20-30-40-50-60",  # digits only, without context
        "1234.5678.9012",
        "00:1A:2B:3C:4D",  # five octets
        "00:1A:2B:3C:4D:5E:6F",  # eight bytes: an EUI-64, not a MAC-48
        "00:1A-2B:3C-4D:5E",  # mixed separators
        "00:1G:2B:3C:4D:5E",  # not hex
        "001a.2b3c.4d5e.6f70",  # four groups
        "at 10:11:12",
        "2001:db8::8a2e:370:7334",  # IPv6
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00:1A:2B:3C:4D:5E", Validation.NO_OPINION),
        ("001a.2b3c.4d5e", Validation.NO_OPINION),
        ("00:00:00:00:00:00", Validation.REJECT),
        ("FF-FF-FF-FF-FF-FF", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_keeps_the_first_octet() -> None:
    assert_mask_hides(DETECTOR, "00:1A:2B:3C:4D:5E", "00:**:**:**:**:**")


@pytest.mark.parametrize("value", ["00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001A.2B3C.4D5E", " 00:1A:2B:3C:4D:5E "])
def test_canonical(value: str) -> None:
    assert DETECTOR.canonical(value) == "00:1a:2b:3c:4d:5e"
