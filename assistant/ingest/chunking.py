"""Chunking: cut each section into passages for retrieval.

With structure (the default) a chunk never straddles two sections: paragraphs
of one section are packed together up to ``max_chars``; a longer paragraph is
cut between sentences. Without structure (a baseline) the whole text is cut
into fixed-size windows. A chunk's text is always an exact slice of the
document's cleaned text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from assistant.ingest.document import Document, Section
from assistant.ingest.sentences import sentence_boundaries


@dataclass
class Chunk:
    """A passage of a document, the unit that is embedded, ranked and cited."""

    id: str
    document_id: str
    section_id: str
    section: str
    start: int
    end: int
    page: int | None
    text: str
    malomrade: int | None = None
    tiarsmal: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _goal_numbers(section: Section) -> tuple[int | None, int | None]:
    malomrade = tiarsmal = None
    for label in section.path:
        if m := re.match(r"Målområde (\d+)", label):
            malomrade = int(m.group(1))
        if m := re.match(r"Tiårsmål (\d+)", label):
            tiarsmal = int(m.group(1))
    return malomrade, tiarsmal


def _pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Paragraph spans in [start, end); paragraphs longer than max_chars cut at sentences."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text[start:end]):
        p_start, p_end = start + match.start(), start + match.end()
        if p_end - p_start <= max_chars:
            spans.append((p_start, p_end))
            continue
        cut = p_start
        ends = list(sentence_boundaries(text, p_start, p_end))
        while p_end - cut > max_chars:
            fitting = [m for m in ends if cut < m.start() <= cut + max_chars]
            following = [m for m in ends if m.start() > cut]
            split = fitting[-1] if fitting else (following[0] if following else None)
            if split is None:
                break  # one sentence longer than max_chars: keep it whole
            spans.append((cut, split.start()))
            cut = split.end()
        spans.append((cut, p_end))
    return spans


def _pack(
    text: str, spans: list[tuple[int, int]], max_chars: int, min_chars: int
) -> list[tuple[int, int]]:
    packed: list[tuple[int, int]] = []
    for start, end in spans:
        if packed:
            p_start, p_end = packed[-1]
            small = p_end - p_start < min_chars
            # a paragraph that announces a list ("… er:") stays with the list
            announces = (
                text[p_start:p_end].rstrip().endswith(":") and end - p_start <= 2 * max_chars
            )
            if end - p_start <= max_chars or small or announces:
                packed[-1] = (p_start, end)
                continue
        packed.append((start, end))
    return packed


def chunk_document(
    doc: Document, max_chars: int = 900, min_chars: int = 200, structure: bool = True
) -> list[Chunk]:
    """Chunks of a document, in reading order."""
    chunks: list[Chunk] = []
    if structure:
        for section in doc.sections:
            malomrade, tiarsmal = _goal_numbers(section)
            pieces = _pieces(doc.text, section.start, section.end, max_chars)
            spans = _pack(doc.text, pieces, max_chars, min_chars)
            for start, end in spans:
                if not doc.text[start:end].strip():
                    continue
                chunks.append(_chunk(doc, len(chunks), section, start, end, malomrade, tiarsmal))
        return chunks
    position = 0
    while position < len(doc.text):
        end = min(len(doc.text), position + max_chars)
        if end < len(doc.text):
            space = doc.text.rfind(" ", position + max_chars // 2, end)
            end = space if space > position else end
        section = doc.section_at(position) or doc.sections[0]
        malomrade, tiarsmal = _goal_numbers(section)
        if doc.text[position:end].strip():
            chunks.append(_chunk(doc, len(chunks), section, position, end, malomrade, tiarsmal))
        position = end
        while position < len(doc.text) and doc.text[position].isspace():
            position += 1
    return chunks


def _chunk(
    doc: Document,
    n: int,
    section: Section,
    start: int,
    end: int,
    malomrade: int | None,
    tiarsmal: int | None,
) -> Chunk:
    return Chunk(
        id=f"{doc.id}:{n:04d}",
        document_id=doc.id,
        section_id=section.id,
        section=section.path_text,
        start=start,
        end=end,
        page=doc.page_at(start),
        text=doc.text[start:end],
        malomrade=malomrade,
        tiarsmal=tiarsmal,
    )
