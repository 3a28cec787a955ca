"""Question analysis: what kind of answer is asked for, about what, under which constraints.

Every rule here is about the *language* of questions (Bokmål and English interrogatives
and the noun classes they combine with), never about the topics of particular
questions. Each rule is one named pattern below with its reason, and
``tests/answer/test_question.py`` holds its table of cases.

- ``answer_type``: the expected answer (count, share, money, date, duration, age,
  person, organisation, place, list, definition, explanation, goal, yesno, other),
  decided by the first rule in :data:`_TYPE_RULES` that matches; the order goes from
  the most specific cue ("hvor stor andel" is a share before it is a count) to the
  most general ("hva er" is a definition only when nothing more specific is asked).
- ``focus``: the content words (what the question is about): the words left when
  interrogatives, answer-type cues and function words are taken away.
- constraints: ``years`` (four-digit years; :func:`asked_years` keeps those asked about as
  a time, not "2013-strategien"), ``entities`` (proper names: capitalised
  words that do not start the sentence, and acronyms) and ``document_kind`` (the
  question names a kind of document: "pressemeldingen", "the press release").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from assistant.language import Language, detect_language

AnswerType = Literal[
    "count",
    "share",
    "money",
    "date",
    "duration",
    "age",
    "person",
    "organisation",
    "place",
    "list",
    "definition",
    "explanation",
    "goal",
    "yesno",
    "other",
]
ANSWER_TYPES: tuple[AnswerType, ...] = get_args(AnswerType)

_I = re.IGNORECASE

# Nouns whose referents are persons / organisations / places: noun classes of the
# language, used after "hvilken/hvilke/which" ("hvilken statsråd" asks for a person).
_PERSON_NOUNS = (
    r"(?:statsråd\w*|minist\w*|helseminist\w*|leder\w*|direktør\w*|sjef\w*|person\w*|"
    r"forsker\w*|professor\w*|representant\w*|politiker\w*|talsperson\w*|"
    r"ministers?|persons?|people|leaders?|directors?|chairs?|researchers?|"
    r"representatives?|spokes\w+)"
)
_ORG_NOUNS = (
    r"(?:organisasjon\w*|aktør\w*|partner\w*|sykehus\w*|helseforetak\w*|institusjon\w*|"
    r"departement\w*|direktorat\w*|etat\w*|myndighet\w*|forening\w*|universitet\w*|"
    r"instans\w*|virksomhet\w*|parti\w*|"
    r"organi[sz]ations?|actors?|partners?|hospitals?|institutions?|ministry|ministries|"
    r"agency|agencies|authorit\w+|bod(?:y|ies)|universit\w+|part(?:y|ies))"
)
_PLACE_NOUNS = (
    r"(?:sted\w*|by(?:en)?|land(?:et)?|region\w*|fylke\w*|kommune\w*|"
    r"places?|cit(?:y|ies)|countr\w+|regions?|counties|county|municipalit\w+)"
)
_TIME_UNITS = r"(?:dager|dagene|uker|ukene|måneder|månedene|år|timer|days|weeks|months|years)"

# (answer type, pattern, why) in order of precedence.
_TYPE_RULES: tuple[tuple[AnswerType, re.Pattern[str], str], ...] = (
    (
        "goal",
        re.compile(
            r"\b(hvilke[tn]?|under hvilke[tn]?|which|what)\s+(?:av\s+(?:\w+\s+){0,3}|\w+\s+)?"
            r"(tiårsmål\w*|målområde\w*|satsingsområde\w*|mål|målet|målene|"
            r"(?:ten-year\s+)?goals?|focus\s+areas?|target\s+areas?)\b"
            r"|\b(tiårsmål|målområde)\s*(?:nr\.?\s*)?\d|\b(ten-year goal|focus area)\s*\d",
            _I,
        ),
        "asks which goal, or names a goal by number: answered from the goal registry",
    ),
    (
        "share",
        re.compile(
            r"\b(hvor\s+(?:stor|høy|lav)\s+(?:andel|prosent\w*|del)|hvilken\s+andel|"
            r"hvor\s+mange\s+prosent|hvor\s+stor\s+prosentandel|"
            r"what\s+(?:share|percentage|proportion|fraction|per\s?cent)|how\s+many\s+per\s?cent|"
            r"how\s+large\s+a\s+(?:share|proportion))\b",
            _I,
        ),
        "a share is a percentage or fraction, not a count",
    ),
    (
        "money",
        re.compile(
            r"\b(hva\s+koster|hva\s+kostet|hva\s+(?:er|var|blir)\s+(?:\w+\s+){0,2}(?:budsjett\w*|"
            r"kostnad\w*|beløp\w*|bevilgning\w*)|hvor\s+mye\s+(?:koster|kostet|penger|midler|kroner)|"
            r"hvor\s+mye\s+(?:\w+\s+){0,4}(?:bevilg\w*|finansier\w*|kost\w*)|"
            r"hvor\s+(?:stort|store|høyt)\s+(?:\w+\s+){0,2}(?:budsjett\w*|beløp\w*|bevilgning\w*|"
            r"kostnad\w*|pris\w*|midler)|hvilket\s+beløp|hvor\s+mange\s+(?:kroner|millioner|"
            r"milliarder)|how\s+much\s+(?:money|funding)|how\s+much\s+(?:\w+\s+){0,5}"
            r"(?:cost\w*|grant\w*|allocat\w*|fund\w*|spen[dt]\w*|budget\w*)|"
            r"what\s+(?:does|did|do|will)\s+(?:\w+\s+){0,5}cost|what\s+(?:is|was)\s+the\s+"
            r"(?:\w+\s+){0,2}(?:cost|budget|price|amount)|how\s+(?:large|big)\s+(?:\w+\s+){0,2}"
            r"(?:budget|grant|amount))\b",
            _I,
        ),
        "an amount of money: 'hva koster', 'hvor mye' + a word of money, 'how much … cost'",
    ),
    (
        "age",
        re.compile(
            r"\b(hvilken\s+alder|i\s+hvilken\s+alder|fra\s+hvilken\s+alder|ved\s+hvilken\s+alder|"
            r"hvor\s+gaml?e?|hvilke?n?\s+aldersgrupp\w*|aldersgrens\w*|hvilke\s+aldre|"
            r"what\s+age|which\s+age|at\s+what\s+age|how\s+old|age\s+(?:group|limit|range)s?)\b",
            _I,
        ),
        "an age or age group",
    ),
    (
        "duration",
        re.compile(r"\b(hvor\s+lenge|hvor\s+lang\s+tid|how\s+long)\b", _I),
        "a period of time",
    ),
    (
        "date",
        re.compile(
            r"(^\W*når|,\s*(?:og\s+)?når|\bog\s+når)\b|\b(hvilket\s+år|hvilken\s+dato|hvilken\s+måned|innen\s+hvilket\s+år|"
            r"hvilket\s+tidspunkt|fra\s+hvilket\s+år|hvilket\s+tiår|when|what\s+year|which\s+year|"
            r"what\s+date|which\s+date|by\s+what\s+year|in\s+what\s+year)\b",
            _I,
        ),
        "a date, year or point in time",
    ),
    (
        "count",
        re.compile(
            r"\b(hvor\s+mange|hvor\s+mye|hvor\s+stor(?:t|e)?|hvilket\s+antall|hvor\s+høyt|"
            r"hva\s+(?:er|var|blir)\s+(?:\w+\s+){0,3}antall(?:et)?|"
            r"how\s+many|how\s+much|what\s+number\s+of|how\s+large|how\s+big|"
            r"what\s+(?:is|was|will\s+be)\s+the\s+(?:\w+\s+){0,2}number\s+of)\b",
            _I,
        ),
        "a number or quantity, also asked as 'hva er (prognosen for) antallet …'",
    ),
    (
        "list",
        re.compile(r"\b(hvem\s+består|who\s+(?:are|were)\s+(?:the\s+)?members)\b", _I),
        "'hvem består … av': the members, several items",
    ),
    (
        "person",
        re.compile(
            rf"^\W*(hvem|who|whom)\b|\b(hvilke[tn]?|which|what)\s+(?:\w+\s+){{0,2}}{_PERSON_NOUNS}\b"
            r"|\bwho\b",
            _I,
        ),
        "'hvem/who', or 'hvilken/which' + a noun for persons",
    ),
    (
        "organisation",
        re.compile(rf"\b(hvilke[tn]?|which|what)\s+(?:\w+\s+){{0,2}}{_ORG_NOUNS}\b", _I),
        "'hvilken/which' + a noun for organisations",
    ),
    (
        "place",
        re.compile(
            rf"\b(hvor(?!\s+(?:mange|mye|stor\w*|lang\w*|lenge|gaml?e?|ofte|høy\w*|langt|"
            rf"viktig\w*|godt|raskt|tidlig|sent|nær|få))\b|where\b|"
            rf"(?:i\s+)?(?:hvilke[tn]?|which|what)\s+(?:\w+\s+){{0,1}}{_PLACE_NOUNS}\b)",
            _I,
        ),
        "'hvor' (not 'hvor mange/mye/…'), 'where', or 'hvilken/which' + a noun for places",
    ),
    (
        "list",
        re.compile(
            r"^\W*(hvilke|nevn|list|ramse\s+opp|name|what\s+are\s+the|which\s+\w+s\b)\b"
            r"|\b(hvilke|which\s+\w+s\b)\b",
            _I,
        ),
        "a plural 'hvilke/which …s', 'nevn/name/list': several items",
    ),
    (
        "yesno",
        re.compile(
            r"^\W*(er|var|skal|har|hadde|kan|finnes|fins|blir|ble|vil|gjelder|får|fikk|må|bør|"
            r"inngår|is|are|was|were|does|do|did|will|can|has|have|had|should|must)\b",
            _I,
        ),
        "starts with a verb: a yes/no question",
    ),
    (
        "explanation",
        re.compile(r"\b(hvorfor|hvordan|why|how)\b", _I),
        "asks why or how: an explanation",
    ),
    (
        "definition",
        re.compile(
            r"^\W*(hva\s+(?:er|var|betyr|menes\s+med|innebærer|kjennetegner)|"
            r"what\s+(?:is|are|was|were|does\s+\S+(?:\s+\S+)?\s+mean)|define|forklar|explain)\b",
            _I,
        ),
        "'hva er/betyr', 'what is/are': what something is",
    ),
)

# Words that ask or frame, not what the question is about (both languages). They are
# taken out of the focus. Function words of the language, no topic words.
_FRAME_WORDS = frozenset(
    """
    hva hvilke hvilket hvilken hvem hvor hvordan hvorfor når mange mye stor stort store høy
    lang lenge gammel gamle andel prosent del antall nevn list ramse opp er var blir ble skal
    har hadde kan vil må bør finnes fins gjelder får fikk sier står sto står omtales nevnes
    beskriver beskrives ifølge følge dokumentene dokumentet teksten betyr menes innebærer
    og eller i på av for til med om fra ved etter under over mot som at det den de dette
    denne disse der her en et ei man seg sin sitt sine the a an of to in on for with by from
    at as is are was were be been being do does did what which who whom whose where when
    why how many much long old large big share percentage number name list and or that this
    these those it its there their they them about according documents document say says
    said mention mentioned describe described mean means please tell me
    """.split()
)
# The documents' own scope: every document is about Norway, so naming the country
# constrains nothing (a question about "Norway's strategy" is in scope).
SCOPE_WORDS = frozenset({"norge", "norges", "norsk", "norske", "norway", "norway's", "norwegian"})

# English capitalises months, weekdays and "I" by spelling, not because they are names.
_CAPITALISED_BY_SPELLING = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "i",
    ]
)

_YEAR = re.compile(r"(?<![\d-])(19\d\d|20\d\d)(?![\d])")
_WORD = re.compile(r"[\w][\w'’.-]*\w|\w")
_ACRONYM = re.compile(r"^[A-ZÆØÅ]{2,}[A-ZÆØÅ0-9-]*$")

# A kind of document named in the question: the corpus's document kinds (manifest
# ``kind``), in both languages.
_DOCUMENT_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "press",
        re.compile(
            r"\b(pressemelding\w*|artikkel\w*|nyhetssak\w*|press\s+release\w*|"
            r"news\s+(?:item|article)s?|article)\b",
            _I,
        ),
    ),
    ("hub", re.compile(r"\b(nettsid\w*|hub(?:en|ens)?|web\s?page|website)\b", _I)),
    ("strategy", re.compile(r"\b(strategi\w*|strategy|strategies)\b", _I)),
)


# Words naming the documents themselves or their structure (kinds of document, goals,
# focus areas): a question about "the strategy's goals" is about the corpus, and these
# words say nothing about a topic.
_STRUCTURE_WORD = re.compile(
    r"^(tiårsmål\w*|målområde\w*|mål|målet|målene|delmål\w*|satsingsområde\w*|strategi\w*|"
    r"kreftstrategi\w*|dokument\w*|pressemelding\w*|artikkel\w*|nettsid\w*|goals?|"
    r"ten-year|focus|areas?|strateg(?:y|ies)|documents?|press|releases?|articles?|website|"
    r"page)$",
    _I,
)


def names_structure(word: str) -> bool:
    """Does the word name the documents or their structure ("strategien", "tiårsmål")?"""
    return bool(_STRUCTURE_WORD.match(word))


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks: answer type, focus words and constraints."""

    text: str
    language: Language
    answer_type: AnswerType
    focus: tuple[str, ...]
    years: tuple[str, ...]
    entities: tuple[str, ...]
    document_kind: str | None

    @property
    def constraints(self) -> tuple[str, ...]:
        """The years and names an answer must be about."""
        return self.years + self.entities


