"""The chat shell's subcommands: ``assistant ui`` and ``assistant feedback export``.

Registered into the ``assistant`` command by :func:`register`; nothing is
imported until a subcommand runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_UI_PORT = 7860


def register(subparsers: Any) -> None:
    """Add ``ui`` and ``feedback`` to the ``assistant`` command's subparsers."""
    p = subparsers.add_parser("ui", help="Run the chat alone (Gradio at /chat/).")
    p.add_argument("--host", help="Address to listen on (default: settings, 127.0.0.1).")
    p.add_argument(
        "--port", type=int, default=DEFAULT_UI_PORT, help=f"Port (default {DEFAULT_UI_PORT})."
    )
    p.add_argument("--index", help="Index folder (default: settings).")
    p.set_defaults(func=cmd_ui)

    p = subparsers.add_parser("feedback", help="Feedback given on answers in the chat.")
    actions = p.add_subparsers(dest="feedback_command", required=True)
    e = actions.add_parser("export", help="Write all feedback as CSV or JSON Lines.")
    e.add_argument(
        "--format",
        choices=["csv", "jsonl"],
        help="Output format (default: from the --output suffix, else csv).",
    )
    e.add_argument("--output", "-o", help="File to write (default: standard output).")
    e.add_argument("--data-dir", help="Folder holding feedback.sqlite3 (default: settings).")
    e.set_defaults(func=cmd_feedback_export)


def cmd_ui(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.cli import progress_bar, settings_from_args
    from assistant.launcher import load_services
    from ui.app import CHAT_PATH, create_chat_app

    settings = settings_from_args(args)
    host = args.host or settings.server.host
    services = load_services(settings, build_if_missing=True, progress=progress_bar)
    app = create_chat_app(services)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"assistant: the chat has no login; anyone who reaches {host} can use it.",
            file=sys.stderr,
        )
    print(f"Chat: http://{host}:{args.port}{CHAT_PATH}/", file=sys.stderr)
    uvicorn.run(app, host=host, port=args.port, log_level="info")
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.database import feedback_store
    from assistant.settings import get_settings
    from assistant.stores.feedback import FeedbackError, FeedbackStore

    settings = get_settings()
    if args.data_dir:
        settings = settings.model_copy(
            update={"server": settings.server.model_copy(update={"data_dir": Path(args.data_dir)})}
        )
    store: FeedbackStore = feedback_store(settings, limited=False)  # every row, however many
    fmt = args.format
    if fmt is None:
        fmt = "jsonl" if args.output and args.output.endswith((".jsonl", ".ndjson")) else "csv"
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                count = store.export(out, fmt)
        else:
            count = store.export(sys.stdout, fmt)
    except FeedbackError as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return 2
    where = args.output or "standard output"
    print(f"Exported {count} feedback row(s) as {fmt} to {where}.", file=sys.stderr)
    return 0
