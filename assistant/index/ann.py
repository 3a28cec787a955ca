"""Nearest vectors: exact below a size, FAISS HNSW from there.

The answer path needs, per question, the chunks closest to it (dense retrieval's
candidates), the sentences closest to it (English ranking) and each focus word's best
sentence (the scope guard). Exact search touches every row: at the corpus's 162 chunks and
752 sentences that is nothing, at a million chunks it is the whole answer's cost. From
``ann_from`` chunks (``retrieval.ann_from``, measured by ``python bench/bench_scale.py
--answer``) the chunk vectors are searched through an HNSW graph (``faiss.IndexHNSWFlat``,
inner product) instead, and sentences are searched among those of the graph's nearest
chunks only (:class:`SentenceSearch`): a graph of the sentences themselves (4.6 per chunk)
held another copy of their vectors and took about an hour to build at a million chunks.
Ingest builds the chunk graph of a build that large and writes it beside its vectors
(:data:`CHUNK_GRAPH`, listed and hashed in the manifest like every file), so a replica reads
it instead of building it at every load; a graph that is missing or does not fit its vectors
is built at load as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.threads import all_cores_for_faiss

HNSW_M = 32
"""Links per node: recall@10 0.992 at 1 M synthetic chunks, 1.000 at 100 k (efSearch 128;
``python bench/bench_scale.py``, docs/quality.md)."""
EF_CONSTRUCTION = 80
EF_SEARCH = 128
CHUNK_GRAPH = "vectors.hnsw"
"""The chunk vectors' graph in a build folder (written when there are ``ann_from`` or more)."""
SENTENCE_CHUNKS = 80
"""Past ``ann_from`` chunks, a query's sentences are looked for in its nearest this many
chunks: twice retrieval's 40 candidates, chosen, not tuned (at 100 k chunks the answers
began with the same quote as exact search's 0.900 of the time; ``python
bench/bench_scale.py --answer --both``)."""


