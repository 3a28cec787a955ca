"""Hybrid retrieval: dense (FAISS, e5 query mode) + BM25 (Norwegian), fused by weighted RRF.

Reciprocal-rank fusion uses only ranks, so the two rankers' incomparable
score scales never need calibrating against each other; the raw dense and
BM25 scores stay on each hit for the answerer's abstention decision.

The retriever is a llama-index ``BaseRetriever``: ``retrieve("…")`` gives
``NodeWithScore``s (chunk nodes, see ``index.nodes``) for any llama-index query
engine; the answer service uses :meth:`HybridRetriever.search` for the raw scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import VectorStoreQuery

from assistant.components.embedding import AssistantEmbedding
from assistant.index.ann import CHUNK_GRAPH, NearestVectors, SentenceSearch, top_n
from assistant.index.nodes import chunk_node
from assistant.index.store import LoadedIndex
from assistant.ingest.chunking import Chunk
from assistant.language import Language, detect_language
from assistant.settings import RetrievalMode, RetrievalSettings


class FilterError(ValueError):
    """A filter names a value that does not exist; the message lists the valid ones."""


@dataclass
class Filters:
    """Optional restrictions: document kinds, document ids, målområde numbers."""

    kinds: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    malomrader: list[int] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.kinds or self.document_ids or self.malomrader)


@dataclass
class ScoredChunk:
    """A retrieved chunk with its fused score and the raw scores behind it."""

    chunk: Chunk
    score: float
    dense: float
    bm25: float
    rank: int

    def to_dict(self, index: LoadedIndex) -> dict[str, Any]:
        doc = index.documents[self.chunk.document_id]
        return {
            "rank": self.rank,
            "id": self.chunk.id,
            "document_id": self.chunk.document_id,
            "title": doc.title,
            "kind": doc.meta.kind,
            "section": self.chunk.section,
            "page": self.chunk.page,
            "score": round(self.score, 6),
            "dense": round(self.dense, 4),
            "bm25": round(self.bm25, 4),
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
        }


class HybridRetriever(BaseRetriever):
    """Ranks the index's chunks for a query.

    As a llama-index retriever it returns the top ``settings.top_k`` chunks in
    ``settings.mode``, restricted by ``filters``; it embeds the query itself (e5's
    query mode), so a ``QueryBundle``'s own embedding is not used.
    """

    def __init__(
        self,
        index: LoadedIndex,
        embedder: AssistantEmbedding,
        settings: RetrievalSettings,
        filters: Filters | None = None,
    ):
        super().__init__()
        self.filters = filters
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._kinds = np.array([index.documents[c.document_id].meta.kind for c in index.chunks])
        self._doc_ids = np.array([c.document_id for c in index.chunks])
        self._malomrader = np.array([c.malomrade or 0 for c in index.chunks])
        self._unit_chunks = np.array([u.chunk for u in index.sentences], dtype=np.int64)
        self.chunk_search: NearestVectors | None = None
        """Past ``settings.ann_from`` chunks: dense candidates come from an HNSW graph."""
        if len(index.chunks) >= settings.ann_from:
            chunk_vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
            self.chunk_search = NearestVectors(
                chunk_vectors, settings.ann_from, index.path / CHUNK_GRAPH
            )
        self.sentence_search = SentenceSearch(
            index.sentence_vectors, self._unit_chunks, self.chunk_search
        )
        """Each sentence unit's vector, searched exactly or (past ``ann_from``) among the
        nearest chunks' units."""

    def validate(self, filters: Filters) -> None:
        """Raise FilterError for unknown kinds, document ids or målområder."""
        kinds = sorted({d.meta.kind for d in self.index.documents.values()})
        for kind in filters.kinds:
            if kind not in kinds:
                raise FilterError(
                    f"Unknown document kind '{kind}'. Valid kinds: {', '.join(kinds)}."
                )
        for doc_id in filters.document_ids:
            if doc_id not in self.index.documents:
                valid = ", ".join(sorted(self.index.documents))
                raise FilterError(f"Unknown document id '{doc_id}'. Valid ids: {valid}.")
        numbers = sorted(m.number for m in self.index.goals.malomrader)
        for number in filters.malomrader:
            if number not in numbers:
                raise FilterError(
                    f"Unknown målområde {number}. Valid: {', '.join(map(str, numbers))}."
                )

    def _mask(self, filters: Filters | None) -> np.ndarray:
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if filters is None or filters.is_empty():
            return mask
        self.validate(filters)
        if filters.kinds:
            mask &= np.isin(self._kinds, filters.kinds)
        if filters.document_ids:
            mask &= np.isin(self._doc_ids, filters.document_ids)
        if filters.malomrader:
            mask &= np.isin(self._malomrader, filters.malomrader)
        return mask

    def dense_scores(
        self, query: str, query_vector: np.ndarray | None = None, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Cosine similarity of the query to every chunk (FAISS inner product).

        Past ``ann_from`` chunks only the HNSW graph's ``candidates`` nearest ones (within
        ``mask``, when given: the chunks a filter leaves) are scored; every other chunk
        gets -1, below any similarity.
        """
        if query_vector is None:
            query_vector = self.embedder.embed_queries([query])[0]
        total = len(self.index.chunks)
        if self.chunk_search is not None:
            ids, similarities = self.chunk_search.search(
                query_vector, self.settings.candidates, mask
            )
            out = np.full(total, -1.0, dtype=np.float32)
            out[ids] = similarities
            return out
        result = self.index.vector_store.query(
            VectorStoreQuery(
                query_embedding=np.asarray(query_vector, dtype=np.float32).tolist(),
                similarity_top_k=total,
            )
        )
        out = np.zeros(total, dtype=np.float32)
        if result.ids:
            out[np.asarray(result.ids, dtype=np.int64)] = result.similarities or []
        return out

    def sentence_scores(
        self, query_vector: np.ndarray, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Per chunk, the best similarity of the query to one of its sentences.

        Past ``ann_from`` chunks only the sentences of the nearest chunks (within ``mask``)
        are scored (:class:`~assistant.index.ann.SentenceSearch`); every other chunk gets -1.
        """
        vector = np.asarray(query_vector, dtype=np.float32)
        out = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        if self.chunk_search is None:
            np.maximum.at(out, self._unit_chunks, self.index.sentence_vectors @ vector)
            return out
        units, similarities = self.sentence_search.search(vector, mask)
        np.maximum.at(out, self._unit_chunks[units], similarities)
        return out

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: RetrievalMode | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        language: Language | None = None,
    ) -> list[ScoredChunk]:
        """The top ``k`` chunks for the query, best first.

        ``query_vector`` may carry the query's embedding when the caller has it already.
        Hybrid ranking depends on the query's language (detected when not given):
        Norwegian fuses dense and BM25; English fuses dense with the best-sentence
        similarity instead, since BM25's Norwegian analysis of English words only adds
        noise (both choices tuned on the dev split). Raises FilterError for unknown
        filter values.
        """
        k = k or self.settings.top_k
        mode = mode or self.settings.mode
        mask = self._mask(filters)
        if not mask.any() or not query.strip():
            return []
        if mode != "bm25" and query_vector is None:
            query_vector = self.embedder.embed_queries([query])[0]
        zeros = np.zeros(len(mask), np.float32)
        restrict = None if filters is None or filters.is_empty() else mask
        dense = self.dense_scores(query, query_vector, restrict) if mode != "bm25" else zeros
        bm25 = self.index.bm25.scores(query) if mode != "dense" else zeros
        if mode == "dense":
            fused = dense.copy()
        elif mode == "bm25":
            fused = bm25.copy()
        elif (language or detect_language(query)) == "en":
            assert query_vector is not None
            fused = self._rrf(
                mask,
                (dense, self.settings.dense_weight, False),
                (
                    self.sentence_scores(query_vector, restrict),
                    self.settings.sentence_weight,
                    False,
                ),
            )
        else:
            fused = self._rrf(
                mask,
                (dense, self.settings.dense_weight, False),
                (bm25, self.settings.bm25_weight, True),
            )
        fused[~mask] = -np.inf
        if mode == "bm25":
            fused[bm25 <= 0] = -np.inf
        order = [int(i) for i in top_n(fused, k) if np.isfinite(fused[i])]
        if self.chunk_search is not None and mode != "bm25":  # BM25's own finds: exact too
            assert query_vector is not None
            for i in order:
                if dense[i] == -1.0:
                    dense[i] = self.chunk_search.vectors[i] @ query_vector
        return [
            ScoredChunk(self.index.chunks[i], float(fused[i]), float(dense[i]), float(bm25[i]), r)
            for r, i in enumerate(order, start=1)
        ]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """llama-index's entry point: the top chunks as nodes, scored by the fused score."""
        hits = self.search(query_bundle.query_str, filters=self.filters)
        return [
            NodeWithScore(
                node=chunk_node(h.chunk, self.index.documents.get(h.chunk.document_id)),
                score=h.score,
            )
            for h in hits
        ]

    def _rrf(self, mask: np.ndarray, *rankings: tuple[np.ndarray, float, bool]) -> np.ndarray:
        """Weighted reciprocal-rank fusion of (scores, weight, only-positive) rankings."""
        n = self.settings.candidates
        c = self.settings.rrf_k
        fused = np.zeros(len(mask), dtype=np.float64)
        for scores, weight, require_positive in rankings:
            if weight == 0:
                continue
            ranked = np.where(mask, scores, -np.inf)
            order = top_n(ranked, n)
            for rank, i in enumerate(order, start=1):
                if not np.isfinite(ranked[i]) or (require_positive and ranked[i] <= 0):
                    continue
                fused[i] += weight / (c + rank)
        return fused
