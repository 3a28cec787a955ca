"""Scoring one answer against one evaluation item, and aggregating scores.

Facts match case-insensitively on word boundaries ("Tiårsmål 1" does not
match "Tiårsmål 10"); evidence matches when a chunk or quote contains the
gold passage after whitespace normalisation.

Abstention: precision is the share of refusals that were unanswerable, recall the share of
unanswerable items refused, ``false_abstention`` the share of answerable items refused.
llm mode: ``faithfulness`` is the mean share of generated sentences the verifier kept,
``generated_accepted`` the share of generations shown (the rest fell back to the extractive
answer) and ``generated_accuracy`` the accuracy of the items whose generation was shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.evaluation.dataset import EvalItem, normalise

# The metrics a report holds, in the order its tables list them.
RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10")
ANSWER_METRICS = (
    "accuracy",
    "answer_accuracy",
    "citation_validity",
    "citation_correctness",
    "abstention_precision",
    "abstention_recall",
    "false_abstention",
    "faithfulness",
    "generated_accepted",
    "generated_accuracy",
)
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")
METRICS = ("items", *RETRIEVAL_METRICS, *ANSWER_METRICS, *LATENCY_METRICS)
LOWER_IS_BETTER = frozenset({*LATENCY_METRICS, "false_abstention"})
"""Metrics where less is better: latencies, and answerable questions wrongly refused."""


def fact_present(answer: str, alternatives: tuple[str, ...]) -> bool:
    text = normalise(answer)
    for alternative in alternatives:
        pattern = r"(?<!\w)" + re.escape(normalise(alternative)) + r"(?!\w)"
        if re.search(pattern, text):
            return True
    return False


def gold_rank(item: EvalItem, retrieved: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first retrieved (document id, text) holding gold evidence."""
    golds = [(e.document, normalise(e.passage)) for e in item.evidence]
    for rank, (doc_id, text) in enumerate(retrieved, start=1):
        flat = normalise(text)
        if any(doc_id == d and p in flat for d, p in golds):
            return rank
    return None


@dataclass
class ItemResult:
    """Everything measured for one item."""

    id: str
    split: str
    category: str
    language: str
    documents: list[str]
    answerable: bool
    question: str
    answer: str
    abstained: bool
    facts_missing: list[list[str]]
    gold_rank: int | None
    citations_verbatim: bool
    citation_correct: bool | None
    latency_ms: float
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    faithfulness: float | None = None
    notice: str | None = None
    generated: bool | None = None
    """llm mode: whether the verifier accepted the generated answer (None: none was made)."""

    @property
    def correct(self) -> bool:
        if not self.answerable:
            return self.abstained
        return not self.abstained and not self.facts_missing


def _ratio(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)


def aggregate(results: list[ItemResult]) -> dict[str, Any]:
    """Retrieval, answer, abstention and latency metrics over a list of results."""
    answerable = [r for r in results if r.answerable]
    ranks = [r.gold_rank for r in answerable]
    abstained = [r for r in results if r.abstained]
    unanswerable = [r for r in results if not r.answerable]
    metrics: dict[str, Any] = {
        "items": len(results),
        "hit@1": _ratio([r is not None and r <= 1 for r in ranks]),
        "hit@3": _ratio([r is not None and r <= 3 for r in ranks]),
        "hit@5": _ratio([r is not None and r <= 5 for r in ranks]),
        "mrr@10": round(sum(1 / r for r in ranks if r and r <= 10) / len(ranks), 4)
        if ranks
        else None,
        "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / len(ranks), 4)
        if ranks
        else None,
        "accuracy": _ratio([r.correct for r in results]),
        "answer_accuracy": _ratio([r.correct for r in answerable]),
        "citation_validity": _ratio([r.citations_verbatim for r in results]),
        "citation_correctness": _ratio(
            [bool(r.citation_correct) for r in answerable if not r.abstained]
        ),
        "abstention_precision": _ratio([not r.answerable for r in abstained]),
        "abstention_recall": _ratio([r.abstained for r in unanswerable]),
        "false_abstention": _ratio([r.abstained for r in answerable]),
        "latency_p50_ms": _percentile([r.latency_ms for r in results], 0.5),
        "latency_p95_ms": _percentile([r.latency_ms for r in results], 0.95),
    }
    faithful = [r.faithfulness for r in results if r.faithfulness is not None]
    if faithful:
        metrics["faithfulness"] = round(sum(faithful) / len(faithful), 4)
    attempted = [r for r in results if r.generated is not None]
    if attempted:
        metrics["generated_accepted"] = _ratio([bool(r.generated) for r in attempted])
        metrics["generated_accuracy"] = _ratio([r.correct for r in attempted if r.generated])
    return metrics


def breakdown(results: list[ItemResult], key: str) -> dict[str, dict[str, Any]]:
    """Metrics per value of ``key`` (category, language or document)."""
    groups: dict[str, list[ItemResult]] = {}
    for r in results:
        values = r.documents or ["(none)"] if key == "document" else [str(getattr(r, key))]
        for value in values:
            groups.setdefault(value, []).append(r)
    return {k: aggregate(v) for k, v in sorted(groups.items())}