def answer_type(question: str) -> AnswerType:
    """The expected answer type: the first rule of :data:`_TYPE_RULES` that matches."""
    for kind, pattern, _why in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return "other"


def question_years(question: str) -> tuple[str, ...]:
    """Four-digit years named in the question ("2013", both ends of "2025–2035")."""
    return tuple(dict.fromkeys(_YEAR.findall(question)))


def asked_years(years: tuple[str, ...], question: str) -> tuple[str, ...]:
    """The years the question asks about as a time ("i 2040", "innen 2030").

    A year joined to a word by a hyphen names a thing, not a time: "2013-strategien" is
    the strategy of 2013, and a unit that mentions 2013 is no nearer an answer about it.
    """
    return tuple(y for y in years if re.search(rf"(?<!\d){y}(?!\d|-\w)", question))


def question_entities(question: str) -> tuple[str, ...]:
    """Proper names in the question: capitalised words not starting it, and acronyms.

    A run of capitalised words is one name ("Cancer Mission Hub"). The word that
    starts the question (or follows a colon or quote) is capitalised by position, so
    it counts only when it is an acronym. The documents' own country is scope, not a
    constraint (see :data:`SCOPE_WORDS`).
    """
    names: list[str] = []
    current: list[str] = []
    first = True
    for match in _WORD.finditer(question):
        word = match.group(0).strip("'’.-")
        before = question[: match.start()].rstrip()
        sentence_start = first or before.endswith((":", "?", "!", ".", "«", '"'))
        first = False
        capital = word[:1].isupper()
        acronym = bool(_ACRONYM.match(word.split("-")[0])) and len(word.split("-")[0]) <= 8
        if (
            word.isdigit()
            or len(word) < 2
            or not (capital or acronym)
            or (word.lower() in _CAPITALISED_BY_SPELLING)
        ):
            if current:
                names.append(" ".join(current))
                current = []
            continue
        if sentence_start and not acronym:
            continue
        if word.lower() in SCOPE_WORDS or word.lower() in _FRAME_WORDS:
            if current:
                names.append(" ".join(current))
                current = []
            continue
        current.append(word)
    if current:
        names.append(" ".join(current))
    return tuple(dict.fromkeys(names))


def question_focus(question: str) -> tuple[str, ...]:
    """Content words (lower-case) that say what the question is about."""
    words = [w.lower().strip("'’.-") for w in _WORD.findall(question)]
    focus = [
        w
        for w in words
        if w
        and w not in _FRAME_WORDS
        and w not in SCOPE_WORDS
        and not _YEAR.fullmatch(w)
        and (len(w) > 2 or w.isupper())
    ]
    return tuple(dict.fromkeys(focus))


def document_kind(question: str) -> str | None:
    """The kind of document the question restricts itself to, if it names one."""
    for kind, pattern in _DOCUMENT_KINDS:
        if pattern.search(question):
            return kind
    return None


def analyse(question: str, language: Language | None = None) -> QuestionAnalysis:
    """Analyse one question (Bokmål or English)."""
    return QuestionAnalysis(
        text=question,
        language=language or detect_language(question),
        answer_type=answer_type(question),
        focus=question_focus(question),
        years=question_years(question),
        entities=question_entities(question),
        document_kind=document_kind(question),
    )
