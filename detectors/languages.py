"""Languages: which language a text is in, and the words of each language that are never part of a name.

piiscan reads English best; texts in German, French, Spanish, Italian, Dutch
and Portuguese are common in EU estates.  Read by the English model, their
capitalised function words become names or places ("Sehr", "Ihre", "Mein Name",
"Le", "Mi"), a title is taken into the name ("Herr Schmidt", "Der Patient
Thomas Weber") and German nouns, all capitalised, look like names.  This
module gives the two things that fix that, with no model of its own:

* :class:`LanguageDetector`: the language of a text, by ``py3langid`` (the
  maintained fork of langid.py: a naive Bayes model over byte n-grams, shipped
  in the package, nothing downloaded), restricted to the languages piiscan has
  word lists for (:data:`SUPPORTED_LANGUAGES`), so it is fast and never answers
  with a language we cannot use.  It reads only the words that carry the
  language: lower-case words and sentence openers ("Sehr geehrte", "Mein",
  "Le"), never the capitalised words inside a sentence, which are mostly names
  and places in a foreign language ("Tomomi Nishiyama lives at 86036 Rua do
  Arenque" is English).  A text with fewer than :data:`MIN_SAMPLE_LETTERS`
  such letters (a table cell, a number, a name alone) has no language (None),
  nor has one the model is less than :data:`MIN_CONFIDENCE` sure of.  A text
  half of whose words are English function words is English without the model.
* :class:`LanguageWords`: each language's function words (spaCy's stop-word
  lists, read from their files, plus greetings and letter phrases), titles and
  honorifics, and its common words (wordfreq's frequencies, kept in
  ``detectors/data/common_words_*.txt``), with the span rules
  :func:`person_span` and :func:`is_no_place` that
  :mod:`piiscan.detectors.multilingual` applies to PERSON and LOCATION matches.

Nothing here imports spaCy, py3langid or wordfreq at import time.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from piiscan.detectors.countries import country_name_list
from piiscan.detectors.ner_gate import frequent_names, opens_sentence, town_names

#: Languages a text may be detected as: English and the languages with word lists here.
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
#: Letters of language-bearing words (see the module doc) a text needs before its language is detected.
MIN_SAMPLE_LETTERS = 6
#: Probability (py3langid's, normalised over the supported languages) below which a text has no language.
MIN_CONFIDENCE = 0.8
#: Probability from which a text goes to its language's own NER model rather than the English one: a model
#: costs seconds and 185 MB to load (French), so a stray English text is not to load it.
MODEL_MIN_CONFIDENCE = 0.95
#: Longest sample read, in characters: the words of a longer text are taken evenly across it.
SAMPLE_CHARS = 2_000
#: Minimum Zipf frequency (wordfreq, the text's language) of a common word ("Rechnung", "Patient", "Escriba").
COMMON_WORD_ZIPF = 3.0
#: A word this frequent in English (and no Census name) is a common word in any language ("Patient").
COMMON_ENGLISH_ZIPF = 3.5
#: A frequent word: a rarer Census name is a common word only from this frequency ("Hause" 5.2, "Arzt"
#: 4.9 are German words first), and a word greeted instead of a name is this frequent ("Hallo Team,").
FREQUENT_WORD_ZIPF = 4.5
#: Median Zipf frequency in the other languages' lists from which a word is a proper noun: names travel
#: between languages ("Pieter" is 2.5 to 2.9 in them), a language's own words do not ("Rechnung": 0 to 1.2).
PROPER_NOUN_ZIPF = 2.0

#: A sample of this many words or more, at least half of them English function words (spaCy's English
#: stop list: "the", "of", "is"), is English without asking the model: most English texts, at no cost.
#: No text of the other languages' test set has half its words English function words.
ENGLISH_MIN_WORDS = 4

#: Texts whose language is remembered: a batch's (256 texts in ``piiscan detect``), not more, so a text
#: seen again later (a benchmark's next pass) is detected again as a new text would be.
LANGUAGE_CACHE_TEXTS = 512

#: A word: letters with inner apostrophes or hyphens ("m'appelle", "Steuer-ID").
WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:['’\-][^\W\d_]+)*")


class LanguageDetector:
    """The language of texts, among ``languages`` (see the module doc).

    With fewer than two languages it is off: :meth:`detect` says None for every text,
    and piiscan reads every text as English, as before languages were detected.
    """

    def __init__(self, languages: Sequence[str] = SUPPORTED_LANGUAGES) -> None:
        unknown = sorted(set(languages) - set(SUPPORTED_LANGUAGES))
        if unknown:
            raise ValueError(f"languages: unknown {', '.join(unknown)}; known: {', '.join(SUPPORTED_LANGUAGES)}")
        self.languages = tuple(dict.fromkeys(languages))
        #: the NER model's choice and the word rules both ask for a text's language: once per text of a batch
        self._classify = lru_cache(maxsize=LANGUAGE_CACHE_TEXTS)(self._classify_text)

    @property
    def enabled(self) -> bool:
        return len(self.languages) > 1

    def detect(self, text: str, min_confidence: float = MIN_CONFIDENCE) -> str | None:
        """The language of ``text``, or None (too little text, or less sure than ``min_confidence``)."""
        lang, probability = self._classify(text)
        return lang if lang is not None and probability >= min_confidence else None

    def _classify_text(self, text: str) -> tuple[str | None, float]:
        if not self.enabled:
            return None, 0.0
        sample = language_sample(text)
        words = sample.split()
        if len(sample) - len(words) + 1 < MIN_SAMPLE_LETTERS:  # letters (and the odd apostrophe) of the words
            return None, 0.0
        if "en" in self.languages and len(words) >= ENGLISH_MIN_WORDS:
            english = spacy_stop_words("en")
            if 2 * sum(w in english for w in words) >= len(words):
                return "en", 1.0  # half its words English function words: English, without the model
        lang, probability = _identifier(self.languages).classify(sample)
        return str(lang), float(probability)


_LOWER_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_A-ZÀ-ÖØ-Þ][^\W\d_]+")


def language_sample(text: str) -> str:
    """The words of ``text`` that carry its language: lower-case words, and sentence openers on a line that
    has a lower-case word (a sentence, not an address block's "Zoetermeer"), lower-cased."""
    words = []
    prose: dict[int, bool] = {}  # line start -> whether the line has a lower-case word
    for m in WORD.finditer(text):
        word = m.group()
        if word[0].islower():
            words.append(word)
        elif word[1:].islower() and opens_sentence(text, m.start()):
            line = text.rfind("\n", 0, m.start()) + 1
            if line not in prose:
                end = text.find("\n", line)
                prose[line] = _LOWER_WORD.search(text, line, len(text) if end < 0 else end) is not None
            if prose[line]:  # a sentence's first word, not a name or town alone on an address line
                words.append(word.lower())
    sample = " ".join(words)
    if len(sample) <= SAMPLE_CHARS:
        return sample
    step = len(sample) / SAMPLE_CHARS  # every k-th word, so a long text's sample spans all of it
    return " ".join(words[int(i * step)] for i in range(int(len(words) / step)))


@cache
def _identifier(languages: tuple[str, ...]) -> Any:
    """py3langid's identifier restricted to ``languages``, loaded once per process (about 1.5 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # on first need: loading the model takes 1.5 s

    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    full.set_languages(list(languages))
    # a new identifier on the restricted model only: the full one (all 97 languages) would stay in memory
    return LanguageIdentifier(
        full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output, norm_probs=True, tk_row=full.tk_row
    )


# -- words ----------------------------------------------------------------------
def _words(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in text.split())


#: Titles and honorifics that are never part of a name in any text, whatever its language (lower-cased,
#: with their dots): "Herr Schmidt" is Schmidt.  Not "Don", "M." or "Me", which are names or initials too.
UNIVERSAL_TITLES = _words(
    """
    herr herrn frau fräulein monsieur madame mme mlle mademoiselle señor señora señorita sr sra srta signor
    signore signora signorina sig sig.ra sig.na dott dott.ssa dottor dottoressa dhr mevr mevrouw mw
    """
)

#: Per language: titles (lower-cased, without a final dot), function words beyond spaCy's stop lists (greetings and
#: letter phrases), and form labels that may open a name span ("Name", "Nom"), all lower-case.
_TITLES = {
    "de": "dr prof doktor professor dipl.-ing ing",
    "fr": "m me maître docteur dr pr professeur",
    "es": "don doña dña dr dra prof profesor profesora doctor doctora",
    "it": "dottore dr prof professore professoressa avv avvocato ing geom rag",
    "nl": "heer dr prof mr ir ing drs",
    "pt": "dona dom dr dra prof professor professora doutor doutora",
}
_FUNCTION = {
    "de": "sehr geehrte geehrter geehrten liebe lieber hallo guten tag morgen abend grüße gruß freundlichen "
    "freundliche herzliche viele beste danke vielen dank bitte damen herren",
    "fr": "bonjour bonsoir cher chère chers salut merci cordialement madame monsieur mesdames messieurs veuillez",
    "es": "hola estimado estimada estimados querido querida queridos buenos buenas días tardes saludos "
    "gracias atentamente",
    "it": "buongiorno buonasera ciao gentile gentili egregio egregia caro cara cari saluti cordiali grazie spett.le",
    "nl": "geachte beste hallo goedemorgen goedemiddag goedenavond dag beste groet groeten vriendelijke "
    "hartelijke dank bedankt",
    "pt": "olá bom dia boa tarde caro cara prezado prezada obrigado obrigada cumprimentos atenciosamente",
}
_LABELS = {
    "de": "name vorname nachname adresse anschrift telefon tel. handy mobil e-mail kontoinhaber patient patientin",
    "fr": "nom prénom adresse téléphone tél. portable courriel e-mail titulaire",
    "es": "nombre apellido apellidos dirección teléfono tel. móvil correo titular",
    "it": "nome cognome indirizzo telefono tel. cellulare intestatario",
    "nl": "naam voornaam achternaam adres telefoon tel. mobiel rekeninghouder",
    "pt": "nome apelido morada endereço telefone telemóvel titular",
}


#: Per language: prepositions after which a capitalised word is a place, not a person ("en Valencia",
#: "in Hamburg"); "à" and "a" come before people too ("écrire à Marie"), so only before a known town.
_PLACE_PREPOSITIONS = {
    "de": "in nach aus", "fr": "en", "es": "en", "it": "in", "nl": "in naar uit", "pt": "em no na",
}  # fmt: skip
_TOWN_PREPOSITIONS = {"de": "", "fr": "à a", "es": "a", "it": "a", "nl": "", "pt": "a"}


@dataclass(frozen=True)
class LanguageWords:
    """One language's words that never make (or start, or end) a name: see the module doc."""

    lang: str
    #: function words: spaCy's stop words and the greetings above, less the frequent first names and
    #: surnames among them ("sara", "ella", "allen" stay names), lower-case
    function: frozenset[str]
    #: function words that are also frequent names ("le", "van", "mia"): function words only where a
    #: lower-case word follows them ("Le docteur", not "Van Dijk")
    function_or_name: frozenset[str]
    #: titles and honorifics, lower-case without a final dot ("frau", "sig.ra", "dhr")
    titles: frozenset[str]
    #: form labels ("name", "adresse", "telefon")
    labels: frozenset[str]
    #: prepositions before a place ("in", "en"), and those before a known town only ("à")
    place_prepositions: frozenset[str] = frozenset()
    town_prepositions: frozenset[str] = frozenset()

    def is_title(self, word: str) -> bool:
        folded = word.casefold().rstrip(".")
        return folded in self.titles or folded in UNIVERSAL_TITLES

    def is_function(self, word: str, next_lower: bool) -> bool:
        """A function word, title or label; ``next_lower``: the word after it is lower-case."""
        folded = word.casefold().rstrip(".,;:!?")
        return (
            folded in self.function
            or folded in self.labels
            or self.is_title(word)
            or (next_lower and folded in self.function_or_name)
        )

    def is_common(self, word: str, frequent: bool = False) -> bool:
        """A common word of the language, no name (``frequent``: of Zipf 4.5 or more): see
        :func:`is_common_word`."""
        return is_common_word(word.casefold().rstrip(".,;:!?"), self.lang, frequent)


@cache
def language_words(lang: str) -> LanguageWords:
    """The words of ``lang`` (one of :data:`SUPPORTED_LANGUAGES` other than English)."""
    names = frequent_names()
    stop = spacy_stop_words(lang) | _words(_FUNCTION[lang])
    return LanguageWords(
        lang=lang,
        function=frozenset(w for w in stop if w not in names),
        function_or_name=frozenset(w for w in stop if w in names),
        titles=_words(_TITLES[lang]),
        labels=_words(_LABELS[lang]),
        place_prepositions=_words(_PLACE_PREPOSITIONS[lang]),
        town_prepositions=_words(_TOWN_PREPOSITIONS[lang]),
    )


def guess_words(word: str) -> LanguageWords | None:
    """The words of the first language (other than English) of which ``word`` is a function word and English
    has no such common word ("Mijn", "Meine", not "Die"): for a span in a text too short to detect."""
    folded = word.casefold()
    for lang in SUPPORTED_LANGUAGES[1:]:
        if folded in language_words(lang).function:
            return None if "e" in common_words(lang).get(folded, "") else language_words(lang)
    return None


def is_foreign_function_word(word: str) -> bool:
    """Whether ``word`` is a function word of a language other than English and none of the frequent
    Census names ("Mi", "Del"; not "Ella", "Van", "Sara")."""
    folded = word.casefold()
    return any(folded in language_words(lang).function for lang in SUPPORTED_LANGUAGES[1:])


def after_place_preposition(text: str, start: int, end: int, words: LanguageWords) -> bool:
    """Whether a place preposition of the language comes right before ``text[start:end]`` ("en Valencia"),
    or one of those that come before people too and the span is a known town ("a Firenze" is not known)."""
    m = re.search(r"(?<![^\W\d_])([^\W\d_]+)[ \t]+$", text[max(0, start - 12) : start])
    if m is None:
        return False
    word = m.group(1).casefold()
    return word in words.place_prepositions or (
        word in words.town_prepositions and text[start:end].casefold() in _places()
    )


@cache
def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words for ``lang``, read from their own module file: importing ``spacy.lang.xx``
    would import all of spaCy."""
    spec = importlib.util.find_spec("spacy")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    file_spec = importlib.util.spec_from_file_location(f"_piiscan_{lang}_stop_words", path)
    assert file_spec is not None and file_spec.loader is not None  # a .py path always has a source loader
    module = importlib.util.module_from_spec(file_spec)
    file_spec.loader.exec_module(module)
    return frozenset(w.casefold() for w in module.STOP_WORDS)


def fold_accents(word: str) -> str:
    """``word`` without diacritics ("müller" -> "muller"), to look it up in the ASCII Census lists."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@cache
def census_names() -> frozenset[str]:
    """Every first name and surname of the US Census 1990 lists, case-folded."""
    return frequent_names(10**6, 10**6)


@cache
def census_first_names() -> frozenset[str]:
    """Every first name of the US Census 1990 lists, case-folded."""
    return frequent_names(10**6, 0)


#: Per language other than English: its common words, one per line with flags (:func:`write_common_words`).
COMMON_WORDS_FILE = str(Path(__file__).with_name("data") / "common_words_{lang}.txt")


@cache
def common_words(lang: str) -> dict[str, str]:
    """:data:`COMMON_WORDS_FILE` of ``lang``: word -> its flags ("l" local, "h" frequent in ``lang``, "e" and
    "E" common and frequent in English); "#" lines are comments.  About 30,000 words, 3 MB in memory,
    read once per process and language: wordfreq's lists for seven languages would take 230 MB."""
    lines = Path(COMMON_WORDS_FILE.format(lang=lang)).read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=65_536)
