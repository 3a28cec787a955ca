"""The corpus manifest: what each document in ``corpus/`` is.

The manifest (``corpus/manifest.toml``) is optional; a file without an entry
gets defaults derived from its name, so adding a document is dropping a file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Layout = Literal["auto", "pdf-text", "plain"]
KINDS: tuple[str, ...] = ("strategy", "hub", "press")
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ManifestError(ValueError):
    """The manifest cannot be read or has an invalid entry."""


@dataclass(frozen=True)
class DocumentMeta:
    """What a document is: stable id, title, publisher, kind, date, language."""

    id: str
    file: str
    title: str | None
    publisher: str | None
    kind: str
    date: str | None
    date_note: str | None
    language: str
    layout: Layout

    def to_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "file": self.file,
            "title": self.title,
            "publisher": self.publisher,
            "kind": self.kind,
            "date": self.date,
            "date_note": self.date_note,
            "language": self.language,
            "layout": self.layout,
        }


def slug_from_filename(name: str) -> str:
    """A stable document id from a file name: lower-case, ``[a-z0-9-]``."""
    stem = Path(name).stem.lower()
    stem = stem.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "dokument"


class Manifest:
    """Manifest entries by file name, with defaults for files it does not list."""

    def __init__(self, entries: dict[str, dict[str, str]]):
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a TOML manifest; a missing file is an empty manifest.

        Raises ManifestError naming the entry and field when something is invalid.
        """
        if not path.exists():
            return cls({})
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{path.name}: not valid TOML ({exc}); fix or remove it.") from exc
        documents = data.get("documents", {})
        if not isinstance(documents, dict):
            raise ManifestError(f"{path.name}: [documents] must be a table of file entries.")
        for file_name, entry in documents.items():
            _validate_entry(path.name, file_name, entry)
        return cls(documents)

    def meta_for(self, file_name: str) -> DocumentMeta:
        """The document's metadata: its entry, or defaults from the file name."""
        entry = self._entries.get(file_name, {})
        return DocumentMeta(
            id=entry.get("id") or slug_from_filename(file_name),
            file=file_name,
            title=entry.get("title"),
            publisher=entry.get("publisher"),
            kind=entry.get("kind", "hub"),
            date=entry.get("date"),
            date_note=entry.get("date_note"),
            language=entry.get("language", "nb"),
            layout=entry.get("layout", "auto"),  # type: ignore[arg-type]
        )


def _validate_entry(manifest_name: str, file_name: str, entry: object) -> None:
    where = f'{manifest_name} [documents."{file_name}"]'
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: must be a table.")
    for key, value in entry.items():
        if not isinstance(value, str):
            raise ManifestError(f"{where}: '{key}' must be a string.")
    if "kind" in entry and entry["kind"] not in KINDS:
        raise ManifestError(f"{where}: kind must be one of {', '.join(KINDS)}.")
    if "date" in entry and not _DATE.match(entry["date"]):
        raise ManifestError(f"{where}: date must be YYYY, YYYY-MM or YYYY-MM-DD.")
    if "layout" in entry and entry["layout"] not in ("auto", "pdf-text", "plain"):
        raise ManifestError(f"{where}: layout must be auto, pdf-text or plain.")
    if "id" in entry and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry["id"]):
        raise ManifestError(f"{where}: id must be lower-case letters, digits and '-'.")
