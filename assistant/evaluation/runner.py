"""Running a question set through the answer service and scoring every item.

Multi-turn items are played as real conversations: each earlier turn is
answered by the service and becomes history for the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assistant.answer.models import Answer, Citation, Turn
from assistant.answer.service import AnswerService
from assistant.evaluation.dataset import EvalItem, normalise
from assistant.evaluation.metrics import ItemResult, fact_present, gold_rank
from assistant.ingest.document import Document


def answer_item(service: AnswerService, item: EvalItem, mode: str | None = None) -> Answer:
    """Answer an item's last turn, after answering its earlier turns as a conversation."""
    history: list[Turn] = []
    for turn in item.history:
        earlier = service.answer(turn, history=history, mode=mode)
        history += [Turn(role="user", content=turn), Turn(role="assistant", content=earlier.answer)]
    return service.answer(item.question, history=history, mode=mode)


def run_item(service: AnswerService, item: EvalItem, mode: str | None = None) -> ItemResult:
    """Answer one item (with its conversation) and score it."""
    answer = answer_item(service, item, mode)
    query = answer.standalone_question or item.question
    hits = service.retrieve(query, k=10)
    retrieved = [h.to_dict(service.index) for h in hits]
    return score_answer(item, answer, retrieved, service.index.documents)


def score_answer(
    item: EvalItem,
    answer: Answer,
    retrieved: list[dict[str, Any]],
    documents: Mapping[str, Document],
    latency_ms: float | None = None,
) -> ItemResult:
    """Score an answer and a ranking (search results: ``document_id``, ``text``, ...) for an item.

    ``latency_ms`` defaults to the service's own total time for the answer.
    """
    pairs = [(r["document_id"], r["text"]) for r in retrieved]
    missing = [list(f) for f in item.expected_facts if not fact_present(answer.answer, f)]
    signals = answer.signals or {}
    faithfulness = signals.get("faithfulness")
    generated = signals.get("generated")
    return ItemResult(
        id=item.id,
        split=item.split,
        category=item.category,
        language=item.language,
        documents=sorted({e.document for e in item.evidence}),
        answerable=item.answerable,
        question=" / ".join(item.turns),
        answer=answer.answer,
        abstained=answer.abstained,
        facts_missing=missing,
        gold_rank=gold_rank(item, pairs) if item.answerable else None,
        citations_verbatim=quotes_are_verbatim(documents, answer.citations),
        citation_correct=_citation_correct(documents, item, answer.citations)
        if item.answerable
        else None,
        latency_ms=answer.timings_ms.total if latency_ms is None else round(latency_ms, 2),
        retrieved=[{k: r.get(k) for k in ("rank", "id", "section", "page")} for r in retrieved[:5]],
        faithfulness=None if faithfulness is None else float(faithfulness),
        notice=answer.notice,
        generated=None if generated is None else bool(generated),
    )


def quotes_are_verbatim(documents: Mapping[str, Document], citations: list[Citation]) -> bool:
    """True when every quote is exactly its document's cleaned text at [start, end).

    Checked here rather than trusted from the service, so the metric stays independent.
    """
    return all(
        c.document_id in documents and documents[c.document_id].text[c.start : c.end] == c.quote
        for c in citations
    )


def _citation_correct(
    documents: Mapping[str, Document], item: EvalItem, citations: list[Citation]
) -> bool:
    """Does a citation lie in the section (or chunk) that holds gold evidence?"""
    for evidence in item.evidence:
        doc = documents.get(evidence.document)
        if doc is None:
            continue
        passage = normalise(evidence.passage)
        for citation in citations:
            if citation.document_id != evidence.document:
                continue
            if passage in normalise(citation.quote):
                return True
            section = doc.section_at(citation.start)
            if section and passage in normalise(doc.text[section.start : section.end]):
                return True
    return False


def run(
    service: AnswerService,
    items: Iterable[EvalItem],
    mode: str | None = None,
    progress: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    results = []
    for item in items:
        result = run_item(service, item, mode)
        results.append(result)
        if progress:
            progress(result)
    return results
