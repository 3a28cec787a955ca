"""Wires the parts together: settings → embedder → index → services.

The one place that knows how the pieces fit; the shells (CLI, HTTP API,
chat UI, evaluation) ask it for ready services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.answer.chat import ConversationService
from assistant.answer.conversation import ConversationStore
from assistant.answer.service import AnswerService
from assistant.components.embedding import AssistantEmbedding, build_embedder
from assistant.components.llm import ChatModel, OpenAICompatibleChatModel
from assistant.index.build import IngestService, IngestSummary
from assistant.index.catalogue import Catalogue
from assistant.index.store import IndexMissingError, LoadedIndex, load_index, pointed_build
from assistant.retrieval.hybrid import Filters, HybridRetriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.answer.judge import AnswerabilityJudge

JUDGE_QUOTE_CHARS = 160
"""Each quote shown to the judge is cut to this many characters: the prompt is what costs
(about 40 tokens/s on 2 cores), and the start of a quote carries most of its meaning
(bench/bench_judge.py, 2026-12-01: p95 11.3 s at 160 chars vs 27.4 s in full, under load)."""


@dataclass
class Services:
    """Everything loaded once and shared: the index, the embedder and the retriever."""

    settings: Settings
    embedder: AssistantEmbedding
    index: LoadedIndex
    retriever: HybridRetriever
    answers: AnswerService
    conversations: ConversationStore

    @property
    def chat(self) -> ConversationService:
        """Conversations over these answers and the stored histories (every shell asks here)."""
        return ConversationService(self.answers, self.conversations)

    @property
    def catalogue(self) -> Catalogue:
        """The documents and goals in the index (every shell lists them here)."""
        return Catalogue(self.index)


def ingest(
    settings: Settings,
    embedder: AssistantEmbedding | None = None,
    progress: Callable[[int, str], Any] | None = None,
) -> IngestSummary:
    """Build the index from the corpus."""
    service = IngestService(
        corpus_dir=settings.corpus.dir,
        index_dir=settings.index.dir,
        embedder=embedder or build_embedder(settings.embedding),
        chunking=settings.chunking,
        manifest_name=settings.corpus.manifest,
        keep_builds=settings.index.keep_builds,
        progress=progress,
        graphs_from=settings.retrieval.ann_from,
    )
    summary = service.run()
    if url := settings.database.dsn():
        from assistant.index.pg_store import publish_build

        publish_build(url, summary.build, settings.index.keep_builds, settings.database.pool_size)
    return summary


def load_current_index(
    settings: Settings, embedder_id: str | None, fallback: bool = True
) -> LoadedIndex:
    """The build in service: the database's current build with a database URL, else the
    disk build ``index.dir/CURRENT`` names (an older one standing in if it is damaged)."""
    if url := settings.database.dsn():
        from assistant.index.pg_store import load_pg_index

        return load_pg_index(
            url,
            settings.index.dir / "db-builds",
            embedder_id,
            verify_hashes=settings.index.verify_hashes,
            pool_size=settings.database.pool_size,
        )
    return load_index(
        settings.index.dir,
        embedder_id,
        verify_hashes=settings.index.verify_hashes,
        fallback=fallback,
    )


def serving_build(settings: Settings) -> str:
    """The name of the build that is current now (IndexMissingError when there is none)."""
    if url := settings.database.dsn():
        from assistant.index.pg_store import current_build_id

        return current_build_id(url, settings.database.pool_size)
    return pointed_build(settings.index.dir).name


def answering_embedder(settings: Settings) -> AssistantEmbedding:
    """The embedder for answering: the learned reader loads torch anyway, so with it on,
    e5 in torch embeds the questions too (``embedding.query_engine: auto``)."""
    return build_embedder(settings.embedding, torch_loaded=settings.answer.reader == "learned")


def load_services(
    settings: Settings,
    embedder: AssistantEmbedding | None = None,
    build_if_missing: bool = False,
    progress: Callable[[int, str], Any] | None = None,
    fallback: bool = True,
    conversations: ConversationStore | None = None,
) -> Services:
    """Load the index (building it first if asked and missing) and the services on it.

    A damaged build in service is passed over for an older one that verifies when
    ``fallback`` (``services.index.fallback_notice`` says so); else IndexDamagedError.
    ``conversations`` defaults to an in-memory store (``assistant.database`` picks the
    shared one for a server).
    """
    embedder = embedder or answering_embedder(settings)

    def load() -> LoadedIndex:
        return load_current_index(settings, embedder.embedder_id, fallback)

    try:
        index = load()
    except IndexMissingError:
        if not build_if_missing:
            raise
        ingest(settings, embedder, progress)
        index = load()
    return services_on(settings, embedder, index, conversations)


def services_on(
    settings: Settings,
    embedder: AssistantEmbedding,
    index: LoadedIndex,
    conversations: ConversationStore | None = None,
) -> Services:
    """The retriever and the answer service on an index already loaded."""
    retriever = HybridRetriever(index, embedder, settings.retrieval)
    answers = AnswerService(
        index,
        retriever,
        settings.answer,
        chat_model=build_chat_model(settings),
        max_question_chars=settings.server.max_question_chars,
        judge=build_judge(settings),
    )
    return Services(
        settings,
        embedder,
        index,
        retriever,
        answers,
        conversations if conversations is not None else ConversationStore(),
    )


def as_retriever(
    settings: Settings | None = None,
    *,
    filters: Filters | None = None,
    embedder: AssistantEmbedding | None = None,
) -> HybridRetriever:
    """The hybrid retriever over the built index, as a llama-index ``BaseRetriever``.

    For a partner's own llama-index app: ``RetrieverQueryEngine.from_args(
    assistant.as_retriever(settings), llm=...)``. Settings default to the environment's
    (``get_settings()``); ``settings.retrieval.top_k`` and ``mode`` steer it. Raises
    IndexNotReadyError (with what to run) when there is no usable index.
    """
    if settings is None:
        from assistant.settings import get_settings

        settings = get_settings()
    embedder = embedder or build_embedder(settings.embedding)
    index = load_current_index(settings, embedder.embedder_id)
    return HybridRetriever(index, embedder, settings.retrieval, filters=filters)


def build_judge(settings: Settings) -> AnswerabilityJudge | None:
    """The answerability judge when ``answer.judge`` is 'llm' (needs the LLM endpoint)."""
    if settings.answer.judge != "llm":
        return None
    llm = settings.llm
    if not llm.base_url or not llm.model:
        raise ValueError(
            "ASSISTANT_ANSWER__JUDGE=llm needs an OpenAI-compatible endpoint: set "
            "ASSISTANT_LLM__BASE_URL and ASSISTANT_LLM__MODEL (or run `assistant serve "
            "--local-llm`), or set ASSISTANT_ANSWER__JUDGE=off."
        )
    from assistant.answer.judge import AnswerabilityJudge

    return AnswerabilityJudge(
        llm.base_url,
        llm.model,
        llm.api_key.get_secret_value() or None,
        settings.answer.judge_timeout_s,
        max_quote_chars=JUDGE_QUOTE_CHARS,
    )


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured OpenAI-compatible chat model, or None when llm mode is not set up."""
    llm = settings.llm
    if not llm.base_url or not llm.model:
        return None
    return OpenAICompatibleChatModel.from_settings(llm)
