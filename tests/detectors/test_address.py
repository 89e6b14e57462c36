"""Street-address recognizer: whole addresses in one span, no dates, versions or phone numbers."""

import pytest

from piiscan.detectors.address import AddressDetector, PlaceNameDetector, is_street_name

DETECTOR = AddressDetector(threshold=0.6)


def found(text: str) -> list[str]:
    return [text[m.start : m.end] for m in DETECTOR.find(text)]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Lives at 2450 Crown St today", "2450 Crown St"),
        ("Send it to 10 Downing Street, London SW1A 2AA.", "10 Downing Street, London SW1A 2AA"),
        ("974 Via Roma 131\n Apt. 425\n Montafia\n Italy 39767\nMobile: 0341 8387176",
         "974 Via Roma 131\n Apt. 425\n Montafia\n Italy 39767"),
        ("The address is 6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677",
         "6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677"),
        ("> 228 Ringvej 144\n> Apt. 902\n> Qaqortoq\n> Denmark 96817\n> Megan Carey",
         "228 Ringvej 144\n> Apt. 902\n> Qaqortoq\n> Denmark 96817"),
        ("The bus station is on Villacher Strasse 89", "Villacher Strasse 89"),
        ("PSC 4355, Box 4187\nAPO AP 28906", "PSC 4355, Box 4187\nAPO AP 28906"),
        ("She lives at 10252 Μεγάλη Άμμος 184, ΠΑΦΟΣ", "10252 Μεγάλη Άμμος 184, ΠΑΦΟΣ"),
        ("Meet me at the corner of Bygget 64 and Komel Club", "Bygget 64 and Komel Club"),
        ("address: ul. Zamkowa 33\n00-950 Warszawa\nPoland", "ul. Zamkowa 33\n00-950 Warszawa\nPoland"),
        ("Serradarce\n\n864 Piazzetta Scalette Rubiani 104\n Apt. 905\n Serradarce\n\n Italy 75263",
         "864 Piazzetta Scalette Rubiani 104\n Apt. 905\n Serradarce\n\n Italy 75263"),
    ],
)  # fmt: skip
def test_finds_whole_addresses(text: str, address: str) -> None:
    assert found(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "on 15 May 2020 we met",  # a date
        "Running Windows 10 on my laptop",  # a product version
        "Alice Smith on 020 7946 0123 moved to Manchester.",  # a phone number after a name
        "See Figure 3 and Table 4 for details",  # document references
        "Chapter 11 covers Section 4",
        "Room 101",  # a unit alone is not an address
        "Order 12345 shipped in 3 boxes",
        "The meeting is at 10:30 in Building",
        "version 1.2.3 released",
        "We sold 5000 Units last year",
    ],
)
def test_no_address(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Crown St", True),
        ("Via dei Fiorentini", True),
        ("Koskikatu", True),
        ("Augsburger Strasse", True),
        ("Magasinsgatan", True),
        ("Alice Smith", False),
        ("Windows", False),
    ],
)
def test_is_street_name(name: str, expected: bool) -> None:
    assert is_street_name(name) is expected


def test_scores_grow_with_evidence_and_values_are_masked() -> None:
    (short,) = DETECTOR.find("at 2450 Crown St")
    (full,) = DETECTOR.find("at 2450 Crown St\nLeeds\nLS1 4AP\nUnited Kingdom")
    assert short.score < full.score <= 1.0
    assert full.normalised == "2450 crown st leeds ls1 4ap united kingdom"
    assert "Crown" not in full.preview and "Leeds" not in full.preview


PLACES = PlaceNameDetector(threshold=0.6)


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Ms. Margarot flew to Loeches on Saturday morning.", ["Loeches"]),
        ("I'm originally from Mavčiče, and I'm 82", ["Mavčiče"]),
        ("a 19 year old man who grew up in SUND.", ["SUND"]),
        ("journalism at the University of Porvoo.", ["Porvoo"]),
        ("He was injured in Cyprus, sadly", ["Cyprus"]),
        ("We moved here from Czech Republic", ["Czech Republic"]),
    ],
)
def test_place_names(text: str, places: list[str]) -> None:
    assert [text[m.start : m.end] for m in PLACES.find(text)] == places


