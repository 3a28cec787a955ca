"""Page furniture: captions, bylines and publication stamps, typed at ingest.

An article's page carries text that is about the page rather than the story: the
caption of a photo ("Mari Nygård, Ketil Wideberg, … på toppledermøte …"), a byline
("Foto: …"), a publication stamp ("PUBLISERT 18. DES. 2024 | OPPDATERT …"). Quoted as
the answer to "who did …" or "what happened …" they mislead, so each such paragraph is
typed here, from the page's structure and the language of page metadata, and the
reader offers it only to a question that asks for it (:func:`offered_for`): a
publication stamp to a question about publication, a caption or byline to one about a
photo. ``tests/ingest/test_page_furniture.py`` holds the table of cases.

- ``stamp``: a short paragraph opening with a label of page metadata (publisert,
  oppdatert, utgiver; published, updated, publisher).
- ``byline``: a short paragraph opening with "Foto:", "Tekst:", "Av", "By" and a name.
- ``names`` and ``caption``: a one-line paragraph standing where an image was (two or
  more blank lines before it in the source file, and not a heading) that enumerates
  three or more names (who is in the photo), or is a label rather than a sentence (no
  closing full stop: the scene, "Livlig passiar … i Kreftforeningens Vitensenter").
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.ingest.document import Document

Role = Literal["caption", "names", "byline", "stamp"]

MAX_FURNITURE_CHARS = 300
"""A caption, byline or stamp is a line or two; a longer paragraph is body text."""

_I = re.IGNORECASE
_STAMP = re.compile(
    r"^\W*(publisert|oppdatert|sist oppdatert|utgiver|utgitt|published|updated|last updated|"
    r"publisher)\b",
    _I,
)
_BYLINE = re.compile(
    r"^(?:(?:foto|fotograf|tekst|illustrasjon|photo|photograph|text|illustration)\s*:\s*|"
    r"(?:av|by)\s+)[A-ZÆØÅ][\w.-]*(?:\s+[A-ZÆØÅ][\w.-]*)*\s*$"
)
_NAME = r"[A-ZÆØÅ][\wæøåé.-]+(?:\s+[A-ZÆØÅ][\wæøåé.-]+)+"
_NAMES = re.compile(rf"^{_NAME}(?:\s*,\s*{_NAME}){{1,}}(?:,?\s+(?:og|and)\s+{_NAME})?")
_SENTENCE_END = re.compile(r"[.!?:]\s*$")

_ASKS_PUBLICATION = re.compile(
    r"\b(publiser\w*|oppdater\w*|utgitt|utgiver\w*|utgir|utga|ga ut|gir ut|gitt ut|"
    r"published|publication|updated|publisher|issued)\b",
    _I,
)
_ASKS_PICTURE = re.compile(r"\b(bilde\w*|foto\w*|photo\w*|pictures?|images?|fotograf\w*)\b", _I)


def blank_lines_before(document: Document, start: int) -> int:
    """Blank lines in the source file between the paragraph at ``start`` and the one before.

    The cleaned text separates paragraphs by one empty line whatever the source had; the
    source map keeps the source's lines.
    """
    if start < 2:
        return 0
    source = document.source_map
    return max(
        0, source.line_of(source.to_source(start)) - source.line_of(source.to_source(start - 3)) - 1
    )


def role_of(document: Document, start: int, end: int) -> Role | None:
    """The role of the paragraph ``[start, end)`` of the document's cleaned text, if any."""
    text = document.text[start:end].strip()
    if not text or len(text) > MAX_FURNITURE_CHARS:
        return None
    if _STAMP.match(text):
        return "stamp"
    if _BYLINE.match(text):
        return "byline"
    if "\n" in text or blank_lines_before(document, start) < 2:
        return None
    if any(s.start <= start < s.body_start for s in document.sections):
        return None  # a heading after a page break or a gap, not a caption
    if _NAMES.match(text):
        return "names"
    if not _SENTENCE_END.search(text):
        return "caption"
    return None


def paragraph_roles(document: Document) -> list[tuple[int, int, Role]]:
    """Every typed paragraph of a document: (start, end, role)."""
    out: list[tuple[int, int, Role]] = []
    position = 0
    text = document.text
    while position < len(text):
        found = text.find("\n\n", position)
        end = len(text) if found < 0 else found
        role = role_of(document, position, end)
        if role is not None:
            out.append((position, end, role))
        if found < 0:
            break
        position = found + 2
    return out


def offered_for(role: str | None, question: str, answer_type: str = "other") -> bool:
    """May a unit of this role answer the question? Body text always; furniture if asked.

    A stamp answers a question about publication; a byline or a caption of names one
    about a photo; a scene caption also one asking where or when (a scene's place and
    date are what such a caption states).
    """
    if role is None:
        return True
    if role == "stamp":
        return bool(_ASKS_PUBLICATION.search(question))
    if role == "caption" and answer_type in ("place", "date"):
        return True
    return bool(_ASKS_PICTURE.search(question))
