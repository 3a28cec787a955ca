"""Reading the corpus: corpus folder → cleaned, structured documents, and what was skipped.

A broken, empty or unreadable file is reported by name with the reason and
skipped; the other files are still read. Building the index from a reading is
``assistant.index.build``'s job, so this stage never imports the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.cleaning import Vocabulary, blocks_of, detect_pdf_layout, split_lines
from assistant.corpus.loaders import LoadError, SourceText, load
from assistant.corpus.manifest import Manifest
from assistant.ingest.chunking import Chunk
from assistant.ingest.document import Document, build_document
from assistant.ingest.sentences import SentenceUnit
from assistant.ingest.structure import detect


@dataclass
class Skipped:
    file: str
    reason: str


@dataclass
class CorpusReading:
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)


class NoDocumentsError(RuntimeError):
    """Nothing in the corpus could be ingested."""


def indexed_text(document: Document, chunk: Chunk) -> str:
    """The text that is embedded and BM25-indexed: title, section path, passage."""
    return f"{document.title}\n{chunk.section}\n{chunk.text}"


def unit_text(document: Document, chunk: Chunk, unit: SentenceUnit) -> str:
    """The text embedded for a sentence unit: its nearest heading, then the sentence.

    The heading gives short units (a name under an organisation's heading, a
    list item) the context they lack on their own.
    """
    heading = chunk.section.split(" › ")[-1]
    return f"{heading}: {document.text[unit.start : unit.end]}"


def read_corpus(corpus_dir: Path, manifest_name: str = "manifest.toml") -> CorpusReading:
    """Load, clean and structure every supported file; collect what had to be skipped."""
    if not corpus_dir.is_dir():
        raise NoDocumentsError(f"Corpus folder {corpus_dir} does not exist.")
    manifest = Manifest.load(corpus_dir / manifest_name)
    sources: list[SourceText] = []
    skipped: list[Skipped] = []
    for path in sorted(corpus_dir.iterdir()):
        if path.name == manifest_name or path.name.startswith(".") or path.is_dir():
            continue
        try:
            sources.append(load(path))
        except LoadError as exc:
            skipped.append(Skipped(exc.file, exc.reason))
    vocabulary = Vocabulary()
    for source in sources:
        vocabulary.add_text(source.text)
    documents: list[Document] = []
    seen_ids: dict[str, str] = {}
    for source in sources:
        meta = manifest.meta_for(source.file)
        if meta.id in seen_ids:
            skipped.append(
                Skipped(
                    source.file, f"document id '{meta.id}' is already used by {seen_ids[meta.id]}"
                )
            )
            continue
        pdf_text = meta.layout == "pdf-text" or (
            meta.layout == "auto" and detect_pdf_layout(source.text)
        )
        layout = (
            "pdf-text" if pdf_text else ("markdown" if source.format in ("md", "html") else "plain")
        )
        outline = detect(blocks_of(split_lines(source, pdf_text)), layout)
        document = build_document(meta, source.text, outline, vocabulary)
        if not document.text.strip():
            skipped.append(Skipped(source.file, "nothing left after cleaning"))
            continue
        seen_ids[meta.id] = source.file
        documents.append(document)
    return CorpusReading(documents, skipped)
