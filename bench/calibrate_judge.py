"""Fit how the LLM judge's log-odds combine with the reader's estimate, on the dev split.

Needs an OpenAI-compatible endpoint (``assistant llm serve`` and the
``ASSISTANT_LLM__BASE_URL`` / ``ASSISTANT_LLM__MODEL`` it prints). Runs dev items
through the answer service with ``answer.judge=llm`` (the judge scores the quotes the
reader would cite), fits scikit-learn's ``LogisticRegression`` of "answerable" on
[logit(reader probability), judge log-odds] over the items no rule decided, picks the
highest threshold that keeps wrongly abstained answerable dev questions at or below
``--max-false-abstain``, and writes ``assistant/answer/judged_model.json``. Then it
prints, for the held-out split (never fitted on), abstention precision/recall and
accuracy of the reader alone and of reader + judge.

    python bench/calibrate_judge.py [--dev-limit N] [--heldout-limit N]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.answer.abstention import JUDGED_MODEL_FILE, JudgedModel
from assistant.evaluation.dataset import EvalItem, load_question_set
from assistant.evaluation.metrics import fact_present
from assistant.evaluation.runner import answer_item
from assistant.launcher import load_services
from assistant.settings import get_settings

MODEL_PATH = Path(__file__).resolve().parents[1] / "assistant" / "answer" / JUDGED_MODEL_FILE


def collect(service, items: list[EvalItem]):
    """Per item: reader probability, judge log-odds (nan if none), rule, label, facts ok."""
    rows = []
    for item in items:
        began = time.perf_counter()
        answer = answer_item(service, item)
        s = answer.signals or {}
        rows.append(
            {
                "p": s["probability"],
                "judge": s.get("judge", math.nan),
                "rule": bool(s.get("out_of_scope")),
                "y": int(item.answerable),
                "facts": all(fact_present(answer.answer, f) for f in item.expected_facts),
                "abstained_by_reader": answer.abstained,
                "seconds": time.perf_counter() - began,
            }
        )
    return rows


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def evaluate(rows, decide) -> dict[str, float]:
    abstain = np.array([r["rule"] or decide(r) for r in rows])
    y = np.array([r["y"] for r in rows])
    facts = np.array([r["facts"] for r in rows])
    unans = y == 0
    correct = np.where(unans, abstain, ~abstain & facts)
    return {
        "items": len(rows),
        "accuracy": round(float(correct.mean()), 3),
        "abstention_recall": round(float((abstain & unans).sum() / max(unans.sum(), 1)), 3),
        "abstention_precision": round(float((abstain & unans).sum() / max(abstain.sum(), 1)), 3),
        "false_abstain": round(float((abstain & ~unans).sum() / max((~unans).sum(), 1)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument("--dev-limit", type=int, default=0, help="0: all dev items")
    parser.add_argument("--heldout-limit", type=int, default=0, help="0: all held-out items")
    parser.add_argument("--max-false-abstain", type=float, default=0.05)
    args = parser.parse_args()
    settings = get_settings()
    settings.answer.judge = "llm"
    service = load_services(settings).answers
    service.judged = None  # collect the reader's own probability beside the judge's score
    qs = load_question_set(Path(args.set))
    dev = qs.split("dev")
    held = qs.split("heldout")
    # interleave answerable and unanswerable items so a limit keeps both classes
    dev = sorted(dev, key=lambda i: (dev.index(i) % 2, i.answerable))[: args.dev_limit or None]
    rows = collect(service, dev)
    usable = [r for r in rows if not r["rule"] and not math.isnan(r["judge"])]
    x = np.array([[_logit(r["p"]), r["judge"]] for r in usable])
    y = np.array([r["y"] for r in usable])
    classifier = LogisticRegression(class_weight="balanced").fit(x, y)
    model = JudgedModel(
        reader=round(float(classifier.coef_[0][0]), 4),
        judge=round(float(classifier.coef_[0][1]), 4),
        intercept=round(float(classifier.intercept_[0]), 4),
        threshold=0.5,
        provenance={},
    )
    probs = [
        model.probability(r["p"], r["judge"]) if not math.isnan(r["judge"]) else r["p"]
        for r in rows
    ]
    answerable = [r["y"] == 1 for r in rows]
    best = 0.0
    for t in sorted(set(np.round(probs, 4))):
        wrong = sum(
            1 for r, p, a in zip(rows, probs, answerable, strict=True) if a and (r["rule"] or p < t)
        )
        if wrong / max(sum(answerable), 1) <= args.max_false_abstain:
            best = max(best, float(t))
    threshold = best
    reader_threshold = service.threshold
    dev_reader = evaluate(rows, lambda r: r["p"] < reader_threshold)
    fitted = JudgedModel(
        **{
            **model.__dict__,
            "threshold": round(threshold, 4),
            "provenance": {
                "fitted_by": "bench/calibrate_judge.py",
                "fitted_at": time.strftime("%Y-%m-%d"),
                "split": "dev",
                "items": len(rows),
                "model": settings.llm.model,
                "estimator": "sklearn LogisticRegression(class_weight='balanced') on "
                "[logit(reader probability), judge log-odds]",
                "threshold_rule": f"highest with <= {args.max_false_abstain:.0%} answerable dev "
                "questions abstained (rules included)",
            },
        }
    )
    MODEL_PATH.write_text(json.dumps(fitted.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH}: {fitted.to_dict()}")

    def judged(r):
        if math.isnan(r["judge"]):
            return r["p"] < reader_threshold
        return fitted.probability(r["p"], r["judge"]) < fitted.threshold

    print("dev     reader alone  ", dev_reader)
    print("dev     reader + judge", evaluate(rows, judged))
    held_rows = collect(service, held[: args.heldout_limit or None])
    print("heldout reader alone  ", evaluate(held_rows, lambda r: r["p"] < reader_threshold))
    print("heldout reader + judge", evaluate(held_rows, judged))
    seconds = sorted(r["seconds"] for r in held_rows)
    print(
        f"heldout seconds per question: p50 {seconds[len(seconds) // 2]:.2f}, "
        f"p95 {seconds[int(len(seconds) * 0.95) - 1]:.2f}"
    )


if __name__ == "__main__":
    main()
