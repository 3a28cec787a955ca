"""The index on disk: FAISS vectors, BM25, chunks, documents, goals and a manifest.

Layout of the index folder::

    index/
      CURRENT                 name of the build in service (replaced atomically)
      builds/<build>/         one complete build:
        manifest.json         format version, embedder id and dim, chunking, document hashes,
                              and every other file of the build with its size and SHA-256
        vectors.faiss         inner-product index over normalised vectors
        bm25/                 BM25 (bm25s) over the same chunks, same order
        chunks.jsonl          one chunk per line
        documents.json        cleaned documents with sections and source maps
        goals.json            the goal registry
        sentences.npy         quotable sentence units (chunk, start, end)
        sentence_vectors.npy  their embeddings, for picking answer sentences
        evidence.jsonl        evidence units: sentences, lists, heading → content, goals
        vectors.hnsw          HNSW graph of the chunk vectors, only in a build of
                                retrieval.ann_from chunks or more (index.ann)
      cache/                  embedding cache (content hash + embedder id)

A new build is written beside the old one and put in service by replacing
``CURRENT`` with ``os.replace``; killing ingest at any moment leaves the
previous build loadable, and the next ingest removes what the killed one left.
Loading checks every file against the manifest: a damaged build in service is
passed over for the newest older build that is complete and verifies.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import BasePydanticVectorStore

from assistant.index.ann import CHUNK_GRAPH, write_graph
from assistant.index.bm25 import BM25Index
from assistant.index.integrity import MANIFEST, BuildDamagedError, list_files, verify_files
from assistant.index.nodes import chunk_node, sentence_node
from assistant.ingest.chunking import Chunk
from assistant.ingest.document import Document
from assistant.ingest.evidence import EvidenceUnit
from assistant.ingest.goals import GoalRegistry
from assistant.ingest.sentences import SentenceUnit

FORMAT_VERSION = 2
_REBUILD = (
    "Run `assistant ingest` to build it, or point to another index folder with --index "
    "or ASSISTANT_INDEX__DIR."
)


class IndexNotReadyError(RuntimeError):
    """Base class for index problems; the message says what to do."""


class IndexMissingError(IndexNotReadyError):
    """No complete index exists at the configured place."""


class IndexMismatchError(IndexNotReadyError):
    """The index was built with another embedder or format."""


class IndexDamagedError(IndexNotReadyError):
    """The build in service is damaged and no older complete build verifies (or none was
    allowed); ``damage`` names the file and what is wrong with it."""

    def __init__(self, message: str, damage: BuildDamagedError):
        super().__init__(message)
        self.damage = damage


@dataclass
class LoadedIndex:
    """Everything retrieval and answering need, loaded from one build."""

    path: Path
    manifest: dict[str, Any]
    vector_store: BasePydanticVectorStore
    """The chunk vectors behind llama-index's vector-store interface (FaissVectorStore on
    disk); node ids are chunk positions, as in ``chunks``."""
    bm25: BM25Index
    chunks: list[Chunk]
    documents: dict[str, Document]
    goals: GoalRegistry
    sentences: list[SentenceUnit]
    sentence_vectors: np.ndarray
    evidence: list[EvidenceUnit]
    passed_over: BuildDamagedError | None = None
    """The damaged build in service that this older build stands in for, if any."""

    @property
    def vectors(self) -> Any:
        """The FAISS index under the vector store (``ntotal``, ``search``, ``reconstruct``)."""
        return self.vector_store.client

    def chunk_nodes(self) -> list[TextNode]:
        """Every chunk as a llama-index node, in index order (see ``index.nodes``)."""
        return [chunk_node(c, self.documents.get(c.document_id)) for c in self.chunks]

    def sentence_nodes(self) -> list[TextNode]:
        """Every sentence unit as a llama-index node, a child of its chunk's node."""
        nodes = []
        for position, unit in enumerate(self.sentences):
            chunk = self.chunks[unit.chunk]
            text = self.documents[chunk.document_id].text[unit.start : unit.end]
            nodes.append(sentence_node(unit, position, chunk, text))
        return nodes

    @property
    def fallback_notice(self) -> str | None:
        """One line saying which damaged build is passed over and what to do; None if none."""
        if self.passed_over is None:
            return None
        return (
            f"The index build {self.passed_over.build.name} is damaged ({self.passed_over}); "
            f"serving the previous build {self.path.name}. Run `assistant ingest` to rebuild."
        )


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
    graphs_from: int | None = None,
) -> Path:
    """Write a complete build beside the current one, then put it in service atomically.

    From ``graphs_from`` chunks (``retrieval.ann_from``) the chunk vectors' HNSW graph is
    written too, so that loading reads it instead of building it."""
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # nanoseconds since the epoch, zero-padded: names sort in build order
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns():020d}-{os.getpid()}"
    partial = builds / f".{name}.partial"
    partial.mkdir()
    faiss_vector_store(vectors).persist(str(partial / "vectors.faiss"))
    bm25.save(partial / "bm25")
    with (partial / "chunks.jsonl").open("w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    _write_json(partial / "documents.json", [d.to_dict() for d in documents])
    _write_json(partial / "goals.json", goals.to_dict())
    units = np.array([(u.chunk, u.start, u.end) for u in sentences], dtype=np.int32).reshape(-1, 3)
    np.save(partial / "sentences.npy", units)
    np.save(partial / "sentence_vectors.npy", np.asarray(sentence_vectors, dtype=np.float32))
    if graphs_from is not None and len(vectors) >= graphs_from:
        write_graph(vectors, partial / CHUNK_GRAPH)
    with (partial / "evidence.jsonl").open("w", encoding="utf-8") as out:
        for unit in evidence:
            out.write(json.dumps(unit.to_dict()) + "\n")
    # written last, listing everything written before: marks the build complete
    _write_json(partial / MANIFEST, {**manifest, "files": list_files(partial)})
    final = builds / name
    partial.rename(final)
    pointer = index_dir / f".CURRENT.{os.getpid()}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / "CURRENT")
    _prune(builds, keep=keep_builds, current=name)
    return final


def faiss_vector_store(vectors: np.ndarray) -> BasePydanticVectorStore:
    """llama-index's FaissVectorStore over an exact inner-product index of ``vectors``.

    Exact search (``IndexFlatIP``): at this corpus size (hundreds of chunks) it takes well
    under a millisecond; past ``retrieval.ann_from`` chunks the retriever searches an HNSW
    graph of the same vectors instead (:mod:`assistant.index.ann`).
    """
    import faiss
    from llama_index.vector_stores.faiss import FaissVectorStore

    faiss_index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        faiss_index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return FaissVectorStore(faiss_index=faiss_index)


def _prune(builds: Path, keep: int, current: str) -> None:
    for old in _complete_builds(builds)[keep:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def _complete_builds(builds: Path) -> list[Path]:
    """Renamed (finished) build folders, newest first."""
    if not builds.is_dir():
        return []
    return sorted((p for p in builds.iterdir() if not p.name.startswith(".")), reverse=True)


def pointed_build(index_dir: Path) -> Path:
    """The build ``CURRENT`` names (in service on disk), complete or not.

    IndexMissingError when there is no ``CURRENT``.
    """
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissingError(f"No index found in {index_dir.resolve()}. {_REBUILD}")
    return index_dir / "builds" / pointer.read_text(encoding="utf-8").strip()


def current_build(index_dir: Path) -> Path:
    """The build in service; IndexMissingError when there is none."""
    build = pointed_build(index_dir)
    if not (build / MANIFEST).exists():
        raise IndexMissingError(f"The index in {index_dir.resolve()} is incomplete. {_REBUILD}")
    return build


def read_manifest(index_dir: Path) -> dict[str, Any]:
    return json.loads((current_build(index_dir) / MANIFEST).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


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


def load_index(
    index_dir: Path,
    embedder_id: str | None,
    *,
    verify_hashes: bool = True,
    fallback: bool = True,
) -> LoadedIndex:
    """Load the build in service, checking it matches the embedder and its manifest.

    A damaged build in service (a file missing, cut short or changed, see
    ``integrity``) is passed over for the newest older complete build that
    verifies, when ``fallback``; the result's ``fallback_notice`` says so.
    Raises IndexMissingError (no index), IndexMismatchError (another embedder or
    format) or IndexDamagedError (no usable build; the message names the file).
    """
    pointed = pointed_build(index_dir)
    older = [b for b in _complete_builds(index_dir / "builds") if b.name < pointed.name]
    damage: BuildDamagedError | None = None
    for build in [pointed, *(older if fallback else [])]:
        try:
            index = _load_build(build, embedder_id, verify_hashes)
        except BuildDamagedError as exc:
            damage = damage or exc
            continue
        except IndexMismatchError:
            if build == pointed:
                raise
            continue  # an older build of another embedder cannot stand in
        index.passed_over = damage
        return index
    assert damage is not None
    where = index_dir.resolve()
    if not fallback:
        message = f"The index build {pointed.name} in {where} is damaged: {damage}."
    else:
        message = (
            f"The index in {where} is damaged or incomplete: build {pointed.name}: {damage}, "
            "and no older complete build verifies."
        )
    raise IndexDamagedError(f"{message} Run `assistant ingest` to rebuild it.", damage)


@contextmanager
def _reading(build: Path, name: str) -> Iterator[None]:
    """Turn any failure to read or parse ``name`` into BuildDamagedError naming it."""
    try:
        yield
    except BuildDamagedError:
        raise
    except FileNotFoundError:
        raise BuildDamagedError(build, name, "is missing") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as exc:
        raise BuildDamagedError(build, name, f"cannot be read ({type(exc).__name__})") from exc


def _load_build(build: Path, embedder_id: str | None, verify_hashes: bool) -> LoadedIndex:
    from llama_index.vector_stores.faiss import FaissVectorStore

    with _reading(build, MANIFEST):
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    check_manifest(manifest, embedder_id)
    verify_files(build, manifest, hashes=verify_hashes)
    with _reading(build, "vectors.faiss"):
        vectors = FaissVectorStore.from_persist_path(str(build / "vectors.faiss"))
    with _reading(build, "chunks.jsonl"), (build / "chunks.jsonl").open(encoding="utf-8") as lines:
        chunks = [Chunk(**json.loads(line)) for line in lines if line.strip()]
    with _reading(build, "documents.json"):
        documents = {
            d["meta"]["id"]: Document.from_dict(d)
            for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
        }
    with _reading(build, "goals.json"):
        goals = GoalRegistry.from_dict(
            json.loads((build / "goals.json").read_text(encoding="utf-8"))
        )
    with _reading(build, "bm25"):
        bm25 = BM25Index.load(build / "bm25")
    with _reading(build, "sentences.npy"):
        units = np.load(build / "sentences.npy")
    with _reading(build, "sentence_vectors.npy"):
        sentence_vectors = np.load(build / "sentence_vectors.npy")
    with _reading(build, "evidence.jsonl"), (build / "evidence.jsonl").open(
        encoding="utf-8"
    ) as lines:
        evidence = [EvidenceUnit.from_dict(json.loads(line)) for line in lines if line.strip()]
    if (
        vectors.client.ntotal != len(chunks)
        or bm25.size != len(chunks)
        or len(units) != len(sentence_vectors)
    ):
        raise BuildDamagedError(
            build, "the build", "is inconsistent (vectors, BM25 and chunks differ in number)"
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