@pytest.mark.parametrize(
    "text",
    [
        "Jordan and Chad went home",  # countries that are also first names
        "we flew to the conclusion quickly",  # no capitalised place after the cue
        "I am in Monday's meeting",  # a weekday
        "the francophone world",  # country names inside words ("France") are not found
    ],
)
def test_no_place_names(text: str) -> None:
    assert list(PLACES.find(text)) == []


def test_bundled_country_names_are_phonenumbers_english_names() -> None:
    """The bundled list is phonenumbers' data (regenerate with detectors.address.write_country_names)."""
    from piiscan.detectors.address import COUNTRY_NAMES_FILE, english_country_names

    assert COUNTRY_NAMES_FILE.read_text(encoding="utf-8").splitlines() == english_country_names()


@pytest.mark.parametrize(
    "text",
    [
        # a sentence ends inside what would be a name + house number
        "The file was sent to the Lowmoor Regional Court. On 30 October the court sat.",
        "He appealed to the Harbury Administrative Court. On 27 June 2001 it ruled.",
        "the case went to the Appeals Tribunal. On 3 May it was heard",
        # a law report after a bracketed year: volume, series, page
        "as decided in Regina v. Boland [1998] 2 WLR 411, the rule applies",
        "see (1990) 12 EHRR 33 for the facts",
    ],
)
def test_no_address_across_a_sentence_end_or_in_a_citation(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Lives at Blvd. Haussmann 40 in Paris", "Blvd. Haussmann 40"),  # an abbreviation's stop
        ("Meet me at 22 Queen Street. On Monday we go.", "22 Queen Street"),
        ("Lives at 22 Queen Street, Leeds. Phone him.", "22 Queen Street, Leeds"),  # the town, not the stop
    ],
)
def test_addresses_with_full_stops_are_still_found(text: str, address: str) -> None:
    assert address in found(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # the last line closes the address (country, postcode) and the sentence goes on after it
        ("send a new one to 1987 74 Diakou Street\n Suite 680\n Kissousa\n Cyprus 36903? I am in town",
         "1987 74 Diakou Street\n Suite 680\n Kissousa\n Cyprus 36903"),
        ("Please return to 6639 Canónigo Valiño 70\n Apt. 758\n Almussafes\n Spain 97197 in case of an issue.",
         "6639 Canónigo Valiño 70\n Apt. 758\n Almussafes\n Spain 97197"),
        # an APO/FPO/DPO line ends a military address like a postcode
        ("Please return to Unit 4719 Box 7394\nDPO AP 70942 in case of an issue.",
         "Unit 4719 Box 7394\nDPO AP 70942"),
        ("I'll meet you at USS Mahler\nFPO AA 70489 after the concert.", "USS Mahler\nFPO AA 70489"),
        # street words written in lower case after the name
        ("Kovács Anna  233 Erzsébet tér 19.  Suite 282  Domoszló  Hungary 34796",
         "233 Erzsébet tér 19.  Suite 282  Domoszló  Hungary 34796"),
        ("2224 Trenerys gate 232", "2224 Trenerys gate 232"),
        ("The bus drops you off at 518 Árpád fejedelem útja 62. St.", "518 Árpád fejedelem útja 62. St."),
        ("6614 Luite tee 87  Apt. 931  Salumäe  Estonia 62031", "6614 Luite tee 87  Apt. 931  Salumäe  Estonia 62031"),
    ],
)  # fmt: skip
def test_address_boundaries(text: str, address: str) -> None:
    assert found(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "Sit tight, more on this later\nSpain is lovely",  # no address above: a country line alone is none
        "During 1971, Mayo-Walters invested heavily in new designs.",  # a preposition of time and a year
        "Since 2004 the firm has grown.",
        "see Guilty Pleasures: 5 Musicians Of The 70s You're Supposed To Hate",  # a headline
    ],
)
def test_no_address_in_dates_or_headlines(text: str) -> None:
    assert found(text) == []


def test_a_street_inside_a_weak_anchor_is_found_whole() -> None:
    # "Kudryashov 233" (a name and a number) must not hide the street "233 Erzsébet tér 19."
    assert found("Gregory Kudryashov  233 Erzsébet tér 19.") == ["233 Erzsébet tér 19."]
