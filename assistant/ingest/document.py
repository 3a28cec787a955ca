"""A cleaned, structured document and the map from its text back to the source.

:func:`build_document` composes the cleaned text from the outline (headings
and body parts): each heading and paragraph becomes a paragraph of its own,
separated by a blank line. Every character keeps its source offset, so any
span can be traced to its place in the file (offset and line number).
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.corpus.cleaning import Line, Vocabulary, join_lines
from assistant.corpus.manifest import DocumentMeta
from assistant.ingest.structure import Heading, Outline, Part


@dataclass
class SourceMap:
    """Maps cleaned-text offsets to source-text offsets and line numbers."""

    runs: list[tuple[int, int, int]]  # (clean_start, source_start, length)
    line_starts: list[int]

    @classmethod
    def from_offsets(cls, offsets: list[int], source_text: str) -> SourceMap:
        runs: list[tuple[int, int, int]] = []
        for clean, src in enumerate(offsets):
            if runs and runs[-1][1] + runs[-1][2] == src and runs[-1][0] + runs[-1][2] == clean:
                c, s, n = runs[-1]
                runs[-1] = (c, s, n + 1)
            else:
                runs.append((clean, src, 1))
        line_starts = [0] + [i + 1 for i, ch in enumerate(source_text) if ch == "\n"]
        return cls(runs, line_starts)

    def to_source(self, clean_offset: int) -> int:
        """Source offset of the cleaned character at ``clean_offset``."""
        if not self.runs:
            return 0
        i = max(0, bisect.bisect_right([r[0] for r in self.runs], clean_offset) - 1)
        clean, src, length = self.runs[i]
        return src + min(clean_offset - clean, max(length - 1, 0))

    def line_of(self, source_offset: int) -> int:
        """1-based line number of a source offset."""
        return bisect.bisect_right(self.line_starts, source_offset)

    def span(self, start: int, end: int) -> dict[str, int]:
        """Source offsets and line numbers of the cleaned span ``[start, end)``."""
        src_start = self.to_source(start)
        src_end = self.to_source(max(start, end - 1)) + 1
        return {
            "source_start": src_start,
            "source_end": src_end,
            "line_start": self.line_of(src_start),
            "line_end": self.line_of(src_end - 1),
        }


@dataclass
class Section:
    """A part of a document under one heading; never overlaps another section."""

    id: str
    kind: str
    number: str | None
    title: str
    path: list[str]
    rank: int
    start: int
    end: int
    body_start: int
    page: int | None

    @property
    def path_text(self) -> str:
        return " › ".join(self.path)


@dataclass
class Document:
    """A cleaned document: metadata, text, sections, pages and source map."""

    meta: DocumentMeta
    title: str
    text: str
    sections: list[Section]
    pages: list[tuple[int, int]]  # (clean_start, page) where the page changes
    source_map: SourceMap
    overview: dict[int, list[str]] = field(default_factory=dict)
    content_hash: str = ""

    @property
    def id(self) -> str:
        return self.meta.id

    def page_at(self, offset: int) -> int | None:
        """Page (in the original PDF) of the cleaned character at ``offset``."""
        if not self.pages:
            return None
        i = bisect.bisect_right([p[0] for p in self.pages], offset) - 1
        return self.pages[max(i, 0)][1]

    def section_at(self, offset: int) -> Section | None:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta.to_dict(),
            "title": self.title,
            "text": self.text,
            "sections": [asdict(s) for s in self.sections],
            "pages": self.pages,
            "source_map": {
                "runs": self.source_map.runs,
                "line_starts": self.source_map.line_starts,
            },
            "overview": {str(k): v for k, v in self.overview.items()},
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        meta = DocumentMeta(**data["meta"])
        return cls(
            meta=meta,
            title=data["title"],
            text=data["text"],
            sections=[Section(**s) for s in data["sections"]],
            pages=[tuple(p) for p in data["pages"]],
            source_map=SourceMap(
                [tuple(r) for r in data["source_map"]["runs"]],
                data["source_map"]["line_starts"],
            ),
            overview={int(k): v for k, v in data["overview"].items()},
            content_hash=data["content_hash"],
        )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Composer:
    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.pages: list[tuple[int, int]] = []

    @property
    def position(self) -> int:
        return len(self.chars)

    def paragraph(
        self, lines: list[Line], separator: str, override: tuple[str, list[int]] | None = None
    ) -> int:
        """Append a paragraph after ``separator``; return where its text starts."""
        text, offsets = override or join_lines(lines, self.vocabulary)
        if self.chars:
            prev = self.offsets[-1] + 1
            self.chars.extend(separator)
            self.offsets.extend([prev] * len(separator))
        start = self.position
        self.chars.extend(text)
        self.offsets.extend(offsets)
        self._note_pages(lines, start, offsets)
        return start

    def _note_pages(self, lines: list[Line], start: int, offsets: list[int]) -> None:
        # Each line's first source offset tells where its page begins in this paragraph.
        index = {o: i for i, o in enumerate(offsets)}
        for line in lines:
            if line.page is None or not line.offsets:
                continue
            pos = index.get(line.offsets[0])
            if pos is None:
                continue
            if not self.pages or self.pages[-1][1] != line.page:
                self.pages.append((start + pos, line.page))


def _heading_text(part: Part, heading: Heading) -> tuple[str, list[int]] | None:
    """For a one-line heading with markup (``## Title``), only the title's characters."""
    if len(part.lines) != 1:
        return None
    line = part.lines[0]
    at = line.text.find(heading.title)
    if at <= 0 or line.text[:at].strip("#* "):
        return None
    return heading.title, line.offsets[at : at + len(heading.title)]


def build_document(
    meta: DocumentMeta, source_text: str, outline: Outline, vocabulary: Vocabulary
) -> Document:
    """Compose cleaned text and sections from an outline."""
    composer = _Composer(vocabulary)
    starts: list[tuple[int, int, Heading]] = []  # (heading start, body start, heading)
    previous: Part | None = None
    for part in outline.parts:
        if part.heading is not None:
            start = composer.paragraph(part.lines, "\n\n", _heading_text(part, part.heading))
            starts.append((start, composer.position, part.heading))
            previous = part
            continue
        separator = "\n\n"
        if previous is not None and previous.heading is None and _continues(previous, part):
            separator = " "
        composer.paragraph(part.lines, separator)
        previous = part

    text = "".join(composer.chars)
    title = meta.title or next((h.title for _, _, h in starts if h.kind == "title"), meta.file)
    sections = _sections(meta.id, title, text, starts, composer.pages)
    document = Document(
        meta=meta,
        title=title,
        text=text,
        sections=sections,
        pages=composer.pages,
        source_map=SourceMap.from_offsets(composer.offsets, source_text),
        overview=outline.overview,
        content_hash=content_hash(source_text),
    )
    return document


def _continues(prev: Part, part: Part) -> bool:
    last = prev.lines[-1].text
    first = part.lines[0].text
    return bool(last) and last[-1] not in ".!?:;" and first[:1].islower()


def _sections(
    doc_id: str,
    title: str,
    text: str,
    starts: list[tuple[int, int, Heading]],
    pages: list[tuple[int, int]],
) -> list[Section]:
    def page_at(offset: int) -> int | None:
        if not pages:
            return None
        i = bisect.bisect_right([p[0] for p in pages], offset) - 1
        return pages[max(i, 0)][1]

    sections: list[Section] = []
    if not starts or starts[0][0] > 0:
        end = starts[0][0] if starts else len(text)
        sections.append(
            Section(f"{doc_id}#s0", "root", None, title, [title], 0, 0, end, 0, page_at(0))
        )
    stack: list[Heading] = []
    for i, (start, body_start, heading) in enumerate(starts):
        while stack and stack[-1].rank >= heading.rank:
            stack.pop()
        stack.append(heading)
        path = [h.label for h in stack if h.kind != "title"] or [heading.label]
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        sections.append(
            Section(
                id=f"{doc_id}#s{len(sections)}",
                kind=heading.kind,
                number=heading.number,
                title=heading.title,
                path=path,
                rank=heading.rank,
                start=start,
                end=end,
                body_start=body_start,
                page=page_at(start),
            )
        )
    return sections
