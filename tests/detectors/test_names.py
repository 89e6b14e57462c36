"""PERSON by cue phrases, census name lists and repeated mentions; organisation filter."""

import pytest

from piiscan.detectors.base import Match
from piiscan.detectors.names import NameDetector, is_organisation, propagate_names

DETECTOR = NameDetector(threshold=0.6)


def found(text: str) -> list[tuple[str, float]]:
    return [(text[m.start : m.end], m.score) for m in DETECTOR.find(text)]


@pytest.mark.parametrize(
    ("text", "name", "score"),
    [
        ("My name is Antti Poutiainen", "Antti Poutiainen", 0.85),
        ("my name is vitoria", "vitoria", 0.7),  # lower case after a strong cue
        ("Name:\n  Iva D. Grusová", "Iva D. Grusová", 0.85),
        ("Dear Mrs. Kathrine Filová,", "Kathrine Filová", 0.85),
        ("What's your last name? Turgeon", "Turgeon", 0.85),
        ("Directed By: Gladys L. Leblanc", "Gladys L. Leblanc", 0.8),  # first name + initial
        ("a Ravil G Yefimov concert", "Ravil G Yefimov", 0.7),  # an initial between capitalised words
        ("follow up with Patricia Desrosiers soon", "Patricia Desrosiers", 0.75),  # census first + last
        ("Layla Gairbekov\n\nAccountant", "Layla Gairbekov", 0.7),  # a name line
        ("Sandra lives here", "Sandra", 0.65),  # a known first name alone
    ],
)
def test_finds_names(text: str, name: str, score: float) -> None:
    assert found(text) == [(name, score)]


@pytest.mark.parametrize(
    "text",
    [
        "Will you come in May?",  # first names that are everyday words
        "Hello there, how are you?",  # a cue followed by a stop word
        "Excuse me, Sir bot",  # after an honorific a name is capitalised
        "The Princess Royal arrived",  # titles
        "It was professional and the driver stopped",  # cue words inside other words
        "Thanks, that was great",
        "Grant Park is lovely",  # a common-word first name
        "eBay sold an iPhone",
    ],
)
def test_no_name(text: str) -> None:
    assert found(text) == []


def _person(text: str, value: str) -> Match:
    start = text.index(value)
    return Match("PERSON", start, start + len(value), 0.85, "spacy_ner", value.lower(), "x")


def test_repeated_mentions_are_propagated() -> None:
    text = "a film directed by Joakim Westgård and starring Westgård"
    extra = propagate_names(text, [_person(text, "Joakim Westgård")])
    assert [(text[m.start : m.end], m.start) for m in extra] == [("Westgård", text.rindex("Westgård"))]
    assert propagate_names("Only Ann here", []) == []


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("The Clark, Romero and Hall Orchestra was founded", "Hall Orchestra", True),
        ("Thomas and Sons is a multinational", "Thomas", True),
        ("Smith Ltd. signed", "Smith", True),
        ("Thomas and Anna went home", "Thomas", False),
        ("Ms Hall sang", "Hall", False),
        # three bare surnames in a firm's style
        ("Tomomi is from Hawkins, Richardson and Santana", "Richardson", True),
        ("She spent a year at Jones, Mitchell and Williams as the assistant", "Jones", True),
        ("Lopez, Santos and Coleman is a design agency", "Coleman", True),
        # ... but people when introduced, listed longer, or the subject of a plural verb
        ("the brainchild of our 3 founders: Morrison, Rogers and Torres.", "Rogers", False),
        ("Judges Bratza, Casadevall and Garlicki sat.", "Casadevall", False),
        ("They had 6: Romi, Erik, Amy, Nathaniel, Donald and Kristen.", "Donald", False),
        ("Smith, Jones and Brown were arrested.", "Jones", False),
        ("Mr Smith, Jones and Brown signed", "Smith", False),
        ("Galorath Incorporated is the brainchild", "Galorath", True),
    ],
)
def test_is_organisation(text: str, value: str, expected: bool) -> None:
    assert is_organisation(text, _person(text, value)) is expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("She named him Luís", ["Luís"]),  # a pronoun between cue and name
        ("Emma: What a wife.\nLisa: Remember me?", ["Emma", "Lisa"]),  # speakers
        ("They had 6: Efimiya, Mary, Ariana and Jodi.", ["Efimiya", "Mary", "Ariana", "Jodi"]),  # a list of names
        ("follow up with patricia desrosiers soon", ["patricia desrosiers"]),  # all lower case
    ],
)
def test_transcripts_lists_and_lower_case(text: str, names: list[str]) -> None:
    assert [value for value, _ in found(text)] == names


