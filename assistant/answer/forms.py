"""Answer forms: does a passage hold an answer of the type the question asks for?

"Hvor mange …" is answered by a number, "når …" by a date, "hvem …" by a name.
Each detector is about how Bokmål (and English) write that kind of answer, and
ignores what the question itself already says (a year named in the question is
not the answer to "when"). Types with no checkable form (definition,
explanation, goal, yes/no, other) are answered by any passage.
``tests/answer/test_forms.py`` holds the table of cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.question import AnswerType

_I = re.IGNORECASE

_NUMBER_WORDS = (
    r"(?:to|tre|fire|fem|seks|sju|syv|åtte|ni|ti|elleve|tolv|femten|tjue|tretti|førti|femti|"
    r"hundre|tusen|million\w*|milliard\w*|dobbelt|doble\w*|dobles|halvparten|halvere\w*|"
    r"tredjedel\w*|firedel\w*|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
    r"twenty|hundred|thousand|million\w*|billion\w*|double\w*|half|third|quarter)"
)
_NUMBER = re.compile(rf"\d[\d  .,]*|\b{_NUMBER_WORDS}\b", _I)
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_PERCENT = re.compile(
    r"\d[\d,.]*\s?(?:%|prosent\w*|per\s?cent)|\b(?:halvparten|tredjedel\w*|firedel\w*|"
    r"flertall\w*|majorit\w*|half|third|quarter)\b",
    _I,
)
_MONEY = re.compile(
    r"\d[\d  .,]*\s?(?:kr\b|kroner|nok\b|mill\w*|mrd\b|milliard\w*|euro|€|\$)|"
    r"(?:kr|nok|€|\$)\s?\d|\b(?:kroner|millioner kroner|milliarder kroner)\b",
    _I,
)
# The months by number, in Bokmål and English (where the English name differs).
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "january"),
            ("februar", "february"),
            ("mars", "march"),
            ("april",),
            ("mai", "may"),
            ("juni", "june"),
            ("juli", "july"),
            ("august",),
            ("september",),
            ("oktober", "october"),
            ("november",),
            ("desember", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTHS = f"(?:{'|'.join(MONTHS)})"
_DATE = re.compile(
    rf"(?<!\d)(?:19|20)\d\d(?!\d)|\b\d{{1,2}}\.\s*{_MONTHS}\b|\b{_MONTHS}\b|"
    r"\b(?:i dag|i år|i fjor|innen|fra og med|til og med|våren|høsten|sommeren|vinteren|"
    r"mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|today|currently)\b",
    _I,
)
_DURATION = re.compile(
    r"\d+\s*(?:–\s*\d+\s*)?(?:dager|dag|uker|uke|måneder|måned|år|timer|days?|weeks?|months?|"
    r"years?|hours?)\b|\b(?:to|tre|fire|fem|seks|ti)\s+(?:dager|uker|måneder|år)\b",
    _I,
)
_AGE = re.compile(
    r"\d+\s*(?:(?:–|-|og|til)\s*\d+\s*)?(?:års?\s*alder|år\b|-årige|åringer|years?\s+old)|"
    r"\b(?:født etter|født før|over|under|born after|aged?)\s+(?:\d+|19\d\d|20\d\d)",
    _I,
)
# A proper name: a capitalised word that does not start a sentence, or an acronym.
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)(?<!\n)\b[A-ZÆØÅ][\wæøåÆØÅ-]+")
_ACRONYM = re.compile(r"\b[A-ZÆØÅ]{2,}\b")
# A sentence may open with the preposition: "Fra Nederland har vi hentet ideen …"
_PLACE_PREPOSITION = re.compile(r"\b(?:[Ii]|[Pp]å|[Vv]ed|[Ff]ra|[Ii]n|[Aa]t)\s+[A-ZÆØÅ][\wæøå-]+")
_ENUMERATION = re.compile(r"[^,\n]+,\s[^,\n]+(?:,\s[^,\n]+)*\s(?:og|eller|and|or)\s[^,\n]+")
# An open enumeration has no "og" before its last item: "kontakt med sosionom, prest,
# psykolog, kreftsykepleier med flere". Three or more items of one to three words each,
# so a sentence with two commas between clauses is not one.
_OPEN_ENUMERATION = re.compile(r"(?:\b[\w-]+(?:\s[\w-]+){0,2},\s){2,}[\w-]+")


def _without(text: str, question: str, pattern: re.Pattern[str]) -> list[str]:
    """Matches of ``pattern`` in ``text`` that the question does not contain itself."""
    asked = {m.group(0).strip().lower() for m in pattern.finditer(question)}
    return [m.group(0) for m in pattern.finditer(text) if m.group(0).strip().lower() not in asked]


def has_count(text: str, question: str) -> bool:
    """A number that is not a year and not the question's own numbers."""
    return any(not _YEAR.fullmatch(n.strip(" .,")) for n in _without(text, question, _NUMBER))


