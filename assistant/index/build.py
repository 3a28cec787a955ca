"""The ingest service: corpus folder → cleaned, structured, chunked, embedded index build.

It reads the corpus (``assistant.ingest``), embeds what the cache lacks and writes a
complete new build beside the old one. What a killed ingest left (partial builds) is
removed first, and what it embedded is taken from the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.embedding import AssistantEmbedding
from assistant.index.bm25 import BM25Index
from assistant.index.cache import EmbeddingCache
from assistant.index.leftovers import remove_leftovers
from assistant.index.store import FORMAT_VERSION, write_build
from assistant.ingest.chunking import chunk_document
from assistant.ingest.evidence import build_evidence
from assistant.ingest.goals import GoalRegistry
from assistant.ingest.pipeline import (
    NoDocumentsError,
    Skipped,
    indexed_text,
    read_corpus,
    unit_text,
)
from assistant.ingest.sentences import SentenceUnit, split_units
from assistant.settings import ChunkingSettings

ProgressFactory = Callable[
    [int, str], Any
]  # (total, description) -> object with update(n), close()


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
        graphs_from: int | None = None,
    ):
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.embedder = embedder
        self.chunking = chunking
        self.manifest_name = manifest_name
        self.keep_builds = keep_builds
        self.progress = progress
        self.graphs_from = graphs_from
        """From this many vectors the build holds their HNSW graphs (``retrieval.ann_from``)."""

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
        embedded = len({t for t in texts if cache.get(t) is None})
        self._embed(cache, texts + unit_texts)  # one pass: e5 in torch is built once
        vectors, unit_vectors = _vectors(cache, texts), _vectors(cache, unit_texts)
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
            graphs_from=self.graphs_from,
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

    def _embed(self, cache: EmbeddingCache, texts: list[str]) -> None:
        """Embed the ``texts`` not in ``cache`` into it, a batch at a time."""
        missing = sorted({t for t in texts if cache.get(t) is None})
        bar = self.progress(len(missing), "Embedding passages") if self.progress and missing else None
        for group, vectors in self.embedder.passage_batches(missing):
            for text, vector in zip(group, vectors, strict=True):
                cache.put(text, vector)
            cache.flush()  # a killed ingest keeps what it embedded
            if bar is not None:
                bar.update(len(group))
        if bar is not None:
            bar.close()


def _vectors(cache: EmbeddingCache, texts: list[str]) -> np.ndarray:
    """The cached vector of every text, in order (float32, one row per text)."""
    rows = [v for t in texts if (v := cache.get(t)) is not None]
    if not rows:
        return np.zeros((0, cache.dim), np.float32)
    return np.stack(rows).astype(np.float32)
