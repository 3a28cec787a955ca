"""The index in a real PostgreSQL: published in one transaction, loaded by any replica,
readable by llama-index's PGVectorStore, and safe against a killed ingest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from assistant.components.embedding import E5Embedding
from assistant.index.pg_store import (
    chunk_table,
    current_build_id,
    load_pg_index,
    pg_vector_store,
    publish_build,
)
from assistant.index.store import IndexMissingError, current_build
from tests.conftest import BuiltIndex

pytestmark = pytest.mark.slow  # a PostgreSQL server, and ingests in subprocesses

HPV_QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"


def test_an_empty_database_says_to_ingest(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="assistant ingest"):
        load_pg_index(database_url, tmp_path, None)


def test_a_published_build_loads_as_it_was_built(
    database_url: str, built_index: BuiltIndex, e5_embedder: E5Embedding, tmp_path: Path
) -> None:
    build = current_build(built_index.dir)
    assert publish_build(database_url, build) == build.name
    assert current_build_id(database_url) == build.name
    loaded = load_pg_index(database_url, tmp_path / "replica", e5_embedder.embedder_id)
    assert loaded.path.name == build.name
    assert [c.id for c in loaded.chunks] == [
        line.split('"')[3] for line in (build / "chunks.jsonl").read_text().splitlines()
    ]
    assert loaded.vectors.ntotal == len(loaded.chunks)


def test_llama_index_reads_the_chunks_with_hnsw_and_norwegian_full_text(
    database_url: str, built_index: BuiltIndex, e5_embedder: E5Embedding
) -> None:
    publish_build(database_url, current_build(built_index.dir))
    store = pg_vector_store(database_url, embed_dim=e5_embedder.dim)
    vector = e5_embedder.embed_queries([HPV_QUESTION])[0].tolist()
    dense = store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=5))
    assert any(n.metadata["tiarsmal"] == 2 for n in dense.nodes)
    # the keyword side stems Norwegian: "eliminering" finds "Eliminere"/"eliminasjon" chunks
    text = store.query(
        VectorStoreQuery(
            query_str="eliminering livmorhalskreften",
            mode=VectorStoreQueryMode.SPARSE,
            sparse_top_k=5,
        )
    )
    assert any(n.metadata["tiarsmal"] == 2 for n in text.nodes)
    with psycopg.connect(database_url) as db:
        plans = db.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            (chunk_table(current_build_id(database_url)),),
        ).fetchall()
    assert any("hnsw" in p[0] for p in plans)
    assert any("gin" in p[0] for p in plans)


def test_a_killed_ingest_leaves_the_old_build_serving(
    database_url: str,
    built_index: BuiltIndex,
    corpus_copy: Path,
    warm_index_dir: Path,
    e5_embedder: E5Embedding,
    tmp_path: Path,
) -> None:
    old = publish_build(database_url, current_build(built_index.dir))
    (corpus_copy / "ny.md").write_text("# Nytt dokument\n\nScreening for lungekreft.\n")
    env = {
        **os.environ,
        "ASSISTANT_DATABASE__URL": database_url,
        "ASSISTANT_CORPUS__DIR": str(corpus_copy),
        "ASSISTANT_INDEX__DIR": str(warm_index_dir),
    }
    with psycopg.connect(database_url) as holder:
        # hold the pointer: the ingest writes its whole build, then waits to switch
        holder.execute("LOCK TABLE index_current IN SHARE MODE")
        process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest"], env=env)
        try:
            waiting = _wait_for_blocked_ingest(database_url, process)
            assert waiting, "the ingest never reached the switch to its new build"
            assert current_build_id(database_url) == old  # readers still see the old one
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        holder.rollback()
    assert process.returncode == -signal.SIGKILL
    assert current_build_id(database_url) == old
    with psycopg.connect(database_url) as db:
        builds = [r[0] for r in db.execute("SELECT build_id FROM index_builds")]
        tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables")]
    assert builds == [old]  # the killed build's rows were rolled back with it
    assert [t for t in tables if t.startswith("data_chunks_")] == [chunk_table(old)]
    replica = load_pg_index(database_url, tmp_path / "replica", e5_embedder.embedder_id)
    assert replica.path.name == old
    # the next ingest goes through and the new document is served
    subprocess.run([sys.executable, "-m", "assistant.cli", "ingest"], env=env, check=True)
    new = load_pg_index(database_url, tmp_path / "replica", e5_embedder.embedder_id)
    assert new.path.name != old
    assert "ny" in new.documents
    shutil.rmtree(tmp_path / "replica")


def _wait_for_blocked_ingest(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Wait (up to 5 minutes: ingest embeds nothing new but loads the model) until the
    ingest's transaction waits for the pointer's lock."""
    deadline = time.monotonic() + 300
    with psycopg.connect(url, autocommit=True) as db:
        while time.monotonic() < deadline and process.poll() is None:
            row = db.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                ("%index_current%",),
            ).fetchone()
            if row:
                return True
            time.sleep(0.05)
    return False
