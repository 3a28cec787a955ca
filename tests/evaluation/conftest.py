"""Fixtures for the evaluation harness: real services, a small question set, a stub server.

The stub server is a few lines of FastAPI over the real answer service, served
by a real uvicorn on loopback; it speaks the API contract the harness's
``--url`` mode codes against (``/v1/ask``, ``/v1/search``) without depending on
``assistant.api``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from assistant.answer.models import Turn
from assistant.evaluation.dataset import read_yaml
from assistant.launcher import Services
from tests.conftest import CORPUS, REPO

QUESTIONS = REPO / "eval" / "questions.yaml"
SMALL_SET_IDS = (
    "tm02-hpv",  # dev, nb
    "tm04-tidligere-stadium",  # heldout
    "conv-prostata",  # two turns
    "u-fotball",  # unanswerable
    "en-tm02-cervical",  # English
)
STUB_KEY = "stub-key"


@pytest.fixture(scope="session")
def question_data() -> dict[str, Any]:
    """The real question set as parsed YAML (read once: copy before changing it)."""
    data: dict[str, Any] = read_yaml(QUESTIONS)
    return data


@pytest.fixture
def small_set(tmp_path: Path, question_data: dict[str, Any]) -> Path:
    """A question set of five real items (both splits, a conversation, an unanswerable one)."""
    data = dict(question_data)
    data["items"] = [i for i in question_data["items"] if i["id"] in SMALL_SET_IDS]
    assert len(data["items"]) == len(SMALL_SET_IDS)
    path = tmp_path / "set" / "questions.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def eval_env(cli_env: None, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings from the environment point at the session's index; returns the index folder."""
    monkeypatch.setenv("ASSISTANT_INDEX__DIR", str(index_dir))
    monkeypatch.setenv("ASSISTANT_CORPUS__DIR", str(CORPUS))
    return index_dir


class AskBody(BaseModel):
    question: str
    history: list[Turn] = []
    mode: str | None = None


class SearchBody(BaseModel):
    query: str
    k: int = 10


def _stub_app(services: Services) -> object:
    from fastapi import FastAPI, Header, HTTPException

    app = FastAPI()

    def authorise(authorization: str | None) -> None:
        if authorization != f"Bearer {STUB_KEY}":
            raise HTTPException(status_code=401, detail="Missing or wrong API key.")

    @app.post("/v1/ask")
    def ask(body: AskBody, authorization: str | None = Header(None)) -> dict[str, object]:
        authorise(authorization)
        answer = services.answers.answer(body.question, history=body.history, mode=body.mode)
        return answer.public_dict()

    @app.post("/v1/search")
    def search(body: SearchBody, authorization: str | None = Header(None)) -> dict[str, object]:
        authorise(authorization)
        hits = services.answers.retrieve(body.query, k=body.k)
        return {"results": [h.to_dict(services.index) for h in hits]}

    return app


@pytest.fixture(scope="session")
def stub_server(services: Services) -> Iterator[str]:
    """Base URL of a real uvicorn on 127.0.0.1 serving the stub API over the real services."""
    from tests.support.live_server import live_server

    with live_server(_stub_app(services)) as url:
        yield url


@pytest.fixture
def index_copy(request: pytest.FixtureRequest, tmp_path: Path, index_dir: Path) -> Iterator[Path]:
    """A private copy of the session's index whose fixed-chunks baseline cache is kept warm.

    The baseline's embedding cache is carried between sessions in pytest's
    cache folder, as the session index's is, so its ingest takes seconds.
    """
    copy = Path(shutil.copytree(index_dir, tmp_path / "index"))
    kept_dir = getattr(request.config, "cache", None)
    kept = Path(kept_dir.mkdir("e5-fixed-chunks-cache")) if kept_dir is not None else None
    baseline_cache = copy / "baselines" / "fixed-chunks" / "cache"
    if kept is not None and any(kept.glob("*.npz")):
        shutil.copytree(kept, baseline_cache, ignore=shutil.ignore_patterns(".*"))
    yield copy
    if kept is not None:
        for vectors in baseline_cache.glob("*.npz"):
            if ".tmp" in vectors.name:
                continue
            staged = kept / f".{vectors.name}.{os.getpid()}.tmp"
            shutil.copyfile(vectors, staged)
            os.replace(staged, kept / vectors.name)
