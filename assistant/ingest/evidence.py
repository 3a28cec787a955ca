"""Evidence units: the spans an answer can quote, cut the way the documents are written.

A sentence is the usual unit, but much of what people ask about is written as
structure, not prose: a lead-in and its list ("Følgende partnere deltar:" + the
partners), a heading and the short content under it (an organisation's heading
and the names of its representatives; a box title and its bullets), a goal's
heading and its first paragraph. Each unit is a span ``[start, end)`` of the
document's cleaned text, so every quote stays verbatim, and it lists the sentence
units it is made of (their embeddings score it, no extra model call).

Units are built at ingest and stored with the index. Sentence splitting and section
detection are ours (offsets must stay exact), so this module is too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from assistant.ingest.chunking import Chunk
from assistant.ingest.document import Document, Section
from assistant.ingest.page_furniture import Role, paragraph_roles
from assistant.ingest.sentences import SentenceUnit

UnitKind = Literal["sentence", "list", "heading", "goal"]

MAX_BLOCK_CHARS = 700
"""Longest heading → content or list block quoted as one unit."""
MAX_ITEM_CHARS = 160
"""Longest line of a heading → content block: names and bullets, not prose (prose under a
heading is quoted sentence by sentence)."""

_LIST_ITEM = re.compile(r"[•·▪◦*–-]\s|\d+[.)]\s")
_CONTINUES = re.compile(
    r"[ \n]*(?:[–-]\s*)?(Disse|Dette|Denne|Den|De|Det|Slike|Her|Der|These|This|It|They)\b"
)
_NEXT_SENTENCE = re.compile(r"[^\n]*?[.!?](?=\s|$)")


@dataclass(frozen=True)
class EvidenceUnit:
    """A quotable span of one document, made of sentence units ``members``.

    ``lead_end`` is where the lead-in or heading ends (``start`` for a sentence):
    the part before it says what the rest is about.
    """

    kind: UnitKind
    chunk: int
    start: int
    end: int
    lead_end: int
    members: tuple[int, ...]
    role: Role | None = None
    """Page furniture (caption, byline, stamp): offered only when asked for."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "chunk": self.chunk,
            "start": self.start,
            "end": self.end,
            "lead_end": self.lead_end,
            "members": list(self.members),
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceUnit:
        return cls(
            kind=data["kind"],
            chunk=int(data["chunk"]),
            start=int(data["start"]),
            end=int(data["end"]),
            lead_end=int(data["lead_end"]),
            members=tuple(int(m) for m in data["members"]),
            role=data.get("role"),
        )


def build_evidence(
    documents: dict[str, Document], chunks: list[Chunk], sentences: list[SentenceUnit]
) -> list[EvidenceUnit]:
    """All evidence units of the corpus: sentences, lists, heading → content, goals."""
    by_document: dict[str, list[int]] = {}
    for i, unit in enumerate(sentences):
        by_document.setdefault(chunks[unit.chunk].document_id, []).append(i)
    units: list[EvidenceUnit] = []
    for document_id, members in by_document.items():
        document = documents[document_id]
        units.extend(_document_units(document, members, sentences))
    return units


def _document_units(
    document: Document, members: list[int], sentences: list[SentenceUnit]
) -> list[EvidenceUnit]:
    text = document.text
    roles = paragraph_roles(document)

    def role(start: int) -> Role | None:
        return next((r for s, e, r in roles if s <= start < e), None)

    out: list[EvidenceUnit] = []
    for i in members:
        unit = sentences[i]
        section = document.section_at(unit.start)
        if section is not None and unit.end <= section.body_start:
            continue  # a heading is context, not an answer by itself (see heading units)
        limit = section.end if section else len(text)
        if text[unit.start : unit.end].rstrip().endswith(":"):
            # a lead-in is quoted with its items or not at all ("… vil være:" alone says
            # nothing), so it is a unit only as the head of its list
            list_end = extend_list(text, unit.start, unit.end, limit)
            if list_end > unit.end:
                inside = _members_in(members, sentences, unit.start, list_end)
                out.append(
                    EvidenceUnit(
                        "list", unit.chunk, unit.start, list_end, unit.end, inside, role(unit.start)
                    )
                )
            continue
        end = extend_reference(text, unit.end, limit)
        kind: UnitKind = "sentence"
        out.append(
            EvidenceUnit(kind, unit.chunk, unit.start, end, unit.start, (i,), role(unit.start))
        )
    for section in document.sections:
        block = _heading_block(document, section, members, sentences)
        if block is not None:
            out.append(block)
    return out


