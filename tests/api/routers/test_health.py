"""GET /healthz and /readyz: up, and ready only with an index (else say to run ingest)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.answer.learned import corpus_hash, read_manifest
from assistant.api.app import create_app
from assistant.launcher import Services
from assistant.settings import Settings
from tests.api.live import LOCAL
from tests.support.damage import flip_bytes, two_builds

AppFactory = Callable[..., FastAPI]


def test_healthz_and_readyz_need_no_key(make_app: AppFactory, api_services: Services) -> None:
    with TestClient(make_app(open_access=False)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "build": api_services.index.path.name,
        "documents": len(api_services.index.documents),
        "chunks": len(api_services.index.chunks),
        "passed_over": None,
        "reason": "It is the build in service on disk, and its files match its manifest.",
        "data_dir_writable": True,
        "warnings": [],
        "reader": {
            "reader": "learned",  # the shipped default, trained on this corpus
            "model": read_manifest(Settings().answer.reader_dir)["name"],
            "trained_on": corpus_hash(api_services.index),
            "corpus": corpus_hash(api_services.index),
        },
    }


@pytest.mark.slow
def test_without_an_index_readyz_is_503_and_says_to_run_ingest(
    api_services: Services, tmp_path: Path
) -> None:
    settings = api_services.settings.model_copy(deep=True)
    settings.index.dir = tmp_path / "no-index"
    settings.server.open_access = True
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
        ask = client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "index_not_ready"
    assert "assistant ingest" in ready.json()["error"]["message"]
    assert str(tmp_path) not in ready.text
    assert ask.status_code == 503
    assert ask.json()["error"]["code"] == "index_not_ready"


def test_head_probes_get_200_without_a_body(make_app: AppFactory) -> None:
    with TestClient(make_app(open_access=False)) as client:
        health = client.head("/healthz")
        ready = client.head("/readyz")
    assert (health.status_code, ready.status_code) == (200, 200)
    assert health.content == ready.content == b""


def test_readyz_says_which_build_serves_when_the_one_in_service_is_damaged(
    api_services: Services, index_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    flip_bytes(newer / "chunks.jsonl")
    settings = api_services.settings.model_copy(deep=True)
    settings.index.dir = tmp_path / "index"
    settings.server.data_dir = tmp_path / "data"
    with (
        caplog.at_level(logging.WARNING, logger="assistant.api"),
        TestClient(create_app(settings), base_url=LOCAL) as client,
    ):
        ready = client.get("/readyz")
        asked = client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})

    assert ready.status_code == 200
    body = ready.json()
    assert body["build"] == older.name
    assert body["passed_over"] == newer.name
    assert body["reason"] == (
        f"The build in service, {newer.name}, is damaged (chunks.jsonl does not match its "
        f"SHA-256 in the manifest); {older.name} is the newest complete build that verifies."
    )
    assert body["warnings"] == [
        f"The index build {newer.name} is damaged (chunks.jsonl does not match its SHA-256 in "
        f"the manifest); serving the previous build {older.name}. Run `assistant ingest` to "
        "rebuild."
    ]
    assert asked.status_code == 200
    assert any(body["warnings"][0] == r.getMessage() for r in caplog.records)


def test_readyz_says_so_when_no_build_verifies(
    api_services: Services, index_dir: Path, tmp_path: Path
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    (newer / "goals.json").unlink()
    shutil.rmtree(older)
    settings = api_services.settings.model_copy(deep=True)
    settings.index.dir = tmp_path / "index"
    settings.server.data_dir = tmp_path / "data"
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        ready = client.get("/readyz")

    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["code"] == "index_not_ready"
    assert error["message"].startswith(f"The index build {newer.name} is damaged: goals.json is")
    assert "Run `assistant ingest`" in error["message"]
    assert str(tmp_path) not in ready.text


def test_readyz_reports_a_data_folder_that_cannot_be_written(
    api_services: Services, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    settings = api_services.settings.model_copy(deep=True)
    settings.server.data_dir = blocker / "data"
    with TestClient(create_app(settings, api_services), base_url=LOCAL) as client:
        body = client.get("/readyz").json()

    assert body["data_dir_writable"] is False
    assert len(body["warnings"]) == 1
    assert body["warnings"][0].startswith("The data folder is not writable")
    assert "ASSISTANT_SERVER__DATA_DIR" in body["warnings"][0]
    assert str(tmp_path) not in body["warnings"][0]
