"""How cost grows with the corpus: dense and full-text search at 10 k, 100 k, 1 M chunks.

A synthetic corpus grown from the real index: each vector is a real sentence or chunk
vector of the built index plus Gaussian noise, normalised (clusters like real text, not
the uniform sphere that no ANN index can search); each text is three real sentences
drawn at random. Queries are held-out perturbed real vectors (dense) and the evaluation
set's questions (full text). For every size it prints one row per engine:

* build time, memory (the index's own bytes, FAISS: serialized size; pgvector: the
  relation sizes PostgreSQL reports), on-disk size;
* search p50/p95 (ms, one query at a time, one thread) and recall@10 against exact search;
* FAISS flat (exact), FAISS HNSW (M=32, efSearch 128), "auto" (flat below
  ``--ann-from`` chunks, HNSW from there), pgvector HNSW (m=16, ef_construction=64,
  ef_search 100; a private pgserver PostgreSQL), bm25s with the index's Norwegian
  analyzer, PostgreSQL full text (``norwegian``, GIN, ``ts_rank_cd``), and hybrid (ANN
  top 40 + BM25 top 40, reciprocal-rank fusion) for FAISS HNSW + bm25s and for pgvector +
  PostgreSQL full text.

    python bench/bench_scale.py [--sizes 10000 100000 1000000] [--queries 200]
        [--skip-pg-from 1000000] [--ann-from N] [--pg-only]
    python bench/bench_scale.py --answer [--both] [--graphs] [--sizes 1000 10000 100000]
        [--reader learned]

Needs a built index (``assistant ingest``) and the ``postgres`` extra for the pgvector
rows. Figures are for the machine it runs on; never gate on them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.embedding import build_embedder
from assistant.evaluation.dataset import load_question_set
from assistant.index.bm25 import BM25Index
from assistant.index.store import load_index
from assistant.settings import get_settings

K = 10
CANDIDATES = 40
RRF_K = 10


def pct(values: list[float]) -> tuple[float, float]:
    a = np.array(values) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def row(
    size: int,
    engine: str,
    build_s: float,
    mem: float,
    disk: float,
    lat: list[float],
    recall: float | None,
) -> None:
    p50, p95 = pct(lat)
    rec = f"{recall:.3f}" if recall is not None else "–"
    print(
        f"| {size:>9,} | {engine:<24} | {build_s:8.1f} | {mem / 2**20:8.1f} | "
        f"{disk / 2**20:8.1f} | {p50:7.2f} | {p95:7.2f} | {rec:>6} |",
        flush=True,
    )


def synthetic(index: Any, size: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    base = np.vstack(
        [index.vectors.reconstruct_n(0, index.vectors.ntotal), index.sentence_vectors]
    ).astype(np.float32)
    picks = rng.integers(0, len(base), size)
    vectors = base[picks] + rng.normal(0, 0.35 / np.sqrt(base.shape[1]), (size, base.shape[1]))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    sentences = [
        index.documents[index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in index.sentences
    ]
    pick = rng.integers(0, len(sentences), (size, 3))
    texts = [" ".join(sentences[j] for j in three) for three in pick]
    return vectors, texts


def queries(index: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    base = index.sentence_vectors[rng.integers(0, len(index.sentence_vectors), n)]
    q = base + rng.normal(0, 0.35 / np.sqrt(base.shape[1]), base.shape)
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    out = func()
    return time.perf_counter() - began, out


def recall_at_k(found: list[list[int]], exact: np.ndarray) -> float:
    return float(
        np.mean([len(set(f[:K]) & set(e[:K])) / K for f, e in zip(found, exact, strict=True)])
    )


def faiss_rows(size: int, vectors: np.ndarray, qs: np.ndarray, ann_from: int) -> dict[str, Any]:
    import faiss

    faiss.omp_set_num_threads(1)
    tmp = Path(tempfile.mkdtemp())
    flat = faiss.IndexFlatIP(vectors.shape[1])
    build_flat, _ = timed(lambda: flat.add(vectors))
    faiss.write_index(flat, str(tmp / "flat.faiss"))
    flat_disk = (tmp / "flat.faiss").stat().st_size
    lat, exact = [], []
    for q in qs:
        t, (_, ids) = timed(lambda q=q: flat.search(q[None, :], CANDIDATES))
        lat.append(t)
        exact.append(ids[0])
    exact_a = np.array(exact)
    row(size, "FAISS flat (exact)", build_flat, flat_disk, flat_disk, lat, 1.0)
    flat_lat = lat

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building may use every core
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    build_hnsw, _ = timed(lambda: hnsw.add(vectors))
    faiss.omp_set_num_threads(1)
    hnsw.hnsw.efSearch = 128
    faiss.write_index(hnsw, str(tmp / "hnsw.faiss"))
    hnsw_disk = (tmp / "hnsw.faiss").stat().st_size
    lat, found = [], []
    for q in qs:
        t, (_, ids) = timed(lambda q=q: hnsw.search(q[None, :], CANDIDATES))
        lat.append(t)
        found.append(list(ids[0]))
    hnsw_recall = recall_at_k(found, exact_a)
    row(size, "FAISS HNSW (M32, ef128)", build_hnsw, hnsw_disk, hnsw_disk, lat, hnsw_recall)
    if size >= ann_from:
        row(size, "auto → HNSW", build_hnsw, hnsw_disk, hnsw_disk, lat, hnsw_recall)
    else:
        row(size, "auto → flat", build_flat, flat_disk, flat_disk, flat_lat, 1.0)
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()
    return {"exact": exact_a, "hnsw": hnsw, "hnsw_lat": lat}


def exact_neighbours(vectors: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Each query's ``CANDIDATES`` nearest vectors by exact search (recall's reference)."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, ids = flat.search(np.ascontiguousarray(qs, dtype=np.float32), CANDIDATES)
    return np.asarray(ids)


def bm25_rows(size: int, texts: list[str], questions: list[str]) -> tuple[BM25Index, list[float]]:
    build_s, bm25 = timed(lambda: BM25Index.build(texts))
    tmp = Path(tempfile.mkdtemp())
    bm25.save(tmp / "bm25")
    disk = sum(p.stat().st_size for p in (tmp / "bm25").rglob("*") if p.is_file())
    lat = []
    for q in questions:
        t, _ = timed(lambda q=q: np.argpartition(-bm25.scores(q), CANDIDATES)[:CANDIDATES])
        lat.append(t)
    row(size, "bm25s (Norwegian stems)", build_s, disk, disk, lat, None)
    return bm25, lat


def rrf(*rankings: list[int]) -> list[int]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, i in enumerate(ranking, start=1):
            fused[i] = fused.get(i, 0.0) + 1 / (RRF_K + rank)
    return sorted(fused, key=lambda i: -fused[i])[:K]


def hybrid_faiss_row(
    size: int, hnsw: Any, bm25: BM25Index, qs: np.ndarray, questions: list[str]
) -> None:
    lat = []
    for q, text in zip(qs, questions, strict=False):

        def run(q: np.ndarray = q, text: str = text) -> list[int]:
            _, ids = hnsw.search(q[None, :], CANDIDATES)
            scores = bm25.scores(text)
            top = np.argpartition(-scores, CANDIDATES)[:CANDIDATES]
            return rrf(list(ids[0]), [int(i) for i in top[np.argsort(-scores[top])]])

        t, _ = timed(run)
        lat.append(t)
    row(size, "hybrid FAISS HNSW + bm25s", 0, 0, 0, lat, None)


def pg_rows(
    size: int,
    vectors: np.ndarray,
    texts: list[str],
    qs: np.ndarray,
    questions: list[str],
    exact: np.ndarray,
    server: Any,
) -> None:
    import psycopg

    name = f"bench_{size}"
    server.psql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
    url = server.get_uri(name)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        # the graph is built in memory when it fits (about 2 GB at 1 M vectors)
        db.execute("SET maintenance_work_mem = '4GB'")
        db.execute(
            "CREATE TABLE chunks (id INT PRIMARY KEY, text TEXT, "
            f"embedding VECTOR({vectors.shape[1]}),"
            " tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('norwegian', text)) STORED)"
        )
        began = time.perf_counter()
        with db.cursor().copy("COPY chunks (id, text, embedding) FROM STDIN") as copy:
            for i, (v, t) in enumerate(zip(vectors, texts, strict=True)):
                copy.write_row((i, t, "[" + ",".join(f"{x:.6f}" for x in v) + "]"))
        load_s = time.perf_counter() - began
        hnsw_s, _ = timed(
            lambda: db.execute(
                "CREATE INDEX chunks_hnsw ON chunks USING hnsw (embedding vector_ip_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
        )
        gin_s, _ = timed(lambda: db.execute("CREATE INDEX chunks_gin ON chunks USING gin (tsv)"))
        db.execute("VACUUM ANALYZE chunks")
        sizes = db.execute(
            "SELECT pg_relation_size('chunks_hnsw'), pg_relation_size('chunks_gin'), "
            "pg_total_relation_size('chunks')"
        ).fetchone()
        db.execute("SET hnsw.ef_search = 100")
        lat, found = [], []
        for q in qs:
            literal = "[" + ",".join(f"{x:.6f}" for x in q) + "]"
            t, rows = timed(
                lambda literal=literal: db.execute(
                    "SELECT id FROM chunks ORDER BY embedding <#> %s::vector LIMIT %s",
                    (literal, CANDIDATES),
                ).fetchall()
            )
            lat.append(t)
            found.append([r[0] for r in rows])
        row(
            size,
            "pgvector HNSW (m16, ef100)",
            load_s + hnsw_s,
            sizes[0],
            sizes[2],
            lat,
            recall_at_k(found, exact),
        )
        text_lat = []
        for text in questions:
            t, _ = timed(
                lambda text=text: db.execute(
                    "SELECT id FROM chunks, websearch_to_tsquery('norwegian', %s) q "
                    "WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT %s",
                    (_or_query(text), CANDIDATES),
                ).fetchall()
            )
            text_lat.append(t)
        row(size, "PostgreSQL full text (GIN)", gin_s, sizes[1], sizes[1], text_lat, None)
        hybrid = [a + b for a, b in zip(lat, text_lat, strict=False)]
        row(size, "hybrid pgvector + full text", 0, 0, 0, hybrid, None)
    server.psql(f"DROP DATABASE {name};")


def _or_query(question: str) -> str:
    """Words joined with OR: a question's words rarely all stand in one chunk."""
    return " or ".join(re.findall(r"\w{3,}", question)) or question


