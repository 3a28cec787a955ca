"""Sentence units: the quotable pieces of a chunk (sentences and list items).

Units are found at ingest and embedded once, so answering can pick the
sentences that answer a question without calling the model again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? followed by space and a capital, digit, quote or dash.
_SENTENCE_END = re.compile(r"(?<=[.!?»\"])\s+(?=[«\"(–-]?\s?[A-ZÆØÅ0-9])")
_MIN_UNIT = 12
# Common Norwegian abbreviations and initials: a period after them ends no sentence.
_NO_END_BEFORE = re.compile(
    r"(?:\b(?:St|Dr|Prof|dvs|jf|ca|bl\.a|f\.eks|nr|kl|mill|evt|mht|pga|ev|osv|mv|inkl|ekskl|vs)"
    r"|\b[A-ZÆØÅ]|^\s*\d{1,2})\.$"
)


@dataclass(frozen=True)
class SentenceUnit:
    """A quotable span ``[start, end)`` of a document's cleaned text, inside one chunk."""

    chunk: int  # position of the chunk in the index
    start: int
    end: int


def split_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of sentences and list items in ``text[start:end]``, trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        l_start = start + line.start()
        l_end = start + line.end()
        cut = l_start
        for boundary in _SENTENCE_END.finditer(text, l_start, l_end):
            if _NO_END_BEFORE.search(text[cut : boundary.start()]):
                continue
            spans.append((cut, boundary.start()))
            cut = boundary.end()
        spans.append((cut, l_end))
    trimmed: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= _MIN_UNIT:
            trimmed.append((s, e))
        elif trimmed and e > s:
            # a fragment too short to stand alone joins the unit before it
            trimmed[-1] = (trimmed[-1][0], e)
    return trimmed
