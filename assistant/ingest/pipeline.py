"""The ingest service: corpus folder → cleaned, structured, chunked, embedded index.

A broken, empty or unreadable file is reported by name with the reason and
skipped; the other files are still ingested. What a killed ingest left (partial
builds) is removed first, and what it embedded is taken from the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.embedding import AssistantEmbedding
from assistant.corpus.cleaning import Vocabulary, blocks_of, detect_pdf_layout, split_lines
from assistant.corpus.loaders import LoadError, SourceText, load
from assistant.corpus.manifest import Manifest
from assistant.index.bm25 import BM25Index
from assistant.index.cache import EmbeddingCache
from assistant.index.leftovers import remove_leftovers
from assistant.index.store import FORMAT_VERSION, write_build
from assistant.ingest.chunking import Chunk, chunk_document
from assistant.ingest.document import Document, build_document
from assistant.ingest.evidence import build_evidence
from assistant.ingest.goals import GoalRegistry
from assistant.ingest.sentences import SentenceUnit, split_units
from assistant.ingest.structure import detect
from assistant.settings import ChunkingSettings

ProgressFactory = Callable[
    [int, str], Any
]  # (total, description) -> object with update(n), close()


@dataclass
class Skipped:
    file: str
    reason: str


@dataclass
class CorpusReading:
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class IngestSummary:
    """What an ingest did, for the command's closing summary."""

    documents: int
    sections: int
    chunks: int
    embedded: int
    cached: int
    skipped: list[Skipped]
    seconds: float
    build: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "sections": self.sections,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "from_cache": self.cached,
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 2),
            "build": str(self.build),
        }


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


class IngestService:
    """Builds the index from the corpus with a given embedder."""

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        embedder: AssistantEmbedding,
        chunking: ChunkingSettings,
        manifest_name: str = "manifest.toml",
        keep_builds: int = 2,
        progress: ProgressFactory | None = None,
    ):
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.embedder = embedder
        self.chunking = chunking
        self.manifest_name = manifest_name
        self.keep_builds = keep_builds
        self.progress = progress

    def run(self) -> IngestSummary:
        """Ingest the corpus and put the new index in service; raise NoDocumentsError if empty."""
        began = time.perf_counter()
        remove_leftovers(self.index_dir)
        reading = read_corpus(self.corpus_dir, self.manifest_name)
        if not reading.documents:
            reasons = "; ".join(f"{s.file}: {s.reason}" for s in reading.skipped) or "no files"
            raise NoDocumentsError(
                f"No document in {self.corpus_dir} could be ingested ({reasons})."
            )
        by_id = {d.id: d for d in reading.documents}
        chunks = [
            c
            for d in reading.documents
            for c in chunk_document(
                d, self.chunking.max_chars, self.chunking.min_chars, self.chunking.structure
            )
        ]
        texts = [indexed_text(by_id[c.document_id], c) for c in chunks]
        units = [
            SentenceUnit(i, start, end)
            for i, c in enumerate(chunks)
            for start, end in split_units(by_id[c.document_id].text, c.start, c.end)
        ]
        unit_texts = [
            unit_text(by_id[chunks[u.chunk].document_id], chunks[u.chunk], u) for u in units
        ]
        cache = EmbeddingCache(
            self.index_dir / "cache", self.embedder.embedder_id, self.embedder.dim
        )
        vectors, embedded = self._embed(cache, texts, "Embedding chunks")
        unit_vectors, _ = self._embed(cache, unit_texts, "Embedding sentences")
        cache.save()
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedder": {"id": self.embedder.embedder_id, "dim": self.embedder.dim},
            "chunking": self.chunking.model_dump(),
            "documents": {
                d.id: {"file": d.meta.file, "hash": d.content_hash, "title": d.title}
                for d in reading.documents
            },
            "counts": {"documents": len(reading.documents), "chunks": len(chunks)},
            "skipped": [{"file": s.file, "reason": s.reason} for s in reading.skipped],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        build = write_build(
            self.index_dir,
            manifest,
            vectors,
            chunks,
            reading.documents,
            GoalRegistry.from_documents(reading.documents),
            BM25Index.build(texts),
            units,
            unit_vectors,
            build_evidence(by_id, chunks, units),
            keep_builds=self.keep_builds,
        )
        return IngestSummary(
            documents=len(reading.documents),
            sections=sum(len(d.sections) for d in reading.documents),
            chunks=len(chunks),
            embedded=embedded,
            cached=len(chunks) - embedded,
            skipped=reading.skipped,
            seconds=time.perf_counter() - began,
            build=build,
        )

    def _embed(self, cache: EmbeddingCache, texts: list[str], label: str) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (embedding only those not cached); returns how many were new."""
        missing = sorted({t for t in texts if cache.get(t) is None})
        bar = self.progress(len(missing), label) if self.progress and missing else None
        batch = max(1, self.embedder.embed_batch_size)
        for group in _batches(missing, batch):
            for text, vector in zip(group, self.embedder.embed_passages(group), strict=True):
                cache.put(text, vector)
            cache.flush()  # a killed ingest keeps what it embedded
            if bar is not None:
                bar.update(len(group))
        if bar is not None:
            bar.close()
        found = [cache.get(t) for t in texts]
        rows = [v for v in found if v is not None]
        vectors = np.stack(rows) if rows else np.zeros((0, self.embedder.dim), np.float32)
        return vectors.astype(np.float32), len(missing)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
