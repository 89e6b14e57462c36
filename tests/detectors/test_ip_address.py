import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.ip_address import IpAddressDetector, looks_like_version
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = IpAddressDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        ("from 192.168.1.10 at noon", "192.168.1.10", "192.168.1.10", 0.6),
        ("client ip: 203.0.113.7.", "203.0.113.7", "203.0.113.7", 0.95),
        ("host=198.51.100.23:8080", "198.51.100.23", "198.51.100.23", 0.95),
        ("[2001:db8::8a2e:370:7334]", "2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334", 0.6),
        (
            "2001:0DB8:0000:0000:0000:FF00:0042:8329",
            "2001:0DB8:0000:0000:0000:FF00:0042:8329",
            "2001:db8::ff00:42:8329",
            0.6,
        ),
        ("link fe80::1ff:fe23:4567:890a up", "fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", 0.6),
        ("mapped ::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1", 0.6),
    ],
)
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="IP_ADDRESS")


@pytest.mark.parametrize(
    "text",
    [
        "999.1.1.1",  # octet out of range
        "10.0.0.256",
        "01.02.03.04",  # leading zeros: ambiguous (octal), rejected by ipaddress
        "1.2.3.4.5",  # longer dotted run (an OID, a version)
        "version 1.2.3.4",
        "Version: 10.0.0.1",
        "v 1.2.3.4",
        "v1.2.3.4",
        "at 12:30:45",
        "std::vector",
        "::",
        "::1",  # loopback
        "00:1A:2B:3C:4D:5E",  # MAC address
        "1:2:3:4:5:6:7:8:9",
        "born 03.02.2001",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.10", Validation.NO_OPINION),
        ("999.1.1.1", Validation.REJECT),
        ("2001:db8::1", Validation.NO_OPINION),
        ("2001:db8:::1", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [("version 1.2.3.4", 8, True), ("ver. 1.2.3.4", 5, True), ("v 1.2.3.4", 2, True), ("server 1.2.3.4", 7, False)],
)
def test_looks_like_version(text: str, start: int, expected: bool) -> None:
    assert looks_like_version(text, start) is expected


@pytest.mark.parametrize(
    ("value", "mask"),
    [("192.168.1.10", "192.*.*.*"), ("2001:db8::8a2e:370:7334", "2001:*:*:*:*:*:*:*")],
)
def test_mask_keeps_first_group(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("192.168.001.010", None), ("::ffff:192.0.2.1", "192.0.2.1")],
)
def test_canonical(value: str, canonical: str | None) -> None:
    assert DETECTOR.canonical(value) == canonical


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        # RFC 5952 forms: compressed, leading zeros, upper case, embedded IPv4, zone ids
        ("peer 2001:db8::1 up", "2001:db8::1", "2001:db8::1", 0.6),
        ("peer 2001:db8:0:0:1:0:0:1 up", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 0.6),
        ("peer 2001:0db8::0001 up", "2001:0db8::0001", "2001:db8::1", 0.6),
        ("peer 2001:DB8::A:B up", "2001:DB8::A:B", "2001:db8::a:b", 0.6),
        ("link-local fe80::1 seen", "fe80::1", "fe80::1", 0.6),
        ("ping fe80::1%eth0 ok", "fe80::1%eth0", "fe80::1", 0.6),  # the zone id is no part of the address
        ("ping fe80::1ff:fe23:4567:890a%3,", "fe80::1ff:fe23:4567:890a%3", "fe80::1ff:fe23:4567:890a", 0.6),
        ("nat64 64:ff9b::192.0.2.1 out", "64:ff9b::192.0.2.1", "64:ff9b::c000:201", 0.6),
        ("v6 2001:db8:1::192.0.2.33.", "2001:db8:1::192.0.2.33", "2001:db8:1::c000:221", 0.6),
        ("unique local fd12:3456:789a:1::1", "fd12:3456:789a:1::1", "fd12:3456:789a:1::1", 0.6),
        ("iface 2001:db8::1/64 up", "2001:db8::1", "2001:db8::1", 0.6),  # an address with its prefix length
        ("iface 192.168.1.10/24 up", "192.168.1.10", "192.168.1.10", 0.6),
        # loopback, unspecified and multicast name no device: reported only with a context word
        ("client ip ::1", "::1", "::1", 0.65),
        ("remote 127.0.0.1", "127.0.0.1", "127.0.0.1", 0.65),
        ("ipv6 ff02::1 all nodes", "ff02::1", "ff02::1", 0.65),
    ],
)
def test_ipv6_forms_and_scopes(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="IP_ADDRESS")


@pytest.mark.parametrize(
    "text",
    [
        "2001:db8::1::2",  # two "::"
        "2001:db8:::1",
        "2001:db8::12345",  # a group of five digits
        "2001:db8::g1",  # not hex
        "1:2:3:4:5:6:7:8:9",  # nine groups
        "1:2:3:4:5:6:7",  # seven groups, no "::"
        "::ffff:999.0.2.1",  # embedded IPv4 out of range
        "fe80::1%",  # an empty zone id
        "fe80::/10",  # a network in CIDR notation, not an address
        "2001:db8::/32",
        "10.0.0.0/8",
        "listening on [::1]:8080",  # loopback, no context word
        "bind 0.0.0.0:80",  # unspecified
        "127.0.0.1 - - [01/Nov/2026]",
        "ff02::1",  # multicast
    ],
)
def test_ipv6_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)
