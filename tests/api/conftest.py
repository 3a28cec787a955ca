"""API fixtures: services built once on the session's real index, apps around them.

``make_app`` gives a test its own app (own key store in ``tmp_path``, own rate
limiter) over the shared services, so nothing loads a model or an index twice.
``client``, the plain open-access app, is shared by the tests of one module; these
tests only read (its limit is raised so a module's requests never add up to a 429).

The chat UI is mounted only where a test asks for it (``make_app(chat=True)``,
``chat_client``): mounting it costs 0.3–0.6 s per app, and the API does not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.components.embedding import E5Embedding
from assistant.launcher import Services, load_services
from assistant.settings import CorpusSettings, IndexSettings, ServerSettings, Settings
from assistant.stores.keys import KeyStore
from tests.api.live import TEST_HOSTS, Keyed, live_server

AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def api_services(corpus_dir: Path, index_dir: Path, e5_embedder: E5Embedding) -> Services:
    """The services on the session's index of the real corpus (read only); no chat UI."""
    settings = Settings(
        corpus=CorpusSettings(dir=corpus_dir),
        index=IndexSettings(dir=index_dir),
        server=ServerSettings(chat=False),
    )
    return load_services(settings, embedder=e5_embedder)


def app_settings(base: Settings, data_dir: Path, **server: Any) -> Settings:
    """``base`` with the server section changed, its key store in ``data_dir``.

    Unless ``allowed_hosts`` is given, TestClient's host name is allowed too.
    """
    settings = base.model_copy(deep=True)
    update = {"data_dir": data_dir, "allowed_hosts": TEST_HOSTS, **server}
    settings.server = settings.server.model_copy(update=update)
    return settings


@pytest.fixture
def make_app(tmp_path: Path, api_services: Services) -> AppFactory:
    """``make_app(open_access=False, rate_limit_per_minute=3, chat=True, services=…)`` → an app."""

    def make(services: Services | None = api_services, **server: Any) -> FastAPI:
        base = services.settings if services is not None else api_services.settings
        return create_app(app_settings(base, tmp_path / "data", **server), services)

    return make


def _open_access_client(
    tmp_path_factory: pytest.TempPathFactory, api_services: Services, *, chat: bool
) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("data")
    settings = app_settings(
        api_services.settings,
        data_dir,
        open_access=True,
        rate_limit_per_minute=100_000,
        chat=chat,
    )
    with TestClient(create_app(settings, api_services)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, api_services: Services
) -> Iterator[TestClient]:
    """An open-access app (as on loopback by default) without the chat, one per test module."""
    yield from _open_access_client(tmp_path_factory, api_services, chat=False)


@pytest.fixture(scope="module")
def chat_client(
    tmp_path_factory: pytest.TempPathFactory, api_services: Services
) -> Iterator[TestClient]:
    """An open-access app with the chat UI mounted at /chat, as served by default."""
    yield from _open_access_client(tmp_path_factory, api_services, chat=True)


@pytest.fixture
def keyed(make_app: AppFactory, tmp_path: Path) -> Iterator[Keyed]:
    store = KeyStore(tmp_path / "data")
    key = store.create("helse-bergen")
    admin_key = store.create("ops", admin=True)
    with TestClient(make_app(open_access=False)) as test_client:
        yield Keyed(test_client, key, admin_key)


@pytest.fixture
def live(keyed: Keyed) -> Iterator[tuple[str, Keyed]]:
    """A real uvicorn server (keys required) on loopback, and the keys to call it."""
    with live_server(keyed.client.app) as base_url:  # type: ignore[arg-type]
        with httpx.Client(base_url=base_url, timeout=30) as probe:
            assert probe.get("/healthz").status_code == 200
        yield base_url, keyed
