"""Every quote the assistant cites is verbatim in its document, over the whole eval set."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.service import citations_are_verbatim
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.runner import answer_item
from assistant.launcher import Services

SET = Path(__file__).resolve().parents[2] / "eval" / "questions.yaml"


@pytest.mark.slow
def test_all_citations_over_the_evaluation_set_are_verbatim(services: Services) -> None:
    question_set = load_question_set(SET, known_documents=set(services.index.documents))
    bad = []
    for item in question_set.items:
        answer = answer_item(services.answers, item)
        if not citations_are_verbatim(services.index, answer.citations):
            bad.append(item.id)
        for c in answer.citations:
            if not c.quote.strip() or c.end <= c.start:
                bad.append(item.id)
    assert not bad, f"non-verbatim or empty quotes in: {bad}"