def _members_in(
    members: list[int], sentences: list[SentenceUnit], start: int, end: int
) -> tuple[int, ...]:
    return tuple(i for i in members if start <= sentences[i].start < end)


def _heading_block(
    document: Document, section: Section, members: list[int], sentences: list[SentenceUnit]
) -> EvidenceUnit | None:
    """Heading → content: a short section quoted whole; a goal with its first paragraph.

    A section whose body is short (an organisation and its representatives, a box
    title and its bullets) is one unit. A goal section (tiårsmål) is long; its unit
    is the heading and the first paragraph, which states the goal.
    """
    text = document.text
    body_start, end = section.body_start, section.end
    while end > body_start and text[end - 1].isspace():
        end -= 1
    if end <= body_start or section.start >= body_start:
        return None
    kind: UnitKind = "heading"
    lines = [line for line in text[body_start:end].split("\n") if line.strip()]
    if section.kind != "tiarsmal" and any(len(line) > MAX_ITEM_CHARS for line in lines):
        return None
    if end - section.start > MAX_BLOCK_CHARS:
        if section.kind != "tiarsmal":
            return None
        paragraph = text.find("\n\n", body_start + 1, end)
        end = paragraph if paragraph > 0 else end
        if end - section.start > MAX_BLOCK_CHARS:
            return None
        kind = "goal"
    inside = _members_in(members, sentences, section.start, end)
    # the heading need not be a unit of its own (a short one, "SINTEF", is none): one
    # content unit under it is enough ("SINTEF" → "Øystein Risa")
    if not any(sentences[i].start >= body_start for i in inside):
        return None
    heading_end = body_start
    while heading_end > section.start and text[heading_end - 1].isspace():
        heading_end -= 1
    return EvidenceUnit(kind, sentences[inside[0]].chunk, section.start, end, heading_end, inside)


def extend_list(text: str, start: int, end: int, limit: int, max_chars: int = 1200) -> int:
    """Where a unit that introduces a list ("… er:") ends, with the list items."""
    if not text[start:end].rstrip().endswith(":"):
        return end
    position = end
    for line in re.finditer(r"\n+([^\n]+)", text[end:limit]):
        item = line.group(1)
        if not _LIST_ITEM.match(item) and line.start() > 0 and "\n\n" in line.group(0):
            break
        if end + line.end() - start > max_chars:
            break
        position = end + line.end()
    return position


def extend_reference(text: str, end: int, limit: int, max_chars: int = 400) -> int:
    """Take the next sentence along when it points back ("Disse er …", "Den forvaltes av …")."""
    match = _CONTINUES.match(text, end, limit)
    if match is None or "\n\n" in text[end : match.start(1)]:
        return end
    sentence = _NEXT_SENTENCE.match(text, match.start(1), limit)
    if sentence is None or sentence.end() - end > max_chars:
        return end
    return sentence.end()


def block_sentence(text: str) -> str:
    """A block's lines as one sentence: "Heading: item, item og item." (for answer text)."""
    lines = [
        _LIST_ITEM.sub("", line.strip(), count=1).strip()
        for line in text.split("\n")
        if line.strip()
    ]
    if len(lines) < 2:
        return " ".join(lines)
    if any(len(line) > MAX_ITEM_CHARS for line in lines[1:]):
        return f"{lines[0].rstrip(':')}: " + " ".join(lines[1:])  # a heading over prose
    head, items = lines[0].rstrip(":"), [i.rstrip(".;,") for i in lines[1:]]
    listed = ", ".join(items[:-1]) + f" og {items[-1]}" if len(items) > 1 else items[0]
    return f"{head}: {listed}."
