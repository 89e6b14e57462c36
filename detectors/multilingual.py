"""PERSON and LOCATION in German, French, Spanish, Italian, Dutch and Portuguese text.

Two parts, beside the English rules of :mod:`piiscan.detectors.names` and the NER model:

* :class:`NameCueDetector`: a name after a cue phrase of one of these
  languages ("mein Name ist X", "je m'appelle X", "mi nombre es X", "mi chiamo
  X", "mijn naam is X", "o meu nome é X"), after a title or honorific ("Herr",
  "Madame", "Sra.", "Sig.ra", "Dhr.": the title is outside the span), after a
  form label ("Nom :", "Kontoinhaber:"), a greeting ("Liebe X,") or a closing
  ("Cordialement,\\nX").  The cue is evidence enough: it runs on every text,
  whatever its language, and finds the name in languages with no NER model.
* :func:`refine_names`: the PERSON and LOCATION matches of a text, checked
  against the words of the text's language (:mod:`piiscan.detectors.languages`):
  titles, function words and common words leave a PERSON span ("Frau Müller"
  -> "Müller", "Der Patient Thomas Weber" -> "Thomas Weber"), a span of only
  such words is dropped ("Ihre Rechnung", "Mein Name", "Le", "Écrivez"), and so
  is a LOCATION of only function words and labels ("mein Name").  The titles of
  :data:`piiscan.detectors.languages.UNIVERSAL_TITLES` leave PERSON spans in
  every text; the rest applies where a language other than English is detected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import ClassVar

from piiscan.detectors.base import UPPER_LETTERS, Detector, Match
from piiscan.detectors.languages import (
    UNIVERSAL_TITLES,
    LanguageDetector,
    LanguageWords,
    after_place_preposition,
    guess_words,
    is_foreign_function_word,
    is_no_place,
    language_words,
    person_span,
)
from piiscan.detectors.names import NAME_WORD
from piiscan.detectors.nlp import NameRuleDetector, name_match
from piiscan.detectors.settings import DetectorSettings

#: Name particles between two name words ("Sanne de Vries", "Kees van den Berg", "Ruben van Dijk").
_PARTICLE = r"(?:de|del|de la|della|di|da|das|do|dos|du|des|van|von|der|den|ter|ten|van der|van den|von der|zu|y|e)"
#: One to four name words, particles between them.
_NAME = rf"(?P<name>{NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{NAME_WORD}){{0,3}})"

#: Per language, cue phrases by kind (lower-case; matched ignoring case, the name after them capitalised):
#: ``phrase``: the name follows ("mein name ist"); ``copula``: "I am" and the like, where a common word
#: may follow instead of a name ("ich bin Arzt"), so the name must be no common word; ``role``: a person's
#: role or relation ("der Patient", "la moglie"), likewise; ``label``: a form
#: field, a colon after it; ``greeting``: a first name and a comma follow; ``closing``: a name after a
#: letter's closing formula.  Titles come from the languages' word lists.
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "role": ("patient", "patientin", "kunde", "kundin", "kollege", "kollegin", "mitarbeiter", "mitarbeiterin",
                 "mandant", "mandantin", "anwalt", "anwältin", "arzt", "ärztin", "sohn", "tochter", "bruder",
                 "schwester", "ehemann", "ehefrau", "mieter", "mieterin", "bewerber", "bewerberin"),
        "phrase": ("mein name ist", "mein name lautet", "ich heiße", "ich heisse", "er heißt", "sie heißt"),
        "copula": ("ich bin", "hier spricht"),
        "label": ("name", "vorname", "nachname", "kontoinhaber", "kontoinhaberin", "patient", "patientin"),
        "greeting": ("liebe", "lieber", "hallo", "guten tag", "guten morgen"),
        "closing": ("mit freundlichen grüßen", "freundliche grüße", "viele grüße", "beste grüße", "herzliche grüße"),
    },
    "fr": {
        "role": ("patient", "patiente", "client", "cliente", "collègue", "docteur", "avocat", "avocate", "fils",
                 "fille", "frère", "sœur", "mari", "épouse", "locataire", "candidat", "candidate"),
        "phrase": ("je m'appelle", "je m’appelle", "il s'appelle", "il s’appelle", "elle s'appelle",
                   "elle s’appelle", "mon nom est", "je me nomme"),
        "copula": ("je suis", "c'est", "c’est"),
        "label": ("nom", "prénom", "nom de famille", "titulaire du compte", "titulaire"),
        "greeting": ("cher", "chère", "bonjour", "salut"),
        "closing": ("cordialement", "bien cordialement", "bien à vous", "salutations", "amicalement"),
    },
    "es": {
        "role": ("paciente", "cliente", "compañero", "compañera", "colega", "doctor", "doctora", "abogado",
                 "abogada", "hijo", "hija", "hermano", "hermana", "marido", "esposo", "esposa", "inquilino",
                 "inquilina", "candidato", "candidata"),
        "phrase": ("mi nombre es", "me llamo", "se llama", "mi nombre completo es"),
        "copula": ("soy", "yo soy"),
        "label": ("nombre", "apellidos", "apellido", "titular de la cuenta", "titular"),
        "greeting": ("querido", "querida", "hola", "estimado", "estimada"),
        "closing": ("atentamente", "un saludo", "saludos", "cordialmente", "un abrazo"),
    },
    "it": {
        "role": ("paziente", "cliente", "collega", "dottor", "dottore", "dottoressa", "avvocato", "avvocata",
                 "figlio", "figlia", "fratello", "sorella", "marito", "moglie", "inquilino", "inquilina",
                 "candidato", "candidata"),
        "phrase": ("mi chiamo", "il mio nome è", "si chiama", "il mio nome e'"),
        "copula": ("io sono", "sono"),
        "label": ("nome", "cognome", "intestatario del conto", "intestatario", "intestataria"),
        "greeting": ("caro", "cara", "ciao", "gentile", "buongiorno"),
        "closing": ("cordiali saluti", "distinti saluti", "saluti", "un saluto", "cordialmente"),
    },
    "nl": {
        "role": ("patiënt", "patient", "klant", "collega", "dokter", "huisarts", "advocaat", "zoon", "dochter",
                 "broer", "zus", "echtgenoot", "echtgenote", "huurder", "kandidaat"),
        "phrase": ("mijn naam is", "ik heet", "hij heet", "zij heet", "ze heet"),
        "copula": ("ik ben", "u spreekt met", "je spreekt met"),
        "label": ("naam", "voornaam", "achternaam", "rekeninghouder"),
        "greeting": ("beste", "lieve", "hallo", "hoi", "geachte"),
        "closing": ("met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet", "groeten",
                    "hartelijke groet"),
    },
    "pt": {
        "role": ("paciente", "cliente", "colega", "doutor", "doutora", "advogado", "advogada", "filho", "filha",
                 "irmão", "irmã", "marido", "esposa", "inquilino", "candidato", "candidata"),
        "phrase": ("o meu nome é", "meu nome é", "chamo-me", "me chamo", "o seu nome é"),
        "copula": ("eu sou", "sou"),
        "label": ("nome", "apelido", "titular da conta", "titular"),
        "greeting": ("caro", "cara", "olá", "prezado", "prezada"),
        "closing": ("com os melhores cumprimentos", "cumprimentos", "atenciosamente", "um abraço"),
    },
}  # fmt: skip
#: Scores by kind of cue (the NER threshold, 0.6 by default, applies).
CUE_SCORES = {
    "phrase": 0.85, "title": 0.85, "label": 0.85, "closing": 0.8, "greeting": 0.75, "copula": 0.75, "role": 0.75,
}  # fmt: skip
#: Titles that cue a name in every text: the unambiguous ones (not "Don", "M.", "Me": names and initials too).
#: English ones ("Dr.", "Mrs.") are the English name rules' cues (:data:`piiscan.detectors.names.CUE`).
CUE_TITLES = tuple(sorted(UNIVERSAL_TITLES | {"heer", "maître", "doña", "dña"}, key=len, reverse=True))


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(words, key=len, reverse=True))


def _title_re(titles: Sequence[str]) -> str:
    """Titles as whole words, with or without a final dot: "Sr." and "Sra" but not the "Sr" of "Srta"."""
    return rf"(?:{_alternation(titles)})(?:\.|(?![\w.]))"


@cache
def cue_pattern(lang: str) -> re.Pattern[str]:
    """The cues of ``lang`` (:data:`CUES`, and every :data:`CUE_TITLES` title), each kind a named group."""
    titles = _title_re(CUE_TITLES)
    return re.compile(rf"(?<![\w'’])(?i:{cue_alternatives(lang)})(?:(?i:{titles})[ \t]+)*{_NAME}(?![\w'’])")


def cue_alternatives(lang: str) -> str:
    """The cue part of :func:`cue_pattern`: each kind of cue of ``lang`` a named group."""
    cues = CUES[lang]
    titles = _title_re(CUE_TITLES)
    kinds = [
        rf"(?P<phrase>{_alternation(cues['phrase'])})[ \t]+",
        rf"(?P<copula>{_alternation(cues['copula'])})[ \t]+",
        rf"(?P<role>{_alternation(cues['role'])})[ \t]+",
        rf"(?P<label>{_alternation(cues['label'])})[ \t]?:[ \t]*",
        rf"(?P<greeting>{_alternation(cues['greeting'])})[ \t]+",
        rf"(?P<closing>{_alternation(cues['closing'])})[ \t]*,?[ \t]*\n?[ \t]*",
        rf"(?P<title>{titles})[ \t]+",
    ]
    return "|".join(kinds)


def cue_triggers() -> tuple[str, ...]:
    """Pre-filter triggers: every cue of every language, caseless, group names and look-arounds left out."""
    phrases = {p for cues in CUES.values() for kind, words in cues.items() if kind != "label" for p in words}
    labels = {p for cues in CUES.values() for p in cues["label"]}
    return (
        rf"(?i)(?:{_alternation(sorted(phrases | set(CUE_TITLES)))})[ \t\n,.]",
        rf"(?i)(?:{_alternation(sorted(labels))})[ \t]?:",
    )


class NameCueDetector(NameRuleDetector):
    """PERSON after a cue phrase, title, label, greeting or closing of German, French, Spanish, Italian,
    Dutch or Portuguese (see the module doc)."""

    name = "person_cue"
    version = "1"
    entity = "PERSON"
    triggers: ClassVar[tuple[str, ...]] = cue_triggers()

    def canonical(self, value: str) -> str | None:
        return None  # looked up as PERSON names, like NER's

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        taken: list[tuple[int, int]] = []
        rejected: set[tuple[int, int]] = set()  # a cue two languages share: either one's words may reject it
        for lang in CUES:
            for m in cue_pattern(lang).finditer(text):
                kind = _kind(m)
                span = self._name(text, m, lang, kind)
                if span is None:
                    rejected.add(m.span("name"))
                if span is None or m.span("name") in rejected or any(s < span[1] and span[0] < e for s, e in taken):
                    continue
                taken.append(span)
                yield name_match(self.entity, text, span[0], span[1], CUE_SCORES[kind], self.name)

    def _name(self, text: str, m: re.Match[str], lang: str, kind: str) -> tuple[int, int] | None:
        """The name after the cue: its words up to the first common word or function word of ``lang``
        after the first; for greetings and closings a comma or the line's end must follow it."""
        words = language_words(lang)
        start, end = m.span("name")
        tokens = [(start + w.start(), start + w.end(), w.group()) for w in re.finditer(r"\S+", m.group("name"))]
        kept = tokens[:1]
        for token in tokens[1:]:
            if token[2][0].islower():
                kept.append(token)  # a particle: kept only when a name word follows it
                continue
            after_particle = kept[-1][2][0].islower()  # "de Vries": a surname, whatever else the word is
            if words.is_function(token[2], False) or (words.is_common(token[2]) and not after_particle):
                break
            kept.append(token)
        while kept and kept[-1][2][0].islower():
            kept.pop()
        first = kept[0][2] if kept else ""
        if not kept or words.is_function(first, False) or words.is_title(first):
            return None
        if kind in ("copula", "role") and len(kept) == 1 and words.is_common(first):
            return None  # "ich bin Arzt"
        if kind in ("greeting", "closing") and len(kept) == 1 and words.is_common(first, frequent=True):
            # "Hallo Team": a word greeted instead of a name is frequent (Zipf 4.5), first names are rarer
            # ("Giorgia" 3.6, "Tommaso" 4.3 in Italian)
            return None
        end = kept[-1][1]
        if kind in ("greeting", "closing") and not re.match(r"[ \t]*(?:[,!\n]|$)", text[end:]):
            return None
        return start, end


