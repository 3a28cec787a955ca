"""Metrics over hand-made results, computed by hand; the gate and report comparison."""

from __future__ import annotations

import math
from typing import Any

import pytest

from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.gate import check
from assistant.evaluation.metrics import ItemResult, aggregate, breakdown
from assistant.evaluation.report import METRICS, compare
from tests.evaluation.conftest import QUESTIONS


def _result(
    id: str,
    answerable: bool,
    rank: int | None = None,
    abstained: bool = False,
    missing: bool = False,
    verbatim: bool = True,
    cites_gold: bool | None = None,
    latency: float = 100.0,
    faithfulness: float | None = None,
    documents: tuple[str, ...] = (),
    generated: bool | None = None,
) -> ItemResult:
    return ItemResult(
        id=id,
        split="dev",
        category="fact" if answerable else "unanswerable",
        language="nb",
        documents=list(documents),
        answerable=answerable,
        question="?",
        answer="…",
        abstained=abstained,
        facts_missing=[["x"]] if missing else [],
        gold_rank=rank,
        citations_verbatim=verbatim,
        citation_correct=cites_gold,
        latency_ms=latency,
        faithfulness=faithfulness,
        generated=generated,
    )


RESULTS = [
    _result("a1", True, rank=1, cites_gold=True, latency=100, faithfulness=1.0, documents=("d1",)),
    _result(
        "a2", True, rank=3, missing=True, cites_gold=False, latency=200, documents=("d1", "d2")
    ),
    _result(
        "a3", True, rank=None, abstained=True, cites_gold=False, latency=300, documents=("d2",)
    ),
    _result("a4", True, rank=12, cites_gold=True, latency=400, faithfulness=0.5, documents=("d1",)),
    _result("u1", False, abstained=True, latency=500),
    _result("u2", False, verbatim=False, latency=600),
]


def test_aggregate_matches_hand_computed_metrics() -> None:
    m = aggregate(RESULTS)
    assert m["items"] == 6
    # gold ranks of the answerable items: 1, 3, none, 12 (beyond the cut-off)
    assert m["hit@1"] == 0.25
    assert m["hit@3"] == 0.5
    assert m["hit@5"] == 0.5
    assert m["mrr@10"] == round((1 + 1 / 3) / 4, 4)
    assert m["ndcg@10"] == round((1 / math.log2(2) + 1 / math.log2(4)) / 4, 4) == 0.375
    assert m["accuracy"] == 0.5  # a1, a4, u1 of six
    assert m["answer_accuracy"] == 0.5  # a1, a4 of four
    assert m["citation_validity"] == round(5 / 6, 4)
    assert m["citation_correctness"] == round(2 / 3, 4)  # a1, a4 of the answered a1, a2, a4
    assert m["abstention_precision"] == 0.5  # abstained: a3 (wrongly), u1
    assert m["abstention_recall"] == 0.5  # unanswerable: u1 abstained, u2 did not
    assert m["false_abstention"] == 0.25  # answerable: a3 refused of a1-a4
    assert m["latency_p50_ms"] == 350.0
    assert m["latency_p95_ms"] == 575.0  # 500 + 0.75 * (600 - 500)
    assert m["faithfulness"] == 0.75


def test_metrics_without_their_items_are_not_measured() -> None:
    m = aggregate([r for r in RESULTS if r.answerable])
    assert m["abstention_recall"] is None
    assert "faithfulness" in m
    assert "faithfulness" not in aggregate(RESULTS[4:])


def test_generated_answers_accepted_and_their_accuracy() -> None:
    """Of the generations made, the share shown, and how many of those were right."""
    results = [
        _result("g1", True, generated=True),
        _result("g2", True, missing=True, generated=True),
        _result("g3", True, generated=False),
        _result("g4", True, generated=True),
        _result("x1", True),  # no generation (extractive, abstained or endpoint down)
    ]
    m = aggregate(results)
    assert m["generated_accepted"] == 0.75  # g1, g2, g4 of g1-g4
    assert m["generated_accuracy"] == round(2 / 3, 4)  # g1, g4 of g1, g2, g4
    assert "generated_accepted" not in aggregate(RESULTS)


def test_breakdown_by_document_counts_an_item_under_each_of_its_documents() -> None:
    groups = breakdown(RESULTS, "document")
    assert {k: v["items"] for k, v in groups.items()} == {"(none)": 2, "d1": 3, "d2": 2}
    assert groups["d1"]["hit@1"] == round(1 / 3, 4)


