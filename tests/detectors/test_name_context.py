"""The context rules over PERSON/LOCATION candidates, one table per class of error (sentences written here)."""

from __future__ import annotations

import pytest

from piiscan.detectors.base import Match
from piiscan.detectors.name_context import refine_names
from piiscan.detectors.nlp import name_match


def candidate(text: str, value: str, entity: str, detector: str = "spacy_ner", nth: int = 0) -> Match:
    """A match of the ``nth`` occurrence of ``value`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return name_match(entity, text, start, start + len(value), 0.85, detector)


def judged(text: str, *candidates: tuple[str, str]) -> list[tuple[str, str]]:
    """(value, type) of what the rules keep of the candidates ``(value, type)``."""
    matches = [candidate(text, value, entity) for value, entity in candidates]
    return sorted(((text[m.start : m.end], m.entity_type) for m in refine_names(text, matches)), key=str)


def kept(text: str, value: str, entity: str) -> list[tuple[str, str]]:
    return judged(text, (value, entity))


@pytest.mark.parametrize(
    ("text", "value", "entity", "expected"),
    [
        ("She was represented by Mr R. T., a solicitor.", "Mr R. T.", "PERSON", "R. T."),
        ("The case was heard by Judge Marwick.", "Judge Marwick", "PERSON", "Marwick"),
        ("Herr Brunnhuber wrote to the court.", "Herr Brunnhuber", "PERSON", "Brunnhuber"),
        ("Madame Lefranc wrote again.", "Madame Lefranc", "PERSON", "Lefranc"),
        ("Dr. Oyelaran signed it.", "Dr. Oyelaran", "PERSON", "Oyelaran"),
        ("Mr Justice Harkness presided.", "Mr Justice Harkness", "PERSON", "Harkness"),
        ("As Harwood LJ put it, the rule is strict.", "Harwood LJ", "PERSON", "Harwood"),
        ("the rules of the United Kingdom differ", "the United Kingdom", "LOCATION", "United Kingdom"),
        ("He flew to The Hague.", "The Hague", "LOCATION", "The Hague"),  # "The" of a name stays
        ("a trip to Lord Howe Island", "Lord Howe Island", "LOCATION", "Lord Howe Island"),  # a place keeps it
    ],
)
def test_titles_and_articles_are_outside_the_name(text: str, value: str, entity: str, expected: str) -> None:
    assert kept(text, value, entity) == [(expected, entity)]


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("Article 9 (2) of Law no. 4411 applies.", "Law", "PERSON"),
        ("a breach of Articles 3 and 8 of the Convention", "Articles 3", "PERSON"),
        (
            "The complaint was sent to the Fourth Section of the Court.",
            "the Fourth Section of the Court",
            "LOCATION",
        ),
        ("sent to the newly formed Fourth Section (Rule 12 § 3)", "Fourth Section (Rule", "LOCATION"),
        ("On 9 June the Regional Governor refused it.", "Regional", "LOCATION"),
        ("see Decisions and Reports 41, p. 12", "Reports 41", "PERSON"),
        ("see Government Bill 1983:12, p. 40", "Bill 1983:12", "PERSON"),
        ("a pension of about EUR 240 a month", "EUR 240", "PERSON"),
        ("in conjunction with Appendix II, Chapter VIII", "Appendix II", "PERSON"),
        ("he served as a Lance Corporal", "Lance Corporal", "PERSON"),
        ("the Legal Adviser of the Ministry", "Legal Adviser", "PERSON"),
        ("Patient: see the notes of the Provider", "Provider", "PERSON"),
        ("Loan: 5,000", "Loan", "PERSON"),
        ("On 4 March 1997 she was released.", "March", "LOCATION"),
        ("B. Criminal proceedings against the claimant", "B. Criminal", "PERSON"),
        ("the documents requested by the Chamber", "Chamber", "PERSON"),
    ],
)
def test_domain_vocabulary_is_no_name(text: str, value: str, entity: str) -> None:
    assert kept(text, value, entity) == []


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("The claim was signed by Mr Law.", "Law", "PERSON"),  # after a title: a name position
        ("Jude Law starred in it.", "Jude Law", "PERSON"),  # a first name and a surname
        ("May said she would come.", "May", "PERSON"),  # a calendar word that is a first name
        ("Officer Dibble arrested him.", "Dibble", "PERSON"),
        ("the Soviet Union collapsed", "the Soviet Union", "LOCATION"),
        ("She lives in Bath.", "Bath", "LOCATION"),
    ],
)
def test_names_among_vocabulary_are_kept(text: str, value: str, entity: str) -> None:
    assert [e for _, e in kept(text, value, entity)] == [entity]


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("The claimant, a German national, was born in 1961.", "German", "PERSON"),
        ("The German Government sent their Agent.", "German", "PERSON"),
        ("She is a Sierra Leonean national.", "Sierra", "PERSON"),
        ("by a United Kingdom national, Mr X", "United Kingdom", "LOCATION"),
        ("a fine of 8,000 Turkish Liras", "Turkish Liras", "PERSON"),
        ("they were paid in German Marks", "German Marks", "PERSON"),
        ("The Greenlander was interviewed.", "Greenlander", "PERSON"),  # a nationality noun
        ("the Salesperson of the Year award", "Salesperson", "PERSON"),  # an occupation
    ],
)
def test_nationality_adjectives_are_no_names(text: str, value: str, entity: str) -> None:
    assert kept(text, value, entity) == []


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("German Titov flew the second orbit.", "German Titov", "PERSON"),
        ("He moved to Germany in 1990.", "Germany", "LOCATION"),
    ],
)
def test_names_with_a_nationality_word_are_kept(text: str, value: str, entity: str) -> None:
    assert [e for _, e in kept(text, value, entity)] == [entity]


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("On 20 May the Varnok Administrative Court dismissed the claim.", "Varnok", "PERSON"),
        ("the Ostrava Regional Court held a hearing", "Ostrava", "LOCATION"),
        ("He is serving his sentence in Stradom Prison.", "Stradom Prison", "LOCATION"),
        ("He was held in the Kastamonu F-type prison.", "Kastamonu", "LOCATION"),
        ("the Konya court decided otherwise", "Konya", "LOCATION"),
        ("a ruling of the Sivrice Magistrates’ Court", "Sivrice", "LOCATION"),
        ("a contract with the Mayor of Didim", "Didim", "LOCATION"),
        ("The Government of Austria were represented by their Agent.", "Austria", "LOCATION"),
        ("the Municipalities of Mattberg and Schalding", "Schalding", "LOCATION"),
        ("asked the Bolu and Düzce Criminal Courts for statements", "Bolu", "LOCATION"),
        ("the Halle/Saale Labour Court quashed it", "Halle", "LOCATION"),
        ("the Lower Austria Regional Governor granted the request", "Austria", "LOCATION"),
        ("she was held in the Głogów Detention Centre", "the Głogów Detention Centre", "LOCATION"),
        ("a permit granted by the Trabzon Municipality", "the Trabzon Municipality", "LOCATION"),
        ("the return of his daughter under the 1980 Hague Convention", "Hague Convention", "LOCATION"),
        ("the implants supplied to the Clinique des Lilas", "Clinique des Lilas", "PERSON"),
        ("the State Security Court of Malatya ordered her release", "Malatya", "PERSON"),
    ],
)
def test_institutions_are_organisations(text: str, value: str, entity: str) -> None:
    assert kept(text, value, entity) == []


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("a notary working in Izmir", "Izmir", "LOCATION"),
        ("The London office is closed.", "London", "LOCATION"),  # an office is no public body
        ("while studying at the University of Porvoo", "Porvoo", "LOCATION"),  # a university is none either
        ("a meeting at the Salzburg municipal cemetery", "Salzburg", "LOCATION"),
        ("Erik Baader\n\nCourt clerk", "Erik Baader", "PERSON"),  # the head word on another line
        ("He lives at Kings Court in Leeds.", "Kings Court", "LOCATION"),  # "Court" alone is a street word
    ],
)
def test_places_and_people_near_institution_words_are_kept(text: str, value: str, entity: str) -> None:
    assert [e for _, e in kept(text, value, entity)] == [entity]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "The complaint was brought against the Republic of Turkey in 2009.",
            "the Republic of Turkey",
        ),
        ("an application against the Kingdom of Sweden", "the Kingdom of Sweden"),
        ("the security interests of the Federal Republic of Germany", "the Federal Republic of Germany"),
        ("the ruling in Halvorsen v. Turkey", "Turkey"),
        ("see Pellow v. the United Kingdom", "the United Kingdom"),
        ("Judge Ostrander, the judge elected in respect of Germany, stood down", "Germany"),
        ("Belgium v. Spain was decided in 1970", "Belgium"),
    ],
)
def test_a_state_as_a_party_is_no_place(text: str, value: str) -> None:
    assert kept(text, value, "LOCATION") == []


def test_a_state_s_formal_name_split_in_two_is_no_place() -> None:
    text = "an application against the United Kingdom of Great Britain and Northern Ireland lodged in 2002"
    assert judged(text, ("the United Kingdom of Great Britain", "LOCATION"), ("Northern Ireland", "LOCATION")) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("She was born in the Republic of Ireland.", "the Republic of Ireland"),  # a preposition of place
        ("He moved from the Czech Republic to Turkey.", "Turkey"),
        ("I will be travelling to Czech Republic next week", "Czech Republic"),
    ],
)
def test_a_state_in_a_place_context_is_a_place(text: str, value: str) -> None:
    assert [e for _, e in kept(text, value, "LOCATION")] == ["LOCATION"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("On 9 April the Kalisz District Court (Sąd Rejonowy) extended it.", "Sąd Rejonowy"),
        ("the Administrative Court (Verwaltungsgerichtshof) dismissed it", "Verwaltungsgerichtshof"),
        ("the Supreme Court (Högsta domstolen) refused leave", "Högsta"),
        ("the army sent him a call-up order (Einberufungsbescheid) in May", "Einberufungsbescheid"),
        ("under the Law of 3 March 2011 (Ustawa o ochronie danych) she complained", "Ustawa"),
        ("the Minister of Economy (Minister Gospodarki) annulled it", "Gospodarki"),
    ],
)
def test_a_translation_in_brackets_is_no_name(text: str, value: str) -> None:
    assert kept(text, value, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("The foreword was short (not written by Pavel Hruska).", "Pavel Hruska", "PERSON"),
        ("the applicant's brother (Tomasz Rybak) was heard", "Tomasz Rybak", "PERSON"),
        ("They were represented by their lawyer (Mr Kowal).", "Kowal", "PERSON"),
    ],
)
def test_names_in_asides_are_kept(text: str, value: str, entity: str) -> None:
    assert [e for _, e in kept(text, value, entity)] == [entity]


@pytest.mark.parametrize(
    ("text", "value", "entity", "expected"),
    [
        ("placed in the care of her uncle, M.K., by a decision", "M.K.", "LOCATION", "PERSON"),
        ("the statement of T.B. was read out", "T.B.", "LOCATION", "PERSON"),
        ("the U.K. rules on the matter", "U.K.", "LOCATION", "LOCATION"),  # a place abbreviation
        ("the locality known as Kalamies, near the sea", "Kalamies", "PERSON", "LOCATION"),
        ("a house in the village of Kalnik", "Kalnik", "PERSON", "LOCATION"),
        ("citing the Court's Brenner v. Austria judgment", "Austria", "PERSON", None),  # a country as party
        ("a shop in Odysseos Avenue", "Odysseos Avenue", "PERSON", "LOCATION"),
        ("a notary working in Kufstein (Austria)", "Kufstein", "PERSON", "LOCATION"),
    ],
)
def test_what_the_words_around_say_a_name_is(text: str, value: str, entity: str, expected: str | None) -> None:
    assert [e for _, e in kept(text, value, entity)] == ([expected] if expected else [])


def test_a_name_before_a_street_word_is_the_street() -> None:
    text = "the first concerts on Thomas Arden Street were sold out"
    assert kept(text, "Thomas Arden", "PERSON") == [("Thomas Arden Street", "LOCATION")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a claim against a company named Clinique Médica", "Clinique Médica"),
        ("she wrote it for the periodical Meridyen", "Meridyen"),
        ("the Clinique Médica company was set up", "Clinique Médica"),
        ("In 2003 the claimant, a bus driver, was injured.", "bus driver"),  # no capitalised word
        ("My website is https://Example.org/", "https://Example.org/"),
        ("a march organised by the KTFA and a union", "KTFA"),  # an acronym names a body
    ],
)
def test_organisations_and_shapes_that_are_no_person(text: str, value: str) -> None:
    assert kept(text, value, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A man named Peter Brandt called.", "Peter Brandt"),
        ("my friend john smith called", "john smith"),  # all lower case: the model's span stands
        ("JOHN SMITH\nFLAT 4", "JOHN"),
    ],
)
def test_people_the_shape_rules_keep(text: str, value: str) -> None:
    assert [e for _, e in kept(text, value, "PERSON")] == ["PERSON"]


@pytest.mark.parametrize(
    ("text", "first", "second", "expected"),
    [
        ("The claimant lives in Bremen, Germany.", "Bremen", "Germany", ["Bremen, Germany"]),
        ("a notary working in Mardin (Turkey).", "Mardin", "Turkey", ["Mardin (Turkey)"]),
        ("She moved in 2010 and lives in Dayton, Ohio.", "Dayton", "Ohio", ["Dayton, Ohio"]),
        ("offices in Leeds, York and Hull", "Leeds", "York", ["Leeds", "York"]),  # a list, not a qualifier
    ],
)
def test_town_and_country_are_one_place(text: str, first: str, second: str, expected: list[str]) -> None:
    assert [v for v, _ in judged(text, (first, "LOCATION"), (second, "LOCATION"))] == expected


def test_other_detectors_and_types_pass_unjudged() -> None:
    text = "Write to 12 Law Court, Leeds or call the Court on 0113 496 0000"
    address = name_match("LOCATION", text, 9, 28, 0.85, "street_address")
    phone = Match("PHONE_NUMBER", 45, 58, 0.9, "phone", "+441134960000", "x")
    denied = name_match("PERSON", text, 40, 45, 1.0, "deny_list_person")
    assert refine_names(text, [address, phone, denied]) == [address, phone, denied]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Capitalized words like Wisdom and Discipline are often mistaken for names.", "Discipline"),
        ("For my take on her, see Guilty Pleasures: songs you hate", "Guilty Pleasures"),
        ("the verses from her Cautionary Tales. Is there more?", "Tales"),
    ],
)
def test_everyday_words_from_the_model_are_no_person(text: str, value: str) -> None:
    assert kept(text, value, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Scott had given Belle his address", "Belle"),  # a Census first name that is also a word
        ("I'm glad to hear it, says Du Cane.", "Du Cane"),
        ("For my take on Mrs. Discipline, see the notes", "Discipline"),  # a name position decides
    ],
)
def test_names_that_are_also_words_stay_people(text: str, value: str) -> None:
    assert kept(text, value, "PERSON") == [(value, "PERSON")]