def _kind(m: re.Match[str]) -> str:
    return next(k for k in CUE_SCORES if m.group(k) is not None)


#: The language of each title that cues a name (:data:`CUE_TITLES`).
TITLE_LANGUAGES = {
    **dict.fromkeys(("herr", "herrn", "frau", "fräulein"), "de"),
    **dict.fromkeys(("monsieur", "madame", "mme", "mlle", "mademoiselle", "maître"), "fr"),
    **dict.fromkeys(("señor", "señora", "señorita", "sr", "sra", "srta", "doña", "dña"), "es"),
    **dict.fromkeys(
        ("signor", "signore", "signora", "signorina", "sig", "sig.ra", "sig.na", "dott", "dott.ssa", "dottor",
         "dottoressa"),
        "it",
    ),
    **dict.fromkeys(("dhr", "mevr", "mevrouw", "mw", "heer"), "nl"),
}  # fmt: skip


def cue_language(text: str) -> str | None:
    """The language of the first cue in ``text`` (a title's language for a title), or None."""
    found: list[tuple[int, str]] = []
    for lang in CUES:
        m = cue_pattern(lang).search(text)
        if m is not None:
            kind = _kind(m)
            title = m.group(kind).casefold().rstrip(".") if kind == "title" else None
            found.append((m.start(), TITLE_LANGUAGES.get(title, lang) if title else lang))
    return min(found)[1] if found else None