def has_share(text: str, question: str) -> bool:
    """A percentage or a fraction word ("halvparten", "en tredjedel")."""
    return bool(_without(text, question, _PERCENT))


def has_money(text: str, question: str) -> bool:
    """An amount with a currency or "millioner/milliarder" (kroner)."""
    return bool(_without(text, question, _MONEY))


def has_date(text: str, question: str) -> bool:
    """A year, a month, a day or a point in time that the question does not name itself."""
    return bool(_without(text, question, _DATE))


def has_duration(text: str, question: str) -> bool:
    """A number with a unit of time ("20 dager", "fem år")."""
    return bool(_without(text, question, _DURATION))


def has_age(text: str, question: str) -> bool:
    """An age: a number of years ("12 års alder", "50–74 år") or "født etter 2010"."""
    return bool(_without(text, question, _AGE))


def has_name(text: str, question: str) -> bool:
    """A proper name (person or organisation) that the question does not name itself."""
    asked = {w.lower() for w in re.findall(r"[\wæøå-]+", question)}
    names = _CAPITALISED.findall(text) + _ACRONYM.findall(text)
    return any(n.lower() not in asked for n in names)


def has_place(text: str, question: str) -> bool:
    """A place: a preposition of place before a proper name ("i Bergen", "på Radiumhospitalet")."""
    return bool(_without(text, question, _PLACE_PREPOSITION))


def has_list(text: str, question: str) -> bool:
    """Several items: list lines, an enumeration "a, b og c", or an open one "a, b, c"."""
    lines = [line for line in text.split("\n") if line.strip()]
    return (
        len(lines) >= 3 or bool(_ENUMERATION.search(text)) or bool(_OPEN_ENUMERATION.search(text))
    )


def _any(text: str, question: str) -> bool:
    return True


FORMS: dict[AnswerType, Callable[[str, str], bool]] = {
    "count": has_count,
    "share": has_share,
    "money": has_money,
    "date": has_date,
    "duration": has_duration,
    "age": has_age,
    "person": has_name,
    "organisation": has_name,
    "place": has_place,
    "list": has_list,
    "definition": _any,
    "explanation": _any,
    "goal": _any,
    "yesno": _any,
    "other": _any,
}
CHECKABLE: frozenset[AnswerType] = frozenset(t for t, f in FORMS.items() if f is not _any)


PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "count": _NUMBER,
    "share": _PERCENT,
    "money": _MONEY,
    "date": _DATE,
    "duration": _DURATION,
    "age": _AGE,
    "person": _CAPITALISED,
    "organisation": _CAPITALISED,
    "place": _PLACE_PREPOSITION,
}
FAR = 40
"""Distance (in words) reported when no answer of the type stands near the focus."""
_TOKEN = re.compile(r"\w+")


def has_answer_form(answer_type: AnswerType, text: str, question: str) -> bool:
    """Does ``text`` hold an answer of ``answer_type`` (beyond what the question says)?"""
    return FORMS[answer_type](text, question)


def form_distance(
    answer_type: AnswerType, text: str, question: str, focus_positions: list[int]
) -> int:
    """Words between an answer of the type and the nearest focus word in ``text``.

    ``focus_positions`` are character offsets of focus words in ``text``. An answer
    "next to the focus" is a few words away; :data:`FAR` means none is near (or the
    type has no form, or the focus is absent). A list or a block answers as a whole,
    so for a list the distance is 0 when the text is a list and holds the focus.
    """
    if not focus_positions:
        return FAR
    if answer_type not in PATTERNS:
        if answer_type == "list" and has_list(text, question):
            return 0
        return FAR if answer_type in CHECKABLE else 0
    if not has_answer_form(answer_type, text, question):
        return FAR
    asked = {m.group(0).strip().lower() for m in PATTERNS[answer_type].finditer(question)}
    asked_words = {w.lower() for w in _TOKEN.findall(question)}
    best = FAR
    for match in PATTERNS[answer_type].finditer(text):
        found = match.group(0).strip()
        if found.lower() in asked or (
            answer_type in ("person", "organisation") and found.lower() in asked_words
        ):
            continue
        if answer_type == "count" and _YEAR.fullmatch(found.strip(" .,")):
            continue
        for position in focus_positions:
            low, high = sorted((position, match.start()))
            best = min(best, len(_TOKEN.findall(text[low:high])))
    return best


