"""Fit the scope model on the dev split of the evaluation set.

Runs every dev item through the answer service (in-process) with a model that keeps
every question in scope, collects the scope features of the resolved question
(:mod:`assistant.answer.scope`), and fits scikit-learn's ``LogisticRegression``
(standardised features, L2, ``class_weight="balanced"``) of "in scope" on answerable
items (1) against the out-of-scope class (0) that no rule of form decided. On-topic
unanswerable items are left out of the fit: they are in scope, and the reader abstains
on them. The threshold is the highest one that keeps answerable dev questions refused
as out of scope at or below ``--max-refused``. Writes ``assistant/answer/scope_model.json``
and prints what it catches on dev and on the held-out split, which is never used for
fitting.

    python bench/calibrate_scope.py [--set eval/questions.yaml] [--max-refused 0.0] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

from assistant.answer.scope import SCOPE_FEATURES, SCOPE_MODEL_FILE, ScopeModel
from assistant.evaluation.dataset import EvalItem, load_question_set
from assistant.evaluation.runner import answer_item
from assistant.launcher import load_services
from assistant.settings import get_settings

MODEL_PATH = Path(__file__).resolve().parents[1] / "assistant" / "answer" / SCOPE_MODEL_FILE
OUT_OF_SCOPE = "out-of-scope"
KEEP_ALL = ScopeModel(
    features=SCOPE_FEATURES,
    mean=(0.0,) * len(SCOPE_FEATURES),
    scale=(1.0,) * len(SCOPE_FEATURES),
    coef=(0.0,) * len(SCOPE_FEATURES),
    intercept=50.0,
    threshold=0.0,
    provenance={"note": "keeps every question in scope (feature collection)"},
)


def collect(service, items: list[EvalItem]):
    """Scope features, kind (answerable / unanswerable / out of scope), rule verdict, ids
    and the resolved question's vector (the prior's input)."""
    rows, kinds, ruled, ids, vectors = [], [], [], [], []
    for item in items:
        answer = answer_item(service, item)
        signals = answer.signals or {}
        asked = answer.standalone_question or item.question
        vectors.append(service.retriever.embedder.embed_queries([asked])[0])
        # a rule decided when there are no features: out (a form rule) or in (structure)
        decided = "scope_dense" not in signals and bool(signals.get("out_of_scope"))
        rows.append(
            [signals[f"scope_{f}"] for f in SCOPE_FEATURES]
            if "scope_dense" in signals
            else [np.nan] * len(SCOPE_FEATURES)
        )
        kinds.append(
            "answerable"
            if item.answerable
            else ("out" if item.category == OUT_OF_SCOPE else "unanswerable")
        )
        ruled.append(decided)
        ids.append(item.id)
    return np.array(rows, dtype=float), np.array(kinds), np.array(ruled), ids, np.array(vectors)


def probabilities(model: ScopeModel, rows) -> np.ndarray:
    """P(in scope) per row; 1 for a question a rule kept in scope (no features)."""
    return np.array(
        [
            1.0
            if np.isnan(r).any()
            else model.probability_of(dict(zip(SCOPE_FEATURES, r, strict=True)))
            for r in rows
        ]
    )


def choose_threshold(probs, kinds, ruled, max_refused: float) -> float:
    """The highest threshold that refuses at most ``max_refused`` of the answerable items."""
    answerable = kinds == "answerable"
    best = 0.0
    for t in np.unique(np.round(probs, 4)):
        refused = ((probs < t) | ruled) & answerable
        if refused.sum() / max(answerable.sum(), 1) <= max_refused:
            best = max(best, float(t))
    return best


def report(name: str, probs, kinds, ruled, threshold: float, ids) -> dict[str, float]:
    out = (probs < threshold) | ruled
    figures = {}
    for kind in ("out", "unanswerable", "answerable"):
        mask = kinds == kind
        figures[kind] = float((out & mask).sum() / max(mask.sum(), 1))
        print(f"{name:8s} {kind:13s} refused as out of scope {(out & mask).sum():3d}/{mask.sum()}")
    missed = [i for i, o, k in zip(ids, out, kinds, strict=True) if k == "out" and not o]
    lost = [i for i, o, k in zip(ids, out, kinds, strict=True) if k == "answerable" and o]
    print(f"{name:8s} out of scope kept: {missed}")
    print(f"{name:8s} answerable refused: {lost}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument("--max-refused", type=float, default=0.0)
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument(
        "--prior-C", type=float, default=1.0, help="inverse L2 strength of the question prior"
    )
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    args = parser.parse_args()
    services = load_services(get_settings())
    services.answers.scope.model = KEEP_ALL
    qs = load_question_set(Path(args.set))
    x_dev, k_dev, r_dev, id_dev, v_dev = collect(services.answers, qs.split("dev"))
    x_held, k_held, r_held, id_held, v_held = collect(services.answers, qs.split("heldout"))

    fit = ~r_dev & (k_dev != "unanswerable") & ~np.isnan(x_dev).any(axis=1)
    # The question prior: fitted on the same dev rows; the scope model is fitted on its
    # out-of-fold logits, so it learns how far to trust the prior on questions it has
    # not seen. The prior kept for serving is fitted on all of them.
    prior_column = SCOPE_FEATURES.index("prior")
    prior = LogisticRegression(C=args.prior_C, class_weight="balanced", max_iter=2000)
    labels = k_dev[fit] == "answerable"
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    x_dev[fit, prior_column] = cross_val_predict(
        prior, v_dev[fit], labels, cv=folds, method="decision_function"
    )
    prior.fit(v_dev[fit], labels)
    for x, v, rest in ((x_dev, v_dev, ~fit), (x_held, v_held, np.ones(len(x_held), bool))):
        rest &= ~np.isnan(x).any(axis=1)
        x[rest, prior_column] = prior.decision_function(v[rest])
    scaler = StandardScaler().fit(x_dev[fit])
    classifier = LogisticRegression(C=args.C, class_weight="balanced", max_iter=1000)
    classifier.fit(scaler.transform(x_dev[fit]), k_dev[fit] == "answerable")
    model = ScopeModel(
        features=SCOPE_FEATURES,
        mean=tuple(float(v) for v in scaler.mean_),
        scale=tuple(float(v) for v in scaler.scale_),
        coef=tuple(round(float(v), 4) for v in classifier.coef_[0]),
        intercept=round(float(classifier.intercept_[0]), 4),
        threshold=0.5,
        provenance={},
        prior_coef=tuple(round(float(v), 6) for v in prior.coef_[0]),
        prior_intercept=round(float(prior.intercept_[0]), 6),
    )
    probs_dev = np.array(
        [model.probability_of(dict(zip(SCOPE_FEATURES, r, strict=True))) for r in x_dev]
    )
    probs_held = np.array(
        [model.probability_of(dict(zip(SCOPE_FEATURES, r, strict=True))) for r in x_held]
    )
    threshold = choose_threshold(probs_dev, k_dev, r_dev, args.max_refused)
    print("coefficients (standardised):", dict(zip(SCOPE_FEATURES, model.coef, strict=True)))
    print(f"threshold (<= {args.max_refused:.0%} answerable dev refused): {threshold:.4f}")
    dev = report("dev", probs_dev, k_dev, r_dev, threshold, id_dev)
    report("heldout", probs_held, k_held, r_held, threshold, id_held)
    fitted = ScopeModel(
        **{
            **model.__dict__,
            "threshold": round(threshold, 4),
            "provenance": {
                "fitted_by": "bench/calibrate_scope.py",
                "fitted_at": time.strftime("%Y-%m-%d"),
                "question_set": args.set,
                "split": "dev",
                "items_fitted": int(fit.sum()),
                "items_decided_by_rules": int(r_dev.sum()),
                "estimator": f"sklearn LogisticRegression(C={args.C}, class_weight='balanced')",
                "prior": f"sklearn LogisticRegression(C={args.prior_C}, class_weight='balanced') "
                "on the resolved question's e5 vector; the scope model fitted on its 5-fold "
                "out-of-fold logits",
                "labels": "answerable (1) vs out-of-scope (0); on-topic unanswerable left out",
                "threshold_rule": f"highest with <= {args.max_refused:.0%} answerable dev "
                "questions refused",
                "dev_out_of_scope_refused": round(dev["out"], 3),
            },
        }
    )
    if not args.dry_run:
        MODEL_PATH.write_text(json.dumps(fitted.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