@pytest.mark.parametrize(
    "text",
    [
        "Phone: 020 7946 0958\nDesk: call me",  # field labels are no speakers
        "We sell Apples, Pears, Plums and Figs.",  # a list without known first names
        "will you call brown later",  # lower case, but everyday words
        "So where are we meeting?",  # a stop word that is also a census first name
    ],
)
def test_no_name_in_labels_lists_or_lower_case(text: str) -> None:
    assert found(text) == []


def test_coordinated_names_are_propagated() -> None:
    text = "Kadiev and Adams were precision engineers"
    extra = propagate_names(text, [_person(text, "Kadiev")])
    assert [text[m.start : m.end] for m in extra] == ["Adams"]
    text = "Kadiev and the engineers"
    assert propagate_names(text, [_person(text, "Kadiev")]) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Westgård and starring Westgård", {"Westgård"}),
        ("Jean-Luc met Jean at Jean's", {"Jean", "Jean-Luc"}),
        ("Ann, Anna and Annabel; O'Ann and _Ann Ann_", {"Ann", "Anna"}),
        ("Smith2 Smith Smith-Jones xSmith Smith", {"Smith", "Jones", "Smith-Jones"}),
        ("", {"Ann"}),
        ("Ann", {"Ann"}),
        ("’Ann 'Ann \"Ann", {"Ann"}),
    ],
)
def test_mentions_are_what_a_word_alternation_finds(text: str, words: set[str]) -> None:
    """``mentions`` (str.find) gives the spans of the regex it replaces, in the same order."""
    import re

    from piiscan.detectors.names import mentions

    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    expected = [m.span() for m in re.finditer(rf"(?<![\w'’])(?:{alternation})(?![\w])", text)]
    assert mentions(text, words) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("The claim was signed by Mr M. on his behalf.", ["M."]),  # an initial in a name position
        ("represented by Ms A.B., a solicitor", ["A.B."]),
        ("represented by Mr Cz. Walenty and Ms A.-M. Ferrand", ["Cz. Walenty", "A.-M. Ferrand"]),
        ("the report of Mr K.H. Oldani was read", ["K.H. Oldani"]),
        ("Mrs W. died in 1990", ["W."]),  # the lower-case word after a title is no part of the name
        ("Mr N. K. lodged an appeal", ["N. K."]),
        ("Mr van Dijk lodged an appeal", ["van Dijk"]),  # a particle is
        ("a contract between a certain T. Marsh and the firm", ["T. Marsh"]),
        ("In 2011 the claimant sued her nephew, R.W., for the rent.", ["R.W."]),
        ("the witness, R. T., was heard", ["R. T."]),
    ],
)
def test_initials_in_name_positions(text: str, names: list[str]) -> None:
    assert [value for value, _ in found(text)] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("As Harwood LJ said, the rule is strict.", ["Harwood"]),
        ("the judgment of Pellow J was reversed", ["Pellow"]),
        ("Tamsin and Ockley LJJ agreed.", ["Tamsin", "Ockley"]),
    ],
)
def test_judges_styles(text: str, names: list[str]) -> None:
    assert [value for value, _ in found(text)] == names


@pytest.mark.parametrize(
    "text",
    [
        "as seen by the so-called Iron Wardens",  # "so-called" is no naming cue
        "in a certain area of the valley",  # after "a certain" a name is capitalised
        "of a certain degree of seriousness",
        "The applicant is a German national.",  # a nationality, not the first name German
        "he grew up in Sierra Leone",  # a country, not a first name and a surname
        "see Schedule J for the figures",  # a schedule letter, not a judge
        "the Patient signed the form",  # a form label, not a first name
    ],
)
def test_no_name_in_vocabulary_nationalities_or_countries(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "source", "repeated"),
    [
        # a model's full name is repeated to its later mentions
        ("a film by Joakim Westgård, starring Westgård", "Joakim Westgård", ["Westgård"]),
        # a single known surname is confident too
        ("Wilson said so. Later Wilson left.", "Wilson", ["Wilson"]),
        ("Tómas came. Tómas left.", "Tómas", ["Tómas"]),  # the census lists write it "Tomas"
        # a single unknown word the model called a person is not repeated ...
        ("a notary working in Varnok. The Varnok court sat.", "Varnok", []),
        # ... nor is domain vocabulary or a nationality, whatever the source
        ("under Law no. 12 and Article 3 of that Law", "Law", []),
        ("The German Government and the German courts", "German", []),
    ],
)
def test_only_confident_names_are_repeated(text: str, source: str, repeated: list[str]) -> None:
    extra = propagate_names(text, [_person(text, source)])
    assert [text[m.start : m.end] for m in extra] == repeated


def test_a_coordinated_first_name_of_a_found_name_is_not_added() -> None:
    text = "two nationals, Arno Keppel and Selin Umay Tarhan, applied"
    matches = [_person(text, "Arno Keppel"), _person(text, "Umay Tarhan")]
    assert [text[m.start : m.end] for m in propagate_names(text, matches)] == []
