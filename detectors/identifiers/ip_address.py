"""IP_ADDRESS: IPv4 and IPv6 addresses (personal data when they point at a person's device).

IPv6 in every RFC 4291 / RFC 5952 text form: full, compressed (``2001:db8::1``, ``::1``), with an
embedded IPv4 address (``64:ff9b::192.0.2.1``) and with a zone id (``fe80::1%eth0``); the stdlib
``ipaddress`` module decides what is an address.

Which addresses are reported (the scope of an address, not its shape):

* global, private (10/8, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10: on most systems
  derived from the interface's MAC address or stable per network) and documentation ranges
  (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32): the pattern score.  A client address in
  a log is one of these; documentation ranges never occur in real traffic, so reporting them costs
  nothing and keeps synthetic test data (which uses them) detectable.
* loopback (127/8, ``::1``), unspecified (0.0.0.0) and multicast (224/4, ff00::/8): no one's
  device ("this machine", "any address", a group).  Presidio reports them; here they score
  :data:`NO_DEVICE_SCORE`, below the default threshold, so they are reported only with a context
  word ("client ip ::1").  ``::`` is never reported (C++ and Haskell scope operators).
* An IPv4-mapped address (``::ffff:192.0.2.1``) is the IPv4 host: reported as its IPv4 part with
  the IPv4 address's canonical form.
* A network in CIDR notation (``10.0.0.0/8``, ``fe80::/10``, ``2001:db8::/32``: host bits zero, a
  prefix shorter than the address) is a range, not an address: not reported.  An address with a
  prefix length (``192.168.1.10/24``, an interface) is reported as its address.  (A delegated IPv6
  customer prefix, ``/48`` to ``/64``, can point at one household; it is not reported either.)
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, Validation

#: Dotted quad, not part of a longer dotted or word run ("1.2.3.4.5", "v1.2.3.4").
IPV4_REGEX = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)"
#: Up to eight colon-separated hex groups (one may be empty: "::"), optionally
#: ending in a dotted quad, then an optional zone id ("%eth0", "%3"); ``ipaddress`` decides
#: what is an address.
IPV6_REGEX = (
    r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?:%[0-9A-Za-z_.~-]+)?(?![\w:%]|\.\d)"
)
#: Score of an address that names no device (loopback, unspecified, multicast): reported with context only.
NO_DEVICE_SCORE = 0.3

_VERSION_BEFORE = re.compile(r"(?:\bversion|\bver|\brelease|\bv)\s*[.:=]?\s*$", re.IGNORECASE)
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")
#: The hex groups and colons right before an IPv4 candidate: it may be the tail of an IPv6 address.
_V6_HEAD = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:$")
#: A CIDR prefix length right after an address.
_PREFIX_LENGTH = re.compile(r"/(\d{1,3})(?!\d)")


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
        return not (looks_like_version(text, start) or _inside_ipv6(text, start, end) or _is_network(text, start, end))

    def validate(self, value: str) -> Validation:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return Validation.REJECT
        groups = _HEX_GROUP.findall(value.partition(".")[0].partition("%")[0])
        if address.version == 6 and not address.is_loopback and len(groups) < 2:
            return Validation.REJECT  # "::", "a::" (code), "fe80::" (a prefix, not an address)
        return Validation.NO_OPINION

    def value_score(self, value: str, score: float) -> float:
        """:data:`NO_DEVICE_SCORE` for loopback, unspecified and multicast addresses (see the module doc)."""
        address = _address(value)
        names_no_device = address.is_loopback or address.is_unspecified or address.is_multicast
        return NO_DEVICE_SCORE if names_no_device else score

    def normalise(self, value: str) -> str:
        """Compressed form, without a zone id; an IPv4-mapped IPv6 address as its IPv4 address (the same host)."""
        address = _address(value)
        mapped = address.ipv4_mapped if address.version == 6 else None
        return (mapped or address).compressed

    def mask(self, value: str) -> str:
        """First group only: ``192.*.*.*``, ``2001:*:*:*:*:*:*:*``."""
        address = _address(value)
        sep = "." if address.version == 4 else ":"
        groups = address.exploded.split(sep)
        first = groups[0] if address.version == 4 else groups[0].lstrip("0") or "0"
        return sep.join([first, *["*"] * (len(groups) - 1)])


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address ``value`` names, without its zone id (an interface name, not part of the address)."""
    return ipaddress.ip_address(value.partition("%")[0])


def _inside_ipv6(text: str, start: int, end: int) -> bool:
    """Whether the IPv4 address at ``text[start:end]`` is the tail of an IPv6 address that is not
    IPv4-mapped ("64:ff9b::192.0.2.1", "2001:db8::192.0.2.33"): the IPv6 pattern then takes it whole."""
    if ":" in text[start:end]:
        return False
    head = _V6_HEAD.search(text, max(0, start - 40), start)
    if head is None:
        return False
    try:
        address = ipaddress.ip_address(head.group() + text[start:end])
    except ValueError:
        return False
    return address.version == 6 and address.ipv4_mapped is None


def _is_network(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is followed by a prefix length that makes it a network ("10.0.0.0/8")."""
    length = _PREFIX_LENGTH.match(text, end)
    if length is None:
        return False
    try:
        network = ipaddress.ip_network(f"{text[start:end].partition('%')[0]}/{length.group(1)}")  # strict: host bits 0
    except ValueError:
        return False
    return network.prefixlen < network.max_prefixlen
