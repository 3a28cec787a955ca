"""Where a quote stands: its surrounding paragraph, and the whole document around it.

The shells show evidence through this module rather than reading the index
themselves: :class:`EvidenceContext` turns a :class:`Citation` into the
paragraph it was quoted from (with the quote's offsets inside it), and a
document id plus a span into the document's cleaned text split into
paragraphs and headings, ready to be rendered with the span highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.models import Citation
from assistant.index.catalogue import Catalogue
from assistant.ingest.document import Document

PARAGRAPH_BREAK = "\n\n"
SHORT_PARAGRAPH = 160  # a heading or a one-liner: the next paragraph is shown with it
CONTEXT_CHARS = 320  # most characters shown on each side of a quote


@dataclass(frozen=True)
class DocumentInfo:
    """What a document is, for a source list: id, title, kind, date."""

    id: str
    title: str
    kind: str
    date: str | None
    publisher: str | None


@dataclass(frozen=True)
class QuoteInContext:
    """A quote inside its surrounding paragraph.

    ``text[quote_start:quote_end]`` is the quote; ``text`` is the document's
    cleaned text ``[start, end)``, trimmed to about :data:`CONTEXT_CHARS` on
    each side of the quote (``clipped_before`` / ``clipped_after`` say where).
    """

    document: DocumentInfo
    section: str
    page: int | None
    text: str
    quote_start: int
    quote_end: int
    start: int
    end: int
    clipped_before: bool
    clipped_after: bool

    @property
    def before(self) -> str:
        return self.text[: self.quote_start]

    @property
    def quote(self) -> str:
        return self.text[self.quote_start : self.quote_end]

    @property
    def after(self) -> str:
        return self.text[self.quote_end :]


@dataclass(frozen=True)
class Block:
    """One paragraph or heading of a document, at ``[start, end)`` of its cleaned text."""

    start: int
    end: int
    text: str
    heading_rank: int | None  # None for body text; 1 for the top level
    page: int | None  # page of the original PDF where the block starts, when known


@dataclass(frozen=True)
class DocumentView:
    """A whole document as blocks, with the span to highlight (if any was valid)."""

    document: DocumentInfo
    blocks: list[Block]
    highlight: tuple[int, int] | None
    section: str | None
    page: int | None


@dataclass(frozen=True)
class GoalArea:
    """A målområde for filtering: its number and title."""

    number: int
    title: str


class EvidenceContext:
    """Reads quotes' surroundings and whole documents out of a loaded index."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue

    def kinds(self) -> list[str]:
        """The document kinds present in the index, sorted."""
        return self.catalogue.kinds()

    def goal_areas(self) -> list[GoalArea]:
        """The målområder of the goal registry, by number."""
        return [GoalArea(m.number, m.title) for m in self.catalogue.goals.malomrader]

    def around(self, citation: Citation) -> QuoteInContext:
        """The paragraph the citation's quote stands in, with the quote's offsets inside it.

        Raises UnknownDocumentError for an unknown document and ValueError when
        the citation's span is not inside the document's text.
        """
        document = self.catalogue.document(citation.document_id)
        text = document.text
        start, end = citation.start, citation.end
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"Span [{start}, {end}) is outside document '{document.id}' ({len(text)} chars)."
            )
        para_start, para_end = paragraph_bounds(text, start, end)
        following = para_end + len(PARAGRAPH_BREAK)
        if para_end - para_start < SHORT_PARAGRAPH and following < len(text):
            # A heading alone says little: show the paragraph it introduces too.
            _, para_end = paragraph_bounds(text, following, following + 1)
        shown_start = _clip_start(text, para_start, start)
        shown_end = _clip_end(text, para_end, end)
        return QuoteInContext(
            document=_info(document),
            section=citation.section,
            page=citation.page,
            text=text[shown_start:shown_end],
            quote_start=start - shown_start,
            quote_end=end - shown_start,
            start=shown_start,
            end=shown_end,
            clipped_before=shown_start > para_start,
            clipped_after=shown_end < para_end,
        )

    def document(
        self, document_id: str, start: int | None = None, end: int | None = None
    ) -> DocumentView:
        """The whole document as blocks; ``[start, end)`` is highlighted when it is a valid span.

        Raises UnknownDocumentError for an unknown document; an invalid span is ignored.
        """
        document = self.catalogue.document(document_id)
        highlight = None
        if start is not None and end is not None and 0 <= start < end <= len(document.text):
            highlight = (start, end)
        section = document.section_at(highlight[0]) if highlight else None
        return DocumentView(
            document=_info(document),
            blocks=blocks(document),
            highlight=highlight,
            section=section.path_text if section else None,
            page=document.page_at(highlight[0]) if highlight else None,
        )


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The smallest run of whole paragraphs of ``text`` that contains ``[start, end)``."""
    before = text.rfind(PARAGRAPH_BREAK, 0, start)
    para_start = 0 if before < 0 else before + len(PARAGRAPH_BREAK)
    after = text.find(PARAGRAPH_BREAK, max(end, para_start))
    para_end = len(text) if after < 0 else after
    return para_start, max(para_end, end)


def blocks(document: Document) -> list[Block]:
    """The document's paragraphs in order; those that open a section carry its rank."""
    text = document.text
    heading_ranks = {s.start: s.rank for s in document.sections if s.kind != "root"}
    heading_ends = {s.start: s.body_start for s in document.sections if s.kind != "root"}
    out: list[Block] = []
    position = 0
    while position <= len(text):
        found = text.find(PARAGRAPH_BREAK, position)
        end = len(text) if found < 0 else found
        if end > position:
            rank = heading_ranks.get(position)
            if rank is not None and position < heading_ends[position] < end:
                # heading and body share a paragraph: split at the body
                body = heading_ends[position]
                page = document.page_at(position)
                out.append(Block(position, body, text[position:body], rank, page))
                out.append(Block(body, end, text[body:end], None, document.page_at(body)))
            else:
                out.append(
                    Block(position, end, text[position:end], rank, document.page_at(position))
                )
        if found < 0:
            break
        position = found + len(PARAGRAPH_BREAK)
    return out


def _info(document: Document) -> DocumentInfo:
    meta = document.meta
    return DocumentInfo(meta.id, document.title, meta.kind, meta.date, meta.publisher)


def _clip_start(text: str, para_start: int, quote_start: int) -> int:
    if quote_start - para_start <= CONTEXT_CHARS:
        return para_start
    cut = quote_start - CONTEXT_CHARS
    space = text.find(" ", cut, quote_start)
    return space + 1 if space >= 0 else cut


def _clip_end(text: str, para_end: int, quote_end: int) -> int:
    if para_end - quote_end <= CONTEXT_CHARS:
        return para_end
    cut = quote_end + CONTEXT_CHARS
    space = text.rfind(" ", quote_end, cut)
    return space if space >= 0 else cut
