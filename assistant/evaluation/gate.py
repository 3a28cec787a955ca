"""The quality gate: minimum values for metrics, kept beside the question set.

``eval/questions.gate.toml`` holds ``[thresholds]`` as ``metric = minimum``
(read into ``QuestionSet.thresholds`` by the dataset loader) over the whole set, and
nested tables for one split or one category of a split: ``[thresholds.heldout]``,
``[thresholds.heldout.unanswerable]`` (keys ``heldout/metric``,
``heldout/unanswerable/metric``). A metric fails
when it is below its minimum, was not measured (e.g. no unanswerable item was
run), or is not a metric at all, so a typo never passes silently. A metric where
less is better (``false_abstention``) is a maximum instead. Latencies are not gated:
they depend on the machine, not on the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import LATENCY_METRICS, LOWER_IS_BETTER, METRICS


@dataclass(frozen=True)
class GateFailure:
    """A metric that did not reach its threshold."""

    metric: str
    actual: float | None
    required: float
    reason: str = "below"

    def __str__(self) -> str:
        if self.reason == "unknown":
            return f"{self.metric}: not a metric this evaluation computes"
        if self.reason == "timing":
            return f"{self.metric}: times depend on the machine and are not gated"
        bound = "≤" if self.reason == "above" else "≥"
        if self.actual is None:
            return f"{self.metric}: not measured (required {bound} {self.required:g})"
        worse = ">" if self.reason == "above" else "<"
        return f"{self.metric} = {self.actual:g} {worse} {self.required:g}"


def scoped_metrics(items: list[dict[str, Any]], all_metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics keyed as the thresholds are.

    ``metric``, ``split/metric`` or ``split/category/metric``.
    """
    from assistant.evaluation.metrics import ItemResult, aggregate

    fields = set(ItemResult.__dataclass_fields__)
    results = [ItemResult(**{k: v for k, v in item.items() if k in fields}) for item in items]
    scoped: dict[str, Any] = dict(all_metrics)
    for split in sorted({r.split for r in results}):
        in_split = [r for r in results if r.split == split]
        for metric, value in aggregate(in_split).items():
            scoped[f"{split}/{metric}"] = value
        for category in sorted({r.category for r in in_split}):
            chosen = [r for r in in_split if r.category == category]
            for metric, value in aggregate(chosen).items():
                scoped[f"{split}/{category}/{metric}"] = value
    return scoped


def check(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[GateFailure]:
    """The metrics below their thresholds, in the thresholds' order."""
    failures = []
    for key, required in thresholds.items():
        metric = key.rsplit("/", 1)[-1]
        if metric not in METRICS:
            failures.append(GateFailure(key, None, required, "unknown"))
            continue
        if metric in LATENCY_METRICS:
            failures.append(GateFailure(key, None, required, "timing"))
            continue
        ceiling = metric in LOWER_IS_BETTER
        actual = metrics.get(key)
        if actual is None:
            failures.append(GateFailure(key, None, required, "above" if ceiling else "below"))
        elif float(actual) > required if ceiling else float(actual) < required:
            failures.append(
                GateFailure(key, float(actual), required, "above" if ceiling else "below")
            )
    return failures


def gate_file(question_set_path: Path) -> Path:
    """Where the thresholds for a question set live."""
    return question_set_path.with_suffix(".gate.toml")
