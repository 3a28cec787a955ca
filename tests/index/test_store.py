"""The index on disk: round trip, refusal to load a mismatched index, atomic builds, cache."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.components.embedding import E5Embedding
from assistant.index.store import (
    FORMAT_VERSION,
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    LoadedIndex,
    current_build,
    load_index,
)
from assistant.ingest.chunking import chunk_document
from assistant.ingest.goals import GoalRegistry
from assistant.index.build import IngestSummary
from assistant.ingest.pipeline import CorpusReading, indexed_text
from assistant.launcher import ingest
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import CorpusSettings, IndexSettings, RetrievalSettings, Settings

HPV_QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"


def settings_for(corpus_dir: Path, index_dir: Path, keep_builds: int = 2) -> Settings:
    return Settings(
        corpus=CorpusSettings(dir=corpus_dir),
        index=IndexSettings(dir=index_dir, keep_builds=keep_builds),
    )


def complete_builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "builds").iterdir() if not p.name.startswith("."))


def copy_of_index(source: Path, target: Path) -> Path:
    return Path(shutil.copytree(source, target))


def top_goal(index: LoadedIndex, embedder: E5Embedding, question: str = HPV_QUESTION) -> int | None:
    hits = HybridRetriever(index, embedder, RetrievalSettings()).search(question, k=1)
    return hits[0].chunk.tiarsmal if hits else None


class TestRoundTrip:
    def test_loaded_index_holds_what_was_built(
        self, loaded_index: LoadedIndex, corpus_reading: CorpusReading
    ) -> None:
        built_chunks = [c for d in corpus_reading.documents for c in chunk_document(d)]
        assert loaded_index.chunks == built_chunks
        assert {k: d.to_dict() for k, d in loaded_index.documents.items()} == {
            d.id: d.to_dict() for d in corpus_reading.documents
        }
        assert asdict(loaded_index.goals) == asdict(
            GoalRegistry.from_documents(corpus_reading.documents)
        )

    def test_vector_and_bm25_counts_match_the_chunks(self, loaded_index: LoadedIndex) -> None:
        assert loaded_index.vectors.ntotal == len(loaded_index.chunks)
        assert loaded_index.bm25.size == len(loaded_index.chunks)
        assert loaded_index.vectors.d == 384

    def test_manifest_records_embedder_and_documents(
        self, loaded_index: LoadedIndex, e5_embedder: E5Embedding
    ) -> None:
        manifest = loaded_index.manifest
        assert manifest["format_version"] == FORMAT_VERSION
        assert manifest["embedder"] == {"id": e5_embedder.embedder_id, "dim": 384}
        assert manifest["counts"]["chunks"] == len(loaded_index.chunks)
        assert set(manifest["documents"]) == set(loaded_index.documents)

    @pytest.mark.slow
    def test_vectors_are_the_chunks_embeddings_in_order(
        self, loaded_index: LoadedIndex, e5_embedder: E5Embedding
    ) -> None:
        picks = [0, len(loaded_index.chunks) // 2, len(loaded_index.chunks) - 1]
        texts = [
            indexed_text(loaded_index.documents[c.document_id], c)
            for c in (loaded_index.chunks[i] for i in picks)
        ]
        fresh = e5_embedder.embed_passages(texts)
        for row, i in enumerate(picks):
            stored = loaded_index.vectors.reconstruct(i)
            assert float(np.dot(stored, fresh[row])) > 0.999

    def test_summary_of_the_session_ingest(
        self, ingest_summary: IngestSummary, loaded_index: LoadedIndex
    ) -> None:
        summary = ingest_summary
        assert summary.documents == 5
        assert summary.chunks == len(loaded_index.chunks)
        assert summary.embedded + summary.cached == summary.chunks
        assert summary.skipped == []
        assert summary.build == loaded_index.path


class TestRefusals:
    def test_another_embedder_is_refused(self, index_dir: Path) -> None:
        with pytest.raises(IndexMismatchError) as caught:
            load_index(index_dir, "st:some-other-model:00000000")
        message = str(caught.value)
        assert "st:some-other-model:00000000" in message
        assert "Re-run `assistant ingest`" in message

    def test_another_format_version_is_refused(self, index_dir: Path, tmp_path: Path) -> None:
        copy = copy_of_index(index_dir, tmp_path / "index")
        manifest_path = current_build(copy) / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["format_version"] = FORMAT_VERSION + 1
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(IndexMismatchError, match=r"Re-run `assistant ingest`"):
            load_index(copy, manifest["embedder"]["id"])

    def test_missing_index(self, tmp_path: Path) -> None:
        with pytest.raises(IndexMissingError, match=r"Run `assistant ingest` to build it"):
            load_index(tmp_path / "nowhere", None)

    def test_pointer_to_an_incomplete_build(self, index_dir: Path, tmp_path: Path) -> None:
        copy = copy_of_index(index_dir, tmp_path / "index")
        (current_build(copy) / "manifest.json").unlink()
        with pytest.raises(IndexDamagedError, match=r"incomplete.*assistant ingest"):
            load_index(copy, None)

    def test_a_chunk_list_cut_short_is_refused(self, index_dir: Path, tmp_path: Path) -> None:
        copy = copy_of_index(index_dir, tmp_path / "index")
        chunks = current_build(copy) / "chunks.jsonl"
        lines = chunks.read_text(encoding="utf-8").splitlines(keepends=True)
        chunks.write_text("".join(lines[:-1]), encoding="utf-8")
        with pytest.raises(IndexDamagedError, match=r"chunks.jsonl has \d+ bytes.*ingest"):
            load_index(copy, None)

    def test_search_command_reports_a_mismatch(
        self, index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_env: None
    ) -> None:
        from assistant.cli import main

        copy = copy_of_index(index_dir, tmp_path / "index")
        manifest_path = current_build(copy) / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["embedder"]["id"] = "st:another-model:12345678"
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        assert main(["search", "HPV", "--index", str(copy)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("assistant: The index was built with embedder 'st:another-model")
        assert "Re-run `assistant ingest`" in err


class TestAtomicBuilds:
    @pytest.mark.slow
    def test_killed_ingest_leaves_the_previous_index_in_service(
        self,
        index_dir: Path,
        corpus_copy: Path,
        tmp_path: Path,
        e5_embedder: E5Embedding,
    ) -> None:
        index = copy_of_index(index_dir, tmp_path / "index")
        shutil.rmtree(index / "cache")  # nothing cached: the ingest must embed for a while
        before = (index / "CURRENT").read_text(encoding="utf-8")
        builds_before = complete_builds(index)

        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        command = [sys.executable, "-m", "assistant.cli", "ingest"]
        command += ["--corpus", str(corpus_copy), "--index", str(index)]
        embedding = threading.Event()
        stderr: list[str] = []
        with subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        ) as process:

            def watch() -> None:
                assert process.stderr is not None
                while chunk := process.stderr.read(64):
                    stderr.append(chunk)
                    if "Embedding" in "".join(stderr):
                        embedding.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            try:
                started = embedding.wait(timeout=120)
                assert started, "ingest never started embedding:\n" + "".join(stderr)
                time.sleep(0.5)
                assert process.poll() is None, "ingest finished before it could be interrupted"
                process.send_signal(signal.SIGKILL)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)
                watcher.join(timeout=10)
        assert process.returncode == -signal.SIGKILL

        assert (index / "CURRENT").read_text(encoding="utf-8") == before
        assert complete_builds(index) == builds_before
        loaded = load_index(index, e5_embedder.embedder_id)
        assert loaded.path.name == before.strip()
        assert top_goal(loaded, e5_embedder) == 2

    def test_leftovers_of_a_crashed_write_are_ignored(
        self,
        index_dir: Path,
        corpus_copy: Path,
        tmp_path: Path,
        e5_embedder: E5Embedding,
    ) -> None:
        index = copy_of_index(index_dir, tmp_path / "crashed")
        partial = index / "builds" / ".20990101-000000-1-000000.partial"
        partial.mkdir()
        (partial / "vectors.faiss").write_bytes(b"half a file")
        (index / ".CURRENT.999.tmp").write_text("20990101-000000-1-000000\n")
        assert top_goal(load_index(index, e5_embedder.embedder_id), e5_embedder) == 2

        summary = ingest(settings_for(corpus_copy, index), e5_embedder)
        assert summary.build.parent == index / "builds"
        assert load_index(index, e5_embedder.embedder_id).path == summary.build

    @pytest.mark.slow
    def test_old_builds_are_pruned_newest_first(
        self,
        corpus_copy: Path,
        warm_index_dir: Path,
        e5_embedder: E5Embedding,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Three builds within one second: the two newest stay, the newest in service."""
        from assistant.index import store

        clock = iter(range(999_600_000, 10**10, 400_000))  # 0.4 ms between builds
        monkeypatch.setattr(
            store,
            "time",
            SimpleNamespace(
                strftime=lambda _fmt: "20300101-120000",
                monotonic_ns=lambda: next(clock),
                time_ns=lambda: next(clock),
                time=time.time,
            ),
        )
        settings = settings_for(corpus_copy, warm_index_dir, keep_builds=2)
        builds = [ingest(settings, e5_embedder).build for _ in range(3)]
        assert current_build(warm_index_dir) == builds[-1]
        assert complete_builds(warm_index_dir) == sorted(b.name for b in builds[1:])