# -- refining PERSON and LOCATION by language -----------------------------------
#: Detectors whose PERSON/LOCATION matches are refined (not deny-list terms, column values or addresses).
NER_DETECTOR = "spacy_ner"
#: The English name-list rules (:class:`piiscan.detectors.names.NameDetector`), the weakest evidence of a name.
LIST_NAME_DETECTOR = "person_name"
REFINED_DETECTORS = frozenset({"spacy_ner", "person_name", "town_name", "place_name", "person_cue", "place_cue"})


def refine_names(text: str, matches: list[Match], languages: LanguageDetector) -> list[Match]:
    """``matches`` with the PERSON and LOCATION spans checked against the text's language (module doc)."""
    names = [m for m in matches if m.entity_type in ("PERSON", "LOCATION") and m.detector in REFINED_DETECTORS]
    if not names or not languages.enabled:
        return matches  # languages = ["en"]: every text is read as English, as before languages were detected
    lang = languages.detect(text)
    if lang is None and any(m.detector == NameCueDetector.name for m in names):
        lang = cue_language(text)  # too short to detect ("Un saludo,\nPablo Navarro"): the cue's language
    words = language_words(lang) if lang is not None and lang != "en" else None
    if (
        words is None
        and lang is not None
        and not any(
            m.entity_type == "PERSON"
            and text[m.start : m.end].split(None, 1)[0].casefold().rstrip(".") in UNIVERSAL_TITLES
            for m in names
        )
    ):
        return matches  # English: only the titles of other languages are taken off names
    refined = {id(m) for m in names}
    out = []
    for m in matches:
        if id(m) not in refined:
            out.append(m)
            continue
        span_words: LanguageWords | None = words
        if lang is None:  # too short to detect: the language whose function word opens the span, if any
            first = text[m.start : m.end].split(None, 1)[0].rstrip(".,;:")
            if m.detector == LIST_NAME_DETECTOR and first == text[m.start : m.end] and is_foreign_function_word(first):
                continue  # a lone word of the name lists that is a function word elsewhere ("Mi DNI: ...")
            span_words = guess_words(first)
        refined_match = _refined(text, m, span_words)
        if refined_match is not None:
            out.append(refined_match)
    return out


