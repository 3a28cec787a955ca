"""``assistant reader``: build the learned reader's training data and train it.

- ``assistant reader questions``: the local model writes questions for evidence units
  (cached, resumable; needs ``ASSISTANT_LLM__BASE_URL``/``__MODEL``, e.g. ``assistant llm
  serve``).
- ``assistant reader data``: the training pairs and their data card.
- ``assistant reader train``: fine-tune the cross-encoder and write it with its model card.

Exit status 0 when done, 2 for errors the user can fix, printed as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, get_args

from assistant.settings import TorchPrecision

DEFAULT_DIR = Path("models/reader")


def register(subparsers: Any) -> None:
    """Add the ``reader`` subcommand to the ``assistant`` command."""
    reader = subparsers.add_parser("reader", help="Build data for and train the learned reader.")
    sub = reader.add_subparsers(dest="reader_command", required=True)
    q = sub.add_parser("questions", help="Have the local model write questions for units.")
    q.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"Default {DEFAULT_DIR}.")
    q.add_argument("--limit", type=int, help="Write at most N new questions, then stop.")
    q.add_argument("--temperature", type=float, default=0.7)
    q.set_defaults(func=cmd_questions)
    d = sub.add_parser("data", help="Build the training pairs and the data card.")
    d.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"Default {DEFAULT_DIR}.")
    d.add_argument("--set", type=Path, default=Path("eval/questions.yaml"))
    d.set_defaults(func=cmd_data)
    t = sub.add_parser("train", help="Fine-tune the cross-encoder from the e5 weights.")
    t.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"Default {DEFAULT_DIR}.")
    t.add_argument("--minutes", type=float, default=55.0, help="Time limit (default 55).")
    t.add_argument("--epochs", type=float, default=2.0)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--layers", type=int, help="A student: only the encoder's first N layers.")
    t.add_argument(
        "--teacher", type=Path, help="A trained reader the student learns from (its folder)."
    )
    t.add_argument("--data", type=Path, help="Folder of pairs.jsonl (default DIR/data).")
    t.add_argument(
        "--precision",
        choices=get_args(TorchPrecision),
        default="auto",
        help="auto: bfloat16 forward passes where the CPU multiplies it natively, else fp32.",
    )
    t.set_defaults(func=cmd_train)


def _fail(message: str) -> int:
    print(f"assistant: {message}", file=sys.stderr)
    return 2


def _services() -> Any:
    from assistant.launcher import load_services
    from assistant.settings import get_settings

    return load_services(get_settings())


def cmd_questions(args: argparse.Namespace) -> int:
    from assistant.cli import progress_bar
    from assistant.components.llm import LLMUnavailableError, OpenAICompatibleChatModel
    from assistant.reader.questions import generate, read_cache
    from assistant.settings import get_settings

    llm = get_settings().llm
    if not llm.base_url or not llm.model:
        return _fail(
            "writing questions needs the local model: run `assistant llm serve` and set "
            "ASSISTANT_LLM__BASE_URL=http://127.0.0.1:8080/v1 and ASSISTANT_LLM__MODEL."
        )
    model = OpenAICompatibleChatModel.from_settings(
        llm, temperature=args.temperature, max_tokens=80
    )
    cache = args.dir / "data" / "questions.jsonl"
    services = _services()
    bar = progress_bar(args.limit or 0, "questions")
    try:
        for _ in generate(model, llm.model, services.index, cache, limit=args.limit):
            bar.update(1)
    except LLMUnavailableError as exc:
        return _fail(f"{exc} (the questions written so far are kept in {cache})")
    finally:
        bar.close()
    usable = sum(1 for q in read_cache(cache) if q.question)
    print(f"{cache}: {usable} questions")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from assistant.reader.pairs import build_pairs, write_pairs

    pairs, card = build_pairs(_services(), args.set, args.dir / "data" / "questions.jsonl")
    write_pairs(pairs, card, args.dir / "data")
    print(card.summary())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from assistant.reader.training import TrainingError, train

    try:
        result = train(
            args.dir,
            minutes=args.minutes,
            epochs=args.epochs,
            seed=args.seed,
            layers=args.layers,
            teacher=args.teacher,
            data=args.data,
            precision=args.precision,
        )
    except TrainingError as exc:
        return _fail(str(exc))
    print(result.summary())
    return 0
