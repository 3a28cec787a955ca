"""Structure: find the headings of a document and what lies under them.

Three kinds of documents are recognised:

- ``pdf-text`` (the strategy): chapters start a page; ``Målområde N`` and
  ``Tiårsmål N`` open the numbered goal sections; ``Boks N.M`` opens a box;
  a short line followed directly by text is a sub-heading. A tiårsmål's title
  runs over one to four lines; how many is decided by comparing with the
  overview box, which lists every goal (without numbers) under its målområde.
- ``markdown`` (``#`` headings and lines that are only ``**bold**``).
- ``plain`` web pages: the first line is the title; a short stand-alone line
  followed by a paragraph is a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.corpus.cleaning import Block, Line

_MALOMRADE = re.compile(r"^Målområde\s+(\d+)$")
_MALOMRADE_OVERVIEW = re.compile(r"^Målområde\s+(\d+):\s*(.*)$")
_TIARSMAL = re.compile(r"^Tiårsmål\s+(\d+)$")
_BOX = re.compile(r"^Boks\s+(\d+\.\d+)\s+(.+)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*$")
_NO_HEADING_END = ".!?:;,"

RANK_TOP = 1
RANK_GOAL = 2
RANK_SUB = 3


@dataclass
class Heading:
    """A detected heading: its kind, rank in the hierarchy and display label."""

    kind: str  # title | chapter | malomrade | tiarsmal | box | heading
    rank: int
    title: str
    number: str | None = None

    @property
    def label(self) -> str:
        """The heading as shown in a section path."""
        if self.kind == "malomrade":
            return f"Målområde {self.number}"
        if self.kind == "tiarsmal":
            return f"Tiårsmål {self.number}: {self.title}"
        if self.kind == "box":
            return f"Boks {self.number} {self.title}"
        return self.title


@dataclass
class Part:
    """Lines of the document that form either a heading or body text."""

    lines: list[Line]
    heading: Heading | None = None


@dataclass
class Outline:
    """The parts of a document in order, and the goal overview if it has one."""

    parts: list[Part]
    overview: dict[int, list[str]]


def detect(blocks: list[Block], layout: str) -> Outline:
    """Split blocks into heading and body parts for the given layout."""
    if layout == "markdown":
        return Outline(_drop_repeats(_markdown(blocks)), {})
    if layout == "pdf-text":
        overview = parse_overview(blocks)
        return Outline(_drop_repeats(_pdf_text(blocks, overview)), overview)
    return Outline(_drop_repeats(_plain(blocks)), {})


def _drop_repeats(parts: list[Part]) -> list[Part]:
    """Drop body text printed twice: a repeat of earlier text, or a teaser the next part repeats."""
    seen: set[str] = set()
    kept: list[Part] = []
    for i, part in enumerate(parts):
        text = " ".join(line.text for line in part.lines)
        following = parts[i + 1] if i + 1 < len(parts) else None
        if part.heading is None and len(text) >= 40:
            if text in seen:
                continue
            if following is not None and following.heading is None:
                next_text = " ".join(line.text for line in following.lines)
                if next_text.startswith(text) and len(next_text) > len(text):
                    continue
            seen.add(text)
        kept.append(part)
    return kept


def parse_overview(blocks: list[Block]) -> dict[int, list[str]]:
    """Goals listed under ``Målområde N: …`` lines as bullets (the overview box)."""
    overview: dict[int, list[str]] = {}
    current: int | None = None
    for block in blocks:
        first = block.lines[0].text
        match = _MALOMRADE_OVERVIEW.match(first)
        if match:
            current = int(match.group(1))
            overview.setdefault(current, [])
        elif current is not None and block.lines[0].is_bullet:
            overview[current].append(_strip_bullet(block.text))
        else:
            current = None
    return overview


def _strip_bullet(text: str) -> str:
    return re.sub(r"^[•·▪◦*–-]\s*", "", text).strip()


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _similarity(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def _title_line_count(lines: list[Line], candidates: list[str]) -> int:
    """How many of ``lines`` form the goal title (1–4), judged against the overview."""
    limit = min(4, len(lines))
    if candidates:
        best, best_k = -1.0, 1
        for k in range(1, limit + 1):
            text = " ".join(line.text for line in lines[:k])
            score = max(_similarity(text, c) for c in candidates)
            if score > best + 1e-9:
                best, best_k = score, k
        return best_k
    # No overview: the title ends at the first line that is not soft-wrapped.
    for k, line in enumerate(lines[:limit], start=1):
        if not line.wrapped:
            return k
    return limit


def _is_short_title(text: str, max_len: int = 60) -> bool:
    return (
        0 < len(text) <= max_len
        and text[-1] not in _NO_HEADING_END
        and text[:1].isupper()
        and ":" not in text
        and not re.match(r"^[•·▪◦*–-]", text)
    )


def _sub_heading(block: Block) -> bool:
    """A short line followed directly (no blank line) by running text."""
    lines = block.lines
    return (
        len(lines) >= 2
        and not lines[0].wrapped
        and _is_short_title(lines[0].text)
        and len(lines[1].text) >= 50
    )


def _pdf_text(blocks: list[Block], overview: dict[int, list[str]]) -> list[Part]:
    goal_titles = [title for titles in overview.values() for title in titles]
    parts: list[Part] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        first = block.lines[0].text
        if match := _MALOMRADE.match(first):
            title_block = blocks[i + 1] if i + 1 < len(blocks) else None
            rest = block.lines[1:]
            if not rest and title_block and len(title_block.lines) <= 5:
                heading = Heading("malomrade", RANK_TOP, title_block.text, match.group(1))
                parts.append(Part(block.lines + title_block.lines, heading))
                i += 2
                continue
            parts.append(Part(block.lines[:1], Heading("malomrade", RANK_TOP, "", match.group(1))))
            if rest:
                parts.append(Part(rest))
        elif match := _TIARSMAL.match(first):
            rest = block.lines[1:]
            if not rest and i + 1 < len(blocks):
                i += 1
                rest = blocks[i].lines
            k = _title_line_count(rest, goal_titles) if rest else 0
            title = " ".join(line.text for line in rest[:k])
            heading = Heading("tiarsmal", RANK_GOAL, title, match.group(1))
            parts.append(Part(block.lines[:1] + rest[:k], heading))
            if rest[k:]:
                parts.append(Part(rest[k:]))
        elif match := _BOX.match(first):
            parts.append(
                Part(block.lines[:1], Heading("box", RANK_SUB, match.group(2), match.group(1)))
            )
            if block.lines[1:]:
                parts.append(Part(block.lines[1:]))
        elif (
            block.lines[0].page_start
            and len(block.lines) <= 2
            and _is_short_title(block.text)
            and not _MALOMRADE_OVERVIEW.match(first)
        ):
            parts.append(Part(block.lines, Heading("chapter", RANK_TOP, block.text)))
        elif _sub_heading(block):
            parts.append(Part(block.lines[:1], Heading("heading", RANK_SUB, first)))
            parts.append(Part(block.lines[1:]))
        else:
            parts.append(Part(block.lines))
        i += 1
    return parts


def _markdown(blocks: list[Block]) -> list[Part]:
    parts: list[Part] = []
    last: tuple[int, bool] = (1, False)  # rank and bold style of the last heading
    for block in blocks:
        body: list[Line] = []
        for line in block.lines:
            heading = _markdown_heading(line, last)
            if heading is None:
                body.append(line)
                continue
            if body:
                parts.append(Part(body))
                body = []
            if not parts:
                heading.kind, heading.rank = "title", RANK_TOP
            last = (heading.rank, "**" in line.text)
            parts.append(Part([line], heading))
        if body:
            parts.append(Part(body))
    return parts


def _markdown_heading(line: Line, last: tuple[int, bool]) -> Heading | None:
    """A ``#`` heading, or a bold-only line: a sibling of a bold heading, else one level down."""
    if match := _MD_HEADING.match(line.text):
        title = match.group(2).strip().strip("*").strip()
        rank = len(match.group(1))
        return Heading("heading", rank, title) if title else None
    if match := _BOLD_LINE.match(line.text):
        last_rank, last_bold = last
        return Heading("heading", last_rank if last_bold else last_rank + 1, match.group(1).strip())
    return None


def _plain(blocks: list[Block]) -> list[Part]:
    parts: list[Part] = []
    for i, block in enumerate(blocks):
        text = block.text
        following = blocks[i + 1].text if i + 1 < len(blocks) else ""
        if not parts and len(block.lines) == 1 and len(text) <= 150:
            parts.append(Part(block.lines, Heading("title", RANK_TOP, text)))
        elif (
            len(block.lines) == 1
            and _is_short_title(text.lstrip("-– "))
            and len(text.split()) <= 9
            and "|" not in text
            and sum(c.isupper() for c in text) * 2 < sum(c.isalpha() for c in text)
            and len(following) >= 80
        ):
            parts.append(Part(block.lines, Heading("heading", RANK_GOAL, text)))
        elif _sub_heading(block):
            parts.append(Part(block.lines[:1], Heading("heading", RANK_SUB, block.lines[0].text)))
            parts.append(Part(block.lines[1:]))
        else:
            parts.append(Part(block.lines))
    return parts
