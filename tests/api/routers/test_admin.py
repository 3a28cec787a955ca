"""POST /v1/admin/reload: a new index build goes into service without a restart, atomically."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.components.embedding import E5Embedding
from assistant.index.store import current_build
from assistant.launcher import Services, ingest, load_services
from assistant.settings import CorpusSettings, IndexSettings, Settings
from assistant.stores.keys import KeyStore
from tests.support.damage import flip_bytes, truncate

NEW_DOCUMENT = """Pressemelding: Ny satsing på lindrende behandling

Helsedirektoratet lanserer et nasjonalt kompetanseprogram i lindrende kreftbehandling for
sykehjem. Programmet skal gi alle sykehjem tilgang til palliative team innen 2027.
"""


@pytest.fixture
def own_services(
    tmp_path: Path, corpus_copy: Path, index_dir: Path, e5_embedder: E5Embedding
) -> Services:
    """Services on a private copy of the session's index (its builds and embedding cache)."""
    own = Path(shutil.copytree(index_dir, tmp_path / "index"))
    settings = Settings(corpus=CorpusSettings(dir=corpus_copy), index=IndexSettings(dir=own))
    return load_services(settings, embedder=e5_embedder)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, dict[str, str]]:
    store = KeyStore(tmp_path / "data")
    return {
        "admin": {"Authorization": f"Bearer {store.create('ops', admin=True)}"},
        "user": {"Authorization": f"Bearer {store.create('partner')}"},
    }


@pytest.mark.slow
def test_reload_puts_a_new_build_in_service_for_an_admin_key(
    make_app: Callable[..., FastAPI],
    own_services: Services,
    keys: dict[str, dict[str, str]],
    e5_embedder: E5Embedding,
) -> None:
    settings = own_services.settings
    with TestClient(make_app(services=own_services, open_access=False)) as client:
        before = client.get("/readyz").json()["build"]
        unchanged = client.post("/v1/admin/reload", headers=keys["admin"]).json()
        (settings.corpus.dir / "pressemelding-lindrende.txt").write_text(NEW_DOCUMENT, "utf-8")
        ingest(settings, e5_embedder)

        assert client.post("/v1/admin/reload", headers=keys["user"]).status_code == 403
        assert client.post("/v1/admin/reload").status_code == 401
        assert client.get("/readyz").json()["build"] == before  # nothing changes until reload
        reloaded = client.post("/v1/admin/reload", headers=keys["admin"])
        documents = client.get("/v1/documents", headers=keys["user"]).json()["documents"]
        answer = client.post(
            "/v1/ask",
            json={"question": "Når skal alle sykehjem ha tilgang til palliative team?"},
            headers=keys["user"],
        ).json()
        current = client.app.state.api.holder.current()  # type: ignore[attr-defined]

    assert unchanged["status"] == "unchanged"
    assert unchanged["build"] == before
    assert reloaded.status_code == 200
    assert reloaded.json()["status"] == "reloaded"
    assert reloaded.json()["previous_build"] == before
    assert reloaded.json()["build"] == current_build(settings.index.dir).name != before
    assert len(documents) == len(own_services.index.documents) + 1
    assert any(c["document_id"] == "pressemelding-lindrende" for c in answer["citations"])
    assert current.embedder is own_services.embedder  # the model is not loaded again
    assert current.conversations is own_services.conversations
    # requests that started on the old build can still finish on it
    assert own_services.answers.answer("Hva er tiårsmål 2?").citations