def is_common_word(folded: str, lang: str, frequent: bool = False) -> bool:
    """A common word of ``lang`` (case-folded input), not a name; ``frequent``: one of Zipf
    :data:`FREQUENT_WORD_ZIPF` or more.

    Word lists hold names as well as words (wordfreq's Dutch list has "pieter" at Zipf 4.4), so a word
    of Zipf :data:`COMMON_WORD_ZIPF` or more in ``lang`` is a common word only if it is none of the
    frequent first names and surnames of the US Census lists (:func:`frequent_names`) and either is
    rare in the other languages' lists (their median under :data:`PROPER_NOUN_ZIPF`): names and places
    travel between languages ("müller" is 3.0 to 3.4 in them, "pieter" 2.4 to 2.9), a language's own
    words do not ("Rechnung", "Escriba", "Telefono": 0 to 1.9); or is common in English too
    (:data:`COMMON_ENGLISH_ZIPF`: "patient").  A rarer Census name (most European surnames are in the
    lists) is a common word only when it is as frequent as :data:`FREQUENT_WORD_ZIPF` and local
    ("Hause", "Arzt"), or as frequent in English ("patient").  The frequencies are wordfreq's, kept in
    :data:`COMMON_WORDS_FILE`.
    """
    flags = common_words(lang).get(folded)
    if flags is None or (frequent and "h" not in flags):
        return False
    ascii_form = fold_accents(folded)
    if folded in frequent_names() or ascii_form in frequent_names():
        return False
    local = "l" in flags
    if folded in census_names() or ascii_form in census_names():
        return (local and "h" in flags) or "E" in flags  # "Hause", "Arzt", "Patient": words first
    return local or "e" in flags


