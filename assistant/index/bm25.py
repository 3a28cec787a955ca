"""BM25 with Norwegian analysis: lower-casing, stop words and Snowball stemming.

The analyzer turns ``krefttilfellene`` and ``krefttilfeller`` into the same
stem. The index itself is bm25s (sparse matrices, saved as .npy files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

_TOKEN = re.compile(r"\w+")


class NorwegianAnalyzer:
    """Text → stems: Norwegian Snowball stemmer and NLTK's Norwegian stop words."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_NORWEGIAN

        self._stemmer = Stemmer.Stemmer("norwegian")
        self._stopwords = set(STOPWORDS_NORWEGIAN)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stopwords]
        return list(self._stemmer.stemWords(words))

    def positions(self, text: str) -> list[tuple[str, int]]:
        """(stem, character offset) of every non-stop word of ``text``."""
        matches = [m for m in _TOKEN.finditer(text.lower()) if m.group(0) not in self._stopwords]
        stems = self._stemmer.stemWords([m.group(0) for m in matches])
        return [(stem, m.start()) for stem, m in zip(stems, matches, strict=True)]


class BM25Index:
    """A BM25 ranking over chunk texts, aligned with the chunk list by position."""

    def __init__(self, retriever: Any, analyzer: NorwegianAnalyzer, size: int):
        self._retriever = retriever
        self._analyzer = analyzer
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> BM25Index:
        import bm25s

        analyzer = NorwegianAnalyzer()
        retriever = bm25s.BM25()
        retriever.index([analyzer(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(retriever, analyzer, len(texts))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(directory), show_progress=False)
        (directory / "size.json").write_text(json.dumps({"size": self.size}))

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        import bm25s

        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        size = json.loads((directory / "size.json").read_text())["size"]
        return cls(retriever, NorwegianAnalyzer(), size)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Every stem in the indexed texts."""
        return self._retriever.vocab_dict  # type: ignore[no-any-return]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no term matches)."""
        tokens = self._analyzer(query)
        vocab = self._retriever.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(ids), dtype=np.float32)
