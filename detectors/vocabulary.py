"""Capitalised words that are not names: domain vocabulary, calendar words, nationality adjectives, currencies.

Legal and administrative prose capitalises its vocabulary ("Article 6 of the
Convention", "the Regional Governor", "Law no. 1602", "the Fourth Section"),
forms capitalise their labels ("Patient:", "Provider", "Loan"), and the small
NER model and the name lists take many such words for people or places.  The
lists here are written for this module as general English vocabulary of the
domains where personal data is found: law and courts, public bodies, ranks and
roles, medicine, forms and accounts.  They are not drawn from any benchmark.

A word here is never a name *on its own*: the rules in
:mod:`piiscan.detectors.name_context` drop a PERSON or LOCATION match whose
words are all vocabulary, and treat a capitalised run ending in an
institution's head word ("the Ostrava Administrative Court", "Stradom Prison") as
an organisation.  In a name position (after a title: "Mr Law", "Dr Court") the
word is a name and is kept.
"""

from __future__ import annotations

import re
from functools import cache


def _words(text: str) -> frozenset[str]:
    """A word list written as text (case-folded)."""
    return frozenset(w.casefold() for w in text.split())


def fold(word: str) -> str:
    """Case-fold for list lookups, with Turkish dotted capital I folded to plain i ("İzmir" -> "izmir")."""
    return word.casefold().replace("\u0307", "")


#: Months and weekdays with their usual abbreviations: never a place or person by a list.
CALENDAR = _words(
    """
    january february march april may june july august september october november december sept
    monday tuesday wednesday thursday friday saturday sunday
    """
)

#: Law, courts and procedure: legal instruments, their parts, references and the words of proceedings.
LEGAL = _words(
    """
    law laws act acts article articles art chapter chapters section sections subsection subsections paragraph
    paragraphs para clause clauses rule rules regulation regulations code codes order orders decree decrees
    directive directives statute statutes ordinance ordinances bill bills protocol protocols convention
    conventions treaty treaties charter constitution amendment amendments schedule schedules appendix
    appendices annex annexes part parts title titles volume volumes series reports report decisions decision
    judgment judgments judgement judgements ruling rulings case cases application applications appeal appeals
    petition petitions complaint complaints claim claims motion verdict sentence hearing hearings proceedings
    procedure procedures criminal civil penal administrative constitutional legal justice court courts
    tribunal tribunals chamber chambers grand division bench plenary registry registrar assize assizes
    cassation prosecutor prosecutors procurator prosecution ombudsman commissioner commissioners commission
    commissions committee committees inquiry agreement agreements declaration principle principles
    gazette bulletin journal record records register recital recitals preamble summary facts merits
    admissibility inadmissibility no nos nr p pp applicant applicants respondent respondents defendant
    defendants plaintiff plaintiffs claimant claimants appellant appellants intervener interveners others party parties
    """
)

#: Public bodies, their levels and offices ("the Regional Governor", "the Municipality", "the Ministry").
INSTITUTIONAL = _words(
    """
    government governments parliament parliamentary senate assembly council councils ministry ministries
    minister ministers department departments directorate directorates authority authorities office offices
    agency agencies administration administrations municipality municipalities prefecture prefect
    governorate governor governors governorship mayor mayors police gendarmerie army navy forces force
    military martial prison prisons penitentiary gaol jail detention remand centre center state states
    federal national regional provincial district municipal county communal local supreme high higher
    appellate labour labor social security public institute institution institutions service services board
    boards
    inspectorate bureau secretariat headquarters command unit branch consulate embassy delegation mission
    garrison barracks regiment battalion brigade treasury fund insurance pension pensions election electoral
    official general interior foreign affairs university universities college colleges school schools
    academy faculty defence defense finance economy education health culture
    environment transport agriculture employment immigration
    """
)

