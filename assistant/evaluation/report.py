"""Evaluation reports: ``eval/reports/<timestamp>/`` with report.json, report.md and plots.

``report.json`` holds everything measured (metrics overall and per split,
breakdowns, every item's result, the settings, the git commit); the Markdown
and the plots are views of it, so a report can always be re-rendered or
compared with a later one.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.harness import ConfigurationRun
from assistant.evaluation.metrics import LATENCY_METRICS, LOWER_IS_BETTER, METRICS

SCHEMA = 1
LATENCY_TOLERANCE = 0.25  # timings vary from run to run; flag only a clear slow-down


class ReportError(ValueError):
    """A file is not a readable evaluation report; the message names it."""


def git_commit(cwd: Path | None = None) -> dict[str, Any] | None:
    """HEAD's commit and whether the work tree has changes; None outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(status.strip())}


def build_report(
    runs: list[ConfigurationRun],
    *,
    question_set: Path,
    split: str,
    mode: str,
    url: str | None,
    limit: int | None,
    overrides: dict[str, Any],
    seconds: float,
    primary: str = "full",
    sample: int | None = None,
) -> dict[str, Any]:
    """The report's data; ``runs`` keeps the order the configurations were run in."""
    return {
        "schema": SCHEMA,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": git_commit(),
        "question_set": str(question_set),
        "split": split,
        "mode": mode,
        "url": url,
        "limit": limit,
        "sample": sample,
        "overrides": overrides,
        "seconds": round(seconds, 2),
        "primary": primary,
        "runs": {
            run.name: {
                "description": run.description,
                "settings": run.settings,
                "seconds": run.seconds,
                "metrics": run.metrics(),
                "breakdown": run.breakdowns(),
                "items": [{**dataclasses.asdict(r), "correct": r.correct} for r in run.results],
            }
            for run in runs
        },
        "gate": None,
        "compared_with": None,
    }


def primary_metrics(report: dict[str, Any], split: str = "all") -> dict[str, Any]:
    """The primary configuration's metrics for a split (empty when the split was not run)."""
    return dict(report["runs"][report["primary"]]["metrics"].get(split, {}))


def compare(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Per metric of the primary run over all items: previous, current, delta, worse or not.

    Any drop in a quality metric (any rise in false abstentions) is worse; latency only when
    it grew by more than a quarter.
    """
    now, before = primary_metrics(current), primary_metrics(previous)
    rows = []
    for metric in METRICS[1:]:
        a, b = before.get(metric), now.get(metric)
        if a is None and b is None:
            continue
        delta = None if a is None or b is None else round(b - a, 4)
        if a is None or delta is None:
            worse = False
        elif metric in LATENCY_METRICS:
            worse = delta > LATENCY_TOLERANCE * a
        elif metric in LOWER_IS_BETTER:
            worse = delta > 0
        else:
            worse = delta < 0
        rows.append({"metric": metric, "previous": a, "current": b, "delta": delta, "worse": worse})
    return rows


def load_report(path: Path) -> dict[str, Any]:
    """A report from its folder or its report.json; ReportError when it is not one."""
    file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{file}: not a readable report ({exc}).") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or "runs" not in data:
        raise ReportError(f"{file}: not an evaluation report (schema {SCHEMA}).")
    data["_path"] = str(file.parent)
    return data


def find_previous(out_dir: Path, report: dict[str, Any]) -> Path | None:
    """The newest earlier report of the same set, split, mode, limit and sample, if any."""
    if not out_dir.is_dir():
        return None
    same = ("question_set", "split", "mode", "limit", "sample")
    for folder in sorted((p for p in out_dir.iterdir() if p.is_dir()), reverse=True):
        try:
            candidate = load_report(folder)
        except ReportError:
            continue
        if all(candidate.get(k) == report.get(k) for k in same):
            return folder
    return None


def new_report_dir(out_dir: Path) -> Path:
    """A fresh ``<out>/<timestamp>`` folder (suffixed when two runs share a second)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder, n = out_dir / stamp, 1
    while folder.exists():
        n += 1
        folder = out_dir / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def write_report(
    report: dict[str, Any], out_dir: Path, previous: dict[str, Any] | None = None
) -> Path:
    """Write report.json, report.md and the plots into a new folder under ``out_dir``."""
    from assistant.evaluation import plots
    from assistant.evaluation.markdown import render

    folder = new_report_dir(out_dir)
    comparison = compare(report, previous) if previous else None
    if previous:
        report["compared_with"] = previous.get("_path")
    run = report["runs"][report["primary"]]
    images = {
        "category": plots.metric_by_category(
            run["breakdown"]["category"], folder / "by_category.png"
        ),
        "latency": plots.latency_distribution(
            {name: [i["latency_ms"] for i in r["items"]] for name, r in report["runs"].items()},
            folder / "latency.png",
        ),
    }
    if len(report["runs"]) > 1:
        images["baselines"] = plots.configurations_side_by_side(
            {name: r["metrics"]["all"] for name, r in report["runs"].items()},
            folder / "baselines.png",
        )
    if previous and comparison:
        images["comparison"] = plots.comparison(comparison, folder / "comparison.png")
    report["plots"] = {k: v.name for k, v in images.items()}
    (folder / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (folder / "report.md").write_text(render(report, comparison), encoding="utf-8")
    return folder