class TestEmbeddingCache:
    def test_unchanged_corpus_embeds_nothing(
        self, corpus_copy: Path, warm_index_dir: Path, e5_embedder: E5Embedding
    ) -> None:
        summary = ingest(settings_for(corpus_copy, warm_index_dir), e5_embedder)
        assert summary.embedded == 0
        assert summary.cached == summary.chunks > 0

    @pytest.mark.slow
    def test_changed_document_is_the_only_one_embedded_again(
        self,
        corpus_copy: Path,
        warm_index_dir: Path,
        e5_embedder: E5Embedding,
        loaded_index: LoadedIndex,
    ) -> None:
        settings = settings_for(corpus_copy, warm_index_dir)
        ingest(settings, e5_embedder)
        changed = corpus_copy / "kreftforeningen-ccc-bevilgning-2025.txt"
        text = changed.read_text(encoding="utf-8")
        addition = (
            "Kreftforeningen lover også stipender til sykepleiere i Finnmark som vil "
            "spesialisere seg i kreftomsorg."
        )
        marker = "Sigbjørn Smeland, leder for kreftklinikken"
        changed.write_text(text.replace(marker, addition + "\n\n" + marker), encoding="utf-8")

        summary = ingest(settings, e5_embedder)
        index = load_index(warm_index_dir, e5_embedder.embedder_id)
        changed_chunks = [c for c in index.chunks if c.document_id == "kf-ccc-bevilgning-2025"]
        assert 1 <= summary.embedded <= len(changed_chunks)
        assert summary.cached == summary.chunks - summary.embedded
        unchanged = [c for c in index.chunks if c.document_id != "kf-ccc-bevilgning-2025"]
        before = [c for c in loaded_index.chunks if c.document_id != "kf-ccc-bevilgning-2025"]
        assert unchanged == before
        hits = HybridRetriever(index, e5_embedder, RetrievalSettings()).search(
            "stipender til sykepleiere i Finnmark", k=1, mode="bm25"
        )
        assert addition in hits[0].chunk.text

    def test_cache_of_another_embedder_is_not_used(
        self, corpus_copy: Path, warm_index_dir: Path, e5_embedder: E5Embedding
    ) -> None:
        """Vectors are cached per embedder id: the e5 cache holds no vectors for others."""
        from assistant.index.cache import EmbeddingCache

        e5_cache = EmbeddingCache(warm_index_dir / "cache", e5_embedder.embedder_id, 384)
        other = EmbeddingCache(warm_index_dir / "cache", "st:other:00000000", 384)
        assert len(e5_cache) > 0
        assert len(other) == 0
        assert other.path != e5_cache.path


