"""Embedding cache: vectors keyed by content hash and embedder id.

Re-ingesting embeds only texts whose hash is not in the cache. Vectors are
appended to a journal as each batch is embedded (:meth:`EmbeddingCache.flush`),
so an ingest that is killed half-way keeps the work it did and the next one
resumes where it stopped; :meth:`EmbeddingCache.save` folds the journal into
the cache file, which is replaced atomically, so an interrupted ingest never
corrupts it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np


class EmbeddingCache:
    """Vectors of one embedder, by the SHA-256 of the embedded text."""

    def __init__(self, directory: Path, embedder_id: str, dim: int):
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder_id)[:80]
        digest = hashlib.sha256(embedder_id.encode()).hexdigest()[:10]
        self.path = directory / f"{slug}-{digest}.npz"
        self.journal = directory / f"{slug}-{digest}.journal"
        self.dim = dim
        self._vectors: dict[str, np.ndarray] = {}
        self._unflushed: list[str] = []
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.ndim == 2 and vectors.shape[1] == dim:
                    self._vectors = dict(zip(keys.tolist(), vectors, strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # an unreadable cache is only a slower ingest
        self._read_journal()

    @property
    def _record_bytes(self) -> int:
        return 32 + 4 * self.dim  # raw SHA-256, then the float32 vector

    def _read_journal(self) -> None:
        try:
            data = self.journal.read_bytes()
        except OSError:
            return
        whole = len(data) - len(data) % self._record_bytes  # a record cut by a kill is dropped
        for offset in range(0, whole, self._record_bytes):
            record = data[offset : offset + self._record_bytes]
            vector = np.frombuffer(record[32:], dtype=np.float32).copy()
            self._vectors[record[:32].hex()] = vector

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, text: str) -> np.ndarray | None:
        return self._vectors.get(self.key(text))

    def put(self, text: str, vector: np.ndarray) -> None:
        key = self.key(text)
        self._vectors[key] = np.asarray(vector, dtype=np.float32).reshape(self.dim)
        self._unflushed.append(key)

    def flush(self) -> None:
        """Append the vectors put since the last flush to the journal (one write)."""
        if not self._unflushed:
            return
        records = b"".join(bytes.fromhex(k) + self._vectors[k].tobytes() for k in self._unflushed)
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("ab") as out:
            out.write(records)
        self._unflushed.clear()

    def save(self) -> None:
        """Write the cache atomically, then drop the journal it now holds."""
        items = list(self._vectors.items())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        keys = np.array([k for k, _ in items], dtype="U64")
        vectors = np.stack([v for _, v in items]) if items else np.zeros((0, self.dim), np.float32)
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)
        self.journal.unlink(missing_ok=True)
        self._unflushed.clear()

    def __len__(self) -> int:
        return len(self._vectors)
