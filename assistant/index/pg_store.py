"""The index in PostgreSQL: every build beside the others, one of them current.

A build published here holds

* ``index_builds``: its id (the disk build's name) and manifest;
* ``index_files``: every file of the disk build (``store.py``'s layout), so a replica
  loads exactly what the single-machine server loads and answers the same;
* ``data_chunks_<suffix>``: one row per chunk, in the table layout of llama-index's
  ``PGVectorStore`` (text, ``metadata_`` with the node metadata, ``node_id``, the
  ``embedding`` with pgvector's HNSW index, and ``text_search_tsv`` generated with
  PostgreSQL's ``norwegian`` configuration, GIN-indexed), so a partner's llama-index app
  can query it (:func:`pg_vector_store`), hybrid search included.

Everything is bulk-loaded with COPY and the build is made current in the same
transaction that wrote it: a killed ingest (even ``kill -9``) rolls back whole and
the build in service stays; replicas see the new build once that transaction
commits (``current_build_id``) and load it without a restart.

Why the answer path does not rank in SQL: the reader scores every chunk and every
sentence unit by dense similarity and the fusion was tuned on BM25 over Norwegian
Snowball stems, not ``ts_rank``; at this corpus's size exact search over the build held
in memory takes well under a millisecond. So a replica ranks in memory on the current
build it loaded from here (identical answers to the embedded default), while the HNSW
and full-text indexes serve llama-index apps and larger corpora (``bench/bench_scale.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from assistant.components.database import connect
from assistant.index.integrity import MANIFEST
from assistant.index.nodes import chunk_node
from assistant.index.store import (
    IndexMissingError,
    LoadedIndex,
    _load_build,
    check_manifest,
)

INGEST_LOCK = 7_150_002
"""Advisory lock key: one ingest into the database at a time."""
HNSW = {"m": 16, "ef_construction": 64}
"""pgvector's defaults; ``bench/bench_scale.py`` measures recall and latency with them."""
TEXT_SEARCH_CONFIG = "norwegian"

_NOT_PUBLISHED = (
    "No index build is current in the database (ASSISTANT_DATABASE__URL). Run "
    "`assistant ingest` with the same database URL to build and publish one."
)


def table_suffix(build_id: str) -> str:
    """A short SQL-safe name for a build's tables (``data_chunks_<suffix>``)."""
    return hashlib.sha1(build_id.encode()).hexdigest()[:16]


def chunk_table(build_id: str) -> str:
    return f"data_chunks_{table_suffix(build_id)}"


def publish_build(url: str, build: Path, keep_builds: int = 2, pool_size: int = 4) -> str:
    """Copy a complete disk build into the database and make it current; its id back.

    One transaction: the new rows are written beside the current build's, the
    pointer moves, and builds past ``keep_builds`` go; a failure or kill before the
    commit leaves the database as it was.
    """
    index = _load_build(build, None, verify_hashes=True)
    build_id = build.name
    dim = int(index.manifest["embedder"]["dim"])
    table = chunk_table(build_id)
    with connect(url, pool_size) as db:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK,))
        db.execute("DELETE FROM index_builds WHERE build_id = %s AND NOT complete", (build_id,))
        db.execute(
            "INSERT INTO index_builds (build_id, manifest) VALUES (%s, %s)",
            (build_id, json.dumps(index.manifest, ensure_ascii=False)),
        )
        with db.cursor().copy("COPY index_files (build_id, name, data) FROM STDIN") as copy:
            for path in sorted(p for p in build.rglob("*") if p.is_file()):
                copy.write_row((build_id, path.relative_to(build).as_posix(), path.read_bytes()))
        db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute(
            f"""CREATE TABLE {table} (
                id BIGSERIAL PRIMARY KEY,
                text VARCHAR NOT NULL,
                metadata_ JSONB,
                node_id VARCHAR,
                embedding VECTOR({dim}),
                text_search_tsv TSVECTOR GENERATED ALWAYS AS
                    (to_tsvector('{TEXT_SEARCH_CONFIG}', text)) STORED
            )"""
        )
        vectors = index.vectors
        with db.cursor().copy(
            f"COPY {table} (text, metadata_, node_id, embedding) FROM STDIN"
        ) as copy:
            for position, chunk in enumerate(index.chunks):
                node = chunk_node(chunk, index.documents.get(chunk.document_id))
                metadata = {**node.metadata, "position": position, "ref_doc_id": chunk.document_id}
                vector = "[" + ",".join(repr(float(x)) for x in vectors.reconstruct(position)) + "]"
                copy.write_row(
                    (chunk.text, json.dumps(metadata, ensure_ascii=False), chunk.id, vector)
                )
        # indexes after the bulk load: faster than growing them row by row
        db.execute(
            f"CREATE INDEX ON {table} USING hnsw (embedding vector_cosine_ops) "
            f"WITH (m = {HNSW['m']}, ef_construction = {HNSW['ef_construction']})"
        )
        db.execute(f"CREATE INDEX ON {table} USING gin (text_search_tsv)")
        db.execute("UPDATE index_builds SET complete = TRUE WHERE build_id = %s", (build_id,))
        db.execute(
            "INSERT INTO index_current (one, build_id) VALUES (TRUE, %s) "
            "ON CONFLICT (one) DO UPDATE SET build_id = EXCLUDED.build_id",
            (build_id,),
        )
        old = db.execute(
            "SELECT build_id FROM index_builds WHERE build_id <> %s "
            "ORDER BY created_at DESC OFFSET %s",
            (build_id, max(keep_builds - 1, 0)),
        ).fetchall()
        for (old_id,) in old:
            db.execute(f"DROP TABLE IF EXISTS {chunk_table(old_id)}")
            db.execute("DELETE FROM index_builds WHERE build_id = %s", (old_id,))
    return build_id


