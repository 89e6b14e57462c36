"""MAC_ADDRESS: hardware (EUI-48) addresses of network interfaces, as Presidio's MAC_ADDRESS entity.

A MAC address names one device's interface, and so, for a phone or a laptop, its owner (Wi-Fi
tracking, DHCP and router logs).  Three written forms: colon-separated (``00:1A:2B:3C:4D:5E``),
dash-separated (``00-1A-2B-3C-4D-5E``) and Cisco's dotted groups of four (``001a.2b3c.4d5e``).
There is no check digit; what is rejected or scored down is what names no device:

* all zeros and the broadcast address (``FF:FF:FF:FF:FF:FF``): rejected;
* other group (multicast) addresses, the least significant bit of the first octet set
  (``01:00:5E:...``): no one interface, scored :data:`GROUP_SCORE`, reported only with a
  context word ("mac", "ethernet" ...);
* a form with no hex letter at all (``10-20-30-40-50-60``, ``1234.5678.9012``), which could be
  other numbers written in groups: scored :data:`DIGITS_ONLY_SCORE`, reported with context only.
"""

from __future__ import annotations

import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, Validation

_HEX2 = "[0-9A-Fa-f]{2}"
#: Six pairs of hex digits, one separator throughout, not part of a longer run of groups.
SEPARATED_REGEX = rf"(?<![\w:.-]){_HEX2}(?P<sep>[:-])(?:{_HEX2}(?P=sep)){{4}}{_HEX2}(?![\w:-]|\.\w)"
#: Cisco: three dot-separated groups of four hex digits.
DOTTED_REGEX = r"(?<![\w:.-])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w:-]|\.\w)"
#: Scores of a group address and of an all-digit form: reported with a context word only.
GROUP_SCORE = 0.3
DIGITS_ONLY_SCORE = 0.4
_NOT_HEX = re.compile(r"[^0-9A-Fa-f]")
_HEX_LETTER = re.compile(r"[A-Fa-f]")


def mac_hex(value: str) -> str:
    """The 12 hex digits of a written MAC address, lower case."""
    return _NOT_HEX.sub("", value).lower()


class MacAddressDetector(Detector):
    """MAC addresses in colon, dash and Cisco dotted form; the canonical form is lower case with colons."""

    name = "mac_address"
    version = "1"
    entity = "MAC_ADDRESS"
    patterns = (Pattern("mac separated", SEPARATED_REGEX, 0.6), Pattern("mac dotted", DOTTED_REGEX, 0.6))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (
        r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}",
        r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
    )
    context: ClassVar[tuple[str, ...]] = (
        "mac", "mac address", "hardware address", "physical address", "ethernet", "wifi", "wi-fi", "bssid",
        "hwaddr", "ether", "interface", "device",
    )  # fmt: skip

    def might_match(self, text: str) -> bool:
        return ":" in text or "-" in text or "." in text

    def validate(self, value: str) -> Validation:
        digits = mac_hex(value)
        if len(digits) != 12 or digits in ("000000000000", "ffffffffffff"):
            return Validation.REJECT
        return Validation.NO_OPINION

    def value_score(self, value: str, score: float) -> float:
        if int(mac_hex(value)[:2], 16) & 1:  # the I/G bit: a group address
            return GROUP_SCORE
        return score if _HEX_LETTER.search(value) else DIGITS_ONLY_SCORE

    def normalise(self, value: str) -> str:
        """``00-1A-2B-3C-4D-5E``, ``001a.2b3c.4d5e`` -> ``00:1a:2b:3c:4d:5e``."""
        digits = mac_hex(value)
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))

    def mask(self, value: str) -> str:
        """The first octet only: ``00:**:**:**:**:**``."""
        return mac_hex(value)[:2] + ":**" * 5
