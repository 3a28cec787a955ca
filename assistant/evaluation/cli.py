"""``assistant eval``: run the question set, write a report, optionally gate on thresholds.

Exit status: 0 when done (and the gate passed), 1 when the gate failed, 2 for
errors the user can fix (bad set, config, report or server), printed as one line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, get_args

from assistant.settings import AnswerMode, JudgeMode

DEFAULT_SET = Path("eval/questions.yaml")
DEFAULT_OUT = Path("eval/reports")


def register(subparsers: Any) -> None:
    """Add the ``eval`` subcommand to the ``assistant`` command."""
    p = subparsers.add_parser("eval", help="Measure the assistant on the evaluation question set.")
    p.add_argument(
        "--set", type=Path, default=DEFAULT_SET, help=f"Question set (default {DEFAULT_SET})."
    )
    p.add_argument(
        "--split",
        choices=["dev", "heldout", "all"],
        default="all",
        help="Items to run (default all; both splits are reported).",
    )
    p.add_argument(
        "--mode",
        choices=get_args(AnswerMode),
        default=None,
        help="Answer mode (default: settings).",
    )
    p.add_argument(
        "--judge",
        choices=get_args(JudgeMode),
        default=None,
        help="Answerability judge (default: settings); 'llm' needs ASSISTANT_LLM__BASE_URL/MODEL.",
    )
    p.add_argument(
        "--gate-file",
        type=Path,
        help="Thresholds to gate on (default: <set>.gate.toml), e.g. for the judge tier.",
    )
    p.add_argument(
        "--config",
        type=Path,
        help='TOML file of settings overrides, e.g. [retrieval] mode = "dense".',
    )
    p.add_argument("--index", help="Index folder (default: settings).")
    p.add_argument(
        "--url",
        help="Evaluate a running server (e.g. http://127.0.0.1:8000) instead of in-process.",
    )
    p.add_argument("--api-key", help="Bearer key for --url.")
    p.add_argument(
        "--baselines",
        action="store_true",
        help="Also run fixed-size chunks, BM25 only and dense only, side by side.",
    )
    p.add_argument(
        "--tiers",
        help="Answering tiers to run side by side, comma-separated: extractive, judge "
        "(the LLM answerability judge), llm (verified generation); judge and llm need "
        "ASSISTANT_LLM__BASE_URL/MODEL. The first tier is the one gated.",
    )
    p.add_argument(
        "--gate",
        action="store_true",
        help="Exit 1 when a metric is below its threshold in <set>.gate.toml.",
    )
    p.add_argument(
        "--compare",
        type=Path,
        help="Report (folder or report.json) to compare with "
        "(default: the newest earlier report of the same set, split, mode and limit).",
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"Reports folder (default {DEFAULT_OUT})."
    )
    p.add_argument("--limit", type=int, help="Only the first N items (quick runs).")
    p.add_argument(
        "--sample",
        type=int,
        help="N items spread evenly over the split (every category in proportion).",
    )
    p.set_defaults(func=cmd_eval)


def _fail(message: str) -> int:
    print(f"assistant: {message}", file=sys.stderr)
    return 2


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.cli import progress_bar
    from assistant.evaluation.baselines import (
        BASELINES,
        FULL,
        ConfigError,
        parse_tiers,
        read_overrides,
        with_overrides,
    )
    from assistant.evaluation.dataset import DatasetError, evenly_spaced, load_question_set
    from assistant.evaluation.gate import gate_file
    from assistant.evaluation.remote import ServerError
    from assistant.evaluation.report import ReportError, load_report
    from assistant.settings import get_settings

    if args.url and args.baselines:
        return _fail(
            "--baselines runs configurations in-process; it cannot be combined with --url."
        )
    if args.tiers is not None and (args.url or args.baselines or args.mode or args.judge):
        return _fail(
            "--tiers sets the mode and the judge of each tier and runs in-process; "
            "leave out --mode, --judge, --baselines and --url."
        )
    for name in ("limit", "sample"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            return _fail(f"--{name} must be at least 1.")
    began = time.perf_counter()
    try:
        tiers = parse_tiers(args.tiers) if args.tiers is not None else None
        overrides = read_overrides(args.config) if args.config else {}
        settings = with_overrides(get_settings(), overrides)
        if args.index:
            settings.index.dir = Path(args.index)
        if args.judge:
            settings.answer.judge = args.judge
        previous = load_report(args.compare) if args.compare else None
        from assistant.evaluation.harness import local_documents

        documents = local_documents(settings)
        question_set = load_question_set(args.set, set(documents))
        if args.gate_file:
            from assistant.evaluation.dataset import read_thresholds

            question_set.thresholds = read_thresholds(args.gate_file)
        if args.gate and not question_set.thresholds:
            return _fail(f"--gate needs thresholds in {gate_file(args.set)}.")
        items = question_set.split(args.split)
        if args.sample:
            items = evenly_spaced(items, args.sample)
        items = items[: args.limit]
        mode = args.mode or settings.answer.mode
        needs_llm = [t for t in tiers or [] if t.name in ("judge", "llm")]
        if needs_llm and not settings.llm.base_url:
            return _fail(
                "The judge and llm tiers need an OpenAI-compatible endpoint: set "
                "ASSISTANT_LLM__BASE_URL and ASSISTANT_LLM__MODEL (`assistant llm serve` "
                "prints them), or run --tiers extractive."
            )
        if tiers:
            from assistant.evaluation.harness import run_in_process

            mode = "tiers " + ",".join(t.name for t in tiers)
            runs = run_in_process(settings, tiers, items, None, progress_bar)
        elif args.url:
            from assistant.evaluation.harness import run_against_server

            mode = args.mode or "server default"
            runs = [
                run_against_server(
                    args.url, args.api_key, settings, items, documents, args.mode, progress_bar
                )
            ]
        else:
            from assistant.evaluation.harness import run_in_process

            configurations = list(BASELINES) if args.baselines else [FULL]
            runs = run_in_process(settings, configurations, items, mode, progress_bar)
    except (ConfigError, DatasetError, ServerError, ReportError) as exc:
        return _fail(str(exc))
    except ValueError as exc:  # a setting that cannot work, e.g. --judge llm without an endpoint
        return _fail(str(exc))
    return _finish(args, question_set, runs, overrides, mode, previous, time.perf_counter() - began)


def _finish(
    args: argparse.Namespace,
    question_set: Any,
    runs: list[Any],
    overrides: dict[str, Any],
    mode: str,
    previous: dict[str, Any] | None,
    seconds: float,
) -> int:
    from assistant.evaluation.gate import check, gate_file, scoped_metrics
    from assistant.evaluation.markdown import (
        comparison_table,
        runs_table,
        split_table,
        tiers_table,
    )
    from assistant.evaluation.report import build_report, find_previous, load_report, write_report

    report = build_report(
        runs,
        question_set=args.set,
        split=args.split,
        mode=mode,
        url=args.url,
        limit=args.limit,
        sample=args.sample,
        overrides=overrides,
        seconds=seconds,
        primary=runs[0].name if args.tiers else "full",
    )
    failures = []
    if args.gate:
        primary = report["runs"][report["primary"]]
        failures = check(
            scoped_metrics(primary["items"], primary["metrics"]["all"]),
            question_set.thresholds,
        )
        report["gate"] = {
            "file": str(gate_file(args.set)),
            "thresholds": question_set.thresholds,
            "failures": [str(f) for f in failures],
        }
    if previous is None and (earlier := find_previous(args.out, report)) is not None:
        previous = load_report(earlier)
    folder = write_report(report, args.out, previous)

    print(split_table(report["runs"][report["primary"]]["metrics"]))
    if args.tiers:
        print(f"\nTiers side by side ({args.split}):")
        print(tiers_table(report["runs"], args.split))
    elif len(runs) > 1:
        print(f"\nConfigurations side by side ({args.split}):")
        print(runs_table(report["runs"], "all"))
    if previous is not None:
        from assistant.evaluation.report import compare

        worse = [r for r in compare(report, previous) if r["worse"]]
        print(
            f"\nCompared with {previous['_path']}: "
            + (f"{len(worse)} metric(s) worse" if worse else "no metric worse")
        )
        if worse:
            print(comparison_table(worse))
    print(f"\nReport: {folder / 'report.md'} ({seconds:.0f} s)")
    if args.gate:
        if args.limit or args.sample or args.split != "all":
            print(
                "Note: the gate was checked on a part of the set, not the full set.",
                file=sys.stderr,
            )
        if failures:
            print("Gate failed: " + "; ".join(str(f) for f in failures), file=sys.stderr)
            return 1
        print("Gate passed.")
    return 0