def grown_index(index: Any, copies: int, rng: np.random.Generator) -> Any:
    """The real index grown ``copies`` times: every chunk, sentence unit and evidence unit
    again, pointing at the same document spans (so quotes still verify), with each copy's
    vectors the real ones plus Gaussian noise (copy 0 is the real index)."""
    import dataclasses

    from assistant.index.store import LoadedIndex, faiss_vector_store

    n_chunks, n_units = len(index.chunks), len(index.sentences)
    chunk_vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)

    def noised(base: np.ndarray, copy: int) -> np.ndarray:
        if copy == 0:
            return base
        out = base + rng.normal(0, 0.35 / np.sqrt(base.shape[1]), base.shape)
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    chunks, sentences, evidence = [], [], []
    dim = chunk_vectors.shape[1]
    vectors = np.empty((copies * n_chunks, dim), dtype=np.float32)  # filled in place: no
    sentence_vectors = np.empty((copies * n_units, dim), dtype=np.float32)  # second copy
    for copy in range(copies):
        chunks += [dataclasses.replace(c, id=f"{c.id}~{copy}") for c in index.chunks]
        shift = copy * n_chunks
        sentences += [dataclasses.replace(u, chunk=u.chunk + shift) for u in index.sentences]
        evidence += [
            dataclasses.replace(
                e, chunk=e.chunk + shift, members=tuple(m + copy * n_units for m in e.members)
            )
            for e in index.evidence
        ]
        vectors[shift : shift + n_chunks] = noised(chunk_vectors, copy)
        sentence_vectors[copy * n_units : (copy + 1) * n_units] = noised(
            index.sentence_vectors, copy
        )
    return LoadedIndex(
        path=index.path,
        manifest=index.manifest,
        vector_store=faiss_vector_store(vectors),
        bm25=BM25Index.build([c.text for c in chunks]),
        chunks=chunks,
        documents=index.documents,
        goals=index.goals,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        evidence=evidence,
    )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def answer_rows(args: argparse.Namespace) -> None:
    """The whole answer (embedding, scope, retrieval, reader, composing) on a grown index,
    exact search against HNSW past ``--ann-from``; with ``--graphs`` also HNSW with the
    graphs written as ingest writes them and read at load instead of built."""
    import dataclasses

    from assistant.index.ann import CHUNK_GRAPH, write_graph
    from assistant.launcher import services_on

    settings = get_settings().model_copy(deep=True)
    settings.embedding.query_cache_size = 0
    settings.answer.reader_score_cache = 0
    settings.answer.reader = args.reader
    embedder = build_embedder(settings.embedding)
    real = load_index(settings.index.dir, embedder.embedder_id)
    items = load_question_set(Path("eval/questions.yaml")).items
    questions = [i.question for i in items][:: max(1, len(items) // args.queries)][: args.queries]
    print(
        f"{os.cpu_count()} cores; whole answers, reader {args.reader}, {len(questions)} "
        "questions once each, query-vector cache off"
    )
    print(
        "| chunks | sentence units | search | grow s | load s | RSS MiB | p50 ms | p95 ms "
        "| core-ms | same first quote |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        copies = max(1, round(size / len(real.chunks)))
        grow_s, index = timed(
            lambda copies=copies: grown_index(real, copies, np.random.default_rng(0))
        )
        tops: dict[str, list[str]] = {}  # each answer's first quote, by search
        searches = [("exact", 10**12), ("HNSW", 1)] if args.both else [("auto", args.ann_from)]
        if args.graphs:
            folder = Path(tempfile.mkdtemp(prefix="bench-graphs-"))
            chunk_vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
            began = time.perf_counter()
            write_graph(chunk_vectors, folder / CHUNK_GRAPH)
            del chunk_vectors
            write_s = time.perf_counter() - began
            mib = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
            print(f"  graph built and written as ingest does: {write_s:.1f} s, {mib:,.0f} MiB")
            searches.append(("HNSW, graphs read", 1))
        for name, ann_from in searches:
            settings.retrieval.ann_from = ann_from
            loading = dataclasses.replace(index, path=folder) if "read" in name else index
            began = time.perf_counter()
            services = services_on(settings, embedder, loading)
            load_s = time.perf_counter() - began
            if name == "auto":
                name = "HNSW" if services.retriever.chunk_search is not None else "exact"
            for q in questions[:3]:
                services.answers.answer(q)
            lat, top = [], []
            began = time.process_time()
            for q in questions:
                asked = time.perf_counter()
                answer = services.answers.answer(q)
                lat.append(time.perf_counter() - asked)
                first = answer.citations[0] if answer.citations else None
                top.append(f"{first.document_id}:{first.start}" if first else "abstained")
            core_ms = (time.process_time() - began) / len(questions) * 1000
            tops[name] = top
            first_search = next(iter(tops.values()))  # the same first quote as the first row
            same = (
                f"{np.mean([a == b for a, b in zip(first_search, top, strict=True)]):.3f}"
                if len(tops) >= 2
                else "–"
            )
            p50, p95 = pct(lat)
            print(
                f"| {len(index.chunks):>9,} | {len(index.sentences):>9,} | {name:<5} | "
                f"{grow_s:6.1f} | {load_s:6.1f} | {rss_mib():7.0f} | {p50:6.1f} | {p95:6.1f} | "
                f"{core_ms:6.1f} | {same:>5} |",
                flush=True,
            )
            del services
        if args.graphs:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--ann-from",
        type=int,
        default=get_settings().retrieval.ann_from,
        help="Where 'auto' switches to HNSW (default: the setting retrieval.ann_from).",
    )
    parser.add_argument("--skip-pg-from", type=int, default=10**9)
    parser.add_argument(
        "--pg-only",
        action="store_true",
        help="Only the PostgreSQL rows (exact search for their recall), e.g. 1 M alone.",
    )
    parser.add_argument(
        "--answer", action="store_true", help="Measure whole answers on a grown real index."
    )
    parser.add_argument(
        "--both", action="store_true", help="With --answer: exact and HNSW at every size."
    )
    parser.add_argument("--reader", default="extractive", help="With --answer: the reader.")
    parser.add_argument(
        "--graphs",
        action="store_true",
        help="With --answer: also HNSW with graphs written as ingest does and read at load.",
    )
    args = parser.parse_args()
    if args.answer:
        answer_rows(args)
        return
    settings = get_settings()
    embedder = build_embedder(settings.embedding)
    index = load_index(settings.index.dir, embedder.embedder_id)
    rng = np.random.default_rng(0)
    questions = [item.question for item in load_question_set(Path("eval/questions.yaml")).items]
    random.Random(0).shuffle(questions)
    questions = (questions * (args.queries // len(questions) + 1))[: args.queries]
    qs = queries(index, args.queries, rng)
    server = None
    if min(args.sizes) < args.skip_pg_from:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            server = pgserver.get_server(Path(tempfile.mkdtemp()), cleanup_mode="stop")
    print(f"{os.cpu_count()} cores; {args.queries} queries; top {CANDIDATES} searched, recall@{K}")
    print("| chunks | engine | build s | memory MiB | disk MiB | p50 ms | p95 ms | recall@10 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        vectors, texts = synthetic(index, size, rng)
        if args.pg_only:
            assert server is not None, "--pg-only needs a size below --skip-pg-from"
            pg_rows(size, vectors, texts, qs, questions, exact_neighbours(vectors, qs), server)
            continue
        dense = faiss_rows(size, vectors, qs, args.ann_from)
        bm25, _ = bm25_rows(size, texts, questions)
        hybrid_faiss_row(size, dense["hnsw"], bm25, qs, questions)
        if server is not None and size < args.skip_pg_from:
            pg_rows(size, vectors, texts, qs, questions, dense["exact"], server)
        del vectors, texts, dense, bm25
    if server is not None:
        server.cleanup()


if __name__ == "__main__":
    main()
