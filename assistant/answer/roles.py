"""Who holds a role *of an organisation*: the answer must name that organisation.

"Hvem leder Kreftforeningen?", "Hvem er administrerende direktør i Siva?", "Hvem er
SINTEFs representant …?" ask for the person in a relation to one organisation. A quote
that names a leader of something else ("Sigbjørn Smeland, leder for kreftklinikken på
OUS …") answers a different question: the relation is stated where the person and the
organisation are named together, so when none of the answer's quotes names the
organisation, the documents do not answer it. The quotes alone, not the headings above
them: a press release's heading names the organisation it is about, not the office a
person in it holds.

The frame is Norwegian: a role word (a noun of office or a verb of leading or
representing) with the organisation's name right after it ("leder i/for/av/ved X",
"representerer X") or before it in the genitive ("SINTEFs representant"). The
organisation is one of the names the question analysis found
(:attr:`QuestionAnalysis.entities`); English questions are left alone, since their names
are often translations ("Cancer Society") no Norwegian quote holds. Cases:
``tests/answer/test_roles.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.abstention import mentions, words_and_prefixes
from assistant.answer.question import QuestionAnalysis

# Nouns of office and verbs of leading or representing, as whole words ("toppledermøtet"
# holds "leder" but is a meeting).
_ROLE = (
    r"\b(?:leder(?:en|es|s)?|ledet|nestleder\w*|styreleder\w*|direktør\w*|sjef\w*|"
    r"generalsekretær\w*|representant\w*|representerer|representerte|koordinator\w*)\b"
)
_PREPOSITION = r"(?:i|for|av|ved|på|hos)"
_WHO = re.compile(r"^\W*(?:og\s+)?hvem\b", re.IGNORECASE)


def role_organisation(analysis: QuestionAnalysis) -> str | None:
    """The organisation whose role-holder a Norwegian who-question asks for, if any."""
    if analysis.language != "nb" or not _WHO.search(analysis.text):
        return None
    for name in analysis.entities:
        name_re = re.escape(name)
        after = rf"{_ROLE}\s+(?:{_PREPOSITION}\s+)?{name_re}\b"
        genitive = rf"\b{name_re}s?\s+(?:\w+\s+)?{_ROLE}"
        if re.search(after, analysis.text) or re.search(genitive, analysis.text):
            return name
    return None


def unnamed_organisation(analysis: QuestionAnalysis, evidence: Iterable[str]) -> str | None:
    """Why the answer cannot stand, when the question asks who holds a role of an
    organisation that none of ``evidence`` (the answer's quotes) names."""
    name = role_organisation(analysis)
    if name is None:
        return None
    if mentions(name, *words_and_prefixes(evidence)):
        return None
    return f"no quote names {name}, whose role the question asks about"