def test_gate_names_metrics_below_unmeasured_and_unknown() -> None:
    metrics = aggregate(RESULTS[:4])
    failures = check(
        metrics,
        {
            "hit@5": 0.4,
            "accuracy": 0.9,
            "abstention_recall": 0.5,
            "acurracy": 0.5,
            "latency_p95_ms": 1000,
        },
    )
    text = [str(f) for f in failures]
    assert text == [
        "accuracy = 0.5 < 0.9",
        "abstention_recall: not measured (required ≥ 0.5)",
        "acurracy: not a metric this evaluation computes",
        "latency_p95_ms: times depend on the machine and are not gated",
    ]
    assert check(metrics, {"hit@5": 0.5, "citation_validity": 1.0}) == []


def test_false_abstention_is_gated_as_a_maximum() -> None:
    metrics = aggregate(RESULTS)  # false_abstention 0.25
    assert check(metrics, {"false_abstention": 0.3}) == []
    assert [str(f) for f in check(metrics, {"false_abstention": 0.1})] == [
        "false_abstention = 0.25 > 0.1"
    ]


def test_the_set_has_gate_thresholds_that_name_real_metrics() -> None:
    thresholds = load_question_set(QUESTIONS).thresholds
    assert thresholds["citation_validity"] == 1.0
    assert {"accuracy", "abstention_recall", "hit@5"} <= set(thresholds)
    # the held-out split is gated on its own, with floors per category
    assert {"heldout/accuracy", "heldout/abstention_recall"} <= set(thresholds)
    assert {"heldout/unanswerable/abstention_recall", "heldout/list/accuracy"} <= set(thresholds)
    assert {"heldout/who/accuracy", "heldout/english/accuracy"} <= set(thresholds)
    perfect = {f"{scope}{m}": 1.0 for m in METRICS for scope in _scopes(thresholds)}
    assert check(perfect, thresholds) == []


def _scopes(thresholds: dict[str, float]) -> set[str]:
    return {key.rsplit("/", 1)[0] + "/" if "/" in key else "" for key in thresholds}


def test_gate_checks_the_held_out_split_and_its_categories_on_their_own() -> None:
    from assistant.evaluation.gate import scoped_metrics

    def item(split: str, category: str, correct: bool) -> dict[str, Any]:
        return {
            "id": f"{split}-{category}-{correct}",
            "split": split,
            "category": category,
            "language": "nb",
            "documents": [],
            "answerable": True,
            "question": "q",
            "answer": "a",
            "abstained": False,
            "facts_missing": [] if correct else [["x"]],
            "gold_rank": 1,
            "citations_verbatim": True,
            "citation_correct": True,
            "latency_ms": 1.0,
        }

    items = [item("dev", "list", True)] * 3 + [item("heldout", "list", False)]
    scoped = scoped_metrics(items, {"accuracy": 0.75})
    failures = check(scoped, {"accuracy": 0.7, "heldout/list/accuracy": 0.5})
    assert [str(f) for f in failures] == ["heldout/list/accuracy = 0 < 0.5"]


def _report(**metrics: Any) -> dict[str, Any]:
    return {"primary": "full", "runs": {"full": {"metrics": {"all": metrics}}}}


def test_comparison_flags_lower_quality_and_clearly_higher_latency_as_worse() -> None:
    rows = compare(
        _report(accuracy=0.8, false_abstention=0.06, latency_p50_ms=140.0, latency_p95_ms=110.0),
        _report(accuracy=0.85, false_abstention=0.05, latency_p50_ms=100.0, latency_p95_ms=100.0),
    )
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["accuracy"]["delta"] == pytest.approx(-0.05)
    assert by_metric["accuracy"]["worse"]
    assert by_metric["false_abstention"]["worse"]  # more answerable questions refused
    assert by_metric["latency_p50_ms"]["worse"]  # 40 % slower
    assert not by_metric["latency_p95_ms"]["worse"]  # 10 %: run-to-run noise
    better = compare(
        _report(accuracy=0.9, false_abstention=0.04, latency_p50_ms=80.0),
        _report(accuracy=0.85, false_abstention=0.05, latency_p50_ms=100.0),
    )
    assert not any(r["worse"] for r in better)
