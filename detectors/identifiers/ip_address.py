"""IP_ADDRESS: IPv4 and IPv6 addresses (personal data when they point at a person's device)."""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, Validation

#: Dotted quad, not part of a longer dotted or word run ("1.2.3.4.5", "v1.2.3.4").
IPV4_REGEX = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)"
#: Up to eight colon-separated hex groups (one may be empty: "::"), optionally
#: ending in a dotted quad; ``ipaddress`` decides what is an address.
IPV6_REGEX = (
    r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)"
)

_VERSION_BEFORE = re.compile(r"(?:\bversion|\bver|\brelease|\bv)\s*[.:=]?\s*$", re.IGNORECASE)
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")


def looks_like_version(text: str, start: int) -> bool:
    """Filter: "version 1.2.3.4", "v 10.0.0.1", "ver: 1.2.3.4" are version numbers."""
    return bool(_VERSION_BEFORE.search(text[max(0, start - 12) : start]))


class IpAddressDetector(Detector):
    """IPv4/IPv6 candidates by regex, kept when the stdlib ``ipaddress`` parses them.

    IPv6 candidates need at least two hex groups, so ``::`` (C++ and Haskell
    scope operators) and ``::1`` (loopback, no one's address) are not reported.
    """

    name = "ip_address"
    version = "1"
    entity = "IP_ADDRESS"
    patterns = (Pattern("ipv4", IPV4_REGEX, 0.6), Pattern("ipv6", IPV6_REGEX, 0.6))
    #: IPv6: a "::" or six groups and a colon (eight groups, or six and an IPv4 address); a time
    #: ("10:11:12") is neither
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (
        r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
        r"::|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){5}:",
    )
    context: ClassVar[tuple[str, ...]] = ("ip", "ip address", "ipv4", "ipv6", "ip addr", "host", "client", "remote")

    def might_match(self, text: str) -> bool:
        return "." in text or ":" in text

    def plausible(self, text: str, start: int, end: int) -> bool:
        return not looks_like_version(text, start)

    def validate(self, value: str) -> Validation:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return Validation.REJECT
        if address.version == 6 and len(_HEX_GROUP.findall(value.partition(".")[0])) < 2:
            return Validation.REJECT
        return Validation.NO_OPINION

    def normalise(self, value: str) -> str:
        """Compressed form; an IPv4-mapped IPv6 address as its IPv4 address (the same host)."""
        address = ipaddress.ip_address(value)
        mapped = address.ipv4_mapped if address.version == 6 else None
        return (mapped or address).compressed

    def mask(self, value: str) -> str:
        """First group only: ``192.*.*.*``, ``2001:*:*:*:*:*:*:*``."""
        address = ipaddress.ip_address(value)
        sep = "." if address.version == 4 else ":"
        groups = address.exploded.split(sep)
        first = groups[0] if address.version == 4 else groups[0].lstrip("0") or "0"
        return sep.join([first, *["*"] * (len(groups) - 1)])
