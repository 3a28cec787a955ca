"""Nearest vectors past a size: HNSW finds what exact search finds, within the mask."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from assistant.index.ann import (
    SENTENCE_CHUNKS,
    NearestVectors,
    SentenceSearch,
    read_graph,
    top_n,
    write_graph,
)


@pytest.mark.parametrize(
    ("scores", "n"),
    [
        ([0.3, 0.9, 0.1, 0.5], 2),  # plain
        ([0.5, 0.9, 0.5, 0.5, 0.1], 3),  # a tie at the cut: the first ones by position
        ([0.5, 0.5, 0.5, 0.5], 2),  # all tied
        ([-np.inf, 0.2, -np.inf, 0.7], 3),  # masked-out rows come last
        ([0.2, 0.1], 5),  # more asked than there are
        ([0.2, 0.1], 0),  # none asked
        ([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], 4),  # ties on both sides of the cut
    ],
)
def test_top_n_is_a_stable_sorts_first_n(scores: list[float], n: int) -> None:
    values = np.array(scores)
    expected = np.argsort(-values, kind="stable")[:n]
    assert top_n(values, n).tolist() == expected.tolist()


@pytest.fixture(scope="module")
def clustered() -> np.ndarray:
    """Unit vectors in clusters, like text embeddings (not the uniform sphere)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 64))
    vectors = centres[rng.integers(0, 50, 3000)] + rng.normal(0, 0.3, (3000, 64))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def chunked(clustered: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """600 chunks of five sentences each, as text is: a chunk's sentences near one another
    (its vector their mean), the chunks in clusters. (sentence vectors, each one's chunk,
    chunk vectors), the sentences listed out of chunk order."""
    rng = np.random.default_rng(1)
    centres = clustered[:600]
    grouped = np.repeat(centres, 5, axis=0) + rng.normal(0, 0.08, (3000, centres.shape[1]))
    grouped /= np.linalg.norm(grouped, axis=1, keepdims=True)
    chunk_vectors = grouped.reshape(600, 5, -1).mean(axis=1)
    chunk_vectors /= np.linalg.norm(chunk_vectors, axis=1, keepdims=True)
    order = rng.permutation(3000)
    return grouped[order].astype(np.float32), order // 5, chunk_vectors.astype(np.float32)


def test_below_the_size_every_sentence_is_searched(
    chunked: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    sentences, unit_chunks, chunk_vectors = chunked
    search = SentenceSearch(sentences, unit_chunks, NearestVectors(chunk_vectors, 10**9))
    assert not search.approximate
    rows, similarities = search.search(sentences[9])
    assert rows.tolist() == list(range(len(sentences)))
    np.testing.assert_allclose(similarities, sentences @ sentences[9], rtol=1e-6)
    np.testing.assert_allclose(search.best(sentences[[9, 99]]), 1.0, atol=1e-5)


def test_past_the_size_sentences_come_from_the_nearest_chunks(
    chunked: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    sentences, unit_chunks, chunk_vectors = chunked
    chunks = NearestVectors(chunk_vectors, ann_from=100)
    search = SentenceSearch(sentences, unit_chunks, chunks)
    assert search.approximate
    query = sentences[42]
    rows, similarities = search.search(query)
    nearest, _ = chunks.search(query, SENTENCE_CHUNKS)
    assert sorted(rows.tolist()) == sorted(np.flatnonzero(np.isin(unit_chunks, nearest)).tolist())
    assert len(rows) == 5 * SENTENCE_CHUNKS  # every sentence of those chunks, no other
    np.testing.assert_allclose(similarities, sentences[rows] @ query, rtol=1e-6)
    queries = sentences[:100] + np.random.default_rng(2).normal(0, 0.02, (100, 64))
    exact = SentenceSearch(sentences, unit_chunks, None).best(queries)
    found = search.best(queries)
    assert np.all(found <= exact + 1e-5)  # never better than the best there is
    assert np.mean(np.isclose(found, exact, atol=1e-5)) >= 0.95


@pytest.mark.parametrize("ann_from", [10**9, 100])
def test_a_chunk_mask_keeps_the_sentences_inside_it(
    chunked: tuple[np.ndarray, np.ndarray, np.ndarray], ann_from: int
) -> None:
    sentences, unit_chunks, chunk_vectors = chunked
    search = SentenceSearch(sentences, unit_chunks, NearestVectors(chunk_vectors, ann_from))
    allowed = np.zeros(600, dtype=bool)
    allowed[200:400] = True  # 200 chunks: past 100 the graph walks inside them
    rows, _ = search.search(sentences[3], allowed)
    assert len(rows) > 0
    assert all(200 <= unit_chunks[r] < 400 for r in rows)


def test_below_the_size_search_is_exact_and_from_it_hnsw_finds_the_same(
    clustered: np.ndarray,
) -> None:
    exact = NearestVectors(clustered, ann_from=len(clustered) + 1)
    graph = NearestVectors(clustered, ann_from=len(clustered))
    assert not exact.approximate and graph.approximate
    queries = clustered[:50] + 0.05
    found = []
    for q in queries:
        q = q / np.linalg.norm(q)
        want, want_sims = exact.search(q, 10)
        got, got_sims = graph.search(q, 10)
        assert want_sims.tolist() == sorted(want_sims.tolist(), reverse=True)
        np.testing.assert_allclose(got_sims, clustered[got] @ q, rtol=1e-5, atol=1e-5)
        found.append(len(set(want) & set(got)) / 10)
    assert np.mean(found) >= 0.95


@pytest.mark.parametrize("ann_from", [10**9, 1])
def test_a_mask_keeps_the_search_inside_it(clustered: np.ndarray, ann_from: int) -> None:
    search = NearestVectors(clustered, ann_from)
    allowed = np.zeros(len(clustered), dtype=bool)
    allowed[1000:1100] = True
    ids, _ = search.search(clustered[5], 20, allowed)
    assert len(ids) == 20
    assert all(1000 <= i < 1100 for i in ids)


def test_each_querys_best_similarity_matches_exact_search(clustered: np.ndarray) -> None:
    queries = clustered[[3, 700, 2900]]
    exact = NearestVectors(clustered, 10**9).best(queries)
    graph = NearestVectors(clustered, 1).best(queries)
    np.testing.assert_allclose(exact, 1.0, atol=1e-5)  # each query is one of the rows
    np.testing.assert_allclose(graph, exact, atol=1e-5)


def test_a_mask_of_few_rows_is_searched_exactly(clustered: np.ndarray) -> None:
    """A graph walk restricted to a few rows misses some; so few rows are scored exactly."""
    graph = NearestVectors(clustered, ann_from=500)
    assert graph.approximate
    allowed = np.zeros(len(clustered), dtype=bool)
    allowed[::40] = True  # 75 rows scattered over the clusters
    ids, similarities = graph.search(clustered[7], 75, allowed)
    want = np.argsort(-np.where(allowed, clustered @ clustered[7], -np.inf), kind="stable")[:75]
    assert ids.tolist() == want.tolist()
    np.testing.assert_allclose(similarities, clustered[want] @ clustered[7], rtol=1e-6)


def test_a_graph_written_at_ingest_is_read_back_and_searched_as_built(
    clustered: np.ndarray, tmp_path: Path
) -> None:
    path = tmp_path / "vectors.hnsw"
    write_graph(clustered, path)
    read = NearestVectors(clustered, ann_from=1000, graph_file=path)
    assert read.approximate and read.graph_read
    exact = NearestVectors(clustered, ann_from=10**9)
    for q in clustered[[1, 500, 2500]]:
        got, similarities = read.search(q, 10)
        want, _ = exact.search(q, 10)
        assert len(set(got) & set(want)) >= 9
        np.testing.assert_allclose(similarities, clustered[got] @ q, atol=1e-5)


def test_a_graph_that_does_not_fit_its_vectors_is_built_again(
    clustered: np.ndarray, tmp_path: Path
) -> None:
    stale = tmp_path / "vectors.hnsw"
    write_graph(clustered[:-1], stale)  # one vector short: not this matrix's graph
    search = NearestVectors(clustered, ann_from=1000, graph_file=stale)
    assert search.approximate and not search.graph_read
    ids, _ = search.search(clustered[-1], 1)
    assert ids.tolist() == [len(clustered) - 1]  # the row the stale graph lacks is found


def test_below_the_size_a_graph_is_not_used(clustered: np.ndarray, tmp_path: Path) -> None:
    write_graph(clustered, tmp_path / "vectors.hnsw")
    search = NearestVectors(clustered, ann_from=10**9, graph_file=tmp_path / "vectors.hnsw")
    assert not search.approximate and not search.graph_read


def test_no_graph_file_or_an_unreadable_one_reads_as_none(tmp_path: Path) -> None:
    assert read_graph(tmp_path / "vectors.hnsw") is None
    (tmp_path / "garbage.hnsw").write_bytes(b"IHNf" + bytes(200))
    assert read_graph(tmp_path / "garbage.hnsw") is None  # the graph is built at load instead


def test_chunks_without_sentences_give_none(
    chunked: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The last chunks may hold no sentence unit (a table of figures): when the graph finds
    them, they add no sentence and the search still answers."""
    sentences, unit_chunks, chunk_vectors = chunked
    keep = unit_chunks < 590  # chunks 590–599 lose their sentences
    search = SentenceSearch(
        sentences[keep], unit_chunks[keep], NearestVectors(chunk_vectors, ann_from=100)
    )
    query = chunk_vectors[595]  # its nearest chunks include the ones without sentences
    rows, similarities = search.search(query)
    assert len(rows) > 0
    assert all(unit_chunks[keep][r] < 590 for r in rows)
    assert search.units_of(np.array([599, 3])).tolist() == np.flatnonzero(
        unit_chunks[keep] == 3
    ).tolist()


def test_a_graph_is_built_on_every_core_and_search_stays_on_the_set_count(
    clustered: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build is one large pass (every core); the answers' searches after it stay on the
    count the process set (assistant/components/threads.py)."""
    import faiss

    from assistant.index import ann

    seen: list[int] = []
    real_add = faiss.IndexHNSWFlat.add

    def add(self: object, vectors: np.ndarray) -> None:
        seen.append(faiss.omp_get_max_threads())
        real_add(self, vectors)

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    monkeypatch.setattr(faiss.IndexHNSWFlat, "add", add)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # a 2-core machine
    try:
        ann.build_graph(clustered[:500])
        assert seen == [2]
        assert faiss.omp_get_max_threads() == 1
    finally:
        faiss.omp_set_num_threads(before)
