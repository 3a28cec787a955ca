"""Embedding cache: vectors keyed by content hash and embedder id.

Re-ingesting embeds only texts whose hash is not in the cache. The cache file
is replaced atomically, so an interrupted ingest never corrupts it.
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
        self.dim = dim
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.ndim == 2 and vectors.shape[1] == dim:
                    self._vectors = dict(zip(keys.tolist(), vectors, strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # an unreadable cache is only a slower ingest

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, text: str) -> np.ndarray | None:
        return self._vectors.get(self.key(text))

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[self.key(text)] = np.asarray(vector, dtype=np.float32)

    def save(self) -> None:
        """Write the cache atomically."""
        items = list(self._vectors.items())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        keys = np.array([k for k, _ in items], dtype="U64")
        vectors = np.stack([v for _, v in items]) if items else np.zeros((0, self.dim), np.float32)
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)

    def __len__(self) -> int:
        return len(self._vectors)