#: Ranks, offices and roles, civil and military ("Sergeant", "Legal Adviser", "Agent").
ROLES = _words(
    """
    sergeant corporal lance private captain major colonel lieutenant general brigadier commander admiral
    officer officers constable inspector superintendent detective chief marshal adviser advisers advisor
    advisors agent agents co-agent counsel solicitor solicitors barrister barristers attorney attorneys advocate
    advocates notary bailiff bailiffs clerk clerks secretary director directors manager managers president
    vice-president chairman chairwoman chairperson chair deputy head rapporteur ambassador consul senator
    judge judges magistrate magistrates juror jurors witness witnesses expert experts staff member members
    representative representatives assistant editor editor-in-chief professor lecturer teacher doctor
    accountant actor actress administrator analyst architect artist author cashier chef cinematographer
    composer coordinator courier dancer dentist designer developer driver drummer economist electrician
    engineer entrepreneur executive firefighter founder guitarist instructor intern janitor journalist
    librarian mechanic musician novelist pharmacist photographer physicist pilot plumber poet producer
    programmer psychologist receptionist researcher salesperson salesman saleswoman scientist singer
    soldier specialist student supervisor surveyor technician therapist trainee translator tutor
    veterinarian vocalist volunteer waiter waitress writer
    """
)

#: Medicine and care ("Diagnosis", "Radiology", "Discharge Summary").
MEDICAL = _words(
    """
    patient patients diagnosis diagnoses prognosis prescription prescriptions medication medications dosage
    dose doses symptom symptoms treatment treatments therapy surgery clinic clinics hospital hospitals ward
    wards radiology cardiology oncology paediatrics pediatrics neurology psychiatry psychiatric pharmacy
    laboratory lab allergy allergies discharge admission referral physician physicians nurse nurses surgeon
    surgeons practitioner consultant blood pressure test tests results history vaccine vaccination
    emergency outpatient inpatient intensive care medical health mental
    """
)

#: Labels of forms, statements and accounts ("Patient:", "Provider", "Bill", "Loan").
FORM_LABELS = _words(
    """
    provider providers bill billing loan loans account accounts customer customers client clients policy
    policies invoice invoices amount amounts balance payment payments due status type note notes
    description reference subject signature total subtotal beneficiary employer employee contact guarantor
    holder card number date dates name names address addresses phone email fax mobile telephone tel form
    forms field fields details item items quantity price fee fees tax rate period statement receipt
    """
)

#: Ordinals and enumeration words that number sections, chambers and courts ("the Fourth Section").
ORDINALS = _words(
    """
    first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth
    fifteenth sixteenth seventeenth eighteenth nineteenth twentieth former
    """
)

#: Currency names and ISO 4217 codes of the currencies most often written in European documents.
CURRENCIES = _words(
    """
    dollar dollars euro euros cents pounds sterling pence francs marks deutschmark deutschmarks lira liras
    lire krona kronor krone kroner koruna korunas zloty zlotys zlotych forint forints leva rouble roubles
    ruble rubles hryvnia hryvnias kuna kunas dinar dinars drachma drachmas escudo escudos peseta pesetas
    schilling schillings guilder guilders renminbi rupee rupees peso pesos reais shekel shekels
    eur usd gbp chf sek nok dkk isk pln czk huf ron bgn hrk rsd try trl uah rub ats dem frf itl esp pte nlg
    bef grd iep fim luf jpy cny inr brl cad aud nzd zar ils
    """
)