def write_common_words(lang: str, path: Path | None = None) -> int:
    """Regenerate ``lang``'s :data:`COMMON_WORDS_FILE` from wordfreq (not needed at run time): every word of
    Zipf :data:`COMMON_WORD_ZIPF` or more in ``lang`` that is local (rare in the other languages' lists) or
    common in English, with its flags.  Returns the number of words written."""
    from wordfreq import iter_wordlist, zipf_frequency

    others = [o for o in SUPPORTED_LANGUAGES if o not in (lang, "en")]
    lines = []
    for word in iter_wordlist(lang, "best"):
        zipf = zipf_frequency(word, lang)
        if zipf < COMMON_WORD_ZIPF:
            break
        if not WORD.fullmatch(word):
            continue
        spread = sorted(zipf_frequency(word, o) for o in others)
        english = zipf_frequency(word, "en")
        flags = "l" * (spread[len(spread) // 2] < PROPER_NOUN_ZIPF) + "h" * (zipf >= FREQUENT_WORD_ZIPF)
        flags += "e" * (english >= COMMON_ENGLISH_ZIPF) + "E" * (english >= FREQUENT_WORD_ZIPF)
        if "l" in flags or "e" in flags:
            lines.append(f"{word}\t{flags}\n")
    header = (
        f"# Common words of '{lang}' for detectors/languages.py (is_common_word): word, tab, flags.\n"
        "# l: rare in the other languages' lists; h: Zipf >= 4.5; e, E: Zipf >= 3.5, 4.5 in English.\n"
        f"# Generated by detectors.languages.write_common_words('{lang}') from wordfreq (Zipf >= 3.0).\n"
        "# Data: wordfreq (https://github.com/rspeer/wordfreq), word frequencies under CC BY-SA 4.0.\n"
    )
    target = path or Path(COMMON_WORDS_FILE.format(lang=lang))
    target.write_text(header + "".join(sorted(lines)), encoding="utf-8")
    return len(lines)


@cache
def _places() -> frozenset[str]:
    """Country names and GeoNames town names, case-folded: a place is never a common word to drop."""
    return town_names() | frozenset(n.casefold() for n in country_name_list())


# -- span rules -------------------------------------------------------------------
_TOKEN = re.compile(r"[^\s,;:()\"“”«»]+")


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(start + m.start(), start + m.end(), m.group()) for m in _TOKEN.finditer(text[start:end])]


def _next_is_lower(text: str, pos: int) -> bool:
    """Whether the next word after ``pos`` (on the same line) begins with a lower-case letter."""
    m = WORD.search(text, pos, min(len(text), pos + 40))
    return m is not None and text[pos : m.start()].strip(" \t") == "" and m.group()[0].islower()


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def person_span(
    text: str, start: int, end: int, words: LanguageWords | None, cued: bool = False
) -> tuple[int, int] | None:
    """The name inside a PERSON span of ``text`` in the language of ``words`` (None: no language known),
    or None when there is no name in it.

    Titles are taken off the front ("Frau Müller" -> "Müller"; in any text, :data:`UNIVERSAL_TITLES`);
    with a language, also its function words and labels at either end ("Ihre Rechnung", "Mein Name",
    "Escriba al Sr"), lower-case words at either end ("mijn naam"), and a common word before a title or
    a first name ("Der Patient Thomas Weber" -> "Thomas Weber").  What is left must have a capitalised
    word, and one word alone must not be a common word of the language (:func:`is_common_word`) after a
    function word ("Ihre Rechnung") or opening a sentence ("Écrivez", "Telefono"), unless ``cued`` (a cue
    phrase named it: "mi chiamo Sole").
    """
    tokens = _tokens(text, start, end)
    if words is None:
        while len(tokens) > 1 and tokens[0][2].casefold().rstrip(".") in UNIVERSAL_TITLES:
            tokens = tokens[1:]
        return (tokens[0][0], tokens[-1][1]) if tokens else None

    def function(k: int) -> bool:
        _, e, word = tokens[k]
        return not _capitalised(word) or words.is_function(word, _next_is_lower(text, e))

    def before_name(k: int) -> bool:
        """Whether a title or a Census first name follows token ``k`` in the span ("Patient Thomas")."""
        if k + 1 >= len(tokens):
            return False
        nxt = tokens[k + 1][2]
        return words.is_title(nxt) or fold_accents(nxt.casefold()) in census_first_names()

    if any(c.isdigit() for _, _, w in tokens for c in w):
        return None  # a code the model took for a name ("BNCGLI90A41H501E")
    after_function = _function_before(text, start, words)
    while tokens:
        if function(0):
            tokens, after_function = tokens[1:], True
        elif words.is_common(tokens[0][2]) and before_name(0):
            tokens, after_function = tokens[1:], False
        else:
            break
    while tokens and function(len(tokens) - 1):
        tokens = tokens[:-1]
    if not tokens or not any(_capitalised(w) for _, _, w in tokens):
        return None
    if cued:
        return tokens[0][0], tokens[-1][1]
    capitalised = [w for _, _, w in tokens if _capitalised(w)]
    if len(capitalised) > 1 and all(words.is_common(w) for w in capitalised):
        return None  # "Departamento de Recursos Humanos": no word of it a name
    if len(tokens) == 1:
        s, _, word = tokens[0]
        if (after_function or opens_sentence(text, s)) and _word_not_name(word, words):
            return None  # "Ihre Rechnung", "am Samstag", "Escriba al ...", "Mijn BSN"
    return tokens[0][0], tokens[-1][1]


def _word_not_name(word: str, words: LanguageWords) -> bool:
    """A common word, an acronym ("BSN") or a compound of a common word ("Steuer-ID")."""
    head = word.split("-", 1)[0]
    return words.is_common(word) or (len(word) > 1 and word.isupper()) or ("-" in word and words.is_common(head))


def _function_before(text: str, pos: int, words: LanguageWords) -> bool:
    """Whether the word right before ``pos`` (on its line) is a function word: an article, a preposition or
    a possessive makes the capitalised word after it a noun, unless it is a name ("am Samstag")."""
    before = text[max(0, pos - 30) : pos]
    m = re.search(r"([^\W\d_]+)[ \t]+$", before)
    return m is not None and words.is_function(m.group(1), True)


def is_no_place(text: str, start: int, end: int, words: LanguageWords) -> bool:
    """Whether a LOCATION span of ``text`` in the language of ``words`` names no place: only lower-case
    words, function words and labels ("mein Name", "Le", "gemaakt"), or, after its function words, one
    common word that is no place name, where a function word or a sentence's start comes before it ("Die
    Sitzung", "in drei Wochen", "Appelez").  Articles stay part of a place's name ("Den Haag", "Le Havre")."""
    tokens = _tokens(text, start, end)
    if not tokens:
        return True
    whole = " ".join(w for _, _, w in tokens).casefold()
    if whole in _places():
        return False
    function = [not _capitalised(w) or words.is_function(w, _next_is_lower(text, e)) for _, e, w in tokens]
    if all(function):
        return True
    rest = [t for t, f in zip(tokens, function, strict=True) if not f]
    if len(rest) != 1 or rest[0][2].casefold() in _places():
        return False
    s, _, word = rest[0]
    before = rest[0] is not tokens[0] or _function_before(text, s, words) or opens_sentence(text, s)
    return before and words.is_common(word)
