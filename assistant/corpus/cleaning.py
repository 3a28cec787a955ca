"""Cleaning: repair what PDF extraction and web printing did to the text.

Works on lines, and keeps for every character the offset it came from in the
source text, so that any span of cleaned text can be traced back to the file.

- Odd spaces (no-break, en space, tab) become plain spaces, one for one.
- Print boilerplate ("Meldinger ved utskriftstidspunkt …", link placeholders
  ``[…](#)``) is dropped; an inline link keeps its text.
- In text extracted from a PDF (layout ``pdf-text``) a line starting with a
  single space opens a new page and a line holding only a number is the printed
  page number; both give every line its page in the original PDF.
- Lines are joined into paragraphs; a word split across a line break without a
  hyphen (``Livmorhals`` / ``programmet``) is joined when the corpus's own
  vocabulary says the joined word is the right reading.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.corpus.loaders import SourceText

_ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2007\u2009\u202f\t"), " ")
_BOILERPLATE = [
    re.compile(r"^Meldinger ved utskriftstidspunkt\b"),
    re.compile(r"^Det ble ikke vist noen globale meldinger\b"),
    # regjeringen.no's archive label, printed above archived pages
    re.compile(r"^Historisk arkiv$"),
    re.compile(r"\bFølg oss på (Facebook|Twitter|X|LinkedIn)\b"),
]
_LINK_ONLY = re.compile(r"^[\s→>•*-]*(\[[^\]]*\]\(#?\)\s*)+$")
_INLINE_LINK = re.compile(r"\[([^\]]*)\]\(#?\)")
_PAGE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")
_BULLET = re.compile(r"^(?:[•·▪◦*–-]\s|\d+\.\s|[•·▪◦])")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass
class Line:
    """One line of source text after normalisation, with per-char source offsets."""

    text: str
    offsets: list[int]
    page: int | None = None
    page_start: bool = False
    wrapped: bool = False  # the raw line ended in whitespace: a soft line wrap
    indent: int = 0

    @property
    def is_bullet(self) -> bool:
        return bool(_BULLET.match(self.text))


@dataclass
class Block:
    """Consecutive non-blank lines: a paragraph, heading or list in the source."""

    lines: list[Line]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


def detect_pdf_layout(text: str) -> bool:
    """True when the text looks extracted from a PDF: page-start spaces and page numbers."""
    lines = text.split("\n")
    numbers = sum(1 for line in lines if _PAGE_NUMBER.match(line))
    page_starts = sum(1 for line in lines if re.match(r"^ [^\s]", line))
    return numbers >= 1 and page_starts >= 3


def split_lines(source: SourceText, pdf_layout: bool) -> list[Line | None]:
    """Normalised lines (None for blank lines) with pages; boilerplate and page numbers dropped."""
    raw_lines: list[tuple[str, int]] = []
    offset = 0
    for raw in source.text.split("\n"):
        raw_lines.append((raw, offset))
        offset += len(raw) + 1

    pages = _pdf_text_pages(raw_lines) if pdf_layout else None
    page_starts = source.page_starts
    out: list[Line | None] = []
    for i, (raw, start) in enumerate(raw_lines):
        normalised = raw.translate(_ODD_SPACES).rstrip("\r")
        if not normalised.strip() or (pdf_layout and _PAGE_NUMBER.match(normalised)):
            out.append(None)
            continue
        if any(p.search(normalised.strip()) for p in _BOILERPLATE) or _LINK_ONLY.match(normalised):
            out.append(None)
            continue
        lead = len(normalised) - len(normalised.lstrip(" "))
        body = normalised.strip(" ")
        body_start = start + lead
        text, offsets = _strip_inline_links(body, body_start)
        page: int | None
        if pages is not None:
            page = pages[i][0]
        elif page_starts:
            page = _page_for_offset(page_starts, start)
        else:
            page = None
        out.append(
            Line(
                text=text,
                offsets=offsets,
                page=page,
                page_start=bool(pages and pages[i][1]),
                wrapped=normalised != normalised.rstrip(" "),
                indent=lead,
            )
        )
    return out


def _strip_inline_links(text: str, start: int) -> tuple[str, list[int]]:
    """Keep a link's text, drop its markup, and squeeze runs of spaces to one."""
    keep: list[int] = []
    pos = 0
    for match in _INLINE_LINK.finditer(text):
        keep.extend(range(pos, match.start()))
        keep.extend(range(match.start(1), match.end(1)))
        pos = match.end()
    keep.extend(range(pos, len(text)))
    chars: list[str] = []
    offsets: list[int] = []
    for j in keep:
        if text[j] == " " and chars and chars[-1] == " ":
            continue
        chars.append(text[j])
        offsets.append(start + j)
    return "".join(chars), offsets


