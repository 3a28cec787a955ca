"""`assistant serve` processes on loopback ports sharing one database, as partners run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.llm_server import free_loopback_port


@dataclass(frozen=True)
class Replica:
    """A running server: its base URL, its process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def assistant_env(database_url: str, **settings: str) -> dict[str, str]:
    """This process's environment without its ASSISTANT_ settings, plus the database URL and
    ``settings`` (``SERVER__OPEN_ACCESS="false"`` → ``ASSISTANT_SERVER__OPEN_ACCESS``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_DATABASE__URL"] = database_url
    env.update({f"ASSISTANT_{name}": value for name, value in settings.items()})
    return env


def run_assistant(env: dict[str, str], *args: str) -> str:
    """``assistant ARGS`` in a child process; its output (CalledProcessError if it fails)."""
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextmanager
def serving(env: dict[str, str], folder: Path, names: tuple[str, ...]) -> Iterator[list[Replica]]:
    """One `assistant serve` per name, each with its own port, index and data folders; all
    ready (``/readyz`` 200) before this yields; terminated after."""
    replicas: list[Replica] = []
    with ExitStack() as logs:
        try:
            for name in names:
                port = free_loopback_port()
                log = folder / f"{name}.log"
                out = logs.enter_context(log.open("wb"))
                command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
                command += ["--index", str(folder / name / "index")]
                command += ["--data-dir", str(folder / name / "data")]
                process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
                replicas.append(Replica(f"http://127.0.0.1:{port}", process, log))
            for replica in replicas:
                _wait_ready(replica)
            yield replicas
        finally:
            for replica in replicas:
                replica.process.terminate()
            for replica in replicas:
                replica.process.wait(timeout=60)


def _wait_ready(replica: Replica) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert replica.process.poll() is None, replica.log_tail()
        try:
            if httpx.get(f"{replica.url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{replica.url} never became ready: {replica.log_tail()}")
