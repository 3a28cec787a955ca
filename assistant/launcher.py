"""Wires the parts together: settings → embedder → index → services.

The one place that knows how the pieces fit; the shells (CLI, HTTP API,
chat UI, evaluation) ask it for ready services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.components.embedding import AssistantEmbedding, build_embedder
from assistant.index.store import IndexMissingError, LoadedIndex, load_index
from assistant.ingest.pipeline import IngestService, IngestSummary
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import Settings


@dataclass
class Services:
    """Everything loaded once and shared: the index, the embedder and the retriever."""

    settings: Settings
    embedder: AssistantEmbedding
    index: LoadedIndex
    retriever: HybridRetriever


def ingest(
    settings: Settings,
    embedder: AssistantEmbedding | None = None,
    progress: Callable[[int, str], Any] | None = None,
) -> IngestSummary:
    """Build the index from the corpus."""
    service = IngestService(
        corpus_dir=settings.corpus.dir,
        index_dir=settings.index.dir,
        embedder=embedder or build_embedder(settings.embedding),
        chunking=settings.chunking,
        manifest_name=settings.corpus.manifest,
        keep_builds=settings.index.keep_builds,
        progress=progress,
    )
    return service.run()


def load_services(
    settings: Settings,
    embedder: AssistantEmbedding | None = None,
    build_if_missing: bool = False,
    progress: Callable[[int, str], Any] | None = None,
) -> Services:
    """Load the index (building it first if asked and missing) and the services on it."""
    embedder = embedder or build_embedder(settings.embedding)
    try:
        index = load_index(settings.index.dir, embedder.embedder_id)
    except IndexMissingError:
        if not build_if_missing:
            raise
        ingest(settings, embedder, progress)
        index = load_index(settings.index.dir, embedder.embedder_id)
    retriever = HybridRetriever(index, embedder, settings.retrieval)
    return Services(settings, embedder, index, retriever)