def _page_for_offset(page_starts: list[tuple[int, int]], offset: int) -> int:
    page = page_starts[0][1]
    for start, number in page_starts:
        if start > offset:
            break
        page = number
    return page


def _pdf_text_pages(raw_lines: list[tuple[str, int]]) -> list[tuple[int, bool]]:
    """Page number and page-start flag per raw line of PDF-extracted text.

    Pages are counted from the page-start markers; the printed page numbers
    anchor the count to the PDF's own numbering (the most common offset wins).
    Without printed numbers the first page is page 1.
    """
    index = 0
    seen_text = False
    after_number = False
    relative: list[tuple[int, bool]] = []
    anchors: Counter[int] = Counter()
    for raw, _ in raw_lines:
        line = raw.translate(_ODD_SPACES)
        if not line.strip():
            relative.append((index, False))
            continue
        if _PAGE_NUMBER.match(line):
            anchors[int(line.strip()) - index] += 1
            after_number = True
            relative.append((index, False))
            continue
        # Test the raw line: a tab-indented list item is not a page start.
        starts_page = bool(re.match(r"^ [^\s]", raw)) or after_number
        if starts_page and seen_text:
            index += 1
        after_number = False
        seen_text = True
        relative.append((index, starts_page))
    shift = anchors.most_common(1)[0][0] if anchors else 1
    return [(i + shift, flag) for i, flag in relative]


def blocks_of(lines: Iterable[Line | None]) -> list[Block]:
    """Group lines into blocks separated by blank lines or by the start of a page."""
    blocks: list[Block] = []
    current: list[Line] = []
    for line in lines:
        if line is not None and line.page_start and current:
            blocks.append(Block(current))
            current = []
        if line is None:
            if current:
                blocks.append(Block(current))
                current = []
        else:
            current.append(line)
    if current:
        blocks.append(Block(current))
    return blocks


class Vocabulary:
    """Word and word-pair counts of a corpus, taken within lines only."""

    def __init__(self) -> None:
        self.words: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()

    def add_text(self, text: str) -> None:
        for line in text.split("\n"):
            tokens = [t.lower() for t in _WORD.findall(line.translate(_ODD_SPACES))]
            self.words.update(tokens)
            self.pairs.update(itertools.pairwise(tokens))

    def should_join(self, left: str, right: str) -> bool:
        """Is ``left`` + ``right`` one word split by a line break?

        Yes when the joined word occurs in the corpus, or when the two never
        occur side by side as separate words.
        """
        left, right = left.lower(), right.lower()
        if self.words[left + right] > 0:
            return True
        return self.pairs[(left, right)] == 0


def join_lines(lines: list[Line], vocabulary: Vocabulary) -> tuple[str, list[int]]:
    """One paragraph from a block's lines; returns text and per-char source offsets."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, line in enumerate(lines):
        if i:
            separator = _separator(lines[i - 1], line, vocabulary)
            if separator:
                chars.append(separator)
                offsets.append(lines[i - 1].offsets[-1] + 1)
        chars.extend(line.text)
        offsets.extend(line.offsets)
    return "".join(chars), offsets


def _separator(prev: Line, line: Line, vocabulary: Vocabulary) -> str:
    if line.is_bullet or (line.indent >= 2 and not line.page_start):
        return "\n"
    if prev.wrapped or not line.text[:1].islower():
        return " "
    if prev.text.endswith(("-", "/")) and not prev.text.endswith((" -", " /")):
        return ""  # "HPV-" + "vaksinasjon", "videreutdanning/" + "spesialisering"
    left = _WORD.findall(prev.text)
    right = _WORD.findall(line.text)
    if left and right and prev.text[-1].isalpha() and vocabulary.should_join(left[-1], right[0]):
        return ""
    return " "