def _refined(text: str, m: Match, words: LanguageWords | None) -> Match | None:
    """``m`` with its span refined by the language's words (see :func:`refine_names`), or None."""
    if m.entity_type == "LOCATION":
        return None if words is not None and is_no_place(text, m.start, m.end, words) else m
    span = person_span(text, m.start, m.end, words, cued=m.detector == NameCueDetector.name)
    if span is None:
        return None
    start, end = span
    if (
        words is not None
        and m.detector == NER_DETECTOR
        and " " not in text[start:end]
        and after_place_preposition(text, start, end, words)
    ):
        return name_match("LOCATION", text, start, end, m.score, m.detector)  # "será en Valencia"
    if span == (m.start, m.end):
        return m
    return name_match(m.entity_type, text, start, end, m.score, m.detector)


# -- places after residence and movement verbs -------------------------------------
#: Per language: a verb of living, working, coming from or moving, and the preposition (and article)
#: after it; a place name follows ("wohne in Leipzig", "habite à Lyon", "soy de Sevilla").
PLACE_CUES: dict[str, str] = {
    "de": r"(?:wohne|wohnst|wohnt|wohnen|lebe|lebst|lebt|leben|arbeite|arbeitest|arbeitet|arbeiten|geboren|"
    r"aufgewachsen|umgezogen|ziehe|zieht|komme|kommst|kommt|kommen|stamme|stammt|stammen)[ \t]+"
    r"(?:in|nach|aus|bei)(?:[ \t]+(?:der|dem|den))?",
    "fr": r"(?:habite|habites|habitons|habitez|habitent|vis|vit|vivons|vivez|vivent|travaille|travailles|"
    r"travaillons|travaillez|travaillent|née?s?|originaire|déménagée?|installée?)[ \t]+(?:à|a|en|au|aux|de|d['’])",
    "es": r"(?:vivo|vives|vive|vivimos|viven|resido|resides|reside|residen|trabajo|trabajas|trabaja|trabajamos|"
    r"trabajan|nací|nació|nacid[oa]|soy|somos|vengo|vienes|viene|venimos|vienen|mudad[oa])[ \t]+(?:en|de|a)",
    "it": r"(?:abito|abiti|abita|abitiamo|abitano|vivo|vivi|vive|viviamo|vivono|lavoro|lavori|lavora|lavoriamo|"
    r"lavorano|nat[oaie]|sono|vengo|vieni|viene|veniamo|vengono|trasferit[oaie]|residente)[ \t]+(?:a|in|da|di)",
    "nl": r"(?:woon|woont|wonen|woonde|woonden|werk|werkt|werken|werkte|kom|komt|komen|geboren|verhuisd|"
    r"opgegroeid)[ \t]+(?:in|uit|naar|te)",
    "pt": r"(?:moro|moras|mora|moramos|moram|vivo|vives|vive|vivemos|vivem|trabalho|trabalhas|trabalha|"
    r"trabalhamos|trabalham|nasci|nasceu|nascid[oa]|sou|somos|venho|vens|vem|vimos|vêm)[ \t]+"
    r"(?:em|no|na|nos|nas|de|do|da|para)",
}
_PLACE_WORD = rf"[{UPPER_LETTERS}][^\W\d_]*(?:['’\-][^\W\d_]+)*"
#: A place name: capitalised words, with articles and particles between them ("Den Haag", "Soto del Barco").
_PLACE = rf"(?P<place>{_PLACE_WORD}(?:[ \t\-]+(?:(?:{_PARTICLE}|la|le|los|las|el|den)[ \t]+)?{_PLACE_WORD}){{0,3}})"
PLACE_CUE_SCORE = 0.7


