"""report.md: an evaluation report's data as Markdown tables, failures listed in full."""

from __future__ import annotations

from typing import Any

from assistant.evaluation.metrics import METRICS

MAX_ANSWER_CHARS = 700


def fmt(value: Any, signed: bool = False) -> str:
    """A table cell: ratios with three decimals, milliseconds with one, '–' for not measured."""
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:+.1f}" if abs(value) >= 10 else f"{value:+.3f}"
        return text if signed else text.lstrip("+")
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown pipe table (also readable as plain text)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([_line(headers, widths), rule, *(_line(r, widths) for r in cells)])


def _line(values: list[str], widths: list[int]) -> str:
    return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"


def split_table(metrics: dict[str, dict[str, Any]]) -> str:
    """One configuration's metrics: rows are metrics, columns the splits."""
    splits = list(metrics)
    rows = [
        [m, *(metrics[s].get(m) for s in splits)] for m in METRICS if _present(m, metrics.values())
    ]
    return table(["metric", *splits], rows)


def runs_table(runs: dict[str, Any], split: str) -> str:
    """Configurations side by side for one split."""
    names = [n for n in runs if split in runs[n]["metrics"]]
    per = [runs[n]["metrics"][split] for n in names]
    rows = [[m, *(p.get(m) for p in per)] for m in METRICS if _present(m, per)]
    return table(["metric", *names], rows)


TIER_METRICS = (
    "items",
    "accuracy",
    "answer_accuracy",
    "abstention_precision",
    "abstention_recall",
    "false_abstention",
    "faithfulness",
    "generated_accepted",
    "generated_accuracy",
    "citation_validity",
    "latency_p50_ms",
    "latency_p95_ms",
)


def tiers_table(runs: dict[str, Any], split: str) -> str:
    """The answering tiers side by side for one split, on the metrics that tell them apart."""
    names = [n for n in runs if split in runs[n]["metrics"]]
    per = [runs[n]["metrics"][split] for n in names]
    rows = [[m, *(p.get(m) for p in per)] for m in TIER_METRICS if _present(m, per)]
    return table(["metric", *names], rows)


def breakdown_table(groups: dict[str, dict[str, Any]]) -> str:
    shown = (
        "items",
        "hit@5",
        "mrr@10",
        "accuracy",
        "citation_correctness",
        "abstention_recall",
        "latency_p50_ms",
    )
    return table(["", *shown], [[name, *(m.get(k) for k in shown)] for name, m in groups.items()])


def comparison_table(rows: list[dict[str, Any]]) -> str:
    return table(
        ["metric", "previous", "current", "change", ""],
        [
            [
                r["metric"],
                r["previous"],
                r["current"],
                fmt(r["delta"], signed=True),
                "worse" if r["worse"] else "",
            ]
            for r in rows
        ],
    )


def _present(metric: str, groups: Any) -> bool:
    return any(g.get(metric) is not None for g in groups)


def _failure(item: dict[str, Any]) -> list[str]:
    answer = item["answer"].replace("\n", " ")
    if len(answer) > MAX_ANSWER_CHARS:
        answer = answer[:MAX_ANSWER_CHARS] + " …"
    if item["answerable"]:
        why = "abstained" if item["abstained"] else "facts missing" if item["facts_missing"] else ""
    else:
        why = "answered an unanswerable question"
    if not item["citations_verbatim"]:
        why = (why + "; " if why else "") + "a quote is not verbatim"
    lines = [
        f"### {item['id']} ({item['split']}, {item['category']}, {item['language']}): {why}",
        "",
        f"- **Question:** {item['question']}",
        f"- **Answer:** {answer}",
    ]
    if item["answerable"]:
        facts = "; ".join(" / ".join(f) for f in item["facts_missing"]) or "none"
        lines += [
            f"- **Missing facts:** {facts}",
            f"- **Gold evidence rank:** {fmt(item['gold_rank'])}",
        ]
    retrieved = ", ".join(
        f"{r['rank']}. `{r['id']}` {r['section']}" + (f" (s. {r['page']})" if r.get("page") else "")
        for r in item["retrieved"]
    )
    lines += [f"- **Retrieved:** {retrieved or 'nothing'}", ""]
    return lines


def render(report: dict[str, Any], comparison: list[dict[str, Any]] | None) -> str:
    """The whole report as Markdown."""
    runs = report["runs"]
    primary = runs[report["primary"]]
    git = report.get("git") or {}
    commit = git.get("commit", "unknown")[:12] + (
        " (uncommitted changes)" if git.get("dirty") else ""
    )
    out = [
        f"# Evaluation {report['timestamp']}",
        "",
        f"Set `{report['question_set']}`, split {report['split']}, mode {report['mode']}"
        + (f", server {report['url']}" if report.get("url") else ", in-process")
        + (f", {report['sample']} items spread over the split" if report.get("sample") else "")
        + (f", first {report['limit']} items" if report.get("limit") else "")
        + f"; commit {commit}; {report['seconds']:.0f} s.",
        "",
        f"## Results ({report['primary']})",
        "",
        split_table(primary["metrics"]),
        "",
        "Accuracy counts an unanswerable item as correct when the assistant abstains; "
        "answer_accuracy is over answerable items only. Latency is per question in ms.",
        "",
    ]
    if report.get("gate"):
        gate = report["gate"]
        verdict = "passed" if not gate["failures"] else "FAILED: " + "; ".join(gate["failures"])
        out += [f"**Gate** ({gate['file']}): {verdict}", ""]
    if comparison:
        out += [
            f"## Compared with {report.get('compared_with')}",
            "",
            comparison_table(comparison),
            "",
            "![comparison](comparison.png)",
            "",
        ]
    if report.get("mode", "").startswith("tiers"):
        out += ["## Tiers side by side", ""]
        out += [
            f"- **{name}**: {r['description']} ({r['seconds']:.0f} s)" for name, r in runs.items()
        ]
        for split in ("all", "dev", "heldout"):
            if split != "all" and report["split"] != "all":
                continue
            out += ["", f"### {split}", "", tiers_table(runs, split)]
        out += [
            "",
            "false_abstention: answerable questions refused. faithfulness: the mean share of "
            "generated sentences the verifier kept; generated_accepted: the share of generated "
            "answers shown (the rest fell back to the extractive answer); generated_accuracy: "
            "accuracy of those shown.",
            "",
        ]
    if len(runs) > 1:
        out += ["## Configurations side by side", ""]
        out += [
            f"- **{name}**: {r['description']} ({r['seconds']:.0f} s)" for name, r in runs.items()
        ]
        for split in ("all", "dev", "heldout"):
            if any(split in r["metrics"] for r in runs.values()):
                out += ["", f"### {split}", "", runs_table(runs, split)]
        out += ["", "![configurations](baselines.png)", ""]
    out += ["## Breakdowns", ""]
    for key, groups in primary["breakdown"].items():
        out += [f"### By {key}", "", breakdown_table(groups), ""]
    out += ["![by category](by_category.png)", "", "![latency](latency.png)", ""]
    failures = [i for i in primary["items"] if not i["correct"] or not i["citations_verbatim"]]
    out += [f"## Failures ({len(failures)} of {len(primary['items'])})", ""]
    for item in failures:
        out += _failure(item)
    return "\n".join(out).rstrip() + "\n"
