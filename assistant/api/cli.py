"""``assistant serve`` and ``assistant keys …``: the HTTP API's subcommands.

Registered by ``assistant.cli`` through ``register(subparsers)``; nothing is
imported until a subcommand runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from typing import Any

from assistant.cli import progress_bar, settings_from_args


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("assistant")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.cli import load_services_noting_fallback
    from assistant.index.store import IndexMissingError
    from assistant.launcher import serving_build

    settings = settings_from_args(args)
    _exit_on_sigterm()
    with ExitStack() as stack:
        if args.local_llm:
            _start_local_llm(settings, stack)
        try:
            serving_build(settings)
        except IndexMissingError:
            print("No index yet: building it from the corpus first …", file=sys.stderr)
        services = load_services_noting_fallback(
            settings, build_if_missing=True, progress=progress_bar
        )
        _serve(settings, services, args)
    return 0


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds the process (``SystemExit``), so what ``serve`` started stops first.

    uvicorn shuts down gracefully on SIGTERM and then raises the signal again under the
    handler it found: with the default one the process would die there, before the local
    model server it started is stopped and waited for.
    """
    import signal

    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def _start_local_llm(settings: Any, stack: ExitStack) -> None:
    """Start ``assistant llm serve`` as a child (stopped with the stack) and point at it."""
    from assistant.components.local_llm_process import free_loopback_port, running_local_server

    log_path = settings.server.data_dir / "logs" / "local-llm.log"
    print(f"Starting the local model server (log: {log_path}) …", file=sys.stderr)
    port = free_loopback_port()
    while port == settings.server.port:  # the API's own port, not yet bound: take another
        port = free_loopback_port()
    local = stack.enter_context(running_local_server(settings, port, log_path))
    settings.llm.base_url = local.base_url
    settings.llm.model = local.model
    print(
        f"Local model {local.model} on {local.base_url}: mode 'llm' is available"
        f" (default mode: {settings.answer.mode}).",
        file=sys.stderr,
    )


def _serve(settings: Any, services: Any, args: argparse.Namespace) -> None:
    """Warm up, say how access works, and run uvicorn until stopped."""
    import uvicorn

    from assistant.api.app import create_app
    from assistant.api.holder import WARM_UP_QUESTION
    from assistant.api.security import open_access
    from assistant.database import key_store

    server = settings.server
    services.answers.answer(WARM_UP_QUESTION)  # the first request should not pay for warm-up
    _configure_logging()
    if open_access(server):
        print(f"Open access: no API key needed on {server.host}.", file=sys.stderr)
    elif not [k for k in key_store(settings).list_keys() if k.revoked_at is None]:
        print(
            "API keys are required but none exist: create one with "
            "`assistant keys create --name …`.",
            file=sys.stderr,
        )
    app = create_app(settings, services, answer_workers=args.answer_threads)
    print(f"Serving on http://{server.host}:{server.port} (API docs at /docs)", file=sys.stderr)
    uvicorn.run(app, host=server.host, port=server.port, access_log=False, log_level="warning")


def cmd_keys(args: argparse.Namespace) -> int:
    from assistant.database import key_store
    from assistant.stores.keys import KeyStoreError

    store = key_store(settings_from_args(args))
    try:
        if args.keys_command == "create":
            key = store.create(args.name, admin=args.admin)
            role = "admin key" if args.admin else "key"
            print(f"Created {role} '{args.name}'. It is shown only this once:", file=sys.stderr)
            print(key)
        elif args.keys_command == "revoke":
            store.revoke(args.name)
            print(f"Revoked '{args.name}'.")
        else:
            for item in store.list_keys():
                status = f"revoked {item.revoked_at}" if item.revoked_at else "active"
                role = "admin" if item.admin else "user"
                print(f"{item.name}\t{role}\tcreated {item.created_at}\t{status}")
    except KeyStoreError as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return 2
    return 0


def register(sub: Any) -> None:
    """Add ``serve`` and ``keys`` to the ``assistant`` command."""
    p = sub.add_parser(
        "serve", help="Serve the HTTP API and chat UI (builds the index if missing)."
    )
    p.add_argument("--host", help="Address to listen on (default: settings, 127.0.0.1).")
    p.add_argument("--port", type=int, help="Port (default: settings, 8000).")
    p.add_argument("--open-access", action="store_true", help="Serve requests without an API key.")
    p.add_argument(
        "--answer-threads",
        type=int,
        help="Answers computed at once; more requests wait their turn (default: cores, max 4).",
    )
    p.add_argument("--index", help="Index folder (default: settings).")
    p.add_argument("--data-dir", help="Folder of the API key store (default: settings).")
    p.add_argument(
        "--local-llm",
        action="store_true",
        help="Also start the local model (`assistant llm serve`) and use it for mode 'llm'.",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="Create, list and revoke API keys.")
    keys = p.add_subparsers(dest="keys_command", required=True)
    k = keys.add_parser("create", help="Create a key and print it (only this once).")
    k.add_argument("--name", required=True, help="Who the key is for, e.g. 'helse-bergen'.")
    k.add_argument("--admin", action="store_true", help="May also reload the index.")
    keys.add_parser("list", help="List keys (names and status; never the keys).")
    k = keys.add_parser("revoke", help="Revoke a key by name.")
    k.add_argument("name")
    for name in ("create", "list", "revoke"):
        keys.choices[name].add_argument("--data-dir", help="Folder of the key store.")
    p.set_defaults(func=cmd_keys)