#: Nationality and language adjectives (one word each; see :data:`DEMONYM_PHRASES` for two-word ones).
DEMONYMS = _words(
    """
    afghan albanian algerian american andorran angolan argentine argentinian armenian australian austrian
    azerbaijani azeri bahraini bangladeshi belarusian belgian beninese bolivian bosnian botswanan brazilian
    british bulgarian burkinabe burmese burundian cambodian cameroonian canadian chadian chilean chinese
    colombian congolese croatian cuban cypriot czech danish djiboutian dominican dutch ecuadorian egyptian
    emirati english eritrean estonian ethiopian fijian filipino finnish flemish french gabonese gambian
    georgian german ghanaian greek guatemalan guinean haitian honduran hungarian icelandic indian indonesian
    iranian iraqi irish israeli italian ivorian jamaican japanese jordanian kazakh kenyan kosovan kosovar
    kuwaiti kyrgyz lao latvian lebanese liberian libyan liechtensteiner lithuanian luxembourgish luxembourger
    macedonian malagasy malawian malaysian maldivian malian maltese mauritanian mauritian mexican moldovan
    monegasque mongolian montenegrin moroccan mozambican namibian nepalese nepali nicaraguan nigerian nigerien
    norwegian omani pakistani palestinian panamanian paraguayan persian peruvian polish portuguese qatari
    romanian russian rwandan salvadoran sammarinese saudi scottish senegalese serbian sierra-leonean
    singaporean slovak slovakian slovene slovenian somali spanish sudanese surinamese swazi swedish swiss
    syrian taiwanese tajik tanzanian thai togolese tunisian turkish turkmen ugandan ukrainian uruguayan
    uzbek venezuelan vietnamese welsh yemeni yugoslav zambian zimbabwean
    arab arabic basque breton catalan corsican flemish frisian galician kurdish roma romani sami
    walloon castilian bavarian prussian soviet european african asian latin nordic scandinavian balkan
    baltic caucasian slavic anglo-saxon caribbean
    briton brit dane swede scot pole turk serb croat icelander greenlander faroese luxembourger inuit
    """
)
#: Nationality adjectives of two words ("Sierra Leonean", "New Zealand"), case-folded.
DEMONYM_PHRASES = frozenset(
    {
        "sierra leonean", "south african", "north korean", "south korean", "costa rican", "puerto rican",
        "sri lankan", "saudi arabian", "northern irish", "bosnian serb", "bosnian croat",
        "cape verdean", "equatorial guinean", "el salvadoran", "east timorese", "central african",
    }
)  # fmt: skip

#: Connectors and articles inside names of bodies and instruments ("Court of Appeal", "Law on ...").
CONNECTORS = _words("the of and for on in at to de du des la le di da del der den van von y i et und")

#: Honorifics and titles that stand before a name and are not part of it.
HONORIFICS = _words(
    """
    mr mrs ms miss mx dr prof professor judge justice herr frau fräulein madame mme monsieur mlle
    mademoiselle señor señora señorita sr sra srta signor signora signorina sig dott heer mevrouw mevr sir
    dame lord lady messrs mmes
    """
)

#: Nouns of a person before an apposition or a parenthesis ("her nephew, R.W.", "the lawyer (Mr X)").
PERSON_NOUNS = _words(
    """
    applicant applicants son daughter sons daughters father mother parent parents brother sister husband wife
    spouse partner child children grandson granddaughter grandfather grandmother uncle aunt nephew niece
    cousin widow widower fiancé fiancée friend neighbour neighbor colleague lawyer lawyers counsel agent
    representative witness victim defendant accused suspect complainant plaintiff claimant heir heirs owner
    tenant employer employee patient doctor officer judge director manager journalist editor author member
    guardian certain mr mrs ms dr
    """
)

#: Nouns of organisations and publications that a following name names ("a company named X").
ORGANISATION_NOUNS = _words(
    """
    company companies firm firms business enterprise corporation newspaper newspapers periodical periodicals
    magazine magazines journal review weekly daily publisher publishing association associations party
    parties union unions organisation organization foundation society club band group church mosque
    synagogue school hotel restaurant shop bank ship vessel brand label programme program project
    operation movement house
    """
)
#: Nouns of places that a following name names ("the locality known as X", "a street named X").
PLACE_NOUNS = _words(
    """
    village villages town towns city cities locality hamlet district districts region regions province
    provinces county counties street streets avenue road square area neighbourhood neighborhood suburb
    quarter island islands river lake mountain valley municipality commune parish
    """
)