def test_a_build_that_cannot_be_loaded_leaves_the_current_one_in_service(
    make_app: Callable[..., FastAPI], own_services: Services, keys: dict[str, dict[str, str]]
) -> None:
    index_dir = own_services.settings.index.dir
    served = own_services.index.path
    broken = index_dir / "builds" / "99999999-broken"
    shutil.copytree(served, broken)
    manifest = json.loads((broken / "manifest.json").read_text("utf-8"))
    manifest["embedder"]["id"] = "some-other-embedder"
    (broken / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (index_dir / "CURRENT").write_text(broken.name + "\n", "utf-8")

    with TestClient(make_app(services=own_services, open_access=False)) as client:
        response = client.post("/v1/admin/reload", headers=keys["admin"])
        ready = client.get("/readyz").json()
        ask = client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"}, headers=keys["user"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "index_mismatch"
    assert "assistant ingest" in response.json()["error"]["message"]
    assert str(index_dir) not in response.text
    assert ready["build"] == served.name
    assert ask.status_code == 200


@pytest.mark.slow
def test_requests_during_a_reload_all_succeed(
    make_app: Callable[..., FastAPI],
    own_services: Services,
    keys: dict[str, dict[str, str]],
    e5_embedder: E5Embedding,
) -> None:
    ingest(own_services.settings, e5_embedder)  # a new build waiting on disk
    with TestClient(make_app(services=own_services, open_access=False)) as client:

        def ask(i: int) -> int:
            question = ["Hva er tiårsmål 2?", "Hva er Cancer Mission Hub Norway?"][i % 2]
            response = client.post("/v1/ask", json={"question": question}, headers=keys["user"])
            return response.status_code

        with ThreadPoolExecutor(4) as pool:
            asks = [pool.submit(ask, i) for i in range(12)]
            reload = client.post("/v1/admin/reload", headers=keys["admin"])
            statuses = [future.result(timeout=120) for future in asks]

    assert reload.json()["status"] == "reloaded"
    assert statuses == [200] * 12


def test_a_build_that_cannot_answer_is_not_put_in_service(
    make_app: Callable[..., FastAPI],
    own_services: Services,
    keys: dict[str, dict[str, str]],
    e5_embedder: E5Embedding,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assistant.api import holder

    ingest(own_services.settings, e5_embedder)
    real_load = holder.load_services

    def load_broken(*args: Any, **kwargs: Any) -> Services:
        services = real_load(*args, **kwargs)

        def fail(*_: Any, **__: Any) -> None:
            raise RuntimeError("sentence vectors do not match the chunks")

        services.answers.answer = fail  # type: ignore[method-assign]
        return services

    monkeypatch.setattr(holder, "load_services", load_broken)
    with TestClient(make_app(services=own_services, open_access=False)) as client:
        response = client.post("/v1/admin/reload", headers=keys["admin"])
        ready = client.get("/readyz").json()

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "index_unusable"
    assert "sentence vectors" not in response.text
    assert ready["build"] == own_services.index.path.name


@pytest.mark.parametrize(
    ("file", "damage"),
    [
        ("vectors.faiss", flip_bytes),
        ("chunks.jsonl", truncate),
        ("bm25/vocab.index.json", Path.unlink),
        ("manifest.json", lambda path: path.write_text("garbage", "utf-8")),
    ],
)
def test_a_damaged_new_build_is_refused_with_409_naming_the_file(
    make_app: Callable[..., FastAPI],
    own_services: Services,
    keys: dict[str, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    file: str,
    damage: Callable[[Path], Any],
) -> None:
    index_dir = own_services.settings.index.dir
    served = current_build(index_dir)
    newer = served.with_name(served.name + "-b")
    shutil.copytree(served, newer)
    damage(newer / file)
    (index_dir / "CURRENT").write_text(newer.name + "\n", "utf-8")

    with (
        caplog.at_level("ERROR"),
        TestClient(make_app(services=own_services, open_access=False)) as client,
    ):
        response = client.post("/v1/admin/reload", headers=keys["admin"])
        ready = client.get("/readyz").json()

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "index_damaged"
    assert error["message"].startswith(f"The index build {newer.name} is damaged: {file} ")
    assert f"the build {served.name} stays in service" in error["message"]
    assert "Run `assistant ingest`" in error["message"]
    assert str(index_dir) not in response.text
    assert ready["build"] == served.name
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no 500, no traceback
