"""Sentences: the one place that knows where a Norwegian sentence ends.

Chunking cuts long paragraphs here, sentence units (the quotable pieces of a
chunk: sentences and list items) are found here at ingest and embedded once,
and the generative verifier splits a model's answer here, so all three agree on
what a sentence is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A sentence ends at . ! ? » " followed by space and a capital, digit, quote or
# dash. A citation marker ("… i 2025 [2]") closes a sentence too: that is how a
# generated answer marks its sources (the corpus itself has no such markers).
_SENTENCE_END = re.compile(r"(?<=[.!?»\"\]])\s+(?=[«\"(–-]?\s?[A-ZÆØÅ0-9])")
_MIN_UNIT = 12
# Common Norwegian abbreviations and initials: a period after them ends no sentence. Nor
# does the period of a list ordinal, at the start or after a colon ("… fem målområder: 1.
# Norge skal …"): the number belongs to the item it opens (models write lists inline).
_NO_END_BEFORE = re.compile(
    r"(?:\b(?i:st|dr|prof|dvs|jf|ca|bl\.a|f\.eks|nr|kl|mill|evt|mht|pga|ev|osv|mv|inkl|ekskl|vs)"
    r"|\b[A-ZÆØÅ]|^\s*\d{1,2}|:\s*\d{1,2})\.$"
)


@dataclass(frozen=True)
class SentenceUnit:
    """A quotable span ``[start, end)`` of a document's cleaned text, inside one chunk."""

    chunk: int  # position of the chunk in the index
    start: int
    end: int


def sentence_boundaries(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The whitespace runs in ``text[start:end]`` that end a sentence, in order.

    A boundary is a run of space after ``. ! ? » "`` or a citation marker,
    followed by a capital, a digit, a quote or a dash; a period after a common
    abbreviation or an initial ends no sentence.
    """
    cut = start
    for boundary in _SENTENCE_END.finditer(text, start, end):
        if _NO_END_BEFORE.search(text[cut : boundary.start()]):
            continue
        yield boundary
        cut = boundary.end()


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences (a line ends one too) in ``text[start:end]``, trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        l_start = start + line.start()
        l_end = start + line.end()
        cut = l_start
        for boundary in sentence_boundaries(text, l_start, l_end):
            spans.append((cut, boundary.start()))
            cut = boundary.end()
        spans.append((cut, l_end))
    trimmed: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def split_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of sentences and list items in ``text[start:end]``, trimmed of whitespace.

    A fragment too short to stand alone joins the unit before it.
    """
    trimmed: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if e - s >= _MIN_UNIT:
            trimmed.append((s, e))
        elif trimmed:
            trimmed[-1] = (trimmed[-1][0], e)
    return trimmed
