"""API keys: shown once, stored hashed, checked on every /v1 request, revocable at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.security import KEYS_FILE, KeyStore, KeyStoreError, is_loopback, open_access
from assistant.settings import ServerSettings
from tests.api.live import Keyed

QUESTION = {"question": "Hva er tiårsmål 2?"}


def test_a_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.create("helse-bergen")

    raw = (tmp_path / KEYS_FILE).read_bytes()
    assert key.startswith("kst_")
    assert len(key) > 40
    assert key.encode() not in raw
    with sqlite3.connect(tmp_path / KEYS_FILE) as db:
        (stored,) = db.execute("SELECT key_hash FROM api_keys").fetchone()
    assert len(stored) == 64
    assert stored not in key
    assert store.verify(key) is not None
    assert store.verify(key).name == "helse-bergen"
    assert store.verify(key + "x") is None


def test_keys_are_listed_without_secrets_and_revoked_by_name(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.create("a")
    store.create("b", admin=True)
    store.revoke("a")

    listed = {k.name: k for k in store.list_keys()}
    assert listed["a"].revoked_at is not None
    assert not listed["a"].admin
    assert listed["b"].revoked_at is None
    assert listed["b"].admin
    assert store.verify(first) is None
    with pytest.raises(KeyStoreError, match="No active key"):
        store.revoke("a")
    with pytest.raises(KeyStoreError, match="exists"):
        store.create("b")
    with pytest.raises(KeyStoreError, match="key name"):
        store.create("")


def test_a_revocation_by_another_process_takes_effect_at_once(tmp_path: Path) -> None:
    serving = KeyStore(tmp_path)
    key = KeyStore(tmp_path).create("partner")
    assert serving.verify(key) is not None

    KeyStore(tmp_path).revoke("partner")  # e.g. `assistant keys revoke` in a shell

    assert serving.verify(key) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("::", False),
        ("example.org", False),
    ],
)
def test_open_access_by_default_only_on_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
    assert open_access(ServerSettings(host=host)) is expected
    assert open_access(ServerSettings(host=host, open_access=True)) is True
    assert open_access(ServerSettings(host=host, open_access=False)) is False


def test_requests_without_a_key_get_401_when_keys_are_required(keyed: Keyed) -> None:
    response = keyed.client.post("/v1/ask", json=QUESTION)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "missing_api_key"
    assert "Authorization: Bearer" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer kst_not-a-real-key", "invalid_api_key"),
        ("Basic dXNlcjpwYXNz", "invalid_authorization"),
        ("Bearer", "invalid_authorization"),
    ],
)
def test_a_wrong_key_gets_401_and_never_sees_the_key_echoed(
    keyed: Keyed, header: str, code: str
) -> None:
    response = keyed.client.post("/v1/ask", json=QUESTION, headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert "kst_not" not in response.text


def test_a_valid_key_is_served_on_every_v1_endpoint(keyed: Keyed) -> None:
    auth = keyed.auth()
    calls = [
        ("post", "/v1/ask", QUESTION),
        ("post", "/v1/search", {"query": "HPV"}),
        ("get", "/v1/documents", None),
        ("get", "/v1/documents/hub-om", None),
        ("get", "/v1/goals", None),
        ("get", "/v1/models", None),
        (
            "post",
            "/v1/chat/completions",
            {
                "model": "kreftstrategi",
                "messages": [{"role": "user", "content": "Hva er tiårsmål 2?"}],
            },
        ),
    ]
    for method, path, body in calls:
        without = getattr(keyed.client, method)(path, **({"json": body} if body else {}))
        with_key = getattr(keyed.client, method)(
            path, headers=auth, **({"json": body} if body else {})
        )
        assert without.status_code == 401, path
        assert with_key.status_code == 200, path


def test_a_revoked_key_is_refused_by_the_running_app(keyed: Keyed, tmp_path: Path) -> None:
    assert keyed.client.post("/v1/ask", json=QUESTION, headers=keyed.auth()).status_code == 200

    KeyStore(tmp_path / "data").revoke("helse-bergen")

    response = keyed.client.post("/v1/ask", json=QUESTION, headers=keyed.auth())
    assert response.status_code == 401


def test_open_access_serves_anonymous_callers_but_still_checks_a_sent_key(
    client: TestClient,
) -> None:
    assert client.post("/v1/ask", json=QUESTION).status_code == 200
    wrong = client.post("/v1/ask", json=QUESTION, headers={"Authorization": "Bearer kst_x"})
    assert wrong.status_code == 401
