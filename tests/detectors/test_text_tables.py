import pytest

from piiscan.detectors.identifiers.uk_nhs import UkNhsDetector
from piiscan.detectors.identifiers.us_ssn import UsSsnDetector
from piiscan.detectors.text_tables import column_header


def header_of(text: str, value: str) -> str | None:
    start = text.index(value)
    return column_header(text, start, start + len(value))


@pytest.mark.parametrize(
    ("text", "value", "header"),
    [
        ("Name,NHS Number,DOB\nJane Doe,943 476 5919,1980-01-01", "943 476 5919", "NHS Number"),
        ("Name,NHS Number,DOB\nAnn,401 023 2137,x\nJane,943 476 5919,y", "943 476 5919", "NHS Number"),
        ('"name","ssn"\n"Ann","536221234"', "536221234", "ssn"),
        ("name\tssn\nAnn\t536221234", "536221234", "ssn"),
        ("name;ssn\nAnn; 536221234 ", "536221234", "ssn"),
        ("| Name | SSN |\n|------|:---:|\n| Ann | 536221234 |", "536221234", "SSN"),
        ("Intro text.\n\nName,NHS Number\nAnn,943 476 5919", "943 476 5919", "NHS Number"),
    ],
)
def test_header_of_the_column(text: str, value: str, header: str) -> None:
    assert header_of(text, value) == header


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Jane Doe,943 476 5919,1980-01-01", "943 476 5919"),  # first line: nothing above
        ("Name,NHS Number\nAnn,943 476 5919,extra", "943 476 5919"),  # the rows disagree: no block
        ("Name,NHS Number\nAnn,call 943 476 5919", "943 476 5919"),  # a value among words: they decide
        ("Ann,401 023 2137\nJane,943 476 5919", "943 476 5919"),  # the first row is data, not a header
        ("Dear John, thanks for the call, see you soon.\nThe new number, 943 476 5919, works.", "943 476 5919"),
        ("Name,NHS Number\n\nAnn,943 476 5919", "943 476 5919"),  # a blank line ends the table
        ("| Name | SSN |\n|---|---|", "---"),
    ],
)
def test_no_header(text: str, value: str) -> None:
    assert header_of(text, value) is None


def test_a_header_is_context_for_bare_values() -> None:
    text = "Name,NHS Number,SSN\nJane Doe,943 476 5919,536221234\nJohn Roe,401 023 2137,536221235"
    nhs = [(m.normalised, m.score) for m in UkNhsDetector().find(text)]
    assert nhs == [("9434765919", 1.0), ("4010232137", 1.0)]
    ssn = [(m.normalised, m.score) for m in UsSsnDetector().find(text)]
    assert ssn == [("536221234", 0.65), ("536221235", 0.65)]
    # the same values under other headers are not NHS numbers or SSNs
    other = "Name,Phone,Order\nJane Doe,943 476 5919,536221234"
    assert list(UkNhsDetector().find(other)) == [] and list(UsSsnDetector().find(other)) == []


def test_many_rows_are_walked_once() -> None:
    rows = "\n".join(f"Person {i},943 476 5919" for i in range(5000))
    text = "Name,NHS Number\n" + rows
    assert len(list(UkNhsDetector().find(text))) == 5000