def current_build_id(url: str, pool_size: int = 4) -> str:
    """The id of the build in service; IndexMissingError when none was published."""
    with connect(url, pool_size) as db:
        row = db.execute("SELECT build_id FROM index_current").fetchone()
    if row is None:
        raise IndexMissingError(_NOT_PUBLISHED)
    return str(row[0])


def load_pg_index(
    url: str,
    cache_dir: Path,
    embedder_id: str | None,
    *,
    verify_hashes: bool = True,
    pool_size: int = 4,
) -> LoadedIndex:
    """Load the current build: its files are copied once into ``cache_dir/<build id>``
    (written beside, then renamed) and loaded like a disk build, checks included."""
    build_id = current_build_id(url, pool_size)
    local = cache_dir / build_id
    if not (local / MANIFEST).is_file():
        with connect(url, pool_size) as db:
            manifest = db.execute(
                "SELECT manifest FROM index_builds WHERE build_id = %s", (build_id,)
            ).fetchone()[0]
            check_manifest(manifest, embedder_id)
            partial = cache_dir / f".{build_id}.{os.getpid()}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            for name, data in db.execute(
                "SELECT name, data FROM index_files WHERE build_id = %s", (build_id,)
            ):
                target = partial / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        try:
            partial.rename(local)
        except OSError:  # another process on this host got there first
            shutil.rmtree(partial, ignore_errors=True)
        _prune_cache(cache_dir, keep=build_id)
    return _load_build(local, embedder_id, verify_hashes)


def _prune_cache(cache_dir: Path, keep: str) -> None:
    for old in cache_dir.iterdir():
        if old.name != keep and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)


def pg_vector_store(url: str, build_id: str | None = None, embed_dim: int = 384) -> Any:
    """llama-index's ``PGVectorStore`` over a build's chunk table (default: the current one),
    hybrid search on the ``norwegian`` configuration; for llama-index apps."""
    from llama_index.vector_stores.postgres import PGVectorStore
    from sqlalchemy import create_engine
    from sqlalchemy.ext.asyncio import create_async_engine

    build_id = build_id or current_build_id(url)
    # psycopg2 for the library's sync queries: it binds `SET hnsw.ef_search = :n`
    # client-side, which psycopg 3's server-side binding refuses
    sync_url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    async_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return PGVectorStore(
        table_name=chunk_table(build_id).removeprefix("data_"),
        embed_dim=embed_dim,
        hybrid_search=True,
        text_search_config=TEXT_SEARCH_CONFIG,
        use_jsonb=True,
        perform_setup=False,
        hnsw_kwargs={"hnsw_ef_search": 100, **{f"hnsw_{k}": v for k, v in HNSW.items()}},
        engine=create_engine(sync_url),
        async_engine=create_async_engine(async_url),
    )
