"""The report's PNG plots (matplotlib, Agg backend, imported only when a plot is drawn).

Each function draws one figure into ``path`` and returns ``path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CATEGORY_METRICS = ("hit@5", "accuracy", "citation_correctness")
COMPARED = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "accuracy",
    "answer_accuracy",
    "citation_validity",
    "citation_correctness",
    "abstention_precision",
    "abstention_recall",
)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grouped_bars(ax: Any, labels: list[str], series: dict[str, list[float | None]]) -> None:
    width = 0.8 / max(len(series), 1)
    for n, (name, values) in enumerate(series.items()):
        xs = [i + (n - (len(series) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [v if v is not None else 0.0 for v in values], width, label=name)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def metric_by_category(groups: dict[str, dict[str, Any]], path: Path) -> Path:
    """Retrieval hit@5, accuracy and citation correctness per question category."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) + 2), 4.2))
    labels = [f"{name} ({m['items']})" for name, m in groups.items()]
    _grouped_bars(ax, labels, {k: [m.get(k) for m in groups.values()] for k in CATEGORY_METRICS})
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics by category (items in parentheses)")
    return _save(plt, fig, path)


def latency_distribution(latencies: dict[str, list[float]], path: Path) -> Path:
    """Histogram of per-question latency for each configuration, with the medians marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    everything = [v for values in latencies.values() for v in values] or [0.0]
    bins = [max(everything) * i / 30 for i in range(31)] if max(everything) > 0 else 10
    for name, values in latencies.items():
        if not values:
            continue
        ax.hist(values, bins=bins, histtype="step", linewidth=1.5, label=name)
        median = sorted(values)[len(values) // 2]
        ax.axvline(median, linestyle=":", linewidth=1, color=ax.patches[-1].get_edgecolor())
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency distribution (dotted: median)")
    ax.legend(fontsize="small")
    return _save(plt, fig, path)


def configurations_side_by_side(metrics: dict[str, dict[str, Any]], path: Path) -> Path:
    """Each configuration's metrics over all items, grouped by metric."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    shown = [m for m in COMPARED if any(v.get(m) is not None for v in metrics.values())]
    _grouped_bars(ax, shown, {name: [v.get(m) for m in shown] for name, v in metrics.items()})
    ax.set_ylim(0, 1.05)
    ax.set_title("Configurations side by side (all items)")
    return _save(plt, fig, path)


def comparison(rows: list[dict[str, Any]], path: Path) -> Path:
    """Previous versus current report: quality metrics, and latency on its own axis."""
    plt = _pyplot()
    quality = [r for r in rows if r["metric"] in COMPARED]
    latency = [r for r in rows if r["metric"].startswith("latency")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [4, 1]})
    for ax, part in ((left, quality), (right, latency)):
        _grouped_bars(
            ax,
            [r["metric"] for r in part],
            {"previous": [r["previous"] for r in part], "current": [r["current"] for r in part]},
        )
        for i, r in enumerate(part):
            if r["worse"]:
                ax.annotate(
                    "▼",
                    (i, max(r["previous"] or 0, r["current"] or 0)),
                    ha="center",
                    va="bottom",
                    color="crimson",
                )
    left.set_ylim(0, 1.12)
    left.set_title("Compared with the previous report (▼ worse)")
    right.set_title("ms")
    return _save(plt, fig, path)