def build_graph(vectors: np.ndarray) -> Any:
    """An HNSW graph (inner product) over ``vectors``."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = EF_CONSTRUCTION
    with all_cores_for_faiss():  # one large pass (assistant/components/threads.py)
        hnsw.add(vectors)
    hnsw.hnsw.efSearch = EF_SEARCH
    return hnsw


def write_graph(vectors: np.ndarray, path: Path) -> None:
    """Build the graph of ``vectors`` and write it to ``path`` (FAISS's own format)."""
    import faiss

    faiss.write_index(build_graph(vectors), str(path))


def read_graph(path: Path) -> Any | None:
    """The graph written at ``path``, or None when there is none."""
    if not path.is_file():
        return None
    import faiss

    try:
        graph: Any = faiss.read_index(str(path))  # the concrete type (IndexHNSWFlat)
    except RuntimeError:  # unreadable (loaded without hash checks): built at load instead
        return None
    if not hasattr(graph, "hnsw"):  # not a graph: the one built at load serves instead
        return None
    graph.hnsw.efSearch = EF_SEARCH
    return graph


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` highest scores, best first, ties in position order.

    The same as ``np.argsort(-scores, kind="stable")[:n]``, in time linear in the scores:
    everything strictly above the n-th score, then the tied ones in position order.
    """
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    negated = -scores
    kth = np.partition(negated, n - 1)[n - 1]
    above = np.flatnonzero(negated < kth)
    tied = np.flatnonzero(negated == kth)[: n - len(above)]
    chosen = np.concatenate([above, tied])
    return chosen[np.argsort(negated[chosen], kind="stable")]


class NearestVectors:
    """The rows of a matrix of unit vectors closest to a query (inner product)."""

    def __init__(self, vectors: np.ndarray, ann_from: int, graph_file: Path | None = None):
        """``graph_file``: where ingest wrote the vectors' HNSW graph, if it did; read past
        ``ann_from`` rows and used when it holds these vectors, else a graph is built here."""
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.ann_from = ann_from
        self._hnsw = None
        self.graph_read = False
        """Whether the graph came from the build (not built at load)."""
        if len(self.vectors) >= ann_from:
            graph = read_graph(graph_file) if graph_file is not None else None
            fits = graph is not None and (graph.ntotal, graph.d) == self.vectors.shape
            self._hnsw = graph if fits else build_graph(self.vectors)
            self.graph_read = fits

    @property
    def approximate(self) -> bool:
        """Searched through the HNSW graph (``ann_from`` rows or more)."""
        return self._hnsw is not None

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows to one query (row positions, similarities), best first.

        ``allowed`` (a boolean mask over the rows) restricts the search to those rows;
        fewer than ``ann_from`` of them are searched exactly (a graph walk restricted to a
        few rows misses some of them).
        """
        query = np.asarray(query, dtype=np.float32)
        rows = None if allowed is None else np.flatnonzero(allowed)
        if self._hnsw is None or (rows is not None and len(rows) < self.ann_from):
            scores = (self.vectors if rows is None else self.vectors[rows]) @ query
            order = top_n(scores, k)
            return (order if rows is None else rows[order]), scores[order]
        import faiss

        params = faiss.SearchParametersHNSW(efSearch=max(EF_SEARCH, k))  # type: ignore[attr-defined]
        if rows is not None:
            params.sel = faiss.IDSelectorBatch(rows.astype(np.int64))
        similarities, ids = self._hnsw.search(query[None, :], k, params=params)
        found = ids[0] >= 0
        return ids[0][found].astype(np.int64), similarities[0][found]

    def best(self, queries: np.ndarray) -> np.ndarray:
        """Each query's best similarity to any row."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        if self._hnsw is None:
            return np.asarray(np.max(self.vectors @ queries.T, axis=0))
        similarities, _ = self._hnsw.search(queries, 1)
        return np.asarray(similarities[:, 0])


class SentenceSearch:
    """The sentence units closest to a query: all of them below ``ann_from`` chunks, from
    there those of the chunk graph's :data:`SENTENCE_CHUNKS` nearest chunks, scored exactly."""

    def __init__(
        self,
        vectors: np.ndarray,
        unit_chunks: np.ndarray,
        chunk_search: NearestVectors | None,
    ):
        """``unit_chunks``: each unit's chunk (row of the chunk vectors); ``chunk_search``
        the chunks' graph, or None to search every unit exactly."""
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.unit_chunks = np.asarray(unit_chunks, dtype=np.int64)
        self.chunk_search = chunk_search if chunk_search and chunk_search.approximate else None
        order = np.argsort(self.unit_chunks, kind="stable")
        chunks = max(
            int(self.unit_chunks.max(initial=-1)) + 1,
            len(chunk_search.vectors) if chunk_search is not None else 0,
        )  # a chunk without sentences (the last ones too) has none to give
        self._order = order  # units grouped by chunk, each chunk's in row order
        self._starts = np.searchsorted(self.unit_chunks[order], np.arange(chunks + 1))

    @property
    def approximate(self) -> bool:
        """Searched among the nearest chunks' units (``ann_from`` chunks or more)."""
        return self.chunk_search is not None

    def units_of(self, chunks: np.ndarray) -> np.ndarray:
        """The rows of the units of ``chunks`` (chunk rows), chunk by chunk."""
        parts = [self._order[self._starts[c] : self._starts[c + 1]] for c in chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def candidates(self, query: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """The unit rows a query's search scores: every unit (of the ``allowed`` chunks,
        a boolean mask over chunk rows), or past ``ann_from`` those of its nearest chunks."""
        if self.chunk_search is None:
            if allowed is None:
                return np.arange(len(self.vectors))
            return np.flatnonzero(allowed[self.unit_chunks])
        chunks, _ = self.chunk_search.search(query, SENTENCE_CHUNKS, allowed)
        return self.units_of(chunks)

    def search(
        self, query: np.ndarray, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The candidate units' rows and their similarities to one query."""
        query = np.asarray(query, dtype=np.float32)
        if self.chunk_search is None and allowed is None:
            return np.arange(len(self.vectors)), self.vectors @ query
        rows = self.candidates(query, allowed)
        return rows, self.vectors[rows] @ query

    def best(self, queries: np.ndarray) -> np.ndarray:
        """Each query's best similarity to a sentence."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        if self.chunk_search is None:
            return np.asarray(np.max(self.vectors @ queries.T, axis=0))
        return np.array([float(np.max(self.search(q)[1], initial=-1.0)) for q in queries])
