"""Running a question set through the answer service and scoring every item.

Multi-turn items are played as real conversations: each earlier turn is
answered by the service and becomes history for the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from assistant.answer.models import Answer, Turn
from assistant.answer.service import AnswerService, citations_are_verbatim
from assistant.evaluation.dataset import EvalItem, normalise
from assistant.evaluation.metrics import ItemResult, fact_present, gold_rank


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
    retrieved = [(h.chunk.document_id, h.chunk.text) for h in hits]
    missing = [list(f) for f in item.expected_facts if not fact_present(answer.answer, f)]
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
        gold_rank=gold_rank(item, retrieved) if item.answerable else None,
        citations_verbatim=citations_are_verbatim(service.index, answer.citations),
        citation_correct=_citation_correct(service, item, answer.citations) if item.answerable else None,
        latency_ms=answer.timings_ms.total,
        retrieved=[
            {"rank": h.rank, "id": h.chunk.id, "section": h.chunk.section, "page": h.chunk.page}
            for h in hits[:5]
        ],
        notice=answer.notice,
    )


def _citation_correct(service: AnswerService, item: EvalItem, citations: list[Any]) -> bool:
    """Does a citation lie in the section (or chunk) that holds gold evidence?"""
    for evidence in item.evidence:
        doc = service.index.documents.get(evidence.document)
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