@cache
def place_pattern(lang: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'’])(?i:{PLACE_CUES[lang]})[ \t]+{_PLACE}(?![\w'’])")


class PlaceCueDetector(NameRuleDetector):
    """LOCATION: a place name after a verb of living, working, coming from or moving and its preposition in
    German, French, Spanish, Italian, Dutch or Portuguese ("wohne in Leipzig", "vive a Napoli"), unless it is a
    common word or a function word of that language ("komme nach Hause")."""

    name = "place_cue"
    version = "1"
    entity = "LOCATION"
    triggers: ClassVar[tuple[str, ...]] = tuple(rf"(?i){cue}[ \t]" for cue in PLACE_CUES.values())

    def canonical(self, value: str) -> str | None:
        return None  # looked up as LOCATION names, like NER's

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        taken: list[tuple[int, int]] = []
        for lang in PLACE_CUES:
            words = language_words(lang)
            for m in place_pattern(lang).finditer(text):
                start, end = m.span("place")
                first = m.group("place").split()[0]
                if any(s < end and start < e for s, e in taken):
                    continue
                if is_no_place(text, start, end, words) or (" " not in m.group("place") and words.is_common(first)):
                    continue
                taken.append((start, end))
                yield name_match(self.entity, text, start, end, PLACE_CUE_SCORE, self.name)


def build_language_detectors(settings: DetectorSettings) -> list[Detector]:
    """The cue recognizers of this module, beside the English name rules: when ``settings.ner`` (PERSON and
    LOCATION in free text) and languages are detected (``settings.languages`` has more than English)."""
    if not settings.ner or len(settings.languages) < 2:
        return []
    classes: tuple[type[Detector], ...] = (NameCueDetector, PlaceCueDetector)
    return [cls.from_settings(settings) for cls in classes if settings.wants(cls.entity)]