@pytest.mark.slow
def test_ingest_of_a_small_corpus_from_scratch(
    make_corpus: Callable[..., Path], tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    corpus = make_corpus(
        {
            "notat.txt": (
                "Notat om tarmscreening\n\n"
                "Alle som fyller 55 år får tilbud om tarmscreening hvert annet år, og "
                "deltakelsen har økt jevnt siden programmet startet.\n"
            )
        }
    )
    summary = ingest(settings_for(corpus, tmp_path / "index"), e5_embedder)
    assert (summary.documents, summary.chunks, summary.embedded, summary.cached) == (1, 1, 1, 0)
    index = load_index(tmp_path / "index", e5_embedder.embedder_id)
    assert index.chunks[0].text.startswith("Notat om tarmscreening")


class TestLeftoversOfKilledIngests:
    def test_partial_builds_of_gone_ingests_are_removed_by_the_next_ingest(
        self, corpus_copy: Path, warm_index_dir: Path, e5_embedder: E5Embedding
    ) -> None:
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        dead_pid = int(gone.stdout)
        builds = warm_index_dir / "builds"
        builds.mkdir(parents=True)
        killed = builds / f".20260101-000000-{10**19:020d}-{dead_pid}.partial"
        (killed / "bm25").mkdir(parents=True)
        (killed / "vectors.faiss").write_bytes(b"half a file")
        pointer = warm_index_dir / f".CURRENT.{dead_pid}.tmp"
        pointer.write_text("20260101-000000\n")
        with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
            running = builds / f".20260101-000001-{10**19:020d}-{alive.pid}.partial"
            running.mkdir()
            try:
                ingest(settings_for(corpus_copy, warm_index_dir), e5_embedder)
                assert not killed.exists()
                assert not pointer.exists()
                assert running.exists(), "the partial build of a running ingest was removed"
            finally:
                alive.kill()


class TestInterruptedEmbedding:
    @pytest.mark.slow
    def test_an_interrupted_ingest_resumes_where_it_stopped(
        self,
        make_corpus: Callable[..., Path],
        tmp_path: Path,
        e5_embedder: E5Embedding,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        paragraphs = [
            f"Avsnitt {i} om kreftomsorg i kommune nummer {i}: pasientene i kommunen får "
            f"oppfølging av fastlegen, og kreftkoordinatoren ringer dem etter {i} uker. " * 3
            for i in range(60)
        ]
        corpus = make_corpus({"notat.txt": "Notat om oppfølging\n\n" + "\n\n".join(paragraphs)})
        settings = settings_for(corpus, tmp_path / "index")
        real = E5Embedding.embed_passages
        calls: list[int] = []

        def killed_after_one_batch(self: E5Embedding, texts: list[str]) -> np.ndarray:
            if len(calls) == 1:
                raise KeyboardInterrupt  # what a Ctrl-C or kill does half-way
            calls.append(len(texts))
            return real(self, texts)

        monkeypatch.setattr(E5Embedding, "embed_passages", killed_after_one_batch)
        with pytest.raises(KeyboardInterrupt):
            ingest(settings, e5_embedder)
        monkeypatch.setattr(E5Embedding, "embed_passages", real)
        embedded_before_the_kill = sum(calls)
        assert embedded_before_the_kill > 0

        summary = ingest(settings, e5_embedder)
        assert summary.chunks > embedded_before_the_kill  # the kill came while embedding chunks
        assert summary.embedded == summary.chunks - embedded_before_the_kill
        assert summary.cached == embedded_before_the_kill
        assert not any((tmp_path / "index" / "cache").glob("*.journal"))  # folded into the cache

    def test_a_record_cut_by_a_kill_is_dropped(self, tmp_path: Path) -> None:
        from assistant.index.cache import EmbeddingCache

        cache = EmbeddingCache(tmp_path, "test:embedder", 4)
        cache.put("første", np.array([1, 0, 0, 0], dtype=np.float32))
        cache.put("andre", np.array([0, 1, 0, 0], dtype=np.float32))
        cache.flush()
        with cache.journal.open("ab") as out:
            out.write(b"\x01" * 20)  # a third record, cut short
        reread = EmbeddingCache(tmp_path, "test:embedder", 4)
        assert len(reread) == 2
        np.testing.assert_array_equal(reread.get("andre"), [0, 1, 0, 0])
