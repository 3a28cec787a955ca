"""A document named by its date: its chunks come first, as a goal's do when named by number.

"Hvem ga innspill til pressemeldingen fra 2013?", "Hvilket jubileum markerte Kreftforeningen
da 2013-strategien ble lansert?", "toppledermøtet i desember 2025", "Norway's 2013 national
cancer strategy": the question says which document it asks, by the date the document is
from. Retrieval ranks by words and meaning, and a year weighs little in either: the
strategy's box of earlier plans, which lists the 2013 strategy by name and year, outranked
the 2013 press release itself for every such question on the dev split.

A year names a document only where the language makes it part of a name:

- joined to a word by a hyphen ("2013-strategien", "2025–2035-strategien");
- after a definite noun and "fra" ("pressemeldingen fra 2013"; not "fra 2013 til 2020");
- after a definite noun for a document or an event and "i", "for" or "om"
  ("toppledermøtet i 2024", "strategien for 2025–2035"), or "som ble <verb> (<particle>)
  i" ("kreftstrategien som ble lansert i 2013", "… som ble lagt fram i 2013"): with
  another noun the year is a time ("andelen av fastlegene i 2024");
- after an English determiner or genitive, with a word for a document or an event among
  the three after it ("the 2013 strategy", "Norway's 2013 national cancer strategy"), or
  after "the" and such a word with "from" or "of" ("the press release from 2013").

A year asked about as a time names nothing ("hadde hatt kreft i 2023", "in 2024", "innen
2030"). A month with its year ("i desember 2024", "16 December 2024") is the date of an
event, and names the document from that month.

A date names a document only when one document alone has it: its publication date (year or
month, from the manifest) or a year or span in its title ("2025–2035"). "Stortingsvalget i
2025" names none: three documents are from 2025.

A question that names documents asks what they say: the reader reads their chunks alone
(:meth:`DocumentDates.asked_of`; "Hvilket jubileum markerte Kreftforeningen da
2013-strategien ble lansert?" had quoted the strategy's box of earlier plans, not the press
release's "75-årsjubilanten Kreftforeningen"), and an answer none of whose quotes is from
one of them answers about another document (:meth:`DocumentDates.unquoted`). "Hvor stor
andel skal starte behandling innen 20 dager ifølge strategien for 2025–2035?" was answered
with the 2013 press release's 80 % goal, and "Hva sa Vestre på toppledermøtet i desember
2025?" with what he said in December 2024. A question that also asks something else — a
second question joined to it ("…, og hvilket målområde tilsvarer det i den nye
strategien?"), a comparison ("sammenlign", "henholdsvis") or another document coordinated
with the named one ("i 2013-strategien og i den nye strategien") — may rightly be answered
from another document, and is let be. Cases: ``tests/answer/test_dated.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.forms import MONTHS
from assistant.ingest.document import Document

_YEAR = r"(?:19|20)\d\d"
_SPAN = rf"{_YEAR}(?:\s*[–-]\s*{_YEAR})?"
# Words for a document or an event a document reports: after "i", "for" or "om" a year
# names a thing only with one of these ("toppledermøtet i 2024", "strategien for
# 2025–2035"); with another noun it is a time ("fastlegene i 2024").
_DOCUMENT_OR_EVENT = re.compile(
    r"[\w-]*(?:strategi|plan|pressemelding|melding|artikkel|rapport|nettsid|dokument|"
    r"møte|samling|konferanse|lansering|seminar)[\w-]*|"
    r"(?:strateg(?:y|ies)|plans?|press|releases?|articles?|reports?|pages?|documents?|"
    r"meetings?|summit|conference|launch)",
    re.IGNORECASE,
)
_DEFINITE = r"(?P<noun>[\w-]{3,}(?:en|et|a|ene))"
# a year (or span) as part of a name; the year is group "y", the words one of which must
# be a document's or an event's (when the flag says so) group "noun"
_NAMING: tuple[tuple[re.Pattern[str], bool], ...] = (
    # "2013-strategien", "2025–2035-strategien"
    (re.compile(rf"(?<![\d–-])(?P<y>{_SPAN})-\w"), False),
    # a definite noun from a year: "pressemeldingen fra 2013" (not "fra 2013 til 2020")
    (
        re.compile(
            rf"\b{_DEFINITE}\s+fra\s+(?P<y>{_SPAN})(?![\d–-])(?!\s*(?:til|-|–)\s*\d)",
            re.IGNORECASE,
        ),
        False,
    ),
    # a definite document or event noun in, for or about a year: "toppledermøtet i 2024",
    # "kreftstrategien som ble lansert i 2013"
    (
        re.compile(
            rf"\b{_DEFINITE}\s+(?:i|for|om|som\s+ble\s+\w+(?:\s+\w+)?\s+i)\s+"
            rf"(?P<y>{_SPAN})(?![\d–-])",
            re.IGNORECASE,
        ),
        True,
    ),
    # "the 2013 strategy", "Norway's 2013 national cancer strategy": a document or event
    # word among the three words after the year
    (
        re.compile(
            rf"(?:\b(?:the|its|this|that)|['’]s)\s+(?P<y>{_SPAN})\s+"
            r"(?P<noun>[a-z]+(?:\s+[a-z]+){0,2})",
            re.IGNORECASE,
        ),
        True,
    ),
    # "the press release from 2013", "the strategy of 2013"
    (
        re.compile(
            rf"\bthe\s+(?:\w+\s+)?(?P<noun>\w+)\s+(?:from|of)\s+(?P<y>{_SPAN})(?![\d–-])",
            re.IGNORECASE,
        ),
        True,
    ),
)
# "den nye strategien", "dagens kreftstrategi", "the new strategy": the newest strategy
NEWEST_STRATEGY = re.compile(
    r"\b(?:den\s+nye|dagens|gjeldende|nåværende)\s+(?:nasjonale\s+)?(?:kreft)?strategi(?:en)?\b|"
    r"\bthe\s+(?:new|current|latest)\s+(?:national\s+)?(?:cancer\s+)?strategy\b",
    re.IGNORECASE,
)
_MONTH_DATE = re.compile(rf"\b(?P<m>{'|'.join(MONTHS)})\s+(?P<y>{_YEAR})(?!\d)", re.IGNORECASE)


# a second question joined to the first: ", og hvilket …", "and how …"
_SECOND_QUESTION = re.compile(
    r"(?:,|\bog\b|\band\b)\s+(?:og\s+|and\s+)?(?:hv\w+|"
    r"når|which|what|who|where|when|how|why)\b",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"\b(?:sammenlign\w*|sammenlikn\w*|skiller\b.*\bseg\s+fra|forskjell\w*|henholdsvis|likhet\w*|"
    r"compar\w*|differ\w*|respectively)\b",
    re.IGNORECASE,
)

# another document coordinated with the named one: "i 2013-strategien og i den nye
# strategien", "the 2013 strategy and the new one"
_COORDINATED = re.compile(
    r"\b(?:og|eller|samt)\s+(?:(?:i|fra|om|for)\s+)?(?:den|det|de|dagens|denne|dette)\b|"
    r"\b(?:and|or)\s+(?:(?:in|from|of)\s+)?(?:the|its|this|that|today's)\b",
    re.IGNORECASE,
)


def asks_one_thing(question: str) -> bool:
    """No second question, comparison or second document in it."""
    return not any(rule.search(question) for rule in (_SECOND_QUESTION, _COMPARISON, _COORDINATED))


def _span(text: str) -> str:
    """A year or span in one spelling: "2025-2035" and "2025 – 2035" are "2025–2035"."""
    return re.sub(r"\s*[–-]\s*", "–", text)


class DocumentDates:
    """Which document a question names by its date, from the corpus's own dates and titles."""

    def __init__(self, documents: Iterable[Document]):
        self._years: dict[str, set[str]] = {}
        self._months: dict[str, set[str]] = {}
        strategies: list[tuple[str, str]] = []
        for doc in documents:
            date = doc.meta.date or ""
            if doc.meta.kind == "strategy":
                strategies.append((date, doc.id))
            names = {date[:4]} if date else set()
            names |= {_span(m.group(0)) for m in re.finditer(_SPAN, doc.title)}
            for name in names:
                self._years.setdefault(name, set()).add(doc.id)
            if len(date) >= 7:
                self._months.setdefault(date[:7], set()).add(doc.id)
        self._newest_strategy = {max(strategies)[1]} if strategies else set()

    def named(self, question: str) -> list[str]:
        """The ids of the documents the question names by date, in the order it names them."""
        out: list[str] = []
        for found in self._mentions(question):
            if len(found) == 1 and (doc := next(iter(found))) not in out:
                out.append(doc)
        return out

    def asked_of(self, question: str) -> list[str]:
        """The documents named by date when the question asks only what they say: the
        reader reads their chunks alone. None when it names none, or also asks something
        else (a second question, a comparison, another document coordinated with it)."""
        named = self.named(question)
        return named if named and asks_one_thing(question) else []

    def unquoted(self, question: str, quoted: Iterable[str]) -> str | None:
        """Why the answer cannot stand, when the question asks only what documents it names
        by date say and none of ``quoted`` (the answer's quotes' document ids) is one of
        them: retrieval found none of their chunks among those the reader read."""
        named = self.asked_of(question)
        if not named or set(named) & set(quoted):
            return None
        return f"the question asks what {', '.join(named)} says, and no quote is from it"

    def _mentions(self, question: str) -> list[set[str]]:
        """Per date named, the documents that have it (by position in the question)."""
        found: list[tuple[int, set[str]]] = []
        for m in _MONTH_DATE.finditer(question):
            month = f"{m.group('y')}-{MONTHS[m.group('m').lower()]:02d}"
            found.append((m.start(), self._months.get(month, set())))
        for m in NEWEST_STRATEGY.finditer(question):
            found.append((m.start(), self._newest_strategy))
        for pattern, needs_noun in _NAMING:
            for m in pattern.finditer(question):
                nouns = m.group("noun").split() if needs_noun else []
                if needs_noun and not any(_DOCUMENT_OR_EVENT.fullmatch(n) for n in nouns):
                    continue
                found.append((m.start("y"), self._years.get(_span(m.group("y")), set())))
        return [docs for _, docs in sorted(found, key=lambda f: f[0])]
