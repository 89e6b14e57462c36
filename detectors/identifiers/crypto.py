"""CRYPTO: cryptocurrency wallet addresses (Bitcoin and Ethereum), as Presidio's CRYPTO entity.

A wallet address is a pseudonym of its owner: every payment to and from it is public on the chain,
and an exchange knows who holds it.  Each form is checked by its own checksum, by a library:

* Bitcoin P2PKH / P2SH (``1...`` / ``3...``): Base58Check, the 4-byte double-SHA-256 checksum
  (``base58``), a 21-byte payload with version byte 0x00 or 0x05 (mainnet).
* Bitcoin segwit (``bc1...``): bech32 for witness version 0, bech32m for versions 1 to 16 (taproot),
  with the witness-program rules of BIP 173 / BIP 350 (``bech32m``, the BIP 350 reference code).
  Mixed case is invalid by the spec.
* Ethereum (``0x`` and 40 hex digits): mixed case carries the EIP-55 checksum (a letter is upper
  case exactly where the Keccak-256 hash of the lower-case address has a nibble of 8 or more;
  Keccak-256 from ``pycryptodome``, which is not the SHA3-256 of ``hashlib``): confirmed when it
  holds, rejected when it does not.  All lower or all upper case carries no checksum: 40 hex
  digits could be any hash, so it scores :data:`UNCHECKED_ETH_SCORE`, reported only with a
  context word ("wallet", "eth" ...).

Testnet forms (``m``/``n``/``2``, ``tb1``) are not reported: they hold no value and name no one.
"""

from __future__ import annotations

from typing import ClassVar

import base58
import bech32m
from Crypto.Hash import keccak

from piiscan.detectors.base import Detector, Pattern, Validation

#: Base58 alphabet (no 0, O, I, l); a P2PKH/P2SH address is 26 to 35 characters.
BASE58_REGEX = r"(?<![\w])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![\w])"
#: "bc1" and the bech32 data characters (no 1, b, i, o), one case; at most 90 characters in all.
BECH32_REGEX = r"(?<![\w])(?:bc1[02-9ac-hj-np-z]{8,87}|BC1[02-9AC-HJ-NP-Z]{8,87})(?![\w])"
ETH_REGEX = r"(?<![\w])0x[0-9a-fA-F]{40}(?![\w])"
#: Base58Check version bytes of mainnet pay-to-public-key-hash and pay-to-script-hash addresses.
_BITCOIN_VERSIONS = frozenset({0x00, 0x05})
#: An Ethereum address without the EIP-55 checksum (one case): reported only with context.
UNCHECKED_ETH_SCORE = 0.4


def valid_base58check(value: str) -> bool:
    """A mainnet P2PKH/P2SH address: Base58Check checksum, version byte, 20-byte hash."""
    try:
        payload = base58.b58decode_check(value)
    except ValueError:
        return False
    return len(payload) == 21 and payload[0] in _BITCOIN_VERSIONS


def valid_segwit(value: str) -> bool:
    """A mainnet segwit address: bech32 (v0) or bech32m (v1+) checksum and the witness-program rules."""
    try:
        bech32m.decode("bc", value)
    except bech32m.DecodeError:
        return False
    return True


def eip55(address: str) -> str:
    """The EIP-55 checksummed spelling of an Ethereum address (``0x`` + 40 hex digits)."""
    digits = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=digits.encode("ascii")).hexdigest()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(digits, digest[:40], strict=True))


def is_mixed_case(hex_digits: str) -> bool:
    return hex_digits != hex_digits.lower() and hex_digits != hex_digits.upper()


class CryptoDetector(Detector):
    """Bitcoin (Base58Check, bech32/bech32m) and Ethereum (EIP-55) wallet addresses, checksum-validated."""

    name = "crypto"
    version = "1"
    entity = "CRYPTO"
    patterns = (
        Pattern("bitcoin base58check", BASE58_REGEX, 0.5),
        Pattern("bitcoin segwit", BECH32_REGEX, 0.5),
        Pattern("ethereum", ETH_REGEX, UNCHECKED_ETH_SCORE),
    )
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (
        r"[13][1-9A-HJ-NP-Za-km-z]{25}",
        r"[bB][cC]1[02-9ac-hj-np-zAC-HJ-NP-Z]{8}",
        r"0x[0-9a-fA-F]{40}",
    )
    context: ClassVar[tuple[str, ...]] = (
        "wallet", "crypto", "cryptocurrency", "bitcoin", "btc", "ethereum", "eth", "ether", "segwit", "usdt",
    )  # fmt: skip

    def might_match(self, text: str) -> bool:
        return "1" in text or "3" in text or "0x" in text

    def validate(self, value: str) -> Validation:
        if value.startswith("0x"):
            if not is_mixed_case(value[2:]):
                return Validation.NO_OPINION
            return Validation.CONFIRM if eip55(value) == value else Validation.REJECT
        if value[:3].lower() == "bc1":
            return Validation.CONFIRM if valid_segwit(value) else Validation.REJECT
        return Validation.CONFIRM if valid_base58check(value) else Validation.REJECT

    def normalise(self, value: str) -> str:
        """Base58 as written (it is case-sensitive); bech32 and Ethereum addresses in lower case (their case
        is only a checksum or a presentation)."""
        value = value.strip()
        if value.startswith("0x") or value[:3].lower() == "bc1":
            return value.lower()
        return value

    def mask(self, value: str) -> str:
        """The first and last four characters: ``1BvB**************************NVN2``."""
        value = value.strip()
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
