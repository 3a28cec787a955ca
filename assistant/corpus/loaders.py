"""Loaders: turn a file in the corpus into source text.

Each loader returns a :class:`SourceText`. For ``.txt`` and ``.md`` the text is
the file itself, so offsets into it are offsets into the file. For ``.pdf``
and ``.html`` it is the text extracted from the file (PDF pages are known
exactly and recorded); offsets then point into that extracted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from assistant.corpus.manifest import SUPPORTED_SUFFIXES


class LoadError(Exception):
    """A file could not be read; the message says why and what to do."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass
class SourceText:
    """Text of one source file, with known page starts (char offset, page number)."""

    file: str
    text: str
    format: str
    page_starts: list[tuple[int, int]] = field(default_factory=list)


def load(path: Path) -> SourceText:
    """Load a supported file; raise LoadError for unsupported, empty or broken files."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(
            path.name, f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED_SUFFIXES)})"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path.name, f"cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise LoadError(path.name, "the file is empty")
    if suffix == ".pdf":
        source = _load_pdf(path.name, data)
    else:
        text = _decode(path.name, data)
        if suffix in (".html", ".htm"):
            source = SourceText(path.name, html_to_text(text), "html")
        else:
            source = SourceText(path.name, text, suffix.lstrip("."))
    if not re.search(r"\w", source.text):
        raise LoadError(path.name, "no text could be extracted")
    return source


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise LoadError(name, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            name, f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8 and re-run ingest"
        ) from exc


def _load_pdf(name: str, data: bytes) -> SourceText:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        parts: list[str] = []
        page_starts: list[tuple[int, int]] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip("\n") + "\n\n"
            page_starts.append((offset, number))
            parts.append(page_text)
            offset += len(page_text)
    except (PyPdfError, DependencyError, NotImplementedError, ValueError, KeyError, OSError) as exc:
        raise LoadError(name, f"is not a readable PDF ({exc.__class__.__name__})") from exc
    return SourceText(name, "".join(parts), "pdf", page_starts)


_BLOCK_TAGS = {"p", "div", "section", "article", "br", "tr", "li", "ul", "ol", "table"}
_HEADING_LEVEL = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}
_SKIP_TAGS = {"script", "style", "nav", "footer", "head", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _HEADING_LEVEL:
            self.parts.append("\n\n" + "#" * _HEADING_LEVEL[tag] + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADING_LEVEL or tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML page, headings as Markdown ``#`` lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
