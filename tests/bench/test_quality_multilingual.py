"""``bench/quality.py --dataset multilingual``: the set in tests/data, national identifiers by country prefix,
and the scores per language."""

from __future__ import annotations

from tests.conftest import load_bench_module

quality = load_bench_module("quality.py")


def test_the_multilingual_set_loads_with_its_languages() -> None:
    docs = quality.load_dataset(quality.DATASETS["multilingual"])
    assert len(docs) >= 100
    assert {d.lang for d in docs} >= {"de", "fr", "es", "it", "nl"}
    assert all(d.id.startswith(f"multilingual-{d.lang}-") for d in docs)


def test_national_identifiers_by_country_prefix() -> None:
    to_bench = quality.MULTILINGUAL_PREDICTED
    assert to_bench.get("ES_NIF", "ES_NIF") == "NATIONAL_ID"
    assert to_bench.get("NL_BSN", "NL_BSN") == "NATIONAL_ID"
    assert to_bench.get("UK_POSTCODE", "UK_POSTCODE") == "ZIP_CODE"  # explicit names first
    assert to_bench.get("PERSON", "PERSON") == "PERSON"
    assert to_bench.get("IBAN_CODE", "IBAN_CODE") == "IBAN_CODE"
    assert dict(to_bench) == {"DATE_OF_BIRTH": "DATE_TIME", "UK_POSTCODE": "ZIP_CODE", "POSTAL_CODE": "ZIP_CODE"}


def test_scores_per_language() -> None:
    docs = [
        quality.Doc("a", "Herr Schmidt", ((5, 12, "PERSON"),), "de"),
        quality.Doc("b", "Mme Dubois", ((4, 10, "PERSON"),), "fr"),
    ]
    run = quality.Run([[(5, 12, "PERSON")], [(0, 3, "PERSON")]], [1.0], {}, [["x"], ["x"]])
    result = quality.tool_result(docs, run, {"PERSON"}, ("PERSON",))
    de, fr = result["per_language"]["de"], result["per_language"]["fr"]
    assert de["texts"] == 1 and de["overall"]["overlap"]["f2"] == 1.0
    assert fr["overall"]["overlap"]["tp"] == 0 and fr["overall"]["overlap"]["fp"] == 1
    assert "per_language" not in quality.tool_result(
        [quality.Doc("c", "x", ())], quality.Run([[]], [1.0], {}), {"PERSON"}, ("PERSON",)
    )


def test_the_language_table() -> None:
    docs = [quality.Doc("a", "Herr Schmidt", ((5, 12, "PERSON"),), "de")]
    run = quality.Run([[(5, 12, "PERSON")]], [1.0], {}, [["x"]])
    ours = quality.tool_result(docs, run, {"PERSON"}, ("PERSON",))["per_language"]
    lines = quality.language_table(ours, ours, ("PERSON", "LOCATION"))
    assert lines[0].startswith("| language | texts |") and "PERSON F2" in lines[0] and "LOCATION F2" not in lines[0]
    assert lines[2].startswith("| de | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |")
