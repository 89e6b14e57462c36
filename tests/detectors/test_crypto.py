"""CRYPTO: wallet addresses found only when their checksum holds (synthetic addresses built from fixed bytes,
and the EIP-55 specification's own examples)."""

import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.crypto import CryptoDetector, eip55
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = CryptoDetector()

#: base58check(0x00 + bytes 1..20), base58check(0x05 + bytes 21..40)
P2PKH = "16L5yRNPTuciSgXGHqYwn9N6NeoKqopAu"
P2SH = "33cWaRif1jWtZ8nLPVxgPUVG8fKA6grfEX"
#: segwit v0 (bech32) 20- and 32-byte programs, v1 (bech32m, taproot) 32 bytes, all of bytes 1..n
P2WPKH = "bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5fcj4z3"
P2WSH = "bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqyp0mu0"
P2TR = "bc1pqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqwk0jyn"
#: EIP-55's test vectors
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
ETH_2 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
ETH_3 = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        (f"pay to {P2PKH} today", P2PKH, P2PKH, 1.0),
        (f"P2SH {P2SH}.", P2SH, P2SH, 1.0),
        (f"send to {P2WPKH}", P2WPKH, P2WPKH, 1.0),
        (f"({P2WSH})", P2WSH, P2WSH, 1.0),
        (f"taproot {P2TR}", P2TR, P2TR, 1.0),
        (f"upper {P2WPKH.upper()} ok", P2WPKH.upper(), P2WPKH, 1.0),  # bech32 is one case, either case
        (f"eth {ETH}", ETH, ETH.lower(), 1.0),
        (f"to: {ETH_2}", ETH_2, ETH_2.lower(), 1.0),
        (ETH_3, ETH_3, ETH_3.lower(), 1.0),
        # no EIP-55 checksum in one case: reported with a context word only
        (f"my wallet is {ETH.lower()}", ETH.lower(), ETH.lower(), 0.75),
        (f"ethereum address 0x{ETH[2:].upper()}", "0x" + ETH[2:].upper(), ETH.lower(), 0.75),
    ],
)
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="CRYPTO")


@pytest.mark.parametrize(
    "text",
    [
        "16L5yRNPTuciSgXGHqYwn9N6NeoKqopAv",  # Base58Check checksum fails (last character changed)
        "16L5yRNPTuciSgXGHqYwn9N6NeoKqopBu",
        "33cWaRif1jWtZ8nLPVxgPUVG8fKA6grfEx",  # P2SH with one character's case changed
        "mfcHP2WMCVLsVZA8yrovmhMgxNFW9r98xw",  # testnet (version 0x6f): no one's money
        "1QXEx2ZQ9mEdvMSaVKHznFv6iZq2LQbDz8",  # valid Base58Check of 22 bytes: no address
        "bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5fcj4z4",  # bech32 checksum fails
        "bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5Fcj4z3",  # mixed case: invalid by BIP 173
        "bc1pqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqm2l7p3",  # v1 with a bech32 (not bech32m) checksum
        "tb1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5r7fxez",  # testnet segwit
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # EIP-55: wrong case of the last letter
        "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # EIP-55: wrong case of the first letter
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",  # one case, no context: any 160-bit hash
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  # 39 hex digits
        "commit 5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",  # a git hash, no 0x
        "order 1234567890123456789012345",  # digits are Base58 too: no checksum
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (P2PKH, Validation.CONFIRM),
        (P2WPKH, Validation.CONFIRM),
        (P2TR, Validation.CONFIRM),
        (ETH, Validation.CONFIRM),
        (ETH.lower(), Validation.NO_OPINION),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", Validation.REJECT),
        ("16L5yRNPTuciSgXGHqYwn9N6NeoKqopAv", Validation.REJECT),
        ("bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5fcj4z4", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    "address",
    [
        # EIP-55's examples: all caps, all lower and mixed case
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        ETH,
        ETH_2,
        ETH_3,
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_eip55_is_keccak_256(address: str) -> None:
    assert eip55(address) == address


@pytest.mark.parametrize(
    ("value", "mask"),
    [(P2PKH, "16L5*************************opAu"), (ETH, "0x5a**********************************eAed")],
)
def test_mask(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


def test_canonical() -> None:
    assert DETECTOR.canonical(ETH.lower()) == DETECTOR.canonical(ETH) == ETH.lower()
    assert DETECTOR.canonical(P2WPKH.upper()) == P2WPKH
    assert DETECTOR.canonical("16L5yRNPTuciSgXGHqYwn9N6NeoKqopAv") is None