# "Hvor ofte …?" asks for a frequency: "hvert (tredje) år", "årlig", "to ganger i året".
_ASKS_FREQUENCY = re.compile(r"\b(?:hvor\s+ofte|how\s+often|how\s+frequently)\b", _I)
_FREQUENCY = re.compile(
    r"\b(?:hver|hvert|annenhver|annethvert)\s+(?:\w+\s+)?(?:år|måned|uke|dag|gang)\b|"
    r"\b(?:halv)?(?:årlig|daglig|ukentlig|månedlig)\w*|\b\w+\s+ganger?\s+(?:i|per|pr\.?|om)\s+\w+|"
    r"\b(?:every|each)\s+(?:\w+\s+)?(?:years?|months?|weeks?|days?)\b|"
    r"\b(?:annual\w*|daily|weekly|monthly|yearly|once|twice)\b",
    _I,
)
# How precise a date the question asks for. "Hvilket år …?" is answered by a year,
# "Hvilken dato …?" by a day of a month ("16. desember", "2024-12-18"): a quote with a
# weekday ("tirsdag lanserte …") or another precision only answers "når". "Hvilken dag"
# may ask for a weekday, so it asks no precision here.
_ASKS_YEAR = re.compile(r"\b(?:hvilket\s+år(?:stall)?|(?:which|what)\s+year)\b", _I)
_ASKS_DAY = re.compile(r"\b(?:hvilken\s+dato|(?:which|what)\s+date)\b", _I)
_MONTH_ABBREVIATIONS = r"(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|des|dec)\.?"
_DAY_OF_MONTH = re.compile(
    rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS}|{_MONTH_ABBREVIATIONS})(?!\w)|"
    rf"\b{_MONTHS}\s+\d{{1,2}}\b|\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{{1,2}}\.\d{{1,2}}\.(?:\d{{2,4}})?",
    _I,
)


def unanswered_precision(question: str, quotes: list[str]) -> str | None:
    """Why the answer cannot stand, when the question asks for a frequency, a year or a
    date and no quote holds one the question does not name itself."""
    if _ASKS_FREQUENCY.search(question):
        wanted, pattern = "a frequency", _FREQUENCY
    elif _ASKS_DAY.search(question):
        wanted, pattern = "a date", _DAY_OF_MONTH
    elif _ASKS_YEAR.search(question):
        wanted, pattern = "a year", _YEAR
    else:
        return None
    if any(_without(quote, question, pattern) for quote in quotes):
        return None
    return f"the question asks for {wanted}, and no quote names one"


# The tense a question asks its time in. "Når blir sykehuset akkreditert?", "Hvilket år skal
# katapulten være opprettet?", "Når lanseres programmet?" (the s-passive's present names
# what is to come, or what recurs), "When will …?" ask for a time still to come or that
# holds now: a date in a clause told in the past tense ("… ble akkreditert i 2017", "…
# la i 2023 fram …") tells when something else happened, not that. A clause is past when
# it has a preterite of the auxiliaries or of the common strong verbs: the weak preterite
# ("lanserte") looks like the participle, so it is not read. The s-passive is a lower-case
# word in -s that is not a genitive in -ens/-ets/-ers ("når pasientens …").
_ASKS_TO_COME = re.compile(
    r"\b(?:når|hvilket\s+år(?:stall)?|hvilken\s+dato|innen\s+når)\s+"
    r"(?:skal|vil|blir|kommer|(?-i:[a-zæøå]+(?<!en)(?<!et)(?<!er)s))\b|"
    r"\b(?:when|(?:which|what)\s+year|(?:which|what)\s+date|by\s+when)\s+(?:will|shall)\b",
    _I,
)
_PAST_CLAUSE = re.compile(r"\b(?:ble|var|hadde|fikk|kom|la|ga|gikk|tok|sa|was|were|did|had)\b", _I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def unanswered_tense(question: str, quotes: list[str]) -> str | None:
    """Why the answer cannot stand, when the question asks when something is to come and
    every date the quotes name (beyond the question's own) is told in the past tense."""
    if not _ASKS_TO_COME.search(question):
        return None
    dated = [
        sentence
        for quote in quotes
        for sentence in _SENTENCE_END.split(quote)
        if _without(sentence, question, _DATE)
    ]
    if not dated or any(not _PAST_CLAUSE.search(sentence) for sentence in dated):
        return None
    return "the question asks when something is to come, and every date quoted is past"
