"""The index on disk: FAISS vectors, BM25, chunks, documents, goals and a manifest.

Layout of the index folder::

    index/
      CURRENT                 name of the build in service (replaced atomically)
      builds/<build>/         one complete build:
        manifest.json         format version, embedder id and dim, chunking, document hashes
        vectors.faiss         inner-product index over normalised vectors
        bm25/                 BM25 (bm25s) over the same chunks, same order
        chunks.jsonl          one chunk per line
        documents.json        cleaned documents with sections and source maps
        goals.json            the goal registry
        sentences.npy         quotable sentence units (chunk, start, end)
        sentence_vectors.npy  their embeddings, for picking answer sentences
        evidence.jsonl        evidence units: sentences, lists, heading → content, goals
      cache/                  embedding cache (content hash + embedder id)

A new build is written beside the old one and put in service by replacing
``CURRENT`` with ``os.replace``; killing ingest at any moment leaves the
previous build loadable.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index.bm25 import BM25Index
from assistant.ingest.chunking import Chunk
from assistant.ingest.document import Document
from assistant.ingest.evidence import EvidenceUnit
from assistant.ingest.goals import GoalRegistry
from assistant.ingest.sentences import SentenceUnit

FORMAT_VERSION = 2
_REBUILD = "Run `assistant ingest` to build it."


class IndexError_(RuntimeError):
    """Base class for index problems; the message says what to do."""


class IndexMissingError(IndexError_):
    """No complete index exists at the configured place."""


class IndexMismatchError(IndexError_):
    """The index was built with another embedder or format."""


@dataclass
class LoadedIndex:
    """Everything retrieval and answering need, loaded from one build."""

    path: Path
    manifest: dict[str, Any]
    vectors: Any  # faiss.Index
    bm25: BM25Index
    chunks: list[Chunk]
    documents: dict[str, Document]
    goals: GoalRegistry
    sentences: list[SentenceUnit]
    sentence_vectors: np.ndarray
    evidence: list[EvidenceUnit]


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def write_build(
    index_dir: Path,
    manifest: dict[str, Any],
    vectors: np.ndarray,
    chunks: list[Chunk],
    documents: list[Document],
    goals: GoalRegistry,
    bm25: BM25Index,
    sentences: list[SentenceUnit],
    sentence_vectors: np.ndarray,
    evidence: list[EvidenceUnit],
    keep_builds: int = 2,
) -> Path:
    """Write a complete build beside the current one, then put it in service atomically."""
    import faiss

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # nanoseconds since the epoch, zero-padded: names sort in build order
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns():020d}-{os.getpid()}"
    partial = builds / f".{name}.partial"
    partial.mkdir()
    faiss_index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        faiss_index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(faiss_index, str(partial / "vectors.faiss"))
    bm25.save(partial / "bm25")
    with (partial / "chunks.jsonl").open("w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    _write_json(partial / "documents.json", [d.to_dict() for d in documents])
    _write_json(partial / "goals.json", goals.to_dict())
    units = np.array([(u.chunk, u.start, u.end) for u in sentences], dtype=np.int32).reshape(-1, 3)
    np.save(partial / "sentences.npy", units)
    np.save(partial / "sentence_vectors.npy", np.asarray(sentence_vectors, dtype=np.float32))
    with (partial / "evidence.jsonl").open("w", encoding="utf-8") as out:
        for unit in evidence:
            out.write(json.dumps(unit.to_dict()) + "\n")
    _write_json(partial / "manifest.json", manifest)  # written last: marks the build complete
    final = builds / name
    partial.rename(final)
    pointer = index_dir / f".CURRENT.{os.getpid()}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / "CURRENT")
    _prune(builds, keep=keep_builds, current=name)
    return final


def _prune(builds: Path, keep: int, current: str) -> None:
    complete = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), reverse=True)
    for old in complete[keep:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
    for partial in builds.glob(".*.partial"):
        # a partial build left by a killed ingest; only remove stale ones
        if time.time() - partial.stat().st_mtime > 3600:
            shutil.rmtree(partial, ignore_errors=True)


def current_build(index_dir: Path) -> Path:
    """The build in service; IndexMissingError when there is none."""
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        raise IndexMissingError(f"No index found in {index_dir}. {_REBUILD}")
    build = index_dir / "builds" / pointer.read_text(encoding="utf-8").strip()
    if not (build / "manifest.json").exists():
        raise IndexMissingError(f"The index in {index_dir} is incomplete. {_REBUILD}")
    return build


def read_manifest(index_dir: Path) -> dict[str, Any]:
    return json.loads((current_build(index_dir) / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def check_manifest(manifest: dict[str, Any], embedder_id: str | None) -> None:
    """Raise IndexMismatchError if the index cannot be used with this embedder."""
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index has format version {version}, this program reads version "
            f"{FORMAT_VERSION}. Re-run `assistant ingest`."
        )
    built_with = manifest.get("embedder", {}).get("id")
    if embedder_id is not None and built_with != embedder_id:
        raise IndexMismatchError(
            f"The index was built with embedder '{built_with}', but the configured embedder "
            f"is '{embedder_id}'. Re-run `assistant ingest` (or configure the same embedder)."
        )


def load_index(index_dir: Path, embedder_id: str | None) -> LoadedIndex:
    """Load the build in service, checking it matches the embedder."""
    import faiss

    build = current_build(index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    check_manifest(manifest, embedder_id)
    vectors = faiss.read_index(str(build / "vectors.faiss"))
    with (build / "chunks.jsonl").open(encoding="utf-8") as lines:
        chunks = [Chunk(**json.loads(line)) for line in lines if line.strip()]
    documents = {
        d["meta"]["id"]: Document.from_dict(d)
        for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
    }
    goals = GoalRegistry.from_dict(json.loads((build / "goals.json").read_text(encoding="utf-8")))
    bm25 = BM25Index.load(build / "bm25")
    units = np.load(build / "sentences.npy")
    sentence_vectors = np.load(build / "sentence_vectors.npy")
    with (build / "evidence.jsonl").open(encoding="utf-8") as lines:
        evidence = [EvidenceUnit.from_dict(json.loads(line)) for line in lines if line.strip()]
    if (
        vectors.ntotal != len(chunks)
        or bm25.size != len(chunks)
        or len(units) != len(sentence_vectors)
    ):
        raise IndexMismatchError(
            f"The index in {index_dir} is inconsistent. Re-run `assistant ingest`."
        )
    sentences = [SentenceUnit(int(c), int(s), int(e)) for c, s, e in units]
    return LoadedIndex(
        build,
        manifest,
        vectors,
        bm25,
        chunks,
        documents,
        goals,
        sentences,
        sentence_vectors,
        evidence,
    )
