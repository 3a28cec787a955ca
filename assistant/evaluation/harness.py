"""Running a question set through one or more configurations, in-process or over HTTP.

The embedder is loaded once and shared by every configuration; each
configuration gets its own services (settings, index, retriever, answerer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.evaluation.baselines import Configuration, describe, prepare_index, settings_for
from assistant.evaluation.dataset import SPLITS, EvalItem
from assistant.evaluation.metrics import ItemResult, aggregate, breakdown
from assistant.ingest.document import Document
from assistant.settings import Settings

ProgressFactory = Callable[
    [int, str], Any
]  # (total, description) -> object with update(n), close()
BREAKDOWNS = ("category", "language", "document")


@dataclass
class ConfigurationRun:
    """One configuration's results over the items, and how long it took."""

    name: str
    description: str
    settings: dict[str, Any]
    results: list[ItemResult]
    seconds: float

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Metrics over all items, then per split present (dev and heldout apart)."""
        out = {"all": aggregate(self.results)}
        for split in SPLITS:
            part = [r for r in self.results if r.split == split]
            if part:
                out[split] = aggregate(part)
        return out

    def breakdowns(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {key: breakdown(self.results, key) for key in BREAKDOWNS}


def local_documents(settings: Settings) -> Mapping[str, Document]:
    """The documents quotes are checked against: the local index's, else the corpus read afresh."""
    from assistant.index.store import IndexMissingError, load_index
    from assistant.ingest.pipeline import read_corpus

    try:
        return load_index(settings.index.dir, None).documents
    except IndexMissingError:
        return {
            d.id: d for d in read_corpus(settings.corpus.dir, settings.corpus.manifest).documents
        }


def _counting(progress: ProgressFactory | None, total: int, name: str) -> tuple[Any, Any]:
    bar = progress(total, name) if progress else None

    def tick(_: ItemResult) -> None:
        if bar is not None:
            bar.update(1)

    return bar, tick


def run_in_process(
    base: Settings,
    configurations: list[Configuration],
    items: list[EvalItem],
    mode: str | None = None,
    progress: ProgressFactory | None = None,
    embedder: Any = None,
) -> list[ConfigurationRun]:
    """Answer and score the items under each configuration, in order.

    Raises the launcher's errors (IndexNotReadyError, ModeUnavailableError, ...) unchanged.
    """
    from assistant.evaluation.runner import run
    from assistant.launcher import answering_embedder, load_services

    embedder = embedder or answering_embedder(base)
    runs = []
    for configuration in configurations:
        began = time.perf_counter()
        settings = settings_for(configuration, base)
        prepare_index(configuration, base, settings, embedder, progress)
        services = load_services(settings, embedder=embedder)
        bar, tick = _counting(progress, len(items), configuration.name)
        try:
            results = run(services.answers, items, mode, progress=tick)
        finally:
            if bar is not None:
                bar.close()
        runs.append(
            ConfigurationRun(
                configuration.name,
                configuration.description,
                describe(settings),
                results,
                round(time.perf_counter() - began, 2),
            )
        )
    return runs


def run_against_server(
    url: str,
    api_key: str | None,
    base: Settings,
    items: list[EvalItem],
    documents: Mapping[str, Document],
    mode: str | None = None,
    progress: ProgressFactory | None = None,
) -> ConfigurationRun:
    """Ask a running server every item; raises remote.ServerError when it fails."""
    from assistant.evaluation.remote import AskClient, run_remote

    began = time.perf_counter()
    bar, tick = _counting(progress, len(items), "server")
    try:
        results = run_remote(AskClient(url, api_key), items, documents, mode, progress=tick)
    finally:
        if bar is not None:
            bar.close()
    return ConfigurationRun(
        "full",
        f"the server at {url}",
        {"url": url, "local_documents_from": str(base.index.dir)},
        results,
        round(time.perf_counter() - began, 2),
    )