#: Head words of a public body's name: the capitalised words before one name the body, not a place
#: or person ("the Ostrava Administrative Court", "Stradom Prison", "the Trabzon Municipality").
#: "Court" is a street word too: it heads a body only after a court-type word (:data:`COURT_TYPES`)
#: or in lower case ("the Konya court").
INSTITUTION_HEADS = _words(
    """
    tribunal tribunals prison prisons penitentiary gaol jail ministry ministries government governments
    council councils municipality municipalities office offices authority authorities directorate
    directorates police gendarmerie prosecutor prosecutors prosecutor's prosecutors' procuracy governor
    governor's governorship mayor mayor's mayoralty administration assembly parliament commission
    committee department agency hospital hospitals garrison barracks consulate embassy branch headquarters
    registry board inspectorate prefecture bureau treasury
    """
)
#: Head words heading a body's name only in lower case after "the X" ("the Konya court", "the Kastamonu prison").
LOWER_INSTITUTION_HEADS = _words(
    """
    court courts tribunal prison prisons penitentiary gaol jail prosecutor prosecutor's prosecutors police
    gendarmerie municipality council governor governor's governorship mayor mayor's ministry hospital
    authorities administration
    """
)
#: Words that make a following "Court" or "Centre" a body: "District Court", "Detention Centre".
COURT_TYPES = _words(
    """
    district regional administrative supreme constitutional appeal appeals appellate criminal civil labour
    labor high crown county magistrates magistrates' magistrates’ assize security military martial law
    family juvenile commercial federal higher provincial circuit cassation peace instance tax social
    industrial employment local municipal city state national european international disciplinary
    detention remand reception
    """
)
#: Head words that open a body's name in the Romance languages, before "de", "du", "di" ("Clinique du
#: Parc", "Tribunal de Grande Instance", "Hôpital de la Pitié", "Banco de España").
HEADS_FIRST = _words(
    """
    clinique clinica clínica hôpital hopital hospital ospedale tribunal tribunale cour corte juzgado
    audiencia ministère ministerio ministero ministério mairie préfecture prefettura prefectura ayuntamiento
    comune commune câmara banque banco banca caisse caja société sociedad società sociedade compagnie
    compañía compagnia companhia église iglesia chiesa igreja conseil consejo consiglio conselho
    """
)
#: Head words of a legal instrument's name ("the Hague Convention", "the Civil Code", "Basic Law").
INSTRUMENT_HEADS = _words(
    """
    convention conventions act acts treaty treaties code codes law laws protocol protocols regulation
    regulations statute statutes charter agreement decree ordinance directive constitution
    """
)
#: A State's formal name ("the Republic of Turkey", "the Kingdom of Sweden"): a party to proceedings
#: or a legal person, not a place, unless a preposition of place puts it there.
STATE_WORDS = _words("republic kingdom principality duchy federation confederation commonwealth emirate sultanate")

#: Prepositions after which a name is a place ("in", "from", "near").
PLACE_PREPOSITIONS = _words(
    "in at from to near into within throughout across outside inside around towards toward via between"
)

#: Every word that is never a name on its own (calendar words aside: "May" and "June" are first names too).
VOCABULARY = LEGAL | INSTITUTIONAL | ROLES | MEDICAL | FORM_LABELS | ORDINALS | CURRENCIES


def is_vocabulary(word: str) -> bool:
    """Whether ``word`` (any case) is domain vocabulary or a currency (not a calendar word)."""
    return fold(word).strip("'’") in VOCABULARY


def is_demonym(word: str) -> bool:
    """Whether ``word`` (any case) is a nationality or language adjective ("German", "Turkish")."""
    return fold(word) in DEMONYMS


#: Roman numerals as written in references ("Chapter VIII", "Appendix II"), upper case only.
ROMAN = re.compile(r"(?=[IVXLC])M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})")


@cache
def demonym_phrase_pattern() -> re.Pattern[str]:
    """Two-word nationality adjectives as a case-insensitive, whole-word pattern."""
    words = sorted(DEMONYM_PHRASES, key=len, reverse=True)
    alternatives = "|".join(r"[ \t]+".join(re.escape(w) for w in p.split()) for p in words)
    return re.compile(rf"(?i)(?<![\w])(?:{alternatives})(?![\w])")
